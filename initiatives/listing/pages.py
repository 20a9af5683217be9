"""Pages of results that fetch the page's ids first, then only those rows."""

from django.core.paginator import Paginator
from django.db.models import Value
from django.db.models.functions import Concat
from django.utils.functional import cached_property

from ..caching import cached
from ..models import Initiative

# Up to this many results, a name-ordered list is sorted after it is found (see
# IdsFirstPaginator._ordered).
SHORT_LIST = 5000


class IdsFirstPaginator(Paginator):
    """Pages that fetch the page's ids first, then only those rows with their relations.

    A deep page's OFFSET then skips ids rather than whole joined rows. With
    `cache_as` (params naming the list), the count and each page's ids are kept in the
    figures cache (initiatives/caching.py); the rows themselves are always read afresh,
    and only while they are still published.
    """

    def __init__(self, object_list, per_page, *, cache_as: dict | None = None):
        super().__init__(object_list, per_page)
        self.cache_as = cache_as

    @cached_property
    def count(self):
        if self.cache_as is None:
            return self.object_list.count()
        return cached("page-count", self.cache_as, self.object_list.count)

    def page(self, number, *, rows: bool = True):
        """The page; with `rows=False`, its object_list holds only the ids (for
        `fill_pages`, which fetches several pages' rows at once)."""
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count)

        def page_ids():
            return list(self._ordered().values_list("pk", flat=True)[bottom:top])

        if self.cache_as is None:
            ids = page_ids()
        else:
            ids = cached("page-ids", {**self.cache_as, "rows": [bottom, top]}, page_ids)
        page = self._get_page(ids, number, self)
        if rows:
            fill_pages([page])
        return page

    def _ordered(self):
        """The list in its order; for a short list in name order, an order the name
        index cannot give. Walking that index until 20 of a few hundred rows turn up
        reads most of the register; finding the few hundred through their links and
        sorting them is quicker. The order is the same: the name, then the id."""
        queryset = self.object_list
        if self.count <= SHORT_LIST and tuple(queryset.query.order_by) == ("name", "pk"):
            return queryset.order_by(Concat("name", Value("")), "pk")
        return queryset


def fill_pages(pages) -> None:
    """Replace each page's ids with its rows and their relations, in one set of queries.

    The ids may come from the figures cache, counted before another worker archived
    one of them (a change this worker heard no signal of), so the rows are read
    through published() again: a record no longer published is left out of its page
    rather than shown.
    """
    ids = [pk for page in pages for pk in page.object_list]
    rows = Initiative.objects.published().for_listing().in_bulk(ids) if ids else {}
    for page in pages:
        page.object_list = [rows[pk] for pk in page.object_list if pk in rows]


class TieredPaginator(Paginator):
    """Pages over several ordered lists shown one after the other (the tiers of a place),
    each with its count known: a page takes the ids it needs from each list in turn,
    so no row's tier has to be computed to order the whole answer."""

    def __init__(self, parts: list[tuple[int, object, int]], per_page: int):
        """`parts`: (tier, ordered queryset, its count), in the order they are shown."""
        super().__init__([], per_page)
        self.parts = parts

    @cached_property
    def count(self):
        return sum(count for _tier, _queryset, count in self.parts)

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count)
        ids: list[int] = []
        tier_of: dict[int, int] = {}
        offset = 0
        for tier, queryset, count in self.parts:
            low, high = max(bottom - offset, 0), min(top - offset, count)
            if low < high:
                part = IdsFirstPaginator(queryset, self.per_page)
                part.count = count
                found = list(part._ordered().values_list("pk", flat=True)[low:high])
                ids += found
                tier_of.update(dict.fromkeys(found, tier))
            offset += count
        page = self._get_page(ids, number, self)
        fill_pages([page])
        for row in page.object_list:
            row.tier = tier_of[row.pk]
        return page
