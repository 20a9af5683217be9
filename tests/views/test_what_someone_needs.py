"""The public page for someone about to go: opening times and whether it is open now,
the ways in with who to contact, cost, languages, accessibility and contacts; and for
a record with none of them, what it says instead."""

import re
from datetime import UTC, date, datetime, time

import pytest

from initiatives import views
from initiatives.models import Contact, OpeningTime

from ..factories import InitiativeFactory
from .support import MAX_DETAIL_QUERIES, text

pytestmark = pytest.mark.django_db


def page_of(client, initiative) -> str:
    response = client.get(initiative.get_absolute_url())
    assert response.status_code == 200
    return text(response)


def rows_of(page: str) -> dict[str, str]:
    return dict(re.findall(r"<dt>([^<]+)</dt>\s*<dd[^>]*>\s*(.*?)\s*</dd>", page, flags=re.S))


@pytest.fixture
def at(monkeypatch):
    """Set the page's clock to a moment in UTC."""

    def set_clock(*parts):
        moment = datetime(*parts, tzinfo=UTC)
        monkeypatch.setattr(views.timezone, "now", lambda: moment)

    return set_clock


def weekly(initiative, day, opens, closes, **more):
    return OpeningTime.objects.create(
        initiative=initiative, day=day, opens_at=time(*opens), closes_at=time(*closes), **more
    )


class TestOpeningTimes:
    def test_the_table_and_open_now_in_uk_summer_time(self, client, at):
        initiative = InitiativeFactory()
        weekly(initiative, "TU", (10,), (16,))
        weekly(initiative, "MO", (10,), (12,))
        weekly(initiative, "MO", (13,), (15,))
        # Monday 7 July 2025, 11:30 UTC is 12:30 BST: between Monday's two slots.
        at(2025, 7, 7, 11, 30)
        page = page_of(client, initiative)
        assert "<strong>Closed now \u00b7 Opens today 13:00</strong>" in page
        table = page[page.index('id="opening-times"') :]
        assert re.findall(r'<th scope="row">(\w+)</th><td>([^<]+)</td>', table) == [
            ("Monday", "10:00 to 12:00, 13:00 to 15:00"),
            ("Tuesday", "10:00 to 16:00"),
        ]
        # 10:30 UTC is 11:30 BST.
        at(2025, 7, 7, 10, 30)
        assert "<strong>Open now until 12:00</strong>" in page_of(client, initiative)

    def test_closures_and_dated_times_are_listed_and_count(self, client, at):
        initiative = InitiativeFactory()
        weekly(initiative, "WE", (10,), (16,))
        OpeningTime.objects.create(
            initiative=initiative,
            closed=True,
            valid_from=date(2025, 12, 24),
            valid_to=date(2026, 1, 2),
        )
        at(2025, 12, 24, 11)
        page = page_of(client, initiative)
        assert "Closed on" not in page
        assert "Closed from 24 December 2025 to 2 January 2026" in page
        assert "Closed now \u00b7 Opens Wednesday 7 January 10:00" in page

    def test_by_appointment_and_notes_without_weekly_times(self, client):
        initiative = InitiativeFactory(by_appointment=True, opening_notes="Call before coming.")
        page = page_of(client, initiative)
        assert "By appointment only." in page
        assert "Call before coming." in page
        assert "Open now" not in page and "Closed now" not in page

    def test_nothing_recorded_says_so_and_claims_no_hours(self, client):
        page = page_of(client, InitiativeFactory())
        section = page[
            page.index('id="opening-heading"') : page.index(
                "</section>", page.index('id="opening-heading"')
            )
        ]
        assert "Not recorded." in section
        for claim in ("Open now", "Closed now", "By appointment", "No appointment", "<table"):
            assert claim not in section


