"""More write paths racing each other on PostgreSQL, each on a connection of its own:
organisation against organisation, funding line against funding line, restoring an old
version against an admin save, an import against a provider's edit, and two curators
deciding one provider claim or one suggestion at once. Each asserts what a curator
would notice: every change landed or was refused with a message; none was lost."""

from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from initiatives.curation.admin.organisations import OrganisationAdmin
from initiatives.exports import export_lines
from initiatives.loading import imports
from initiatives.loading.imports import import_initiatives
from initiatives.models import FundingLine, Initiative, Organisation, ProviderClaim, Suggestion
from initiatives.providers import services as provider_services
from tests.admin_forms import form_data
from tests.curation.test_admin import organisation_data
from tests.factories import FundingLineFactory, InitiativeFactory, OrganisationFactory
from tests.providers.helpers import provider_for, sew_halton
from tests.providers.test_area import edit_data

from .conftest import (
    FAULTS,
    Hold,
    Worker,
    curator_client,
    start_admin_save,
    wait_until_blocked_or_done,
)
from .test_write_races import assert_each_version_once

pytestmark = FAULTS


def hold_after(monkeypatch, owner, name: str, thread_name: str) -> Hold:
    """Pause `thread_name` just after `owner.name` ran (its rows written and locked,
    its transaction still open), until released."""
    hold = Hold(thread_name)
    original = getattr(owner, name)

    def then_pause(*args, **kwargs):
        result = original(*args, **kwargs)
        hold.pause()
        return result

    monkeypatch.setattr(owner, name, then_pause)
    return hold


def start(hold: Hold, work) -> Worker:
    worker = Worker(work, hold.thread_name)
    worker.start()
    hold.wait_until_reached()
    return worker


def race(hold: Hold, work, name: str):
    """Start `work` while `hold`'s thread waits in its transaction; let that one commit
    once `work` waits for its lock (or has finished). Returns `work`'s worker."""
    second = Worker(work, name)
    second.start()
    wait_until_blocked_or_done(second)
    hold.release.set()
    return second


def body(response) -> str:
    return response.content.decode().replace("&#x27;", "'")


def versions_once(model, pk):
    versions = list(
        model.history.filter(id=pk).exclude(history_type="-").values_list("version", flat=True)
    )
    assert len(versions) == len(set(versions)), f"a version recorded twice: {versions}"


def test_two_organisation_saves_at_once_one_lands_and_one_is_refused(monkeypatch):
    organisation = OrganisationFactory(name="KeyRing", members=10)
    opened = organisation_data(organisation, [], initial=0)
    url = reverse("admin:initiatives_organisation_change", args=[organisation.pk])
    hold = hold_after(monkeypatch, OrganisationAdmin, "log_change", "sam's save")
    sam, cara = curator_client("sam"), curator_client("cara")
    first = start(hold, lambda: sam.post(url, opened | {"members": "12"}))
    second = race(hold, lambda: cara.post(url, opened | {"members": "99"}), "cara's save")

    assert first.outcome().status_code == 302
    refused = second.outcome()
    assert refused.status_code == 200
    assert "Someone else changed the organisation \u201cKeyRing\u201d" in body(refused)
    assert 'name="members" value="99"' in body(refused)
    organisation.refresh_from_db()
    assert organisation.members == 12
    versions_once(Organisation, organisation.pk)


def test_two_saves_of_one_funding_line_at_once_one_lands_and_one_is_refused(monkeypatch):
    organisation = OrganisationFactory(name="KeyRing")
    line = FundingLineFactory(organisation=organisation, share=40, year=2025)
    url = reverse("admin:initiatives_organisation_change", args=[organisation.pk])

    def opened(share: str) -> dict:
        return organisation_data(organisation, [{"id": line.pk, "share": share}], initial=1)

    sams, caras = opened("60"), opened("70")
    hold = hold_after(monkeypatch, OrganisationAdmin, "log_change", "sam's save")
    sam, cara = curator_client("sam"), curator_client("cara")
    first = start(hold, lambda: sam.post(url, sams))
    second = race(hold, lambda: cara.post(url, caras), "cara's save")

    assert first.outcome().status_code == 302
    refused = second.outcome()
    assert refused.status_code == 200
    line.refresh_from_db()
    assert line.share == 60
    assert "Someone else changed the " in body(refused)
    assert "Your changes were not saved" in body(refused)
    versions_once(FundingLine, line.pk)
    versions_once(Organisation, organisation.pk)


