"""Freshness: records not verified for 12 months are "review due" everywhere a curator looks."""

import csv
import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from tests.factories import curators_group

from ..factories import InitiativeFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


def review_due_csv(*args) -> list[list[str]]:
    out = io.StringIO()
    call_command("review_due", *args, stdout=out)
    return list(csv.reader(io.StringIO(out.getvalue())))


@pytest.fixture
def records(django_user_model):
    today = timezone.localdate()
    verifier = django_user_model.objects.create_user("vera", first_name="Vera", last_name="Ng")
    return {
        "stale": InitiativeFactory(
            name="Stale allotments",
            organisation=OrganisationFactory(name="KeyRing"),
            last_verified_on=today - timedelta(days=400),
            last_verified_by=verifier,
        ),
        "never": InitiativeFactory(name="Never checked", last_verified_on=None),
        "draft": InitiativeFactory(
            name="Old draft", status="draft", last_verified_on=today - timedelta(days=366)
        ),
        "edge": InitiativeFactory(
            name="Checked a year ago today", last_verified_on=today - timedelta(days=365)
        ),
        "fresh": InitiativeFactory(name="Fresh choir"),
        "archived": InitiativeFactory(
            name="Archived", status="archived", last_verified_on=today - timedelta(days=900)
        ),
        "formula": InitiativeFactory(name="=cmd|' /C calc'!A0", last_verified_on=None),
    }


def test_the_command_lists_what_is_due_as_csv(records):
    rows = review_due_csv()
    assert rows[0] == [
        "UUID",
        "Name",
        "Status",
        "Organisation",
        "Last verified",
        "Last verified by",
        "Days since verified",
        "Admin page",
    ]
    names = [row[1] for row in rows[1:]]
    # Published first (never verified, then the longest unchecked), then drafts.
    assert names == ["'=cmd|' /C calc'!A0", "Never checked", "Stale allotments", "Old draft"]
    stale = rows[3]
    assert stale[0] == str(records["stale"].uuid)
    assert stale[2:7] == ["Published", "KeyRing", stale[4], "Vera Ng", "400"]
    assert stale[7] == reverse("admin:initiatives_initiative_change", args=[records["stale"].pk])
    assert rows[2][6] == "never verified"


def test_archived_records_only_when_asked(records):
    names = [row[1] for row in review_due_csv("--include-archived")[1:]]
    assert names[-1] == "Archived"


def test_the_byte_order_mark_on_request():
    out = io.StringIO()
    call_command("review_due", "--bom", stdout=out)
    assert out.getvalue().startswith("\ufeffUUID,")


def test_the_admin_counts_what_is_due(client, django_user_model, records):
    curator = django_user_model.objects.create_user("cara", is_staff=True)
    curator.groups.add(curators_group())
    client.force_login(curator)
    response = client.get(reverse("admin:initiatives_initiative_changelist"))
    body = response.content.decode()
    assert "Review due:" in body
    assert ">3 published</a>" in body and ">1 draft</a>" in body
    assert "Due for review (4 not archived)" in body
    response = client.get(
        reverse("admin:initiatives_initiative_changelist"),
        {"review_due": "yes", "status__exact": "published"},
    )
    names = {i.name for i in response.context["cl"].result_list}
    assert names == {"Stale allotments", "Never checked", "=cmd|' /C calc'!A0"}


def test_the_public_page_says_when_a_record_is_due(client, records):
    body = client.get(records["stale"].get_absolute_url()).content.decode()
    assert "This record was last checked more than 12 months ago" in body
    fresh = client.get(records["fresh"].get_absolute_url()).content.decode()
    assert 'id="review-due"' not in fresh


def test_marking_verified_today_records_who_in_the_record_and_its_history(
    client, django_user_model, records
):
    curator = django_user_model.objects.create_user("cara", is_staff=True)
    curator.groups.add(curators_group())
    client.force_login(curator)
    stale = records["stale"]
    client.post(
        reverse("admin:initiatives_initiative_changelist"),
        {"action": "mark_verified_today", "_selected_action": [stale.pk]},
    )
    stale.refresh_from_db()
    assert (stale.last_verified_on, stale.last_verified_by) == (timezone.localdate(), curator)
    assert stale.history.latest().history_user == curator
    assert [row[1] for row in review_due_csv()[1:]].count("Stale allotments") == 0
