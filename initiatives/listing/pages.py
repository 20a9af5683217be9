"""Pages of results that fetch the page's ids first, then only those rows."""

import json
from dataclasses import dataclass

from django.core import signing
from django.core.paginator import Page, Paginator
from django.db import connections
from django.db.models import F, Q, Value
from django.db.models.expressions import OrderBy
from django.db.models.functions import Concat
from django.utils.functional import cached_property

from ..caching import cached
from ..models import Initiative
from ..querysets import TIER_HERE

# Up to this many results, a name-ordered list is sorted after it is found (see
# IdsFirstPaginator._ordered).
SHORT_LIST = 5000
# Up to this many, a list of what serves a place is sorted after it is found too: names
# begin with their places' ("Wirral Carers Centre"), so an area's first names can lie
# far down the name index. At a million records Cheshire and Merseyside's first 20 lay
# past 154,000 others (0.5 s to walk to them); its 23,000 found and sorted: 0.15 s.
PLACE_LIST = 50_000
# Before sorting such a list, its page is looked for among the register's first this
# many names (the name index's first rows): an area whose names come early in the
# alphabet finds its first page there. At a million records, Sussex's first page: 20 ms
# so, 150 ms sorted; with 25,000 names, 100 ms (matching them costs more than it saves).
NAME_PREFIX = 5_000
# Past this many results, a page is read from the list's first part when that part
# fills it (IdsFirstPaginator's `first_part`); a shorter list is read whole, as quickly
# as its part would be, with no second statement when the part falls short.
FIRST_PART_OVER = 2000


