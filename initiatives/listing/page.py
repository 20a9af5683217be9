"""The HTML listing page's context, from a `Listing`."""

from django.conf import settings
from django.http import QueryDict
from django.template.loader import render_to_string

from places.source import ATTRIBUTION

from ..caching import cached, in_background, on_its_way, peek, query_params
from ..querysets import DEFAULT_DISTANCE_KM, TIER_HERE
from ..services.locking import statement_time_limit
from . import Listing
from .filters import MAX_QUERY_LENGTH, includes_ended
from .links import export_path, page_links, with_page, with_param
from .notices import active_chips, matching_areas, narrowest_filter
from .params import COUNTED_PARAMS, FILTERS_PARAMS


def filters_and_html(listing: Listing) -> tuple[dict, str]:
    """The facets and the filters' HTML showing them (kept in the figures cache, per
    register version and params: see initiatives/caching.py). When their counts took
    longer than the listing's budget, the facets come without counts, are not kept,
    and are counted in the background for the next visitor (`count_later`)."""

    def filters():
        facets = listing.facets.all()
        area_children = [
            {
                "label": o.label,
                "count": o.count,
                "url": with_param(listing.effective, "area", o.value),
            }
            for o in listing.facets.area_children()
        ]
        html = render_to_string(
            "initiatives/_filters.html",
            {
                "facets": facets,
                "area_children": area_children,
                "chosen_area": listing.data.get("area"),
                "include_ended": includes_ended(listing.params),
                "include_ended_value": listing.params.get("include_ended", ""),
                "counts_deferred": listing.facets.deferred,
            },
        )
        return facets, html

    key = query_params(listing.params, FILTERS_PARAMS)
    if listing.facets.budget and on_its_way("listing-filters", key):
        listing.facets.spend_budget()  # being counted: no time spent starting again
    found = cached(
        "listing-filters",
        key,
        filters,
        keep=lambda _value: not listing.facets.deferred,
    )
    if listing.facets.deferred:
        count_later(listing.params, key)
    return found


def count_later(params: QueryDict, key: dict) -> None:
    """Count a listing's facets in the background and keep them, with the filters'
    HTML, for the next visitor to the same params (`key`: those that count)."""
    params = params.copy()

    def count() -> None:
        # Under the figures' limit, not a page's: at a million records, under load, the
        # counts a page could not wait for may take longer than a page may.
        with statement_time_limit(settings.DB_FIGURES_STATEMENT_TIMEOUT):
            listing = Listing(params)
            filters_and_html(listing)
            # The figures counted in the same statement: the next visitor counts nothing.
            if listing.count == 0:  # the suggestion's counts, on an empty page
                count_without = counts_without(listing)
                for name in listing.active():
                    count_without(name)
            if listing.tiered:
                listing.tier_counts()

    in_background("listing-filters", key, count)


def counts_without(listing: Listing):
    """name -> how many results there would be without that filter, for the suggestion
    on an empty page, kept in the figures cache (per register version, params and
    filter). With every filter at a million records these are ten statements of
    0.1-0.3 s, one for each active filter, made again for every visitor until kept.
    When the facets' counts went over the budget, only what is kept is read (None
    for the others): they are counted in the background with the facets
    (`count_later`), for the next visitor."""
    key = query_params(listing.params, COUNTED_PARAMS)

    def count(name: str) -> int | None:
        params = {**key, "without": [name]}
        if listing.facets.deferred:
            return peek("listing-count-without", params)
        return cached("listing-count-without", params, lambda: listing.facets.count_without(name))

    return count


def here_only_label(listing: Listing) -> str:
    """The words of the link that narrows a tiered listing to its first tier."""
    if not listing.tiered:
        return ""
    if listing.area_place is not None:
        return f"Show only what is based in or serves {listing.area_place.area.name} itself"
    heading = listing.tier_headings()[TIER_HERE]
    return f"Show only what is here: {heading[0].lower()}{heading[1:]}"


def step_url(effective, cursor: str | None, number: int, exists: bool) -> str | None:
    """The Previous or Next link: by its cursor where the order has one, else by page
    `number`; None when there is no such page."""
    if cursor:
        return with_param(effective, "cursor", cursor)
    return with_page(effective, number) if exists else None


def listing_context(listing: Listing) -> dict:
    """Everything the listing template shows."""
    params, effective, q, place = listing.params, listing.effective, listing.q, listing.place
    facets, filters_html = filters_and_html(listing)
    listing.note_refused(facets)
    page = listing.page()
    previous_cursor, next_cursor = listing.page_links(page)
    active = listing.active()
    chips = active_chips(active, facets, effective)
    suggestion = None
    if listing.count == 0 and active:
        suggestion = narrowest_filter(counts_without(listing), active, chips, effective)
    sort = listing.sort()
    export_query = effective.urlencode()
    errors = listing.filterset.form.errors
    return {
        # Words that could not be searched stay in the box, to be corrected.
        "q": q or params.get("q", "")[:MAX_QUERY_LENGTH],
        "area_matches": [
            {"area": area, "url": with_param(QueryDict(), "area", area.slug)}
            for area in (matching_areas(listing.tree, q) if q else [])
        ],
        "place": place,
        "postcode": params.get("postcode", ""),
        "postcode_errors": errors.get("postcode"),
        "distance_km": params.get("distance_km", "") if place or params.get("postcode") else "",
        "distance_errors": errors.get("distance_km"),
        "default_distance_km": DEFAULT_DISTANCE_KM,
        "postcode_attribution": ATTRIBUTION,
        "facets": facets,
        "filters_html": filters_html,
        "notices": listing.notices,
        "chips": chips,
        "page": page,
        "tier_groups": listing.tier_groups(page),
        "correction": listing.correction,
        "as_typed_url": with_param(effective, "as_typed", "true"),
        "here_only_label": here_only_label(listing),
        "nothing_here": listing.nothing_here() if page.number == 1 else "",
        "here_only_url": with_param(effective, "here_only", "true"),
        "page_links": page_links(page, effective) if page.paginator.num_pages > 1 else [],
        "previous_url": step_url(effective, previous_cursor, page.number - 1, page.has_previous()),
        "next_url": step_url(effective, next_cursor, page.number + 1, page.has_next()),
        "count": listing.count,
        "count_estimated": listing.estimated is not None,
        "sort_options": listing.sort_options(sort),
        "default_sort": listing.default_sort,
        "suggestion": suggestion,
        "export_url": export_path() + (f"?{export_query}" if export_query else ""),
        "xlsx_url": export_path("xlsx") + (f"?{export_query}" if export_query else ""),
        "filtered": bool(active),
        "counts_deferred": listing.facets.deferred,
    }
