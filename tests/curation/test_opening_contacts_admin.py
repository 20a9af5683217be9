"""Opening times and contacts in the initiative's admin: the messages a curator sees on
the field for times that overlap or end before they start, a phone number that is not
a UK one, an email without a domain; and the history of each change."""

from datetime import time

import pytest
from django.urls import reverse

from initiatives.models import Contact, Initiative, OpeningTime
from tests.factories import curators_group

from ..factories import InitiativeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def curator(django_user_model):
    user = django_user_model.objects.create_user("curator", is_staff=True)
    user.groups.add(curators_group())
    return user


@pytest.fixture
def curator_client(client, curator):
    client.force_login(curator)
    return client


def change_url(initiative) -> str:
    return reverse("admin:initiatives_initiative_change", args=[initiative.pk])


def inline(prefix: str, rows: list[dict], *, initial: int = 0) -> dict:
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for n, row in enumerate(rows):
        data |= {f"{prefix}-{n}-{name}": value for name, value in row.items()}
    return data


def post(client, initiative, *, slots=(), contacts=(), saved_slots=0, **fields):
    data = {
        "name": initiative.name,
        "slug": initiative.slug,
        "role": initiative.role,
        "status": initiative.status,
        "version": initiative.version,
        **fields,
    }
    data |= inline(
        "opening_times",
        [{"initiative": initiative.pk, **s} for s in slots],
        initial=saved_slots,
    )
    data |= inline("contacts", [{"initiative": initiative.pk, **c} for c in contacts])
    return client.post(change_url(initiative), data)


def errors_of(response) -> str:
    """The page's text, where the messages on the fields are."""
    return response.content.decode()


def slot(day, opens, closes, **more):
    return {"day": day, "opens_at": opens, "closes_at": closes, **more}


class TestOpeningTimes:
    def test_slots_are_saved_and_shown_on_the_public_page(self, curator_client):
        initiative = InitiativeFactory(status="published")
        response = post(
            curator_client,
            initiative,
            slots=[slot("MO", "10:00", "12:00"), slot("MO", "13:00", "15:00")],
        )
        assert response.status_code == 302
        times = OpeningTime.objects.filter(initiative=initiative).order_by("opens_at")
        assert [(t.day, t.opens_at, t.closes_at) for t in times] == [
            ("MO", time(10), time(12)),
            ("MO", time(13), time(15)),
        ]
        page = curator_client.get(initiative.get_absolute_url()).content.decode()
        assert '<th scope="row">Monday</th><td>10:00 to 12:00, 13:00 to 15:00</td>' in page

    def test_overlapping_slots_of_one_day_are_refused_on_the_field(self, curator_client):
        initiative = InitiativeFactory()
        response = post(
            curator_client,
            initiative,
            slots=[slot("TU", "10:00", "12:00"), slot("TU", "11:30", "13:00")],
        )
        assert response.status_code == 200
        page = errors_of(response)
        assert "Tuesday 10:00-12:00 overlaps Tuesday 11:30-13:00" in page
        assert "Two opening times of the same day overlap" in page
        assert not OpeningTime.objects.exists()

    def test_a_slot_that_closes_before_it_opens_is_refused(self, curator_client):
        initiative = InitiativeFactory()
        response = post(curator_client, initiative, slots=[slot("WE", "16:00", "10:00")])
        assert response.status_code == 200
        assert "It closes at 10:00, which is not after it opens (16:00)" in errors_of(response)
        assert not OpeningTime.objects.exists()

    def test_a_closure_needs_its_date_and_no_times(self, curator_client):
        initiative = InitiativeFactory()
        response = post(curator_client, initiative, slots=[{"closed": "on"}])
        assert "Give the first date of the closure." in errors_of(response)
        response = post(
            curator_client,
            initiative,
            slots=[{"closed": "on", "valid_from": "2026-12-24", "valid_to": "2027-01-02"}],
        )
        assert response.status_code == 302
        assert OpeningTime.objects.get(initiative=initiative).closed

    def test_each_change_is_in_the_history_with_who_made_it(self, curator_client, curator):
        initiative = InitiativeFactory()
        post(curator_client, initiative, slots=[slot("FR", "09:00", "17:00")])
        added = OpeningTime.objects.get(initiative=initiative)
        initiative.refresh_from_db()
        rows = [{"id": added.pk, **slot("FR", "09:00", "12:00")}]
        assert post(curator_client, initiative, slots=rows, saved_slots=1).status_code == 302
        initiative.refresh_from_db()
        rows = [{"id": added.pk, "DELETE": "on", **slot("FR", "09:00", "12:00")}]
        assert post(curator_client, initiative, slots=rows, saved_slots=1).status_code == 302
        assert not OpeningTime.objects.exists()
        records = list(OpeningTime.history.filter(id=added.pk).order_by("history_id"))
        assert [(r.history_type, r.closes_at, r.history_user) for r in records] == [
            ("+", time(17), curator),
            ("~", time(12), curator),
            ("-", time(12), curator),
        ]


