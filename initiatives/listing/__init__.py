"""The listing: one set of params in, the register's answer out.

A request's params are tidied (`params.normalise_params`) and judged by the one
FilterSet (`filters.InitiativeFilter`); `Listing` then gives the results in
order, their number, the facet counts beside them (`facets.ListingFacets`), a
page of rows with the reason each is there, and the notices about anything it
could not use. The HTML page (`page.listing_context`), the CSV export and the
API all start from the same params and FilterSet, so they cannot disagree.

Modules: `params` (which params, tidied), `filters` (the FilterSet), `facets`
(counts per option in one statement), `pages` (pages that fetch ids first),
`notices` (messages, chips, reasons), `links` (addresses of other pages of the
listing), `page` (the HTML page's context).
"""

from functools import cached_property

from django.conf import settings
from django.http import QueryDict

from ..caching import cached, query_params
from ..models import Area, Initiative
from ..querysets import DEFAULT_DISTANCE_KM, TIER_COVERING, TIER_HERE, TIER_NATION
from ..search import name_tier, suggest_correction
from ..wording import SERVING_FIELDS, place_reason
from . import pages
from .facets import ListingFacets
from .filters import SORT_CHOICES, InitiativeFilter
from .notices import error_notices, why_listed
from .pages import (
    BadCursor,
    IdsFirstPaginator,
    TieredPaginator,
    about,
    keyset_order,
    keyset_page,
    make_cursor,
    planner_estimate,
    read_cursor,
)
from .params import COUNTED_PARAMS, FILTERS_PARAMS, drop_paging, parse_page

PER_PAGE = 20


