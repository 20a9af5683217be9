"""What serves one area, in three sections: the area and below, a wider area
around it, and the whole UK. The area page lists them; each is a queryset in
name order."""

from django.db.models import Exists, OuterRef

from ..areas import AreaTree
from ..models import Area, Initiative

AREA_SECTIONS = ("here", "wider", "national")
KIND_ORDER = {
    Area.Kind.NATION: 0,
    Area.Kind.NHS_REGION: 1,
    Area.Kind.ICB: 2,
    Area.Kind.LOCAL_AUTHORITY: 3,
}


class AreaSections:
    """The published initiatives serving `area` (ended ones left out), in three sections."""

    def __init__(self, area: Area, tree: AreaTree):
        self.area = area
        self.tree = tree
        self.below = tree.descendant_ids(area.pk)
        # The same as Area.objects.ancestor_ids(area), from the tree already loaded.
        self.above = tree.ancestor_ids(area.pk)

    def here(self):
        return Initiative.objects.published().current().in_area(self.area, below=self.below)

    def wider(self):
        """Serving an area above, and not already listed under "here": no link to the
        area or below (a per-row check on the link table, rather than the whole of
        "here" computed first)."""
        through = Initiative.areas.through
        return (
            Initiative.objects.published()
            .current()
            .filter(
                Exists(through.objects.filter(initiative_id=OuterRef("pk"), area_id__in=self.above))
            )
            .exclude(
                Exists(through.objects.filter(initiative_id=OuterRef("pk"), area_id__in=self.below))
            )
        )

    def national(self):
        """UK-wide: national and tied to no area (one tied to a nation is listed under
        that nation)."""
        through = Initiative.areas.through
        return (
            Initiative.objects.published()
            .current()
            .filter(national=True)
            .exclude(Exists(through.objects.filter(initiative_id=OuterRef("pk"))))
        )

    def ancestors(self) -> list[Area]:
        """The areas above, nation first."""
        return sorted(
            (self.tree.areas[pk] for pk in self.above if pk in self.tree.areas),
            key=lambda a: (KIND_ORDER.get(a.kind, 9), a.name),
        )
