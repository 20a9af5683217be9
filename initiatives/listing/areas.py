"""What serves one area, in three sections: the area and below, a wider area
around it, and its nation or the whole UK. The area page lists them.

Also the areas index: its areas (each top of the hierarchy with the level below it),
how many initiatives serve each of them here or covering it, and the find-an-area box.
"""

import unicodedata
from dataclasses import dataclass

from django.db import connections

from ..areas import AreaTree
from ..caching import cached
from ..models import Area, Initiative, InitiativeAreaClosure
from ..querysets import TIER_COVERING, TIER_HERE, TIER_NATION
from ..services.tally import counts_given
from ..services.tally import key as tally_key
from .pages import sorted_by_name_once_found

AREA_SECTIONS = ("here", "wider", "national")
# Widest first, as Area.Kind declares them.
KIND_ORDER = {kind: n for n, kind in enumerate(Area.Kind)}


class AreaSections:
    """The published initiatives serving `area` (ended ones left out), in the three
    tiers of InitiativeQuerySet.serving: here (the area or within it), covering it
    (short of a nation), and its nation or the whole UK. Other nations' initiatives
    are not there."""

    def __init__(self, area: Area, tree: AreaTree):
        self.area = area
        self.tree = tree
        self.place = tree.place(area.pk)
        self.below = set(self.place.within)
        # The same as Area.objects.ancestor_ids(area), from the tree already loaded.
        self.above = tree.ancestor_ids(area.pk)
        self.published = Initiative.objects.published().current()

    def here(self):
        return self.published.in_tier(self.place, TIER_HERE)

    def wider(self):
        return self.published.in_tier(self.place, TIER_COVERING)

    def national(self):
        return self.published.in_tier(self.place, TIER_NATION)

    def parts(self, key: str) -> list:
        """A section's rows in parts that share none, each counted through its own
        indexes (InitiativeQuerySet.in_tier_parts)."""
        tier = {"here": TIER_HERE, "wider": TIER_COVERING, "national": TIER_NATION}[key]
        return self.published.in_tier_parts(self.place, tier)

    def here_count(self) -> int | None:
        """How many current published records are "here" (the area's closure rows): the
        facet tally's count of the area's key, one indexed read, where counting them
        through the closure took 150-225 ms for an ICB at a million records. None while
        the tally is not built (they are then counted)."""
        found = counts_given(tally_key("area", self.area.pk), using=self.published.db)
        return None if found is None else found[1]

    def national_in_order(self) -> list:
        """The national section's parts, each in name order by its own means: what is
        linked to the nation found, then sorted (few rows, which the name index would
        have to be walked far to meet); the UK-wide records tied to no area read in
        order from the partial index on national, which holds their names."""
        *linked, unlinked = self.parts("national")  # in_tier_parts: the unlinked ones last
        linked = [sorted_by_name_once_found(part) for part in linked]
        return [*linked, unlinked.order_by("name", "pk")]

    def ancestors(self) -> list[Area]:
        """The areas above, nation first."""
        return sorted(
            (self.tree.areas[pk] for pk in self.above if pk in self.tree.areas),
            key=lambda a: (KIND_ORDER.get(a.kind, 9), a.name),
        )


# The longest text the find-an-area box reads, and how many areas it lists at most.
FIND_MAX_CHARS = 100
FIND_MAX_RESULTS = 20


def index_entries(tree: AreaTree) -> list[dict]:
    """The areas index: each top of the hierarchy (the nations, and any area no nation
    reaches) with the areas one level below it; deeper areas are on those areas' pages."""
    return [
        {"area": node["area"], "children": [child["area"] for child in node["children"]]}
        for node in tree.nested()
    ]


