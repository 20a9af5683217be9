"""Suggestions from the public: the forms, their abuse limits, and the curators' queue."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from initiatives.curation.services import SuggestionError, suggestion_accept, suggestion_reject
from initiatives.curation.suggestions import LABELS, MODEL_FIELDS, client_hash
from initiatives.models import Initiative, Suggestion
from tests.factories import curators_group

from ..factories import InitiativeFactory, OrganisationFactory, SuggestionFactory

pytestmark = pytest.mark.django_db

SUGGEST = "/suggest/"


def new_initiative(**overrides) -> dict:
    data = {
        "name": "Halton ukulele club",
        "summary": "Ukulele lessons for anyone over 50.",
        "description": "Tuesdays at the library.\r\nBring a friend.",
        "organisation_name": "Halton Social Enterprise",
        "where": "Halton",
        "role": "service_provider",
        "self_referral": "on",
        "cost": "free",
        "min_age": "50",
        "max_age": "",
        "website": "halton-ukes.example.org",
        "email": "",
        "phone": "01928 000000",
        "address": "Library, Widnes",
        "postcode": "wa8 7ty",
        "message": "I go every week.",
        "contact_email": "me@example.org",
        "homepage": "",
    }
    return data | overrides


def correction_of(initiative, **changes) -> dict:
    """What the prefilled correction form sends back, with `changes` typed in."""
    data = {
        "name": initiative.name,
        "summary": initiative.summary,
        "description": initiative.description,
        "role": initiative.role,
        "cost": initiative.cost,
        "min_age": "" if initiative.min_age is None else str(initiative.min_age),
        "max_age": "" if initiative.max_age is None else str(initiative.max_age),
        "website": initiative.website,
        "email": initiative.email,
        "phone": initiative.phone,
        "address": initiative.address,
        "postcode": initiative.postcode,
        "message": "",
        "contact_email": "",
        "homepage": "",
    }
    for flag in ["self_referral", "professional_referral", "drop_in", "membership"]:
        if getattr(initiative, flag):
            data[flag] = "on"
    return data | changes


def page(response) -> str:
    return response.content.decode()


@pytest.fixture
def curator(django_user_model):
    user = django_user_model.objects.create_user("curator", first_name="Cara", is_staff=True)
    user.groups.add(curators_group())
    return user


@pytest.fixture
def curator_client(client, curator):
    client.force_login(curator)
    return client


class TestNewInitiative:
    def test_the_form_asks_in_sections_with_labels(self, client, django_assert_max_num_queries):
        with django_assert_max_num_queries(3):
            response = client.get(SUGGEST)
        assert response.status_code == 200
        body = page(response)
        assert "<h1>Suggest an initiative</h1>" in body
        for legend in ["About the initiative", "How people can take part", "How to contact it"]:
            assert legend in body
        assert 'for="id_name"' in body and 'name="csrfmiddlewaretoken"' in body
        # The honeypot is hidden from people and from screen readers.
        assert 'hidden aria-hidden="true"' in body

    def test_sending_one_stores_it_and_publishes_nothing(self, client):
        response = client.post(SUGGEST, new_initiative(), REMOTE_ADDR="203.0.113.9")
        assert response.status_code == 302
        assert response["Location"] == reverse("initiatives:suggest_thanks")
        suggestion = Suggestion.objects.get()
        assert (suggestion.kind, suggestion.status) == ("new", "new")
        assert suggestion.proposed["name"] == "Halton ukulele club"
        assert suggestion.proposed["postcode"] == "WA8 7TY"
        assert suggestion.proposed["website"] == "https://halton-ukes.example.org"
        assert suggestion.proposed["description"] == "Tuesdays at the library.\nBring a friend."
        assert suggestion.proposed["self_referral"] is True
        assert suggestion.proposed["min_age"] == 50
        assert suggestion.proposed["organisation_name"] == "Halton Social Enterprise"
        assert suggestion.contact_email == "me@example.org"
        assert suggestion.message == "I go every week."
        # The address is kept only as a keyed hash.
        assert "203.0.113.9" not in suggestion.client_hash
        assert len(suggestion.client_hash) == 64
        assert not Initiative.objects.exists()

    def test_ways_in_left_unticked_are_proposed_as_not_recorded(self, client):
        client.post(SUGGEST, new_initiative())
        proposed = Suggestion.objects.get().proposed
        assert proposed["self_referral"] is True
        for name in ["professional_referral", "drop_in", "membership"]:
            assert proposed[name] is None, name

    def test_the_confirmation_page_says_what_happens_next(self, client):
        response = client.post(SUGGEST, new_initiative(), follow=True)
        body = page(response)
        assert "Thank you: we have your suggestion" in body
        assert "Nothing is published until they accept it" in body

    def test_missing_name_and_role_are_explained(self, client):
        response = client.post(SUGGEST, new_initiative(name="", role=""))
        assert response.status_code == 200
        body = page(response)
        assert "There is a problem" in body
        # Each error names the field and links to it (a radio group: to its first option).
        assert '<a href="#id_name">Enter the name of the initiative</a>' in body
        assert '<a href="#id_role_0">Select what kind of initiative it is</a>' in body
        assert "This field is required" not in body
        assert not Suggestion.objects.exists()

    @pytest.mark.parametrize(
        ("field", "limit"),
        [
            ("name", 200),
            ("summary", 300),
            ("description", 5000),
            ("organisation_name", 200),
            ("where", 500),
            ("phone", 40),
            ("address", 500),
            ("message", 2000),
        ],
    )
    def test_every_text_field_has_a_size_limit(self, client, field, limit):
        response = client.post(SUGGEST, new_initiative(**{field: "x" * (limit + 1)}))
        assert response.status_code == 200
        assert f"must be {limit:,} characters or fewer" in page(response)
        assert not Suggestion.objects.exists()

    @pytest.mark.parametrize(
        ("field", "value", "message"),
        [
            ("website", "https://" + "a" * 300 + ".org", "The website must be 300 characters"),
            (
                "website",
                "javascript:alert(1)",
                "Enter the website in the correct format, like https://www.example.org",
            ),
            (
                "email",
                "not-an-email",
                "Enter the initiative\u2019s email address in the correct format, like "
                "name@example.org",
            ),
            ("contact_email", "x" * 250 + "@example.org", "Your email address must be 254"),
            ("postcode", "ABC 123", "Enter the postcode in the correct format, like WA7 1AB"),
            ("min_age", "500", "The youngest age must be 120 or less"),
            ("min_age", "x", "Enter the youngest age as a whole number of years, like 16"),
            ("min_age", "60", "The youngest age must not be above the oldest age"),
        ],
    )
    def test_values_are_checked_as_the_register_checks_them(self, client, field, value, message):
        response = client.post(SUGGEST, new_initiative(**{field: value}, max_age="55"))
        assert message in page(response)
        assert not Suggestion.objects.exists()


class TestCorrection:
    def test_each_published_page_links_to_its_correction_form(self, client):
        initiative = InitiativeFactory(name="KeyRing allotments")
        body = page(client.get(initiative.get_absolute_url()))
        url = reverse("initiatives:suggest_correction", args=[initiative.slug])
        assert f'href="{url}">Suggest a correction</a>' in body

    def test_the_form_is_prefilled_with_the_record(self, client):
        initiative = InitiativeFactory(
            name="KeyRing allotments", summary="Allotments with support.", postcode="LL11 1AA"
        )
        for url in [
            f"/initiatives/{initiative.slug}/suggest/",
            f"/suggest/?initiative={initiative.uuid}",
        ]:
            response = client.get(url)
            assert response.status_code == 200
            body = page(response)
            assert "Suggest a correction to KeyRing allotments" in body
            # The summary is long text: a textarea.
            assert ">\nAllotments with support.</textarea>" in body
            assert 'value="LL11 1AA"' in body

    @pytest.mark.parametrize(
        "url",
        [
            "/initiatives/no-such-thing/suggest/",
            "/suggest/?initiative=not-a-uuid",
            "/suggest/?initiative=6f1c1b4e-0000-4000-8000-000000000000",
        ],
    )
    def test_an_unknown_initiative_is_a_clear_404(self, client, url):
        response = client.get(url)
        assert response.status_code == 404
        assert "We don\u2019t know a published initiative" in page(response)

    def test_drafts_cannot_be_corrected_from_outside(self, client):
        draft = InitiativeFactory(status="draft")
        assert client.get(f"/initiatives/{draft.slug}/suggest/").status_code == 404

    def test_only_the_changed_fields_are_proposed(self, client):
        initiative = InitiativeFactory(summary="Meets on Mondays.", description="Line one\nTwo")
        data = correction_of(initiative, summary="Meets on Tuesdays.", phone="01978 111111")
        data["description"] = "Line one\r\nTwo"  # a browser's line ends are no change
        response = client.post(f"/initiatives/{initiative.slug}/suggest/", data)
        assert response.status_code == 302
        assert response["Location"].endswith(f"?initiative={initiative.uuid}")
        suggestion = Suggestion.objects.get()
        assert suggestion.kind == "correction" and suggestion.initiative == initiative
        assert suggestion.proposed == {"summary": "Meets on Tuesdays.", "phone": "01978 111111"}
        initiative.refresh_from_db()
        assert initiative.summary == "Meets on Mondays."

    def test_a_ticked_box_can_be_unticked(self, client):
        initiative = InitiativeFactory(drop_in=True)
        data = correction_of(initiative)
        del data["drop_in"]
        client.post(f"/initiatives/{initiative.slug}/suggest/", data)
        assert Suggestion.objects.get().proposed == {"drop_in": False}

    def test_hostile_values_in_the_record_are_prefilled_as_text(self, client):
        from tests.directory.test_security import inline_code

        initiative = InitiativeFactory(
            name='<script>alert("x")</script>',
            summary='"><img src=x onerror=alert(1)></textarea>',
            description="</textarea><script>alert(2)</script>",
        )
        body = page(client.get(f"/initiatives/{initiative.slug}/suggest/"))
        assert "<script>alert" not in body
        assert '"><img src=x' not in body
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in body
        assert inline_code(body) == []

    def test_sending_it_unchanged_asks_for_a_change(self, client):
        initiative = InitiativeFactory()
        response = client.post(
            f"/initiatives/{initiative.slug}/suggest/", correction_of(initiative)
        )
        assert response.status_code == 200
        assert "You have not changed anything" in page(response)
        assert not Suggestion.objects.exists()

    def test_a_note_alone_is_enough(self, client):
        initiative = InitiativeFactory()
        data = correction_of(initiative, message="It closed in March.")
        assert client.post(f"/suggest/?initiative={initiative.uuid}", data).status_code == 302
        suggestion = Suggestion.objects.get()
        assert (suggestion.proposed, suggestion.message) == ({}, "It closed in March.")

    def test_a_stored_value_todays_checks_refuse_does_not_block_a_correction(self, client):
        initiative = InitiativeFactory(website="javascript:alert(1)", postcode="")
        Initiative.objects.filter(pk=initiative.pk).update(postcode="ABC 123")
        initiative.refresh_from_db()
        data = correction_of(initiative, summary="New summary.")
        response = client.post(f"/initiatives/{initiative.slug}/suggest/", data)
        assert response.status_code == 302
        assert Suggestion.objects.get().proposed == {"summary": "New summary."}


class TestAbuse:
    def test_a_post_without_the_csrf_token_is_refused(self):
        client = Client(enforce_csrf_checks=True)
        response = client.post(SUGGEST, new_initiative())
        assert response.status_code == 403
        assert not Suggestion.objects.exists()

    def test_the_form_carries_a_working_csrf_token(self):
        client = Client(enforce_csrf_checks=True)
        client.get(SUGGEST)
        token = client.cookies[settings.CSRF_COOKIE_NAME].value
        response = client.post(SUGGEST, new_initiative(csrfmiddlewaretoken=token))
        assert response.status_code == 302
        assert Suggestion.objects.count() == 1

    def test_a_filled_honeypot_looks_accepted_but_stores_nothing(self, client):
        response = client.post(SUGGEST, new_initiative(homepage="http://spam.example"))
        assert response.status_code == 302
        assert response["Location"] == reverse("initiatives:suggest_thanks")
        assert not Suggestion.objects.exists()

    def test_a_few_an_hour_per_client_then_try_again_later(self, client):
        limit = settings.SUGGESTIONS_PER_HOUR
        for n in range(limit):
            response = client.post(
                SUGGEST, new_initiative(name=f"Club {n}"), REMOTE_ADDR="198.51.100.7"
            )
            assert response.status_code == 302
        response = client.post(SUGGEST, new_initiative(name="One more"), REMOTE_ADDR="198.51.100.7")
        assert response.status_code == 429
        body = page(response)
        assert "Please try again later" in body
        assert int(response["Retry-After"]) > 0
        assert Suggestion.objects.count() == limit

        # Someone else is not held up.
        other = client.post(SUGGEST, new_initiative(name="Elsewhere"), REMOTE_ADDR="198.51.100.8")
        assert other.status_code == 302

        # An hour on, the first client may suggest again.
        Suggestion.objects.update(created_at=timezone.now() - timedelta(minutes=61))
        again = client.post(SUGGEST, new_initiative(name="Next day"), REMOTE_ADDR="198.51.100.7")
        assert again.status_code == 302

    def test_the_limit_counts_corrections_too(self, client, rf):
        initiative = InitiativeFactory()
        request = rf.post(SUGGEST, REMOTE_ADDR="192.0.2.1")
        SuggestionFactory.create_batch(
            settings.SUGGESTIONS_PER_HOUR, initiative=initiative, client_hash=client_hash(request)
        )
        data = correction_of(initiative, summary="Changed.")
        response = client.post(
            f"/initiatives/{initiative.slug}/suggest/", data, REMOTE_ADDR="192.0.2.1"
        )
        assert response.status_code == 429
        assert initiative.name in page(response)

    def test_hostile_text_is_stored_as_typed_and_shown_as_text(self, client, curator_client):
        script = '<script>alert("x")</script>'
        client.post(
            SUGGEST,
            new_initiative(
                name=script, message=f"See https://evil.example/{script}", website="evil.example"
            ),
        )
        suggestion = Suggestion.objects.get()
        assert suggestion.proposed["name"] == script
        body = page(curator_client.get(admin_url(suggestion)))
        assert script not in body
        assert "&lt;script&gt;" in body
        # Links typed by the public are never made clickable.
        assert 'href="https://evil.example' not in body
        assert "https://evil.example" in body


# The curators' side ---------------------------------------------------------------------


def admin_url(suggestion, view="change") -> str:
    args = [suggestion.pk] if view == "change" else []
    return reverse(f"admin:initiatives_suggestion_{view}", args=args)


class TestServices:
    def test_accepting_a_new_initiative_makes_a_draft(self, curator):
        organisation = OrganisationFactory(name="Halton Social Enterprise")
        suggestion = SuggestionFactory(
            proposed={
                "name": "Halton ukulele club",
                "role": "service_provider",
                "summary": "Ukuleles.",
                "postcode": "WA8 7TY",
                "self_referral": True,
                "organisation_name": "halton social enterprise",
                "where": "Halton",
            }
        )
        draft = suggestion_accept(suggestion=suggestion, curator=curator)
        assert draft.status == Initiative.Status.DRAFT
        assert (draft.name, draft.postcode, draft.self_referral) == (
            "Halton ukulele club",
            "WA8 7TY",
            True,
        )
        assert draft.organisation == organisation
        assert f"suggestion {suggestion.pk}" in draft.source_note
        suggestion.refresh_from_db()
        assert suggestion.status == Suggestion.Status.ACCEPTED
        assert (suggestion.reviewed_by, suggestion.created_initiative) == (curator, draft)
        record = draft.history.latest()
        assert record.history_user == curator
        assert record.history_change_reason == f"Accepted suggestion {suggestion.pk}"

    def test_accepting_a_correction_applies_only_the_chosen_fields(self, curator):
        initiative = InitiativeFactory(summary="Old.", phone="0100")
        suggestion = SuggestionFactory(
            initiative=initiative, proposed={"summary": "New.", "phone": "0200"}
        )
        suggestion_accept(suggestion=suggestion, curator=curator, fields=["summary"])
        initiative.refresh_from_db()
        assert (initiative.summary, initiative.phone) == ("New.", "0100")
        suggestion.refresh_from_db()
        assert suggestion.applied_fields == ["summary"]
        assert initiative.history.latest().history_user == curator

    def test_a_correction_needs_a_chosen_field(self, curator):
        suggestion = SuggestionFactory(initiative=InitiativeFactory())
        with pytest.raises(SuggestionError, match="Tick at least one change"):
            suggestion_accept(suggestion=suggestion, curator=curator, fields=[])
        suggestion.refresh_from_db()
        assert suggestion.status == Suggestion.Status.NEW

    def test_a_correction_that_breaks_the_record_is_refused_whole(self, curator):
        initiative = InitiativeFactory(min_age=10, max_age=20, summary="Old.")
        suggestion = SuggestionFactory(
            initiative=initiative, proposed={"min_age": 30, "summary": "New."}
        )
        with pytest.raises(SuggestionError, match="minimum age must not be above"):
            suggestion_accept(suggestion=suggestion, curator=curator, fields=["min_age", "summary"])
        initiative.refresh_from_db()
        assert (initiative.min_age, initiative.summary) == (10, "Old.")

    def test_a_suggestion_is_reviewed_once(self, curator):
        suggestion = SuggestionFactory()
        suggestion_reject(suggestion=suggestion, curator=curator, reason="Already listed.")
        with pytest.raises(SuggestionError, match="already rejected by Cara"):
            suggestion_accept(suggestion=suggestion, curator=curator)
        with pytest.raises(SuggestionError, match="already rejected"):
            suggestion_reject(suggestion=suggestion, curator=curator, reason="Again.")
        assert not Initiative.objects.exists()

    @pytest.mark.parametrize("reason", ["", "   "])
    def test_rejecting_needs_a_reason(self, curator, reason):
        suggestion = SuggestionFactory()
        with pytest.raises(SuggestionError, match="Give a reason"):
            suggestion_reject(suggestion=suggestion, curator=curator, reason=reason)
        suggestion.refresh_from_db()
        assert suggestion.status == Suggestion.Status.NEW

    def test_rejecting_keeps_the_reason(self, curator):
        suggestion = SuggestionFactory()
        suggestion_reject(suggestion=suggestion, curator=curator, reason="  A duplicate. ")
        suggestion.refresh_from_db()
        assert (suggestion.status, suggestion.rejection_reason) == ("rejected", "A duplicate.")
        assert suggestion.reviewed_by == curator and suggestion.reviewed_at is not None


class TestQueue:
    def test_the_queue_counts_each_status_and_lists_new_first(self, curator_client):
        SuggestionFactory(status="accepted")
        SuggestionFactory.create_batch(2)
        SuggestionFactory(status="rejected")
        response = curator_client.get(admin_url(None, "changelist"))
        body = page(response)
        for label in ["New (2)", "Accepted (1)", "Rejected (1)"]:
            assert label in body
        statuses = [s.status for s in response.context["cl"].result_list]
        assert statuses[:2] == ["new", "new"]
        response = curator_client.get(admin_url(None, "changelist"), {"status": "new"})
        assert len(response.context["cl"].result_list) == 2

    def test_the_queue_says_which_came_from_a_provider(
        self, curator_client, django_user_model, django_assert_max_num_queries
    ):
        from initiatives.models import Provider

        initiative = InitiativeFactory(name="Sew Halton sewing circle")
        user = django_user_model.objects.create_user("provider:jo", email="jo@sewhalton.org.uk")
        provider = Provider.objects.create(user=user, initiative=initiative)
        SuggestionFactory(initiative=initiative, provider=provider)
        SuggestionFactory.create_batch(3)
        with django_assert_max_num_queries(12):
            response = curator_client.get(admin_url(None, "changelist"))
        body = page(response)
        assert "Provider: jo@sewhalton.org.uk" in body
        assert body.count('<td class="field-sent_by">Public</td>') == 3
        only = curator_client.get(admin_url(None, "changelist"), {"sent_by": "provider"})
        assert [s.provider_id for s in only.context["cl"].result_list] == [provider.pk]
        public = curator_client.get(admin_url(None, "changelist"), {"sent_by": "public"})
        assert len(public.context["cl"].result_list) == 3

    def test_curators_neither_add_nor_delete_suggestions(self, curator_client):
        suggestion = SuggestionFactory()
        assert curator_client.get(admin_url(None, "add")).status_code == 403
        delete = reverse("admin:initiatives_suggestion_delete", args=[suggestion.pk])
        assert curator_client.get(delete).status_code == 403

    def test_a_correction_shows_before_and_after_to_tick(
        self, curator_client, django_assert_max_num_queries
    ):
        initiative = InitiativeFactory(name="KeyRing", summary="Old summary.", cost="free")
        suggestion = SuggestionFactory(
            initiative=initiative,
            proposed={"summary": "New summary.", "cost": "paid", "name": "KeyRing"},
        )
        with django_assert_max_num_queries(12):
            response = curator_client.get(admin_url(suggestion))
        assert response.status_code == 200
        rows = {row["name"]: row for row in response.context["rows"]}
        assert (rows["summary"]["before"], rows["summary"]["after"]) == (
            "Old summary.",
            "New summary.",
        )
        assert (rows["cost"]["before"], rows["cost"]["after"]) == ("Free", "Paid")
        assert rows["name"]["same"] is True
        body = page(response)
        assert 'name="fields" value="summary"' in body
        assert 'name="fields" value="name"' not in body

    def test_accepting_ticked_changes_applies_them(self, curator_client):
        initiative = InitiativeFactory(summary="Old.", cost="free")
        suggestion = SuggestionFactory(
            initiative=initiative, proposed={"summary": "New.", "cost": "paid"}
        )
        review = page(curator_client.get(admin_url(suggestion)))
        assert f'name="initiative_version" value="{initiative.version}"' in review
        response = curator_client.post(
            admin_url(suggestion),
            {"action": "accept", "fields": ["cost"], "initiative_version": initiative.version},
            follow=True,
        )
        assert "Applied 1 change to" in page(response)
        initiative.refresh_from_db()
        assert (initiative.summary, initiative.cost) == ("Old.", "paid")

    def test_an_initiative_changed_during_the_review_is_not_overwritten(self, curator_client):
        initiative = InitiativeFactory(name="KeyRing", summary="Old.")
        suggestion = SuggestionFactory(initiative=initiative, proposed={"summary": "New."})
        reviewed = initiative.version
        # Another curator rewrites the summary while this one reads the review page.
        initiative.summary = "Rewritten by a colleague."
        initiative.save()
        response = curator_client.post(
            admin_url(suggestion),
            {"action": "accept", "fields": ["summary"], "initiative_version": reviewed},
        )
        assert response.status_code == 200
        body = page(response)
        assert "\u201cKeyRing\u201d was changed at " in body
        assert "while you were reviewing this suggestion, so nothing was applied" in body
        # The page now shows the record as it is, with the curator's ticks kept.
        assert "Rewritten by a colleague." in body
        assert 'value="summary" id="apply-summary" checked' in body
        assert f'name="initiative_version" value="{reviewed + 1}"' in body
        initiative.refresh_from_db()
        suggestion.refresh_from_db()
        assert (initiative.summary, suggestion.status) == ("Rewritten by a colleague.", "new")

    def test_the_review_says_when_the_initiative_changed_after_the_suggestion(self, curator_client):
        initiative = InitiativeFactory(summary="Old.")
        suggestion = SuggestionFactory(initiative=initiative, proposed={"summary": "New."})
        assert "was changed after this suggestion was sent" not in page(
            curator_client.get(admin_url(suggestion))
        )
        initiative.summary = "Changed by a curator."
        initiative.save()
        body = page(curator_client.get(admin_url(suggestion)))
        assert "The initiative was changed after this suggestion was sent (at " in body
        assert "by an import or a script (no one signed in)): the sender saw" in body

    def test_a_review_page_that_did_not_say_what_it_showed_is_refused(self, curator_client):
        initiative = InitiativeFactory(summary="Old.")
        suggestion = SuggestionFactory(initiative=initiative, proposed={"summary": "New."})
        response = curator_client.post(
            admin_url(suggestion), {"action": "accept", "fields": ["summary"]}
        )
        assert "This page is out of date: reload it" in page(response)
        initiative.refresh_from_db()
        assert initiative.summary == "Old."

    def test_accepting_with_nothing_ticked_says_so(self, curator_client):
        initiative = InitiativeFactory()
        suggestion = SuggestionFactory(initiative=initiative)
        response = curator_client.post(
            admin_url(suggestion), {"action": "accept", "initiative_version": initiative.version}
        )
        assert response.status_code == 200
        assert "Tick at least one change to apply" in page(response)

    def test_accepting_a_new_initiative_opens_the_draft(self, curator_client):
        suggestion = SuggestionFactory()
        response = curator_client.post(admin_url(suggestion), {"action": "accept"})
        draft = Initiative.objects.get()
        assert draft.status == "draft"
        assert response["Location"] == reverse(
            "admin:initiatives_initiative_change", args=[draft.pk]
        )
        draft_page = page(curator_client.get(response["Location"]))
        assert "Made the draft" in draft_page
        assert admin_url(suggestion) in draft_page

    def test_rejecting_asks_for_a_reason(self, curator_client):
        suggestion = SuggestionFactory()
        response = curator_client.post(admin_url(suggestion), {"action": "reject", "reason": ""})
        assert "Give a reason for rejecting" in page(response)
        suggestion.refresh_from_db()
        assert suggestion.status == "new"
        response = curator_client.post(
            admin_url(suggestion), {"action": "reject", "reason": "Not a health initiative."}
        )
        assert response.status_code == 302
        suggestion.refresh_from_db()
        assert (suggestion.status, suggestion.rejection_reason) == (
            "rejected",
            "Not a health initiative.",
        )

    def test_a_reviewed_suggestion_shows_its_outcome_without_buttons(self, curator_client, curator):
        suggestion = SuggestionFactory()
        suggestion_reject(suggestion=suggestion, curator=curator, reason="Spam.")
        body = page(curator_client.get(admin_url(suggestion)))
        assert "Rejected by Cara" in body and "Spam." in body
        assert 'value="reject"' not in body

    def test_every_proposable_field_has_a_label(self):
        assert set(MODEL_FIELDS) <= set(LABELS)


class TestFormCopy:
    """The GOV.UK Design System's patterns: labels, long text, the error summary."""

    def test_optional_is_said_once_and_the_sentence_is_grammatical(self, client):
        body = page(client.get(SUGGEST))
        assert "(optional) (optional)" not in body
        assert "Your email address (optional)" not in body
        assert 'Your email address <span class="field__optional">(optional)</span>' in body
        assert "Only the name and what kind of initiative it is are needed" in body
        initiative = InitiativeFactory()
        body = page(client.get(reverse("initiatives:suggest_correction", args=[initiative.slug])))
        assert "Only the name is needed" in body
        assert "are needed" not in body

    def test_long_text_is_typed_in_a_textarea(self, client):
        body = page(client.get(SUGGEST))
        for name in ["summary", "description", "address", "message"]:
            assert f'<textarea name="{name}"' in body, name

    def test_a_summary_typed_on_several_lines_is_kept_as_one_paragraph(self, client):
        client.post(SUGGEST, new_initiative(summary="Ukulele lessons\r\nfor anyone over 50."))
        assert Suggestion.objects.get().proposed["summary"] == "Ukulele lessons for anyone over 50."

    def test_the_error_summary_comes_first_and_takes_focus(self, client):
        body = page(client.post(SUGGEST, new_initiative(name="")))
        summary = body.index('id="error-summary"')
        assert summary < body.index("<h1>")
        assert 'tabindex="-1"' in body[summary - 200 : summary + 200]
        assert "autofocus" in body[summary - 200 : summary + 200]
        assert "js/error-summary.js" in body
        assert "<title>Error: Suggest an initiative" in body
