"""The admin index's work queue, the "to do" filter it links to, completeness, and
who may change areas."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from initiatives.completeness import COMPLETENESS_CHECKS, completeness
from initiatives.models import Area, Contact, Initiative, Suggestion
from tests.factories import curators_group

from ..factories import AreaFactory, InitiativeFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/initiatives/initiative/"


@pytest.fixture
def curator_client(client, django_user_model):
    user = django_user_model.objects.create_user("curator", is_staff=True)
    user.groups.add(curators_group())
    client.force_login(user)
    return client


@pytest.fixture
def superuser_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("chief", "chief@example.org"))
    return client


def queue_lines(response) -> dict[str, tuple[int, str]]:
    return {line["key"]: (line["count"], line["url"]) for line in response.context["work_queue"]}


def changelist_names(client, url: str) -> set[str]:
    response = client.get(url)
    assert response.status_code == 200
    return {obj.name for obj in response.context["cl"].result_list}


@pytest.fixture
def register():
    long_ago = date.today() - timedelta(days=800)
    InitiativeFactory(name="Fresh", website="https://fresh.example.org")
    InitiativeFactory(name="Stale", last_verified_on=long_ago, phone="01928 123456")
    InitiativeFactory(name="Unchecked", last_verified_on=None, email="hi@example.org")
    InitiativeFactory(name="Unchecked draft", last_verified_on=None, status="draft")
    InitiativeFactory(name="Archived", last_verified_on=None, status=Initiative.Status.ARCHIVED)
    InitiativeFactory(
        name="Noted",
        postcode="WA7 1AB",
        summary="Allotment work not confirmed in stored sources.",
    )
    InitiativeFactory(name="Noted draft", status="draft", description="TODO: phone them")
    # A named contact is a way to reach them, as on the public page.
    reachable = InitiativeFactory(
        name="Contact draft", status="draft", last_verified_on=date.today()
    )
    Contact.objects.create(initiative=reachable, name="Sam", phone="01928 123456")
    InitiativeFactory(
        name="Health checks", summary="Free health checks for men.", postcode="WA7 1AB"
    )
    Suggestion.objects.create(kind="new", proposed={"name": "A"}, client_hash="x")
    Suggestion.objects.create(
        kind="new", proposed={"name": "B"}, client_hash="x", status="rejected"
    )


class TestWorkQueue:
    def test_each_line_counts_the_records_its_link_lists(self, curator_client, register):
        response = curator_client.get("/admin/")
        lines = queue_lines(response)
        expected = {
            "review_due": {"Stale", "Unchecked", "Unchecked draft"},
            "never_checked": {"Unchecked", "Unchecked draft"},
            "no_contact": {"Unchecked draft", "Noted draft"},
            # The same check as the admin's warning: "health checks" is not a note to self.
            "public_text": {"Noted"},
        }
        for key, names in expected.items():
            count, url = lines[key]
            assert (key, count) == (key, len(names))
            assert changelist_names(curator_client, url) == names
        count, url = lines["suggestions"]
        assert count == 1
        assert url == reverse("admin:initiatives_suggestion_changelist") + "?status=new"

    def test_the_index_shows_the_counts_as_links(self, curator_client, register):
        page = curator_client.get("/admin/").content.decode()
        assert "Work queue" in page
        assert f'href="{CHANGELIST}?to_do=never_checked"' in page
        assert "Records never checked (not archived)" in page

    def test_the_queue_takes_a_bounded_number_of_queries(
        self, curator_client, register, django_assert_max_num_queries
    ):
        curator_client.get("/admin/")
        InitiativeFactory.create_batch(5, last_verified_on=None)
        with django_assert_max_num_queries(12):
            curator_client.get("/admin/")

    def test_an_unknown_to_do_value_lists_nothing_and_does_not_fail(self, curator_client):
        InitiativeFactory()
        assert changelist_names(curator_client, f"{CHANGELIST}?to_do=bogus") == set()


class TestCompleteness:
    def test_a_record_with_nothing_recorded_scores_nothing(self):
        empty = Initiative(name="Empty", role="both")
        found = completeness(empty)
        assert found.score == 0
        assert found.total == len(COMPLETENESS_CHECKS)
        assert "Phone" in found.missing

    def test_a_no_for_a_way_in_counts_as_recorded(self):
        found = completeness(Initiative(name="X", role="both", drop_in=False, min_age=18))
        assert found.present == ["Ways in (referral, drop-in, waiting list, membership)", "Ages"]

    def test_the_changelist_and_change_form_show_the_score(self, curator_client):
        initiative = InitiativeFactory(
            name="Walks", website="https://walks.example.org", cost="free", lifecycle="running"
        )
        total = len(COMPLETENESS_CHECKS)
        listing = curator_client.get(CHANGELIST).content.decode()
        assert f"4 of {total}" in listing  # website, cost, lifecycle, checked
        form = curator_client.get(
            reverse("admin:initiatives_initiative_change", args=[initiative.pk])
        ).content.decode()
        assert f"4 of {total} recorded" in form
        assert "Missing: Email, Phone" in form


class TestAreasAreForAdministrators:
    def test_a_curator_sees_an_area_but_cannot_change_it(self, curator_client):
        area = AreaFactory(name="Halton", code="E06000006")
        change = reverse("admin:initiatives_area_change", args=[area.pk])
        page = curator_client.get(change)
        assert page.status_code == 200
        assert "E06000006" in page.content.decode()
        assert 'name="code"' not in page.content.decode()
        posted = curator_client.post(change, {"name": "Renamed", "kind": "local_authority"})
        assert posted.status_code == 403
        area.refresh_from_db()
        assert area.name == "Halton"
        assert curator_client.get(reverse("admin:initiatives_area_add")).status_code == 403

    def test_an_administrator_may_change_an_area(self, superuser_client):
        area = AreaFactory(name="Halton", kind=Area.Kind.LOCAL_AUTHORITY)
        change = reverse("admin:initiatives_area_change", args=[area.pk])
        page = superuser_client.get(change)
        assert 'name="code"' in page.content.decode()
        data = {"name": "Halton Borough", "slug": area.slug, "kind": "local_authority", "code": ""}
        assert superuser_client.post(change, data).status_code == 302
        area.refresh_from_db()
        assert area.name == "Halton Borough"


class TestNotesInPublicText:
    def test_the_flag_follows_every_save_of_the_public_text(self):
        initiative = InitiativeFactory(summary="Walks. TODO: check the time.")

        def flagged():
            return list(Initiative.objects.notes_to_self_in_public_text())

        assert flagged() == [initiative]
        initiative.summary = "Free weekly health walks."
        initiative.save(update_fields=["summary"])
        assert flagged() == []
        initiative.description = "Source: not confirmed."
        initiative.save()
        assert flagged() == [initiative]

    def test_the_flag_is_the_admins_warning(self):
        from initiatives.validators import notes_to_self

        for text in ["Allotment work not confirmed in stored sources.", "Free health checks."]:
            initiative = InitiativeFactory(summary=text)
            assert initiative.notes_in_public_text == bool(notes_to_self(text))