class IdsFirstPaginator(Paginator):
    """Pages that fetch the page's ids first, then only those rows with their relations.

    A deep page's OFFSET then skips ids rather than whole joined rows. With
    `cache_as` (params naming the list), the count and each page's ids are kept in the
    figures cache (initiatives/caching.py); the rows themselves are always read afresh,
    and only while they are still published.
    """

    def __init__(
        self,
        object_list,
        per_page,
        *,
        cache_as: dict | None = None,
        sort_found: bool = False,
        of_place: bool = False,
        first_part=None,
        count_parts=None,
        ordered_parts=None,
        known_count=None,
    ):
        """`sort_found`: in name order, always find the rows, then sort them (see
        `_ordered`): for the tiers past "here", which PostgreSQL otherwise tests one
        by one against every record in the name index (minutes at a million).
        `of_place`: the list is what serves a place, sorted when found up to PLACE_LIST.

        `first_part`: some of the list, in the same order, that comes before the rest
        of it (a search's name matches: search.name_tier). Past FIRST_PART_OVER
        results, a page it fills is read from it alone; any other page from the whole
        list.

        `count_parts`: querysets that share no row and together hold the list's rows,
        each counted through its own indexes (InitiativeQuerySet.in_tier_parts): the
        count is their sum.

        `ordered_parts`: the same parts, each in the list's order (name, then id) by its
        own means (an index that holds the order, or sorting the rows found). A page's
        ids are then the first rows of each part, as many as the page reaches, merged by
        the database (a UNION ALL of the parts, each LIMITed): a part of 50,000 UK-wide
        records is read from its index up to the page, where the whole list had all of
        them sorted by name first. Only where the database orders and limits the parts of
        a UNION (PostgreSQL); elsewhere the list is read as without them.

        `known_count`: a callable giving the count without counting the rows (the facet
        tally's), or None when it cannot; the rows are then counted."""
        super().__init__(object_list, per_page)
        self.cache_as = cache_as
        self.sort_found = sort_found
        self.of_place = of_place
        self.first_part = first_part
        self.count_parts = count_parts
        self.ordered_parts = ordered_parts
        self.known_count = known_count

    def _count(self) -> int:
        if self.known_count is not None:
            known = self.known_count()
            if known is not None:
                return known
        if self.count_parts is not None:
            return sum(part.count() for part in self.count_parts)
        return self.object_list.count()

    @cached_property
    def count(self):
        if self.cache_as is None:
            return self._count()
        return cached("page-count", self.cache_as, self._count)

    def page(self, number, *, rows: bool = True):
        """The page; with `rows=False`, its object_list holds only the ids (for
        `fill_pages`, which fetches several pages' rows at once)."""
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count)

        if self.cache_as is None:
            ids = self.ids(bottom, top)
        else:
            ids = cached(
                "page-ids", {**self.cache_as, "rows": [bottom, top]}, lambda: self.ids(bottom, top)
            )
        page = self._get_page(ids, number, self)
        if rows:
            fill_pages([page])
        return page

    def ids(self, bottom: int, top: int) -> list[int]:
        """The ids of the list's rows from `bottom` up to `top`, in order: from the first
        part alone when it holds all of them."""
        if self.first_part is not None and self.count > FIRST_PART_OVER:
            ids = list(self.first_part.values_list("pk", flat=True)[bottom:top])
            if len(ids) == top - bottom:
                return ids
        if self.ordered_parts and self._merges_parts():
            return self._merged_ids(bottom, top)
        if self._sorts_a_place():
            ids = self._ids_among_first_names(bottom, top)
            if len(ids) == top - bottom:
                return ids
        return list(self._ordered().values_list("pk", flat=True)[bottom:top])

    def _sorts_a_place(self) -> bool:
        """A list of what serves a place, in name order, sorted when found for its size
        alone (past SHORT_LIST, up to PLACE_LIST)."""
        return (
            self.of_place
            and not self.sort_found
            and SHORT_LIST < self.count <= PLACE_LIST
            and tuple(self.object_list.query.order_by) == ("name", "pk")
        )

    def _ids_among_first_names(self, bottom: int, top: int) -> list[int]:
        """Rows `bottom` to `top` of the list among the register's first NAME_PREFIX
        published rows in name order. The list holds only published rows, so those of
        its rows are the first of its own: when there are enough of them, they are the
        page."""
        first_names = (
            Initiative.objects.published().order_by("name", "pk").values("pk")[:NAME_PREFIX]
        )
        found = self.object_list.filter(pk__in=first_names)
        return list(found.values_list("pk", flat=True)[bottom:top])

    def _merges_parts(self) -> bool:
        connection = connections[self.object_list.db]
        return connection.features.supports_slicing_ordering_in_compound

    def _merged_ids(self, bottom: int, top: int) -> list[int]:
        """Rows `bottom` to `top` of the ordered parts merged: each part's first `top`
        rows, the UNION ALL of them in name order, then the page's slice (the parts share
        no row, so no row before `top` is left out)."""
        first, *rest = (part.values_list("pk", "name")[:top] for part in self.ordered_parts)
        merged = first.union(*rest, all=True).order_by("name", "pk") if rest else first
        return [pk for pk, _name in merged[bottom:top]]

    def _ordered(self):
        """The list in its order; for a short list in name order (or any, with
        `sort_found`), an order the name index cannot give. Walking that index until 20
        of a few hundred rows turn up reads most of the register; finding the few
        hundred through their links and sorting them is quicker. The order is the same:
        the name, then the id."""
        queryset = self.object_list
        short = self.sort_found or self.count <= (PLACE_LIST if self.of_place else SHORT_LIST)
        if short and tuple(queryset.query.order_by) == ("name", "pk"):
            return sorted_by_name_once_found(queryset)
        return queryset


def sorted_by_name_once_found(queryset):
    """The queryset in name order (then id) by an expression no index holds, so that the
    database finds its rows first and sorts them, rather than walking the name index
    until they turn up (see IdsFirstPaginator._ordered)."""
    return queryset.order_by(Concat("name", Value("")), "pk")


