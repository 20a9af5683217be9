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
