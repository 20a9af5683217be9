"""What serves one area, in three sections: the area and below, a wider area
around it, and its nation or the whole UK. The area page lists them."""

from ..areas import AreaTree
from ..models import Area, Initiative
from ..querysets import TIER_COVERING, TIER_HERE, TIER_NATION

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

    def nation_words(self) -> str:
        return self.place.nation_words()

    def ancestors(self) -> list[Area]:
        """The areas above, nation first."""
        return sorted(
            (self.tree.areas[pk] for pk in self.above if pk in self.tree.areas),
            key=lambda a: (KIND_ORDER.get(a.kind, 9), a.name),
        )