def planner_estimate(queryset) -> int | None:
    """How many rows PostgreSQL's planner expects the queryset to give (from EXPLAIN,
    without running it), or None on another database."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    sql, params = queryset.order_by().query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


def about(n: int) -> int:
    """An estimate rounded to two figures (418,612: 420,000), never shown as exact."""
    if n < 100:
        return n
    step = 10 ** (len(str(n)) - 2)
    return round(n / step) * step


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

    def __init__(
        self,
        parts: list[tuple[int, object, int]],
        per_page: int,
        *,
        first_part=None,
        cache_as: dict | None = None,
    ):
        """`parts`: (tier, ordered queryset, its count), in the order they are shown.
        `first_part`: given a part's queryset, the queryset of rows that come first in it
        (or None): see IdsFirstPaginator. `cache_as`: params naming the list, under
        which each page's ids and their tiers are kept in the figures cache (the rows
        are read afresh, as IdsFirstPaginator's)."""
        super().__init__([], per_page)
        self.parts = parts
        self.first_part = first_part
        self.cache_as = cache_as

    @cached_property
    def count(self):
        return sum(count for _tier, _queryset, count in self.parts)

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count)
        if self.cache_as is None:
            found = self.ids(bottom, top)
        else:
            key = {**self.cache_as, "rows": [bottom, top]}
            found = cached("tiered-page-ids", key, lambda: self.ids(bottom, top))
        tier_of = dict(found)
        page = self._get_page([pk for pk, _tier in found], number, self)
        fill_pages([page])
        for row in page.object_list:
            row.tier = tier_of[row.pk]
        return page

    def ids(self, bottom: int, top: int) -> list[tuple[int, int]]:
        """The ids of rows `bottom` to `top`, each with its tier, in order."""
        ids: list[tuple[int, int]] = []
        offset = 0
        for tier, queryset, count in self.parts:
            low, high = max(bottom - offset, 0), min(top - offset, count)
            if low < high:
                first = self.first_part(queryset) if self.first_part else None
                part = IdsFirstPaginator(
                    queryset,
                    self.per_page,
                    sort_found=tier != TIER_HERE,
                    of_place=True,
                    first_part=first,
                )
                part.count = count
                ids += [(pk, tier) for pk in part.ids(low, high)]
            offset += count
        return ids


# Keyset pages ---------------------------------------------------------------------
#
# A deep page by number makes the database walk every row before it (OFFSET). The
# "Next" and "Previous" links instead carry a cursor: the id of the row a page ends
# (or starts) with, and the database starts there through the ordering's index. The
# cursor is signed, so a link is never turned into another query; the page's number
# rides along so that the page still says where it is.

CURSOR_SALT = "initiatives.listing.cursor"


class BadCursor(ValueError):
    """A cursor that is not one this site made (edited, cut short) or not for this order."""


@dataclass(frozen=True)
class Key:
    """One column of an ordering; `nullable` ones sort their empty values last."""

    field: str
    descending: bool = False
    nullable: bool = False


# The orderings a cursor can follow, each total (the id breaks ties) and each the one
# filters.InitiativeFilter gives for that sort. Relevance and distance are not among
# them: a rank or a distance is computed per search, so those keep page numbers.
KEYSET_ORDERS = {
    "name": (Key("name"), Key("pk")),
    "verified": (Key("last_verified_on", descending=True, nullable=True), Key("name"), Key("pk")),
}


def keyset_order(queryset) -> str | None:
    """Which of KEYSET_ORDERS the queryset is ordered by, or None."""
    order = tuple(queryset.query.order_by)
    if order == ("name", "pk"):
        return "name"
    if len(order) == 3 and order[1:] == ("name", "pk"):
        first = order[0]
        if (
            isinstance(first, OrderBy)
            and isinstance(first.expression, F)
            and first.expression.name == "last_verified_on"
            and first.descending
            and first.nulls_last
        ):
            return "verified"
    return None


def make_cursor(order: str, pk: int, *, after: bool, number: int) -> str:
    """The cursor for the page after (or before) the row `pk`, that page being `number`."""
    return signing.dumps({"o": order, "a": after, "k": pk, "n": number}, salt=CURSOR_SALT)