class TestContactDetails:
    def test_a_contact_is_saved_with_its_phone_written_the_uk_way(self, curator_client):
        initiative = InitiativeFactory(status="published")
        response = post(
            curator_client,
            initiative,
            contacts=[
                {
                    "name": "Sam Jones",
                    "title": "Coordinator",
                    "phone": "+44 (0)1928 654321",
                    "email": "sam@example.org",
                }
            ],
        )
        assert response.status_code == 302
        contact = Contact.objects.get(initiative=initiative)
        assert contact.phone == "01928 654321"
        page = curator_client.get(initiative.get_absolute_url()).content.decode()
        assert 'href="tel:01928654321">01928 654321</a>' in page
        assert "Sam Jones" in page and "Coordinator" in page
        assert "No contact details recorded." not in page

    @pytest.mark.parametrize(
        ("field", "value", "message"),
        [
            ("phone", "12345", "Enter a UK phone number starting 01, 02, 03, 07 or 08"),
            ("phone", "0999 123 4567", "Enter a UK phone number starting 01, 02, 03, 07 or 08"),
            ("phone", "+33 1 23 45 67 89", "Enter a UK phone number starting 01, 02, 03, 07 or 08"),
            ("email", "hello@localhost", "Enter an email address with its domain"),
        ],
    )
    def test_the_initiatives_phone_and_email_are_checked(
        self, curator_client, field, value, message
    ):
        initiative = InitiativeFactory(phone="", email="")
        response = post(curator_client, initiative, **{field: value})
        assert response.status_code == 200
        assert message in errors_of(response)
        initiative.refresh_from_db()
        assert getattr(initiative, field) == ""

    def test_a_contacts_phone_is_checked_too_and_nothing_is_saved(self, curator_client):
        initiative = InitiativeFactory(phone="")
        response = post(
            curator_client,
            initiative,
            phone="020 7946 0000",
            contacts=[{"name": "Desk", "phone": "call us"}],
        )
        assert response.status_code == 200
        assert "Enter a UK phone number" in errors_of(response)
        initiative.refresh_from_db()
        assert initiative.phone == ""
        assert not Contact.objects.exists()

    def test_phone_with_44_is_stored_with_a_leading_zero(self, curator_client):
        initiative = InitiativeFactory(phone="")
        assert post(curator_client, initiative, phone="+44 20 7946 0000").status_code == 302
        assert Initiative.objects.get(pk=initiative.pk).phone == "020 7946 0000"


def test_the_initiatives_history_page_lists_its_times_and_contacts_changes(curator_client, curator):
    initiative = InitiativeFactory()
    post(
        curator_client,
        initiative,
        slots=[slot("SA", "09:30", "12:00")],
        contacts=[{"name": "Sam Jones", "phone": "07700 900123"}],
    )
    url = reverse("admin:initiatives_initiative_history", args=[initiative.pk])
    page = curator_client.get(url).content.decode()
    times = page[page.index('id="opening-time-history"') : page.index('id="contact-history"')]
    assert "Saturday 09:30-12:00" in times and "curator" in times
    contacts = page[page.index('id="contact-history"') :]
    assert "Sam Jones" in contacts and "07700 900123" in contacts