class Listing:
    """Published initiatives for one set of tidied params (see params.normalise_params).

    Invalid params are left out and said in `notices`; the valid ones still apply.
    `budget`: seconds the facet counts may take (see facets.ListingFacets; 0: no limit).
    """

    def __init__(self, params: QueryDict, *, notices: list[str] | None = None, budget: float = 0):
        self.params = params
        self.notices = list(notices or [])
        self.filterset = InitiativeFilter(params, queryset=Initiative.objects.published())
        self.facets = ListingFacets(self.filterset, tiers=True, budget=budget)
        self.data = self.facets.data
        self.tree = self.facets.tree
        # Links keep only what was understood.
        self.effective = params.copy()
        for name in self.filterset.form.errors:
            self.effective.pop(name, None)
        drop_paging(self.effective)
        # Set by page(): the order a cursor can follow (pages.KEYSET_ORDERS), and whether
        # the address carried a cursor this site did not make.
        self.keyset: str | None = None
        self.bad_cursor = False

    @property
    def q(self) -> str:
        return self.data.get("q") or ""

    @property
    def place(self):
        """The place of a postcode search (places.lookup.Place), else of a search in a
        town (places.gazetteer.GazetteerPlace), or None."""
        return self.data.get("postcode") or self.data.get("place")

    def active(self) -> dict[str, object]:
        return self.facets.active()

    def results(self):
        """The matching records in the listing's order."""
        return self.facets.results()

    @cached_property
    def count(self) -> int:
        """How many results (from the figures cache: see initiatives/caching.py); past
        settings.ESTIMATE_TOTAL_OVER, the planner's estimate, rounded (`estimated`)."""
        if self.estimated is not None:
            return self.estimated
        return cached("listing-count", query_params(self.params, COUNTED_PARAMS), self.facets.total)

    @cached_property
    def estimated(self) -> int | None:
        """The planner's estimate of the results, rounded, when it is past the setting
        ESTIMATE_TOTAL_OVER (PostgreSQL only; a listing in tiers counts each tier);
        else None, and the results are counted."""
        over = settings.ESTIMATE_TOTAL_OVER
        if over <= 0 or self.area_place is not None or self.place is not None:
            return None
        estimate = planner_estimate(self.results())
        return about(estimate) if estimate is not None and estimate > over else None

    def note_refused(self, facets: dict) -> None:
        """Add the notices for the params the FilterSet refused (needs the facets' options)."""
        self.notices += error_notices(self.filterset, self.params, facets, self.tree)

    @cached_property
    def area_place(self):
        """The chosen area as a place served in tiers, when the results come tier by tier
        (an area without a postcode, and not "here only"), else None."""
        if self.place is not None or self.filterset.only_here():
            return None
        return self.filterset.area_place()

    @cached_property
    def point_place(self):
        """Near a postcode or in a town: the area its point lies in as a place served in
        tiers (areas.ServedPlace), or None where the district is not recorded."""
        place = self.place
        if place is None:
            return None
        point = getattr(place, "postcode", place)  # a postcode's Place, or the town itself
        code = point.local_authority_code
        local = (
            Area.objects.filter(code=code, kind=Area.Kind.LOCAL_AUTHORITY)
            .values_list("pk", flat=True)
            .first()
            if code
            else None
        )
        return self.tree.place(local) if local is not None else None

    @property
    def tiered(self) -> bool:
        """Whether the results come under their tiers' headings: an area's, or those of a
        search near a postcode or in a town, unless "here only" leaves one tier."""
        return not self.filterset.only_here() and (
            self.place is not None or self.area_place is not None
        )

    def tier_headings(self) -> dict[int, str]:
        """What each tier is called on this page (the wording of an area's page; near a
        point, "here" takes in what is based within the distance too)."""
        if self.area_place is not None:
            return self.area_place.tier_headings()
        distance = self.data.get("distance_km") or DEFAULT_DISTANCE_KM
        near = f"based within {distance} km of {self.place.asked}"
        place = self.point_place
        if place is None:
            return {TIER_HERE: near[0].upper() + near[1:], TIER_NATION: "Serving the whole UK"}
        headings = place.tier_headings()
        headings[TIER_HERE] = f"{headings[TIER_HERE]}, or {near}"
        return headings

    def tier_counts(self) -> dict[int, int]:
        """How many results in each tier (from the figures cache)."""

        # In the statement that counts the facets (see facets.ListingFacets.tier_counts).
        def count():
            found = self.facets.tier_counts()
            return {tier: found.get(tier, 0) for tier in self.tier_headings()}

        return cached("listing-tiers", query_params(self.params, COUNTED_PARAMS), count)

    def nothing_here(self) -> str:
        """When a tiered listing has results but none in its first tier, the words that
        say so above them (else ""): a visitor would otherwise take the first heading,
        "covering", for the place itself."""
        if not self.tiered or self.count == 0:
            return ""
        counts = self.tier_counts()
        if counts.get(TIER_HERE, 0):
            return ""
        place = self.area_place or self.point_place
        if self.place is not None:
            distance = self.data.get("distance_km") or DEFAULT_DISTANCE_KM
            near = f"based within {distance} km of {self.place.asked}"
            what = f"based in or serving only {place.area.name}, or {near}," if place else near
        else:
            what = f"based in or serving only {place.area.name}"
        if place is None:
            below = "what serves the whole UK"
        elif counts.get(TIER_COVERING, 0):
            below = "what covers it"
        else:  # nothing short of its nation either: say what the next heading says
            below = f"what serves {place.nation_words()}"
        others = [name for name in self.active() if name not in ("area", "postcode", "place")]
        if others:
            return f"Nothing {what} matches the other filters. Below: {below}."
        return f"Nothing is recorded as {what} yet. Below: {below}."

    def tier_parts(self) -> list[tuple[int, object, int]]:
        """Each tier's results in the order asked for, with its count, for the pages."""
        place, counts = self.area_place, self.tier_counts()
        unordered = self.facets.queryset_without("area")
        data = self.data
        return [
            (
                tier,
                self.filterset.sort_queryset_within_tier(
                    unordered.in_tier(place, tier), data.get("sort") or "", bool(self.q.strip())
                ),
                counts[tier],
            )
            for tier in place.tier_headings()
        ]

    def tier_groups(self, page) -> list[dict]:
        """The page's rows under their tiers' headings, each with the tier's whole count."""
        if not self.tiered:
            return []
        headings, counts = self.tier_headings(), self.tier_counts()
        groups: list[dict] = []
        for index, row in enumerate(page.object_list):
            if not groups or groups[-1]["tier"] != row.tier:
                groups.append(
                    {
                        "tier": row.tier,
                        "heading": headings.get(row.tier, ""),
                        "count": counts.get(row.tier, 0),
                        "start": page.start_index() + index,
                        "rows": [],
                    }
                )
            groups[-1]["rows"].append(row)
        return groups

    def page(self):
        """The asked-for page (or the nearest one, with a notice), each row with its reason."""

        # Rows that come first, read on their own when they fill the page: near a point,
        # the first tier ("here"); else in a one-word search, the name matches.
        def first_part(queryset):
            if self.place is not None:
                return self.facets.first_tier()
            return name_tier(queryset, self.q) if self.q else None

        # Each page's ids are kept in the figures cache under the params that choose and
        # order the results, so that a page asked for again reads only its rows.
        cache_as = query_params(self.params, FILTERS_PARAMS)
        if self.area_place is not None:
            paginator = TieredPaginator(
                self.tier_parts(), PER_PAGE, first_part=first_part, cache_as=cache_as
            )
        else:
            results = self.results()
            paginator = IdsFirstPaginator(
                results, PER_PAGE, first_part=first_part(results), cache_as=cache_as
            )
            paginator.count = self.count
            if self.place is None:
                self.keyset = keyset_order(paginator.object_list)
        page = self._cursor_page(paginator) if "cursor" in self.params else None
        if page is None:
            number, page_notice = parse_page(self.params.get("page"), paginator.num_pages)
            if page_notice:
                self.notices.append(page_notice)
            page = paginator.page(number)
        if self.place is not None:
            page.object_list = rows = list(page.object_list)
            self._add_reasons(rows)
            if self.place.note:
                self.notices.append(self.place.note)
        elif self.area_place is not None:
            page.object_list = rows = list(page.object_list)
            place = self.area_place
            for row in rows:
                _tier, row.why_listed = place_reason(
                    place, list(row.areas.all()), national=row.national, initiative=row
                )
        return page

    def _cursor_page(self, paginator):
        """The page a `cursor` param points to, or None to go by the page number (with a
        notice when the cursor cannot be followed)."""
        raw = self.params.get("cursor", "")
        if self.keyset is None:
            # This order goes by page number (relevance, distance, tiers): a cursor from
            # another order of the same search has no place here.
            self.notices.append(
                "This order of results goes by page number, so here is the page by number."
            )
            return None
        try:
            pk, after, number = read_cursor(raw, self.keyset)
        except BadCursor:
            self.bad_cursor = True
            self.notices.append(
                "The link to that page of results was changed or cut short, so we could "
                "not follow it. Here is the first page; use Next to go on from there."
            )
            return None
        if not paginator.count:
            return None
        page = keyset_page(paginator, self.keyset, pk, after=after, number=number)
        if page is None:
            self.notices.append(
                "The results have changed since that link was made, so here is the first page."
            )
        return page

    def page_links(self, page) -> tuple[str | None, str | None]:
        """The cursors of the pages before and after `page` (None: no such page, or go by
        number). From page 2 the previous page is the first, by its plain address."""
        rows = page.object_list
        if self.keyset is None or not rows:
            return None, None
        previous = next_ = None
        if page.has_previous() and page.number > 2:
            previous = make_cursor(self.keyset, rows[0].pk, after=False, number=page.number - 1)
        if page.has_next():
            next_ = make_cursor(self.keyset, rows[-1].pk, after=True, number=page.number + 1)
        return previous, next_

    def _add_reasons(self, rows: list) -> None:
        """Why each result of a postcode search is there, with its distance."""
        if rows and not hasattr(rows[0], "tier"):
            # The page's rows came without the search's annotations: fetch them by id,
            # from the first tier when they are all there (it reads only that tier).
            def serving(queryset, ids):
                found = queryset.order_by().filter(pk__in=ids).values("pk", *SERVING_FIELDS)
                return {row["pk"]: row for row in found}

            ids = [row.pk for row in rows]
            first = self.facets.first_tier() if self.count > pages.FIRST_PART_OVER else None
            found = serving(first, ids) if first is not None else {}
            if len(found) < len(ids):
                found = serving(self.results(), ids)
            for row in rows:
                for name in SERVING_FIELDS:
                    setattr(row, name, found.get(row.pk, {}).get(name))
        for initiative in rows:
            initiative.why_listed = why_listed(initiative)

    @cached_property
    def correction(self) -> str | None:
        """The search as its misspelt words were corrected ("dementia" for "demntia"), or
        None when the words matched as typed (kept in the figures cache)."""
        if not self.q or self.data.get("as_typed"):
            return None
        return (
            cached(
                "search-correction",
                {"q": self.q},
                lambda: suggest_correction(Initiative.objects.published(), self.q) or "",
            )
            or None
        )

    @cached_property
    def default_sort(self) -> str:
        # Near a place, the located results come by distance within each tier, then by
        # relevance to the words (filters.InitiativeFilter.sort_near).
        return "distance" if self.place else "relevance" if self.q else "name"

    def sort(self) -> str:
        """The order the results are in, with a notice when the one asked for cannot be."""
        sort = self.data.get("sort") or self.default_sort
        if sort == "relevance" and not self.q:
            sort = "name"
        if sort == "distance" and not self.place:
            self.notices.append(
                "Sorting by distance needs a postcode, so the results are sorted by name."
            )
            sort = "name"
        return sort

    def sort_options(self, sort: str) -> list[dict]:
        return [
            {"value": value, "label": label, "selected": value == sort}
            for value, label in SORT_CHOICES
            if (value != "relevance" or self.q) and (value != "distance" or self.place)
        ]


__all__ = ["PER_PAGE", "Listing"]