class TestWaysIn:
    def test_each_way_recorded_with_who_to_contact(self, client):
        initiative = InitiativeFactory(
            self_referral=True,
            self_referral_contact="Call Sam on the number below",
            professional_referral=True,
            waiting_list=True,
            waiting_list_contact="Ask at reception",
            drop_in=False,
        )
        ways = rows_of(page_of(client, initiative))["Ways in"]
        items = re.findall(r"<li>(.*?)</li>", ways)
        assert items == [
            "<strong>Self-referral</strong>: Call Sam on the number below",
            "<strong>Referral by a GP or social prescriber</strong>",
            "Drop-in: not offered",
            "<strong>Waiting list</strong>: Ask at reception",
        ]
        # Membership was never recorded: nothing is said about it, least of all "no".
        assert "Membership" not in ways

    def test_a_recorded_no_waiting_list(self, client):
        ways = rows_of(page_of(client, InitiativeFactory(waiting_list=False)))["Ways in"]
        assert "No waiting list" in ways

    def test_who_to_contact_is_escaped(self, client):
        initiative = InitiativeFactory(drop_in=True, drop_in_contact="<script>alert(1)</script>")
        page = page_of(client, initiative)
        assert "<script>alert(1)</script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


class TestCostLanguagesAccessibility:
    def test_recorded_values(self, client):
        initiative = InitiativeFactory(
            cost="some_costs",
            cost_detail="\u00a33 a session, free for carers",
            languages="English; Welsh",
            step_free_access=True,
            hearing_loop=False,
            accessibility_note="Lift to every floor",
        )
        rows = rows_of(page_of(client, initiative))
        assert rows["Cost"] == "Some costs: \u00a33 a session, free for carers"
        assert re.findall(r"<li>(\w+)</li>", rows["Languages"]) == ["English", "Welsh"]
        accessibility = rows["Accessibility"]
        assert "Step-free access: yes" in accessibility
        assert "Hearing loop: no" in accessibility
        # BSL was never recorded: left out, not "no".
        assert "BSL" not in accessibility
        assert "Lift to every floor" in accessibility

    def test_unrecorded_values_say_not_recorded(self, client):
        rows = rows_of(page_of(client, InitiativeFactory()))
        for label in ("Cost", "Languages", "Accessibility"):
            assert rows[label] == "Not recorded", label


class TestContactDetails:
    def test_no_contact_details_offers_to_tell_us(self, client):
        initiative = InitiativeFactory(website="", email="", phone="", address="", postcode="")
        page = page_of(client, initiative)
        assert "No contact details recorded." in page
        link = (
            f'<a href="/initiatives/{initiative.slug}/suggest/">Know how to reach them? Tell us</a>'
        )
        assert link in page
        assert client.get(f"/initiatives/{initiative.slug}/suggest/").status_code == 200

    def test_a_contact_alone_is_contact_details(self, client):
        initiative = InitiativeFactory(website="", email="", phone="")
        Contact.objects.create(initiative=initiative, title="Reception", email="desk@example.org")
        page = page_of(client, initiative)
        assert "No contact details recorded." not in page
        assert "Tell us" not in page
        assert '<a href="mailto:desk@example.org">desk@example.org</a>' in page
        assert "<dt>Reception</dt>" in page

    def test_a_website_alone_is_shown_as_a_link(self, client):
        initiative = InitiativeFactory(website="https://example.org/group")
        page = page_of(client, initiative)
        assert '<a href="https://example.org/group" rel="noopener noreferrer">' in page
        assert "No contact details recorded." not in page


def test_the_page_queries_do_not_grow_with_times_and_contacts(
    client, django_assert_max_num_queries
):
    initiative = InitiativeFactory()
    for day in ("MO", "TU", "WE", "TH", "FR", "SA"):
        weekly(initiative, day, (9,), (12,))
        weekly(initiative, day, (13,), (17,))
    for n in range(5):
        Contact.objects.create(initiative=initiative, name=f"Person {n}", phone="01928 123456")
    with django_assert_max_num_queries(MAX_DETAIL_QUERIES):
        page = page_of(client, initiative)
    assert page.count("Person ") == 5
