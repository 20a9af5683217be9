"""The area hierarchy in memory: nations; NHS England regions and ICBs; Scottish and
Welsh health boards and Northern Irish trusts; and local authorities.

Areas form a tree with a few extra links: a district split between ICBs (or between
trusts) lies under each of them (`Area.other_parents`). Every question about "what is below"
or "what is above" an area is answered here, by one iterative walk over those
links that visits each area at most once, so a loop in the data can never make
it run forever.

`AreaTree` is built from two queries by `Area.objects.tree()`; the listing, the
area pages and the insights page each load one and ask it everything.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

NATION = "nation"
# The tiers in which initiatives serve a place (see ServedPlace).
TIER_HERE, TIER_COVERING, TIER_NATION = 1, 2, 3


def walk(links: Mapping[int, Iterable[int]], start: int) -> set[int]:
    """Every id reachable from `start` by following `links` (not `start` itself,
    unless a loop leads back to it)."""
    found: set[int] = set()
    stack = [start]
    while stack:
        for nxt in links.get(stack.pop(), ()):
            if nxt not in found:
                found.add(nxt)
                stack.append(nxt)
    return found


class AreaTree:
    """Every area with its children, split districts listed under each of their parents.

    `areas` are Area rows in name order (with at least pk, name, slug, kind and
    parent_id); `other_parents` are (child id, parent id) pairs.
    """

    def __init__(self, areas: Iterable, other_parents: Iterable[tuple[int, int]] = ()):
        self.areas = {area.pk: area for area in areas}
        self.children: dict[int, list[int]] = defaultdict(list)
        for area in self.areas.values():
            if area.parent_id in self.areas:
                self.children[area.parent_id].append(area.pk)
        for child_id, parent_id in other_parents:
            known = child_id in self.areas and parent_id in self.areas
            if known and child_id not in self.children[parent_id]:
                self.children[parent_id].append(child_id)
        position = {pk: index for index, pk in enumerate(self.areas)}
        for kids in self.children.values():
            kids.sort(key=position.__getitem__)
        self.roots = [area.pk for area in self.areas.values() if area.parent_id not in self.areas]
        self._parents: dict[int, list[int]] | None = None

    def by_slug(self, slug: str):
        return next((area for area in self.areas.values() if area.slug == slug), None)

    def descendant_ids(self, pk: int) -> set[int]:
        """The area's own id and every id below it."""
        return walk(self.children, pk) | {pk}

    def ancestor_ids(self, pk: int) -> set[int]:
        """Every id above the area (not its own), through all of its parents."""
        if self._parents is None:
            self._parents = defaultdict(list)
            for parent, kids in self.children.items():
                for kid in kids:
                    self._parents[kid].append(parent)
        return walk(self._parents, pk) - {pk}

    def place(self, pk: int) -> "ServedPlace":
        """The area as a place that initiatives serve in tiers (see ServedPlace)."""
        above = [self.areas[a] for a in self.ancestor_ids(pk) if a in self.areas]
        depth = {a.pk: len(self.ancestor_ids(a.pk)) for a in above}
        above.sort(key=lambda a: (-depth[a.pk], a.name))  # nearest first
        area = self.areas[pk]
        nations = tuple(a for a in above if a.kind == NATION)
        if area.kind == NATION:
            nations = (area,)
        return ServedPlace(
            area=area,
            within=frozenset(self.descendant_ids(pk)),
            covering=tuple(a for a in above if a.kind != NATION),
            nations=nations,
            all_nations=frozenset(a.pk for a in self.nations()),
        )

    def nations(self) -> list:
        return [area for area in self.areas.values() if area.kind == NATION]

    def child_areas(self, pk: int) -> list:
        return [self.areas[child] for child in self.children.get(pk, ())]

    def in_order(self) -> list[tuple[object, int]]:
        """Each area once, with its depth, parents before children (for a select)."""
        ordered: list[tuple[object, int]] = []
        seen: set[int] = set()

        def visit(pk: int, depth: int) -> None:
            if pk in seen:
                return
            seen.add(pk)
            ordered.append((self.areas[pk], depth))
            for child in self.children.get(pk, ()):
                # Under its own parent only: a split district is listed once.
                if self.areas[child].parent_id == pk:
                    visit(child, depth + 1)

        for root in self.roots:
            visit(root, 0)
        for pk in self.areas:  # anything unreachable (a cycle) still gets listed
            visit(pk, 0)
        return ordered

    def nested(self) -> list[dict]:
        """The hierarchy as nested dicts {"area", "children"}, for the areas index."""

        def build(pk: int, path: frozenset) -> dict:
            kids = [c for c in self.children.get(pk, ()) if c not in path]
            return {
                "area": self.areas[pk],
                "children": [build(child, path | {child}) for child in kids],
            }

        return [build(root, frozenset({root})) for root in self.roots]


@dataclass(frozen=True)
class ServedPlace:
    """A place as the register's tiers see it: the area itself, what lies within it,
    what covers it short of a nation, and its nation.

    An initiative serves the place "here" when one of its service areas is the area or
    lies within it; "covering" when one covers it (an ICB, an NHS region, a health
    board) but none is within it; "nation" when it serves the place's whole nation, or
    the whole UK. Other nations' initiatives do not serve it.
    """

    area: object
    within: frozenset[int]  # the area and everything below it
    covering: tuple[object, ...]  # the areas above it, short of a nation, nearest first
    nations: tuple[object, ...]  # its nation (two, were an area ever under two)
    all_nations: frozenset[int]  # every nation's id: serving all of them is serving the UK

    @property
    def covering_ids(self) -> frozenset[int]:
        return frozenset(area.pk for area in self.covering)

    @property
    def nation_ids(self) -> frozenset[int]:
        return frozenset(area.pk for area in self.nations)

    def nation_words(self) -> str:
        """ "everyone in England or the whole UK" (the whole UK for a place with no nation)."""
        names = " or ".join(nation.name for nation in self.nations)
        return f"everyone in {names} or the whole UK" if names else "the whole UK"

    def tier_headings(self) -> dict[int, str]:
        """What each tier is called on a page about this place."""
        name = self.area.name
        return {
            TIER_HERE: f"Serving {name} or a place within it",
            TIER_COVERING: f"Serving a wider area that includes {name}",
            TIER_NATION: f"Serving {self.nation_words()}",
        }

    def tier(self, areas: list, *, national: bool) -> tuple[int | None, object, bool]:
        """For an initiative's service areas (Area rows) and national flag: its tier for
        this place (None when it does not serve it), the area that puts it there (None
        for the whole UK) and whether it serves the whole UK. The same rule as
        InitiativeQuerySet.serving, for rows already in memory."""
        linked = {area.pk for area in areas}
        uk_wide = national and (not areas or self.all_nations <= linked)
        inside = sorted((a for a in areas if a.pk in self.within), key=lambda a: a.name)
        if inside:
            first = next((a for a in inside if a.pk == self.area.pk), inside[0])
            return TIER_HERE, first, uk_wide
        covering = next((a for a in self.covering if a.pk in linked), None)
        if covering is not None:
            return TIER_COVERING, covering, uk_wide
        nation = next((a for a in self.nations if a.pk in linked), None)
        if nation is not None or (national and not areas):
            return TIER_NATION, nation, uk_wide
        return None, None, False