def test_restoring_an_old_version_racing_an_admin_save_is_refused_and_the_edit_kept(
    held_admin_save,
):
    initiative = InitiativeFactory(name="KeyRing allotments", summary="Version one.")
    version_one = initiative.history.latest()
    initiative.summary = "Version two."
    initiative.save()
    initiative.refresh_from_db()
    opened = initiative.version
    restore_url = reverse(
        "admin:initiatives_initiative_simple_history",
        args=[initiative.pk, version_one.history_id],
    )
    restorer = curator_client("cara")
    restore_data = form_data(initiative, summary="Version one.", version=opened)

    saving = start_admin_save(held_admin_save, initiative, summary="Sam's summary.")
    restoring = race(held_admin_save, lambda: restorer.post(restore_url, restore_data), "restore")

    assert saving.outcome().status_code == 302
    refused = restoring.outcome()
    assert refused.status_code == 200
    assert "Someone else changed the initiative \u201cKeyRing allotments\u201d" in body(refused)
    initiative.refresh_from_db()
    assert initiative.summary == "Sam's summary."
    assert_each_version_once(initiative)


def test_a_provider_edit_racing_an_import_is_refused_and_the_import_kept(monkeypatch):
    initiative = sew_halton(summary="Mondays.")
    provider = provider_for(get_user_model(), initiative, trusted=True)
    provider_client = Client()
    provider_client.force_login(
        provider, backend="initiatives.providers.backends.ProviderLinkBackend"
    )
    edited = edit_data(initiative, summary="Fridays, from the provider.")
    exported = "".join(
        export_lines(
            Initiative.objects.filter(pk=initiative.pk).for_export(),
            base_url="https://example.org",
        )
    )
    from_the_file = exported.replace("Mondays.", "Tuesdays from the file.", 1)

    hold = hold_after(monkeypatch, imports, "bump_version", "import")
    importing = start(
        hold, lambda: import_initiatives(from_the_file.encode(), filename="edited.csv")
    )
    editing = race(
        hold,
        lambda: provider_client.post(f"/provider/initiatives/{initiative.slug}/", edited),
        "provider",
    )

    assert importing.outcome().updated == 1
    refused = editing.outcome()
    assert refused.status_code == 200
    assert "Someone else changed the listing" in body(refused)
    assert "Fridays, from the provider." in body(refused)
    initiative.refresh_from_db()
    assert initiative.summary == "Tuesdays from the file."
    assert_each_version_once(initiative)


def test_two_curators_deciding_one_claim_at_once_the_second_is_told(monkeypatch):
    initiative = sew_halton()
    claim = ProviderClaim.objects.create(initiative=initiative, email="jo.sews@gmail.com")
    url = reverse("admin:initiatives_providerclaim_change", args=[claim.pk])
    hold = hold_after(monkeypatch, provider_services, "grant", "approve")
    sam, cara = curator_client("sam"), curator_client("cara")
    approving = start(hold, lambda: sam.post(url, {"decision": "approve", "reason": ""}))
    refusing = race(
        hold,
        lambda: cara.post(
            url, {"decision": "refuse", "reason": "We could not reach them."}, follow=True
        ),
        "refuse",
    )

    assert approving.outcome().status_code == 302
    told = refusing.outcome()
    assert "This claim was already approved." in body(told)
    claim.refresh_from_db()
    assert (claim.status, claim.reviewed_by.username, claim.reason) == (
        ProviderClaim.Status.APPROVED,
        "sam",
        "",
    )


def test_two_curators_deciding_one_suggestion_at_once_the_second_is_told(monkeypatch):
    initiative = InitiativeFactory(name="KeyRing allotments", summary="Before.")
    suggestion = Suggestion.objects.create(
        kind=Suggestion.Kind.CORRECTION,
        initiative=initiative,
        proposed={"summary": "Suggested by the public."},
        client_hash="x",
    )
    url = reverse("admin:initiatives_suggestion_change", args=[suggestion.pk])
    hold = hold_after(monkeypatch, Suggestion, "save", "reject")
    sam, cara = curator_client("sam"), curator_client("cara")
    rejecting = start(hold, lambda: sam.post(url, {"action": "reject", "reason": "Not so."}))
    accepting = race(
        hold,
        lambda: cara.post(
            url,
            {"action": "accept", "fields": ["summary"], "initiative_version": initiative.version},
        ),
        "accept",
    )

    assert rejecting.outcome().status_code == 302
    told = accepting.outcome()
    assert told.status_code == 200
    assert "This suggestion was already rejected by" in body(told)
    suggestion.refresh_from_db()
    initiative.refresh_from_db()
    assert suggestion.status == Suggestion.Status.REJECTED
    assert initiative.summary == "Before."