def read_cursor(raw: str, order: str) -> tuple[int, bool, int]:
    """The row, direction and page number of a cursor made for `order` (BadCursor if not)."""
    try:
        data = signing.loads(raw, salt=CURSOR_SALT)
    except (signing.BadSignature, ValueError, TypeError, UnicodeError) as error:
        raise BadCursor("damaged") from error
    if not isinstance(data, dict) or data.get("o") not in KEYSET_ORDERS:
        raise BadCursor("damaged")
    pk, after, number = data.get("k"), data.get("a"), data.get("n")
    if not (type(pk) is int and type(after) is bool and type(number) is int and number >= 1):
        raise BadCursor("damaged")
    if data["o"] != order:
        raise BadCursor("another order")
    return pk, after, number


def _beyond(keys, values, *, after: bool) -> Q | None:
    """Rows strictly after (or before) `values` in the order of `keys` (None: no row)."""
    if not keys:
        return None
    key, rest = keys[0], keys[1:]
    value = values[0]
    later = _beyond(rest, values[1:], after=after)
    if value is None:  # empty values come last
        strict = None if after else Q(**{f"{key.field}__isnull": False})
        equal = Q(**{f"{key.field}__isnull": True})
    else:
        upward = after != key.descending
        strict = Q(**{f"{key.field}__{'gt' if upward else 'lt'}": value})
        if key.nullable and after:
            strict |= Q(**{f"{key.field}__isnull": True})
        equal = Q(**{key.field: value})
    tie = equal & later if later is not None else None
    if strict is None:
        return tie
    if tie is None:
        return strict
    # The first key's bound alone lets the database start in its index.
    if value is not None and not key.nullable:
        bound = Q(**{f"{key.field}__{'gte' if after != key.descending else 'lte'}": value})
        return bound & (strict | tie)
    return strict | tie


def _order_by(keys, *, reverse: bool, short: bool) -> list:
    """The ordering of `keys` (reversed for the rows before a cursor). For a short list
    by name, the same order through an expression the name index cannot give (as
    IdsFirstPaginator._ordered)."""
    terms = []
    for key in keys:
        expression = F(key.field)
        if short and key.field == "name":
            expression = Concat("name", Value(""))
        descending = key.descending != reverse
        if key.nullable:
            terms.append(
                expression.desc(nulls_last=not reverse)
                if descending
                else expression.asc(nulls_first=reverse)
            )
        else:
            terms.append(expression.desc() if descending else expression.asc())
    return terms


class KeysetPage(Page):
    """A page found from a cursor, which knows from its own read whether more follow."""

    def __init__(self, ids, number, paginator, *, more_after: bool, more_before: bool):
        super().__init__(ids, number, paginator)
        self.more_after, self.more_before = more_after, more_before

    def has_next(self):
        return self.more_after

    def has_previous(self):
        return self.more_before


def keyset_page(paginator, order: str, pk: int, *, after: bool, number: int) -> Page | None:
    """The page after (or before) the row `pk` in `order`, numbered `number` and filled
    with its rows; None when that row is no longer in the register or no row is there
    (the caller then falls back to a page number)."""
    keys = KEYSET_ORDERS[order]
    fields = [key.field for key in keys]
    values = Initiative.objects.filter(pk=pk).values_list(*fields).first()
    if values is None:
        return None
    queryset = paginator.object_list.filter(_beyond(keys, values, after=after))
    short = order == "name" and paginator.count <= SHORT_LIST
    queryset = queryset.order_by(*_order_by(keys, reverse=not after, short=short))
    per_page = paginator.per_page
    ids = list(queryset.values_list("pk", flat=True)[: per_page + 1])
    more = len(ids) > per_page
    ids = ids[:per_page]
    if not ids:
        return None
    if not after:
        ids.reverse()
        number = max(number, 1) if more else 1
    number = min(number, max(paginator.num_pages, 1))
    page = KeysetPage(
        ids,
        number,
        paginator,
        more_after=more if after else True,
        more_before=True if after else more,
    )
    fill_pages([page])
    return page
