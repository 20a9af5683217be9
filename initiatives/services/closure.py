"""The area closure: each initiative with every area it is "here" for.

`InitiativeAreaClosure` holds one row per initiative and area for the initiative's
service areas, the district it is located in (`location_district`: its postcode or
town lies there), and every area above them (parents and other parents, all the way
up), so "how many serve this area or a place within it, or are based there" is one
indexed GROUP BY, as `InitiativeQuerySet.in_area` finds them.

It is derived data, kept in step here on every write that can change it:

- an initiative's areas change (`areas.set/add/remove/clear`, from either side):
  `on_areas_changed`, on the link table's m2m_changed signal;
- an initiative's located district changes (`on_initiative_saved`, comparing it with
  the district it was loaded with; `initiatives_locate` after a postcode import syncs
  the records it placed);
- an area's parent or other parents change, or an area is deleted: the initiatives
  linked to it or to any area below it (`on_area_saved`, `on_other_parents_changed`,
  `on_area_deleted`);
- writes in bulk, which send no signals, call `closure_sync` themselves: the CSV
  import, `load_seeds` (once, at the end, inside `closure_deferred`) and
  `generate_initiatives` (which writes each batch's rows with the batch, see
  `ancestors_by_area`).

An initiative's rows go when it is deleted (the foreign key cascades).
`tests/services/test_closure.py` checks the table against a fresh walk of the tree
after every kind of write.
"""

# ruff: noqa: S608 - SQL is assembled from model table names and integer ids only.

from __future__ import annotations

import threading
from collections.abc import Iterable
from contextlib import contextmanager

from django.db import connections, router

from ..models import Area, Initiative, InitiativeAreaClosure
from .tally import tally_sync

# Ids per statement when a sync is scoped to some initiatives.
CHUNK = 500

_deferred = threading.local()


def ancestors_by_area(tree=None) -> dict[int, frozenset[int]]:
    """For every area, itself and every area above it (from Area.objects.tree())."""
    tree = tree if tree is not None else Area.objects.tree()
    return {pk: frozenset(tree.ancestor_ids(pk) | {pk}) for pk in tree.areas}


def closure_rows(area_ids: Iterable[int], ancestors: dict[int, frozenset[int]]) -> set[int]:
    """The closure's area ids for an initiative linked to `area_ids`."""
    rows: set[int] = set()
    for pk in area_ids:
        rows |= ancestors.get(pk, frozenset((pk,)))
    return rows


def closure_sync(
    *, initiative_ids: Iterable[int] | None = None, below_areas: Iterable[int] | None = None
) -> None:
    """Bring the closure rows of some initiatives in line with their links and the tree.

    `initiative_ids`: those initiatives; `below_areas`: the initiatives linked to or
    located in any of these areas; neither: every initiative. Only rows that differ are written (one
    DELETE and one INSERT per chunk), so a sync that finds nothing to change is cheap.
    """
    if _is_deferred():
        _deferred.pending = True
        return
    pairs = [
        f"({int(area)}, {int(above)})"
        for area, aboves in sorted(ancestors_by_area().items())
        for above in sorted(aboves)
    ]
    if initiative_ids is not None:
        ids = sorted({int(pk) for pk in initiative_ids})
        scopes = [
            "{column} IN (" + ", ".join(map(str, ids[start : start + CHUNK])) + ")"
            for start in range(0, len(ids), CHUNK)
        ]
    elif below_areas is not None:
        tree = Area.objects.tree()
        areas = sorted({below for pk in below_areas for below in tree.descendant_ids(int(pk))})
        if not areas:
            return
        scopes = [
            "{column} IN (SELECT initiative_id FROM "
            + _sources()
            + " s WHERE s.area_id IN ("
            + ", ".join(map(str, areas))
            + "))"
        ]
    else:
        scopes = ["1 = 1"]
    connection = connections[router.db_for_write(InitiativeAreaClosure)]
    with connection.cursor() as cursor:
        for scope in scopes:
            for statement in _statements(pairs, scope):
                cursor.execute(statement)
        # The facet tally counts the areas from these rows: it follows them.
        if initiative_ids is not None:
            tally_sync(initiative_ids=ids)
        elif below_areas is not None:
            cursor.execute(
                f"SELECT DISTINCT initiative_id FROM {_sources()} s"
                f" WHERE s.area_id IN ({', '.join(map(str, areas))})"
            )
            tally_sync(initiative_ids=[row[0] for row in cursor.fetchall()])
        else:
            tally_sync()


def _links() -> str:
    return Initiative.areas.through._meta.db_table


def _sources() -> str:
    """The (initiative_id, area_id) pairs the closure grows from: the area links and the
    located districts, as one derived table."""
    initiatives = Initiative._meta.db_table
    district = Initiative._meta.get_field("location_district").column
    return (
        f"(SELECT initiative_id, area_id FROM {_links()} UNION ALL"
        f" SELECT id AS initiative_id, {district} AS area_id FROM {initiatives}"
        f" WHERE {district} IS NOT NULL)"
    )


