"""The initiatives' bulk actions (publish, archive, mark verified), for the admin's
changelist and for a job over "all matching this filter".

Every action locks its rows first, in primary-key order (services.rows_lock), and
reads them again under the lock: a curator's save that landed a moment before is
kept (the change is applied to the record as it is now), and a save still in
progress waits for this one and is then refused by its own version check.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from ..models import Initiative, mark_read_under_lock
from ..services import batches, history_baseline, rows_lock
from ..services.tally import tally_deferred


@dataclass
class BulkOutcome:
    selected: int = 0
    changed: int = 0
    unchanged: int = 0
    gone: int = 0


@dataclass(frozen=True)
class BulkAction:
    name: str
    description: str
    # Said of the records changed: "3 initiatives published."
    done: str
    # What the action does to one record, for the curator who started it.
    change: Callable[[Initiative, object], None]
    # Whether a record needs the change (None: every record is saved).
    needed: Callable[[Initiative], bool] | None = None


def _set_status(status: str):
    def change(initiative, user):
        initiative.status = status

    return change


def _verified_today(initiative, user):
    initiative.last_verified_on = timezone.localdate()
    initiative.last_verified_by = user
    # A curator's check replaces the provider's confirmation on the page.
    initiative.checked_by_provider = False


ACTIONS = {
    action.name: action
    for action in [
        BulkAction(
            "publish",
            "Publish the selected initiatives",
            "published",
            _set_status(Initiative.Status.PUBLISHED),
            lambda initiative: initiative.status != Initiative.Status.PUBLISHED,
        ),
        BulkAction(
            "archive",
            "Archive the selected initiatives",
            "archived",
            _set_status(Initiative.Status.ARCHIVED),
            lambda initiative: initiative.status != Initiative.Status.ARCHIVED,
        ),
        BulkAction(
            "mark_verified_today",
            "Mark the selected initiatives as verified today",
            "marked as verified today",
            _verified_today,
        ),
    ]
}


def apply_action(
    action: BulkAction, queryset, *, user, progress: Callable[[int, int], None] | None = None
) -> BulkOutcome:
    """Apply `action` to every initiative in `queryset`, each saved (so with history),
    all in one transaction. `progress(done, total)` is told of each record done."""
    selected = sorted(queryset.order_by().values_list("pk", flat=True))
    outcome = BulkOutcome(selected=len(selected))
    # The facet tally follows the records saved: once, at the end, not once each.
    with transaction.atomic(), tally_deferred():
        locked = sorted(rows_lock(model=Initiative, pks=selected))
        wanted = []
        for chunk in batches(locked):
            for initiative in (
                Initiative.objects.filter(pk__in=chunk).select_related("organisation")
            ).order_by("pk"):
                if action.needed is None or action.needed(initiative):
                    wanted.append(initiative.pk)
        history_baseline(model=Initiative, pks=wanted)
        total = len(locked)
        skipped = total - len(wanted)
        if progress is not None:
            progress(skipped, total)
        for chunk in batches(wanted):
            for initiative in (
                Initiative.objects.filter(pk__in=chunk).select_related("organisation")
            ).order_by("pk"):
                mark_read_under_lock(initiative)
                action.change(initiative, user)
                initiative._history_user = user
                initiative.save()
                outcome.changed += 1
                if progress is not None:
                    progress(skipped + outcome.changed, total)
    outcome.unchanged = len(locked) - outcome.changed
    outcome.gone = len(selected) - len(locked)
    return outcome