def served_counts(tree: AreaTree, pks) -> dict[int, int]:
    """For each area id in `pks`: how many current published initiatives serve it in
    tiers 1 and 2, as its page lists them: here (the area closure holds the area for
    every initiative linked to it or to an area within it, or located in it) or linked
    to an area covering it short of a nation. One statement, grouped by area (no
    ordering: the caller keeps the tree's order), kept in the figures cache.

    An area nothing covers short of a nation (a nation, and the regions, boards and
    trusts right under one: every area the index lists) has only its first tier, which
    the facet tally counts: its counts are read from there (at a million records 3 ms,
    where the statement took 1.2 s), the others counted."""
    pks = sorted(set(pks))

    def count() -> dict[int, int]:
        if not pks:
            return {}
        uncovered = [pk for pk in pks if not tree.place(pk).covering_ids]
        tallied = counts_given(None, using=Initiative.objects.db) if uncovered else None
        if tallied is not None:
            here = tallied[0].get("area", {})
            found = {pk: here.get(str(pk), 0) for pk in uncovered}
            rest = [pk for pk in pks if pk not in found]
            return {**found, **(counted(rest) if rest else {})}
        return counted(pks)

    def counted(pks: list[int]) -> dict[int, int]:
        closure = InitiativeAreaClosure._meta.db_table
        links = Initiative.areas.through._meta.db_table
        current, params = (
            Initiative.objects.published().current().order_by().values("pk").query.sql_with_params()
        )
        # Only integer ids and model names are put in the SQL; the filters stay params.
        parts = [
            f"SELECT area_id, initiative_id FROM {closure}"  # noqa: S608
            f" WHERE area_id IN ({', '.join(map(str, pks))})"
        ]
        covering = [(pk, above) for pk in pks for above in sorted(tree.place(pk).covering_ids)]
        if covering:
            pairs = " UNION ALL ".join(
                f"SELECT {int(pk)} AS area_id, {int(above)} AS covering_id"
                for pk, above in covering
            )
            parts.append(
                f"SELECT c.area_id, l.initiative_id FROM {links} l"  # noqa: S608
                f" JOIN ({pairs}) c ON l.area_id = c.covering_id"
            )
        sql = (
            f"SELECT s.area_id, COUNT(*) FROM ({' UNION '.join(parts)}) s"  # noqa: S608
            f" WHERE s.initiative_id IN ({current}) GROUP BY s.area_id"
        )
        with connections[Initiative.objects.db].cursor() as cursor:
            cursor.execute(sql, params)
            totals = dict(cursor.fetchall())
        return {pk: totals.get(pk, 0) for pk in pks}

    return cached("area-index-counts", {"areas": pks}, count)


@dataclass(frozen=True)
class FoundAreas:
    """The find-an-area box's answer: the text searched, the areas whose names hold
    every word (with their parents), how many more matched, and a message."""

    text: str
    matches: list
    more: int = 0
    message: str = ""


def find_areas(tree: AreaTree, raw: str) -> FoundAreas:
    """The areas whose names contain every word of `raw` (any case, accents ignored),
    in name order, each as {"area", "parent"}. Hostile or empty text gets a message."""
    raw = raw or ""
    if len(raw) > FIND_MAX_CHARS:
        return FoundAreas(
            "", [], message=f"Type at most {FIND_MAX_CHARS} characters of an area\u2019s name."
        )
    text = " ".join("".join(c for c in raw if c.isprintable()).split())
    words = _folded(text).split()
    if not words:
        return FoundAreas("", [], message="Type part of an area\u2019s name, such as Halton.")
    found = [
        area for area in tree.areas.values() if all(word in _folded(area.name) for word in words)
    ]
    if not found:
        return FoundAreas(
            text,
            [],
            message=f"No area\u2019s name contains \u201c{text}\u201d. Check the spelling, "
            "type fewer letters, or search the initiatives by postcode or town.",
        )
    shown = [
        {"area": area, "parent": tree.areas.get(area.parent_id)}
        for area in found[:FIND_MAX_RESULTS]
    ]
    return FoundAreas(text, shown, more=len(found) - len(shown))


def _folded(text: str) -> str:
    """Lower case without accents, so that "ynys mon" finds "Ynys Môn"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))
