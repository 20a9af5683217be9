"""Signing in by link, the provider area, a provider's edits, and revoking."""

from datetime import date, timedelta

import pytest
from django.core import mail
from django.test import Client
from django.test.utils import override_settings
from django.urls import reverse

from initiatives.models import Initiative, OpeningTime, ProviderLink, Suggestion
from initiatives.providers import services
from initiatives.providers.links import new_link
from tests.factories import curators_group

from ..admin_forms import form_data
from ..factories import InitiativeFactory
from .helpers import last_link, links_in, provider_for, sew_halton, sign_in

pytestmark = pytest.mark.django_db

BASE = "http://testserver/"


def link_for(user, **kwargs) -> str:
    url = new_link(user, base_url=BASE, **kwargs)
    return url.removeprefix("http://testserver")


def no_rows(prefix: str) -> dict:
    return {
        f"{prefix}-TOTAL_FORMS": "0",
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def edit_data(initiative, **changes) -> dict:
    """What the provider's form sends for the record as it stands, with `changes`."""
    page = Client()
    form = None
    from initiatives.providers.forms import ProviderInitiativeForm

    form = ProviderInitiativeForm(instance=initiative)
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if value is None:
            value = ""
        if name in ("by_appointment",) or field.widget.__class__.__name__ == "YesNoNotRecorded":
            value = {True: "true", False: "false"}.get(value, "unknown")
        data[name] = value
    del page
    return data | no_rows("times") | no_rows("contacts") | changes


@pytest.fixture
def curator(django_user_model):
    user = django_user_model.objects.create_user("cara", is_staff=True)
    user.groups.add(curators_group())
    return user


class TestSignIn:
    def test_a_link_signs_in_once_into_the_provider_area(self, client, django_user_model):
        initiative = sew_halton()
        user = provider_for(django_user_model, initiative)
        path = link_for(user)
        response = sign_in(client, path)
        assert response.redirect_chain[-1][0] == "/provider/"
        page = response.content.decode()
        assert "Your listings" in page and initiative.name in page

        # Used: "expired", and a new link is sent.
        again = Client().get(path)
        assert again.status_code == 410
        assert "This link has expired; we've sent you a new one" in again.content.decode()
        assert mail.outbox[-1].to == [user.email]
        assert links_in(mail.outbox[-1])[0] != path

    def test_an_expired_link_sends_a_new_one_within_the_limit(self, client, django_user_model):
        initiative = sew_halton()
        user = provider_for(django_user_model, initiative)
        path = link_for(user)
        ProviderLink.objects.update(lifetime=0)
        response = client.get(path)
        assert response.status_code == 410
        assert "we've sent you a new one" in response.content.decode()
        with override_settings(PROVIDER_LINKS_PER_HOUR=2):
            response = client.get(path)
        assert response.status_code == 410
        assert "we've sent you a new one" not in response.content.decode()
        assert len(mail.outbox) == 1

    def test_a_tampered_link_is_refused_plainly(self, client, django_user_model):
        initiative = sew_halton()
        user = provider_for(django_user_model, initiative)
        path = link_for(user)
        tampered = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
        for response in (client.get(tampered), client.post("/provider/sign-in/", {"sesame": "x"})):
            assert response.status_code == 400
            assert "This link is not valid" in response.content.decode()
        assert client.get("/provider/sign-in/").status_code == 400
        assert mail.outbox == []
        assert client.get("/provider/").status_code == 403

    def test_a_staff_account_is_never_signed_in_by_link(self, client, curator):
        curator.email = "cara@sewhalton.org.uk"
        curator.save()
        path = link_for(curator)
        response = client.get(path)
        assert response.status_code == 410
        assert mail.outbox == []
        response = client.post(
            "/provider/sign-in/", {"sesame": path.split("sesame=")[1].split("&")[0]}
        )
        assert response.status_code == 410
        assert "_auth_user_id" not in client.session

    def test_a_provider_cannot_reach_the_admin(self, client, django_user_model):
        user = provider_for(django_user_model, sew_halton())
        sign_in(client, link_for(user))
        response = client.get("/admin/")
        assert response.status_code == 302
        assert "/admin/login/" in response["Location"]
        assert client.get("/admin/initiatives/initiative/").status_code == 302

    def test_revoking_ends_the_providers_sessions_at_once(self, client, django_user_model):
        initiative = sew_halton()
        user = provider_for(django_user_model, initiative)
        sign_in(client, link_for(user))
        assert client.get("/provider/").status_code == 200
        services.revoke(user.providers.get())
        response = client.get("/provider/")
        assert response.status_code == 403
        assert initiative.name not in response.content.decode()
        assert client.get(f"/provider/initiatives/{initiative.slug}/").status_code == 403

    def test_revoked_in_the_admin(self, client, django_user_model, curator):
        user = provider_for(django_user_model, sew_halton())
        provider_client = Client()
        sign_in(provider_client, link_for(user))
        client.force_login(curator)
        response = client.post(
            "/admin/initiatives/provider/",
            {"action": "revoke", "_selected_action": [user.providers.get().pk]},
        )
        assert response.status_code == 302
        assert user.providers.get().revoked_at is not None
        assert provider_client.get("/provider/").status_code == 403


class TestArea:
    def test_a_provider_sees_and_edits_only_their_organisations_initiatives(
        self, client, django_user_model
    ):
        initiative = sew_halton()
        sibling = InitiativeFactory(
            name="Sew Halton repair cafe", organisation=initiative.organisation
        )
        other = InitiativeFactory(name="Someone else's club")
        user = provider_for(django_user_model, initiative)
        client.force_login(user, backend="initiatives.providers.backends.ProviderLinkBackend")
        page = client.get("/provider/").content.decode()
        assert initiative.name in page and sibling.name in page
        assert other.name not in page
        assert client.get(f"/provider/initiatives/{other.slug}/").status_code == 404
        assert client.post(f"/provider/initiatives/{other.slug}/confirm/").status_code == 404

    def test_a_trusted_edit_is_published_at_once_and_named_in_the_history(
        self, client, django_user_model
    ):
        initiative = sew_halton(last_verified_on=date(2024, 1, 5), role="service_provider")
        user = provider_for(django_user_model, initiative, trusted=True)
        client.force_login(user, backend="initiatives.providers.backends.ProviderLinkBackend")
        data = edit_data(
            initiative,
            summary="Sewing on Thursdays now.",
            cost="free",
            # Curator fields sent anyway are ignored.
            role="campaigning",
            status="archived",
            last_verified_on="2020-01-01",
        )
        data |= {
            "times-TOTAL_FORMS": "1",
            "times-day": "",
            "times-0-day": "TH",
            "times-0-opens_at": "10:00",
            "times-0-closes_at": "12:00",
        }
        response = client.post(f"/provider/initiatives/{initiative.slug}/", data)
        assert response.status_code == 302, response.content.decode()[:3000]
        initiative.refresh_from_db()
        assert initiative.summary == "Sewing on Thursdays now."
        assert initiative.cost == "free"
        assert (initiative.role, initiative.status) == ("service_provider", "published")
        assert initiative.checked_by_provider
        assert initiative.last_verified_on == date.today()
        assert OpeningTime.objects.get(initiative=initiative).day == "TH"
        latest = initiative.history.latest()
        assert latest.history_user == user
        assert latest.history_change_reason == "Edited by the provider (jo@sewhalton.org.uk)"
        public = Client().get(initiative.get_absolute_url()).content.decode()
        assert "Sewing on Thursdays now." in public
        assert f"Confirmed by the provider on {date.today():%-d %B %Y}" in public
        assert not Suggestion.objects.exists()

    def test_a_curator_reverts_a_providers_change_in_one_step(
        self, client, django_user_model, curator
    ):
        initiative = sew_halton(summary="Mondays.")
        user = provider_for(django_user_model, initiative, trusted=True)
        provider_client = Client()
        provider_client.force_login(
            user, backend="initiatives.providers.backends.ProviderLinkBackend"
        )
        provider_client.post(
            f"/provider/initiatives/{initiative.slug}/", edit_data(initiative, summary="Fridays.")
        )
        initiative.refresh_from_db()
        assert initiative.summary == "Fridays."
        before = initiative.history.filter(summary="Mondays.").latest()
        client.force_login(curator)
        url = reverse(
            "admin:initiatives_initiative_simple_history", args=[initiative.pk, before.history_id]
        )
        form = client.get(url).context["adminform"].form
        assert form.initial["summary"] == "Mondays."
        assert client.post(url, form_data(initiative, summary="Mondays.")).status_code == 302
        initiative.refresh_from_db()
        assert initiative.summary == "Mondays."

    def test_an_untrusted_edit_becomes_a_suggestion_a_curator_approves(
        self, client, django_user_model, curator
    ):
        initiative = sew_halton(summary="Mondays.", last_verified_on=date(2024, 1, 5))
        OpeningTime.objects.create(
            initiative=initiative, day="MO", opens_at="10:00", closes_at="12:00"
        )
        user = provider_for(django_user_model, initiative)
        client.force_login(user, backend="initiatives.providers.backends.ProviderLinkBackend")
        slot = OpeningTime.objects.get()
        data = edit_data(initiative, summary="Fridays.", cost_detail="£2 a session") | {
            "times-TOTAL_FORMS": "2",
            "times-INITIAL_FORMS": "1",
            "times-0-id": slot.pk,
            "times-0-initiative": initiative.pk,
            "times-0-day": "FR",
            "times-0-opens_at": "10:00",
            "times-0-closes_at": "12:00",
        }
        response = client.post(f"/provider/initiatives/{initiative.slug}/", data)
        assert response.status_code == 302, response.content.decode()[:3000]
        initiative.refresh_from_db()
        assert initiative.summary == "Mondays."  # nothing published yet
        suggestion = Suggestion.objects.get()
        assert suggestion.provider.user == user
        assert suggestion.proposed["summary"] == "Fridays."
        assert suggestion.proposed["cost_detail"] == "£2 a session"
        assert suggestion.proposed["opening_times"][0]["day"] == "FR"
        assert "summary" in suggestion.proposed and "role" not in suggestion.proposed

        client.force_login(curator)
        review = client.get(f"/admin/initiatives/suggestion/{suggestion.pk}/change/")
        page = review.content.decode()
        assert "Fridays." in page and "Cost in detail" in page and "Opening times" in page
        assert "Friday 10:00-12:00" in page and "Monday 10:00-12:00" in page
        response = client.post(
            f"/admin/initiatives/suggestion/{suggestion.pk}/change/",
            {
                "action": "accept",
                "fields": list(suggestion.proposed),
                "initiative_version": initiative.version,
            },
        )
        assert response.status_code == 302
        initiative.refresh_from_db()
        assert initiative.summary == "Fridays."
        assert initiative.cost_detail == "£2 a session"
        assert [slot.day for slot in initiative.opening_times.all()] == ["FR"]
        assert initiative.checked_by_provider
        assert initiative.last_verified_on == date.today()
        public = Client().get(initiative.get_absolute_url()).content.decode()
        assert "Confirmed by the provider on" in public
        latest = initiative.history.latest()
        assert latest.history_user == curator
        assert "from the provider (jo@sewhalton.org.uk)" in latest.history_change_reason

    def test_the_second_of_two_providers_is_told_what_changed_and_loses_nothing(
        self, django_user_model
    ):
        initiative = sew_halton(summary="Mondays.")
        first_user = provider_for(django_user_model, initiative, trusted=True)
        second_user = provider_for(
            django_user_model, initiative, email="sam@sewhalton.org.uk", trusted=True
        )
        first, second = Client(), Client()
        for c, u in ((first, first_user), (second, second_user)):
            c.force_login(u, backend="initiatives.providers.backends.ProviderLinkBackend")
        opened = edit_data(initiative)
        first.post(f"/provider/initiatives/{initiative.slug}/", opened | {"summary": "Tuesdays."})
        response = second.post(
            f"/provider/initiatives/{initiative.slug}/",
            opened | {"summary": "Wednesdays.", "cost_detail": "Free"},
        )
        assert response.status_code == 200
        page = response.content.decode()
        assert "Someone else changed the listing" in page
        assert "Changed since you opened this page: Summary" in page
        assert "Wednesdays." in page and 'value="Free"' in page
        initiative.refresh_from_db()
        assert initiative.summary == "Tuesdays."

    def test_nothing_has_changed_renews_the_stamp(self, client, django_user_model):
        initiative = sew_halton(last_verified_on=date.today() - timedelta(days=400))
        user = provider_for(django_user_model, initiative)
        client.force_login(user, backend="initiatives.providers.backends.ProviderLinkBackend")
        assert client.get(f"/provider/initiatives/{initiative.slug}/confirm/").status_code == 200
        response = client.post(f"/provider/initiatives/{initiative.slug}/confirm/")
        assert response.status_code == 302
        initiative.refresh_from_db()
        assert initiative.last_verified_on == date.today()
        assert initiative.checked_by_provider and initiative.last_verified_by == user
        assert initiative.history.latest().history_user == user
        assert not initiative.review_due

    def test_the_confirmation_needs_the_forms_csrf_token(self, django_user_model):
        initiative = sew_halton(last_verified_on=date(2024, 1, 5))
        user = provider_for(django_user_model, initiative)
        strict = Client(enforce_csrf_checks=True)
        strict.force_login(user, backend="initiatives.providers.backends.ProviderLinkBackend")
        assert strict.post(f"/provider/initiatives/{initiative.slug}/confirm/").status_code == 403
        initiative.refresh_from_db()
        assert initiative.last_verified_on == date(2024, 1, 5)

    def test_a_curators_check_reads_as_the_curators_again(self, client, django_user_model, curator):
        initiative = sew_halton()
        services.confirm_unchanged(
            initiative=initiative, user=provider_for(django_user_model, initiative)
        )
        client.force_login(curator)
        client.post(
            "/admin/initiatives/initiative/",
            {"action": "mark_verified_today", "_selected_action": [initiative.pk]},
        )
        initiative.refresh_from_db()
        assert not initiative.checked_by_provider
        public = Client().get(initiative.get_absolute_url()).content.decode()
        assert "Last checked on" in public and "Confirmed by the provider" not in public

    def test_an_unchanged_form_says_so(self, client, django_user_model):
        initiative = sew_halton()
        user = provider_for(django_user_model, initiative)
        client.force_login(user, backend="initiatives.providers.backends.ProviderLinkBackend")
        response = client.post(f"/provider/initiatives/{initiative.slug}/", edit_data(initiative))
        assert response.status_code == 200
        assert "You have not changed anything" in response.content.decode()
        assert not Suggestion.objects.exists()

    def test_bad_input_is_explained_and_kept(self, client, django_user_model):
        initiative = sew_halton()
        user = provider_for(django_user_model, initiative, trusted=True)
        client.force_login(user, backend="initiatives.providers.backends.ProviderLinkBackend")
        response = client.post(
            f"/provider/initiatives/{initiative.slug}/",
            edit_data(initiative, postcode="not a postcode", summary="Kept."),
        )
        assert response.status_code == 200
        assert "Kept." in response.content.decode()
        initiative.refresh_from_db()
        assert initiative.summary != "Kept."


def test_the_provider_pages_need_few_queries(
    client, django_user_model, django_assert_max_num_queries
):
    initiative = sew_halton()
    InitiativeFactory.create_batch(5, organisation=initiative.organisation)
    user = provider_for(django_user_model, initiative)
    client.force_login(user, backend="initiatives.providers.backends.ProviderLinkBackend")
    with django_assert_max_num_queries(12):
        assert client.get("/provider/").status_code == 200
    with django_assert_max_num_queries(20):
        assert client.get(f"/provider/initiatives/{initiative.slug}/").status_code == 200
    assert Initiative.objects.count() == 6
    assert last_link  # shared helper stays importable
