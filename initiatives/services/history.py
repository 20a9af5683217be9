"""History written in bulk, and reading when a record last changed.

django-simple-history records each save() and delete() of an initiative,
organisation or funding line. The helpers here add what its signals cannot: a record
of rows whose current state no history record shows yet (rows written in bulk, such
as seeds' tags or generated records, or derived figures copied by update()), so that
the version before a curator's change can always be restored; and history written in
bulk for imports, one record per changed row with its tags.
"""

from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import datetime
from itertools import islice

from django.db import models, transaction
from django.db.models import F, Max
from django.utils import timezone

HISTORY_BATCH = 500
# django-simple-history keeps at most 100 characters of reason.
REASON_MAX = 100
BASELINE_REASON = "The record as it was before the next change (not recorded until then)"


def batches(items: Iterable, size: int = HISTORY_BATCH) -> Iterator[list]:
    """`items` in lists of at most `size`, in order, read as they come (a streamed
    queryset's rows are never all in memory)."""
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


# History -----------------------------------------------------------------------


def _history_m2m(model) -> list[tuple[models.ManyToManyField, type[models.Model]]]:
    """(m2m field, its history model) for each tag field the model's history keeps."""
    history_model = model.history.model
    return [
        (field, getattr(history_model, field.name).model)
        for field in getattr(history_model, "_history_m2m_fields", [])
    ]


def _current_links(field, pks) -> dict[int, set[int]]:
    source = field.m2m_field_name() + "_id"
    target = field.m2m_reverse_field_name() + "_id"
    links: dict[int, set[int]] = defaultdict(set)
    through = field.remote_field.through
    for owner, other in through.objects.filter(**{f"{source}__in": pks}).values_list(
        source, target
    ):
        links[owner].add(other)
    return links


def _compared_fields(model) -> list[str]:
    """What a restore brings back: the editable columns (derived figures are worked out)."""
    return [f.attname for f in model._meta.concrete_fields if f.editable and not f.primary_key]


def history_snapshot(
    *,
    model,
    pks: Iterable[int],
    user=None,
    reason: str = "",
    history_type: str = "~",
) -> int:
    """Write one history record per row, as the database holds it now (tags included).

    For writes that bypass the per-save signals (the import) and for baselines.
    `history_type` is "+" (created) or "~" (changed). Returns the number written.
    """
    pks = list(pks)
    m2m = _history_m2m(model)
    written = 0
    for chunk in batches(pks):
        rows = list(model._default_manager.filter(pk__in=chunk))
        if not rows:
            continue
        records = model.history.bulk_history_create(
            rows,
            update=history_type == "~",
            default_user=user,
            default_change_reason=reason[:REASON_MAX],
        )
        written += len(records)
        by_pk = {record.id: record for record in records}
        for field, m2m_model in m2m:
            source = field.m2m_field_name()
            target = field.m2m_reverse_field_name()
            through = field.remote_field.through
            links = through.objects.filter(**{f"{source}_id__in": list(by_pk)}).values_list(
                "id", f"{source}_id", f"{target}_id"
            )
            m2m_model.objects.bulk_create(
                [
                    m2m_model(
                        history=by_pk[owner],
                        id=link_id,
                        **{source + "_id": owner, target + "_id": other},
                    )
                    for link_id, owner, other in links
                ],
                batch_size=HISTORY_BATCH,
            )
    return written


def history_baseline(*, model, pks: Iterable[int]) -> int:
    """Record the current state of rows whose latest history record does not show it.

    Call before changing rows, so that their version from before the change can be
    restored even when it was written without save(). A state nobody recorded is a
    version of its own: the row's `version` moves on before it is recorded, so that
    each version number appears once in its history. Returns the number recorded.
    """
    pks = [pk for pk in pks if pk is not None]
    compared = _compared_fields(model)
    history_model = model.history.model
    m2m = _history_m2m(model)
    stale: list[int] = []
    for chunk in batches(pks):
        current = {
            row["pk"]: row
            for row in model._default_manager.filter(pk__in=chunk).values("pk", *compared)
        }
        if not current:
            continue
        latest_ids = (
            history_model.objects.filter(id__in=list(current))
            .order_by()
            .values("id")
            .annotate(latest=Max("history_id"))
            .values_list("latest", flat=True)
        )
        recorded = {
            row["id"]: row
            for row in history_model.objects.filter(history_id__in=list(latest_ids)).values(
                "id", "history_id", *compared
            )
        }
        differs = {
            pk
            for pk, row in current.items()
            if pk not in recorded or any(row[name] != recorded[pk][name] for name in compared)
        }
        for field, m2m_model in m2m:
            links_now = _current_links(field, list(current))
            target = field.m2m_reverse_field_name() + "_id"
            links_then: dict[int, set[int]] = defaultdict(set)
            history_to_pk = {row["history_id"]: pk for pk, row in recorded.items()}
            for history_id, other in m2m_model.objects.filter(
                history_id__in=list(history_to_pk)
            ).values_list("history_id", target):
                links_then[history_to_pk[history_id]].add(other)
            differs |= {pk for pk in current if links_now[pk] != links_then[pk]}
        stale += sorted(differs)
    if stale:
        with transaction.atomic():
            if any(f.name == "version" for f in model._meta.concrete_fields):
                for chunk in batches(stale):
                    model._default_manager.filter(pk__in=chunk).update(version=F("version") + 1)
            history_snapshot(model=model, pks=stale, reason=BASELINE_REASON)
    return len(stale)


def last_change(model, pk) -> tuple[datetime | None, str]:
    """When the row was last changed and by whom, in words, from its history."""
    record = (
        model.history.filter(id=pk).order_by("-history_id").select_related("history_user").first()
    )
    if record is None:
        updated = model._default_manager.filter(pk=pk).values_list("updated_at", flat=True).first()
        return updated, "someone"
    user = record.history_user
    if user is None:
        return record.history_date, "an import or a script (no one signed in)"
    return record.history_date, user.get_full_name() or user.get_username()


def when_in_words(moment: datetime | None) -> str:
    """ "14:05" today, "14:05 on 3 March 2026" on another day."""
    if moment is None:
        return "an unknown time"
    local = timezone.localtime(moment)
    time = local.strftime("%H:%M")
    if local.date() == timezone.localdate():
        return time
    return f"{time} on {local.day} {local.strftime('%B %Y')}"
