"""Two curators (or a curator and an import) writing the same record at the same moment,
each through a real write path, each on a connection of its own."""

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from initiatives.exports import export_lines
from initiatives.loading.imports import import_initiatives
from initiatives.loading.problems import ImportRefused
from initiatives.models import Initiative, Suggestion
from tests.admin_forms import form_data
from tests.factories import InitiativeFactory, OrganisationFactory

from .conftest import (
    FAULTS,
    Worker,
    change_url,
    curator_client,
    start_admin_save,
    wait_until_blocked_or_done,
)

pytestmark = FAULTS


def versions_recorded(initiative) -> list[int]:
    return list(
        Initiative.history.filter(id=initiative.pk)
        .exclude(history_type="-")
        .order_by("history_id")
        .values_list("version", flat=True)
    )


def assert_each_version_once(initiative):
    versions = versions_recorded(initiative)
    assert len(versions) == len(set(versions)), f"a version recorded twice: {versions}"


def test_a_bulk_action_racing_an_admin_save_loses_neither(held_admin_save):
    initiative = InitiativeFactory(summary="Before.", last_verified_on=date(2020, 1, 1))
    saving = start_admin_save(held_admin_save, initiative, summary="Sam's summary.")

    bulk = curator_client("cara")
    marking = Worker(
        lambda: bulk.post(
            reverse("admin:initiatives_initiative_changelist"),
            {"action": "mark_verified_today", "_selected_action": [initiative.pk]},
        ),
        "bulk action",
    )
    marking.start()
    wait_until_blocked_or_done(marking)
    held_admin_save.release.set()

    assert saving.outcome().status_code == 302
    assert marking.outcome().status_code == 302
    initiative.refresh_from_db()
    assert initiative.summary == "Sam's summary."
    assert initiative.last_verified_on == timezone.localdate()
    assert_each_version_once(initiative)
    latest = initiative.history.latest()
    assert (latest.summary, latest.last_verified_on, latest.version) == (
        "Sam's summary.",
        timezone.localdate(),
        initiative.version,
    )


def test_an_import_racing_an_admin_save_is_refused_and_the_edit_kept(held_admin_save):
    organisation = OrganisationFactory(name="KeyRing")
    initiative = InitiativeFactory(name="KeyRing allotments", organisation=organisation)
    exported = "".join(
        export_lines(
            Initiative.objects.filter(pk=initiative.pk).for_export(),
            base_url="https://example.org",
        )
    )
    edited = exported.replace(initiative.summary, "From the file.", 1)
    assert edited != exported

    saving = start_admin_save(held_admin_save, initiative, summary="Sam's summary.")
    importing = Worker(lambda: import_initiatives(edited.encode(), filename="edited.csv"), "import")
    importing.start()
    wait_until_blocked_or_done(importing)
    held_admin_save.release.set()

    assert saving.outcome().status_code == 302
    with pytest.raises(ImportRefused) as refused:
        importing.outcome()
    (problem,) = refused.value.problems
    assert problem.row == 2
    assert "\u201cKeyRing allotments\u201d was changed in the register at " in problem.message
    assert "nothing was imported: upload the file again" in problem.message
    initiative.refresh_from_db()
    assert initiative.summary == "Sam's summary."
    assert_each_version_once(initiative)


def test_accepting_a_correction_racing_an_admin_save_is_refused_and_the_edit_kept(
    held_admin_save,
):
    initiative = InitiativeFactory(name="KeyRing allotments", summary="Before.")
    suggestion = Suggestion.objects.create(
        kind=Suggestion.Kind.CORRECTION,
        initiative=initiative,
        proposed={"summary": "Suggested by the public."},
        client_hash="x",
    )
    reviewer = curator_client("cara")
    review_url = reverse("admin:initiatives_suggestion_change", args=[suggestion.pk])
    # The reviewer's page shows the record as it is before Sam's save.
    shown = initiative.version

    saving = start_admin_save(held_admin_save, initiative, summary="Sam's summary.")
    accepting = Worker(
        lambda: reviewer.post(
            review_url,
            {"action": "accept", "fields": ["summary"], "initiative_version": shown},
        ),
        "accept",
    )
    accepting.start()
    wait_until_blocked_or_done(accepting)
    held_admin_save.release.set()

    assert saving.outcome().status_code == 302
    response = accepting.outcome()
    assert response.status_code == 200
    assert "while you were reviewing this suggestion, so nothing was applied" in (
        response.content.decode()
    )
    initiative.refresh_from_db()
    suggestion.refresh_from_db()
    assert initiative.summary == "Sam's summary."
    assert suggestion.status == Suggestion.Status.NEW
    assert_each_version_once(initiative)


def test_two_admin_saves_at_once_one_lands_and_one_is_refused(held_admin_save):
    initiative = InitiativeFactory(name="KeyRing allotments", summary="Before.")
    opened = initiative.version
    saving = start_admin_save(held_admin_save, initiative, summary="Sam's summary.")

    other = curator_client("cara")
    second = Worker(
        lambda: other.post(
            change_url(initiative),
            form_data(initiative, summary="Cara's summary.", version=opened),
        ),
        "second save",
    )
    second.start()
    wait_until_blocked_or_done(second)
    held_admin_save.release.set()

    assert saving.outcome().status_code == 302
    refused = second.outcome()
    assert refused.status_code == 200
    body = refused.content.decode()
    assert "Someone else changed the initiative \u201cKeyRing allotments\u201d" in body
    assert "Cara&#x27;s summary." in body or "Cara's summary." in body
    initiative.refresh_from_db()
    assert initiative.summary == "Sam's summary."
    assert_each_version_once(initiative)
