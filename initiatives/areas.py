"""The area hierarchy in memory: nations; NHS England regions and ICBs; Scottish and
Welsh health boards and Northern Irish trusts; and local authorities.

Areas form a tree with a few extra links: a district split between ICBs (or
between trusts) lies under each of them (`Area.other_parents`). So they are a DAG at most: the admin
and the seed loader refuse a parent that would make an area lie inside itself
(`path_between` finds the chain that would close the loop, `loop_message` says
it). Every question about "what is below" or "what is above" an area is answered
here by iterative walks that visit each area at most once, so a loop written
behind their backs can never make one run forever, and a deep DAG costs one entry
per link, not one per path.

`AreaTree` is built from two queries by `Area.objects.tree()`; the listing, the
area pages and the insights page each load one and ask it everything.
"""

from collections import defaultdict, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

NATION = "nation"
# The tiers in which initiatives serve a place (see ServedPlace).
TIER_HERE, TIER_COVERING, TIER_NATION = 1, 2, 3

# How deep the areas index nests its lists; a longer branch is listed flat below it.
NESTED_DEPTH = 12


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


def path_between(links: Mapping, start, targets) -> list | None:
    """The shortest chain [start, ..., target] following `links` to any of `targets`
    ([start] when it is one of them), or None. Breadth first, each id visited once.

    Asked with the links that lead down (children) and an area's proposed parents,
    a chain means those parents already lie within the area: taking them as parents
    would close a loop."""
    if start in targets:
        return [start]
    came_from = {start: None}
    queue = deque([start])
    while queue:
        current = queue.popleft()
        for nxt in links.get(current, ()):
            if nxt in came_from:
                continue
            came_from[nxt] = current
            if nxt in targets:
                chain = [nxt]
                while came_from[chain[-1]] is not None:
                    chain.append(came_from[chain[-1]])
                return chain[::-1]
            queue.append(nxt)
    return None


def loop_message(names: list[str]) -> str:
    """Why an area cannot take a parent: `names` is the chain from the area down to that
    parent (path_between's answer, as names)."""
    if len(names) == 1:
        return f"{names[0]} cannot lie inside itself."
    return (
        f"{names[-1]} already lies within {names[0]} ({' > '.join(names)}), so {names[0]} "
        f"cannot also lie in {names[-1]}: areas cannot loop."
    )


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

    def loop_if_under(self, pk: int, parent_ids: Iterable[int]) -> list | None:
        """The areas (from this one down) that would loop if `pk` took one of
        `parent_ids` as a parent; None when none of them lies at or below it."""
        chain = path_between(self.children, pk, set(parent_ids))
        return None if chain is None else [self.areas[step] for step in chain]

    def child_areas(self, pk: int) -> list:
        return [self.areas[child] for child in self.children.get(pk, ())]

    def in_order(self) -> list[tuple[object, int]]:
        """Each area once, with its depth, parents before children (for a select).

        A split district is listed under its own parent only; an area that no root
        reaches (its parents loop) is listed at depth 0."""
        ordered: list[tuple[object, int]] = []
        seen: set[int] = set()
        for start in self._starts():
            stack = [(start, 0)]
            while stack:
                pk, depth = stack.pop()
                if pk in seen:
                    continue
                seen.add(pk)
                ordered.append((self.areas[pk], depth))
                stack.extend((child, depth + 1) for child in reversed(self._own_children(pk)))
        return ordered

    def nested(self) -> list[dict]:
        """The hierarchy as nested dicts {"area", "children"}, for the areas index.

        Every area is listed under each of its parents, once; its own children are
        listed only where it lies under its own parent (`parent`), so a split area
        costs one entry per parent however deep the links go, and a loop is never
        followed. An area that no root reaches (its parents loop) starts a tree of its
        own. Below NESTED_DEPTH levels the rest of a branch is listed flat, so the
        page's nested lists stay shallow whatever the data holds.
        """
        expanded: set[int] = set()
        top: list[dict] = []
        for start in self._starts():
            if start in expanded:
                continue
            expanded.add(start)
            root = {"area": self.areas[start], "children": []}
            top.append(root)
            # (area id, its depth, the list its children go in)
            stack = [(start, 0, root["children"])]
            while stack:
                pk, depth, into = stack.pop()
                for child in self.children.get(pk, ()):
                    entry = {"area": self.areas[child], "children": []}
                    into.append(entry)
                    if child in expanded or self.areas[child].parent_id != pk:
                        continue
                    expanded.add(child)
                    below = entry["children"] if depth + 1 < NESTED_DEPTH else into
                    stack.append((child, depth + 1, below))
        return top

    def _own_children(self, pk: int) -> list[int]:
        """The areas whose own parent is `pk` (not those also lying in it)."""
        return [c for c in self.children.get(pk, ()) if self.areas[c].parent_id == pk]

    def _starts(self):
        """The roots, then every area in name order: a walk from each that has not yet
        been reached lists the areas whose parents loop, which no root leads to."""
        yield from self.roots
        yield from self.areas


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

    def tier(
        self, areas: list, *, national: bool, located_in: int | None = None
    ) -> tuple[int | None, object, bool]:
        """For an initiative's service areas (Area rows), national flag and the id of the
        district its location lies in (if any): its tier for this place (None when it
        does not serve it), the area that puts it there (None for the whole UK, or when
        it is here because it is located here) and whether it serves the whole UK. The
        same rule as InitiativeQuerySet.serving, for rows already in memory."""
        linked = {area.pk for area in areas}
        uk_wide = national and (not areas or self.all_nations <= linked)
        inside = sorted((a for a in areas if a.pk in self.within), key=lambda a: a.name)
        if inside:
            first = next((a for a in inside if a.pk == self.area.pk), inside[0])
            return TIER_HERE, first, uk_wide
        if located_in is not None and located_in in self.within:
            return TIER_HERE, None, uk_wide
        covering = next((a for a in self.covering if a.pk in linked), None)
        if covering is not None:
            return TIER_COVERING, covering, uk_wide
        nation = next((a for a in self.nations if a.pk in linked), None)
        if nation is not None or (national and not areas):
            return TIER_NATION, nation, uk_wide
        return None, None, False