def _statements(pairs: list[str], scope: str) -> list[str]:
    """The DELETE of rows no longer wanted and the INSERT of those missing, for `scope`
    (a condition on an initiative id column, with `{column}` for the column)."""
    table = InitiativeAreaClosure._meta.db_table
    links = _sources()
    if not pairs:
        return [f"DELETE FROM {table} WHERE " + scope.format(column="initiative_id")]
    above = f"(VALUES {', '.join(pairs)}) AS m"
    delete = (
        f"DELETE FROM {table} WHERE "
        + scope.format(column="initiative_id")
        + f" AND NOT EXISTS (SELECT 1 FROM {links} l JOIN {above} ON m.column1 = l.area_id"
        f" WHERE l.initiative_id = {table}.initiative_id AND m.column2 = {table}.area_id)"
    )
    insert = (
        f"INSERT INTO {table} (initiative_id, area_id)"
        f" SELECT DISTINCT l.initiative_id, m.column2 FROM {links} l"
        f" JOIN {above} ON m.column1 = l.area_id WHERE "
        + scope.format(column="l.initiative_id")
        + f" AND NOT EXISTS (SELECT 1 FROM {table} c"
        " WHERE c.initiative_id = l.initiative_id AND c.area_id = m.column2)"
        " ON CONFLICT DO NOTHING"
    )
    return [delete, insert]


def _is_deferred() -> bool:
    return getattr(_deferred, "depth", 0) > 0


@contextmanager
def closure_deferred():
    """Hold back the syncs that signals ask for, and sync every initiative once at the end
    if any was asked for: for loads that change many areas and links at once."""
    _deferred.depth = getattr(_deferred, "depth", 0) + 1
    if _deferred.depth == 1:
        _deferred.pending = False
    try:
        yield
    finally:
        _deferred.depth -= 1
    if _deferred.depth == 0 and _deferred.pending:
        _deferred.pending = False
        closure_sync()


# Signal receivers (connected in initiatives/apps.py) ---------------------------


def on_areas_changed(*, instance, action, reverse, pk_set, **_ignored) -> None:
    """An initiative's areas changed (`reverse`: an area's initiatives changed)."""
    if action == "pre_clear" and reverse:
        # The area's initiatives, before the links go.
        instance._closure_initiatives = list(
            Initiative.areas.through.objects.filter(area_id=instance.pk).values_list(
                "initiative_id", flat=True
            )
        )
        return
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if not reverse:
        closure_sync(initiative_ids=[instance.pk])
    elif action == "post_clear":
        closure_sync(initiative_ids=getattr(instance, "_closure_initiatives", []))
    else:
        closure_sync(initiative_ids=pk_set or [])


def on_initiative_loaded(*, instance, **_ignored) -> None:
    """Remember the district an initiative was loaded with (post_init: no query)."""
    instance._closure_district = instance.__dict__.get("location_district_id")


def on_initiative_saved(*, instance, created, raw=False, **_ignored) -> None:
    """An initiative located in another district (or in one for the first time) is
    "here" for other areas: its closure rows follow."""
    if raw:
        return
    district = instance.location_district_id
    if district != getattr(instance, "_closure_district", None):
        closure_sync(initiative_ids=[instance.pk])
    instance._closure_district = district


def on_other_parents_changed(*, instance, action, reverse, pk_set, **_ignored) -> None:
    """An area's other parents changed (`reverse`: the areas lying in one changed)."""
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if not reverse:
        closure_sync(below_areas=[instance.pk])
    elif action == "post_clear":
        closure_sync()
    else:
        closure_sync(below_areas=pk_set or [])


def on_area_pre_save(*, instance, raw=False, **_ignored) -> None:
    """Remember an area's parent as stored, to tell on save whether it moved."""
    if raw or instance.pk is None:
        instance._closure_old_parent = None
        return
    instance._closure_old_parent = (
        Area.objects.filter(pk=instance.pk).values_list("parent_id", flat=True).first()
    )


def on_area_saved(*, instance, created, raw=False, **_ignored) -> None:
    """An area that moved to another parent moves the initiatives within it."""
    if raw or created:
        return
    if getattr(instance, "_closure_old_parent", instance.parent_id) != instance.parent_id:
        closure_sync(below_areas=[instance.pk])


def on_area_pre_delete(*, instance, **_ignored) -> None:
    """The initiatives within an area about to go (its links go with it, unsignalled)."""
    below = Area.objects.tree().descendant_ids(instance.pk)
    instance._closure_initiatives = list(
        Initiative.areas.through.objects.filter(area_id__in=sorted(below))
        .values_list("initiative_id", flat=True)
        .distinct()
    )


def on_area_deleted(*, instance, **_ignored) -> None:
    closure_sync(initiative_ids=getattr(instance, "_closure_initiatives", []))
