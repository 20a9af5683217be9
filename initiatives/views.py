"""Public pages of the register: the listing, one initiative, the areas."""

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Sum, Value
from django.db.models.functions import Concat
from django.http import HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.functional import cached_property

from places.lookup import find_place
from places.source import ATTRIBUTION

from .areas import AreaTree
from .caching import cached, query_params
from .facets import FILTER_PARAMS, MULTIPLE_PARAMS, ListingFacets
from .filters import (
    DEFAULT_DISTANCE_KM,
    MAX_QUERY_LENGTH,
    SORT_CHOICES,
    InitiativeFilter,
    clean_query_dict,
)
from .models import Area, FundingDependency, FundingLine, Initiative, VanguardSite

PER_PAGE = 20
# Up to this many results, a name-ordered list is sorted after it is found (see
# IdsFirstPaginator._ordered).
SHORT_LIST = 5000
AREA_SECTION_SIZE = 20
AREA_SECTIONS = ("here", "wider", "national")
KIND_ORDER = {
    Area.Kind.NATION: 0,
    Area.Kind.NHS_REGION: 1,
    Area.Kind.ICB: 2,
    Area.Kind.LOCAL_AUTHORITY: 3,
}
# More values than this for one param is not a person choosing filters.
MAX_VALUES_PER_PARAM = 50
SINGLE_PARAMS = tuple(p for p in FILTER_PARAMS if p not in MULTIPLE_PARAMS) + (
    "distance_km",
    "sort",
    "page",
)
KNOWN_PARAMS = FILTER_PARAMS + ("distance_km", "sort", "page")
# Params the listing's counts depend on (sort and page only arrange the results).
COUNTED_PARAMS = FILTER_PARAMS + ("distance_km",)
# Areas offered for a place name typed in the search box.
MAX_AREA_MATCHES = 3

# What each param is called in messages and chips.
PARAM_NOUNS = {
    "q": "search",
    "role": "role",
    "area": "area",
    "vanguard": "vanguard site",
    "funding_dependency": "funding dependency",
    "condition": "condition",
    "topic": "topic",
    "population": "population group",
    "legal_form": "legal form",
    "postcode": "postcode",
    "distance_km": "distance",
    "sort": "sort order",
    "page": "page",
}
CHIP_LABELS = {
    "q": "Search",
    "role": "Role",
    "area": "Area",
    "vanguard": "Vanguard",
    "funding_dependency": "Funding",
    "condition": "Condition",
    "topic": "What it does",
    "population": "Who it is for",
    "legal_form": "Legal form",
    "postcode": "Near",
}

DEPENDENCY_IN_WORDS = {
    FundingDependency.DIVERSE: "Diverse: no single funder gives a quarter or more of its income.",
    FundingDependency.MODERATE: (
        "Moderately dependent: its largest funder gives between a quarter and half of its income."
    ),
    FundingDependency.DEPENDENT: (
        "Dependent: its largest funder gives between half and three quarters of its income."
    ),
    FundingDependency.HIGHLY_DEPENDENT: (
        "Highly dependent: its largest funder gives three quarters or more of its income."
    ),
    FundingDependency.UNKNOWN: "Unknown: we have no funding figures for this organisation yet.",
}

ROLE_IN_WORDS = {
    Initiative.Role.SERVICE_PROVIDER: "Service provider: delivers services directly.",
    Initiative.Role.CAMPAIGNING: "Campaigning group: informs, advocates and campaigns.",
    Initiative.Role.BOTH: "Both: delivers services and campaigns.",
}

ROLE_OTHERS = {
    Initiative.Role.SERVICE_PROVIDER: "Other service providers",
    Initiative.Role.CAMPAIGNING: "Other campaigning groups",
    Initiative.Role.BOTH: "Others that both provide services and campaign",
}


def ages_in_words(min_age: int | None, max_age: int | None) -> str:
    """ "18 and over", "Up to 25", "16 to 25" or "All ages"."""
    from_birth = min_age is None or min_age == 0
    if from_birth and max_age is None:
        return "All ages"
    if max_age is None:
        return f"{min_age} and over"
    if from_birth:
        return f"Up to {max_age}"
    return f"{min_age} to {max_age}"


def shown(value: str, limit: int = 60) -> str:
    """A user's value, shortened for a message (templates escape it)."""
    value = " ".join(value.split())
    return value if len(value) <= limit else value[: limit - 1] + "\u2026"


class IdsFirstPaginator(Paginator):
    """Pages that fetch the page's ids first, then only those rows with their relations.

    A deep page's OFFSET then skips ids rather than whole joined rows. With
    `cache_as` (params naming the list), the count and each page's ids are kept in the
    figures cache (initiatives/caching.py); the rows themselves are always read afresh.
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
    """Replace each page's ids with its rows and their relations, in one set of queries."""
    ids = [pk for page in pages for pk in page.object_list]
    rows = Initiative.objects.for_listing().in_bulk(ids) if ids else {}
    for page in pages:
        page.object_list = [rows[pk] for pk in page.object_list if pk in rows]


def not_found(request, message: str):
    return render(request, "404.html", {"message": message}, status=404)


def export_path() -> str:
    try:
        return reverse("initiatives:export_csv")
    except NoReverseMatch:
        return "/initiatives/export.csv"


# Params ----------------------------------------------------------------------


def normalise_params(querydict: QueryDict) -> tuple[QueryDict, list[str], bool]:
    """Tidy the listing's params: the cleaned params, notices for the page, and whether
    the address had empty params worth redirecting away from (a submitted form leaves them)."""
    params = clean_query_dict(querydict)
    notices: list[str] = []
    had_empty = False
    for key in list(params.keys()):
        if key not in KNOWN_PARAMS:
            continue
        values = params.getlist(key)
        kept = [value for value in values if value.strip()]
        had_empty = had_empty or len(kept) != len(values)
        if key in SINGLE_PARAMS and len(set(kept)) > 1:
            notices.append(
                f"The address gives more than one {PARAM_NOUNS[key]}; we used the last one, "
                f"\u201c{shown(kept[-1])}\u201d."
            )
            kept = kept[-1:]
        elif key in SINGLE_PARAMS:
            kept = kept[-1:]
        else:
            kept = list(dict.fromkeys(kept))
            if len(kept) > MAX_VALUES_PER_PARAM:
                notices.append(
                    f"We used the first {MAX_VALUES_PER_PARAM} {PARAM_NOUNS[key]} choices "
                    f"of the {len(kept)} given."
                )
                kept = kept[:MAX_VALUES_PER_PARAM]
        if kept:
            params.setlist(key, kept)
        else:
            del params[key]
    q = params.get("q", "")
    if len(q) > MAX_QUERY_LENGTH:
        notices.append(
            f"Your search was too long, so we used its first {MAX_QUERY_LENGTH} characters."
        )
        params["q"] = q[:MAX_QUERY_LENGTH]
    return params, notices, had_empty


def error_notices(filterset, params: QueryDict, facets: dict, tree: AreaTree) -> list[str]:
    """Plain-words messages for the params the FilterSet refused, saying what we did instead."""
    notices = []
    known = {name: {o.value for o in facet.options} for name, facet in facets.items()}
    for name in filterset.form.errors:
        noun = PARAM_NOUNS.get(name, name)
        raw = params.getlist(name)
        if name == "sort":
            fallback = "relevance" if params.get("q") else "name"
            notices.append(
                f"We can\u2019t sort by \u201c{shown(raw[-1] if raw else '')}\u201d, "
                f"so the results are sorted by {fallback}."
            )
            continue
        if name in ("postcode", "distance_km"):
            errors = " ".join(dict.fromkeys(filterset.form.errors[name]))
            if name == "postcode":
                outcome = "so the results are not filtered by postcode"
            else:
                outcome = f"so we searched within {DEFAULT_DISTANCE_KM} km"
            notices.append(f"\u201c{shown(raw[-1] if raw else '')}\u201d: {errors}, {outcome}.")
            continue
        if name == "area":
            unknown = [value for value in raw if tree.by_slug(value) is None]
        else:
            unknown = [value for value in raw if value not in known.get(name, ())]
        if unknown:
            listed = ", ".join(f"\u2018{shown(value)}\u2019" for value in unknown[:5])
            notices.append(
                f"We don\u2019t know the {noun} {listed}, so the results are not "
                f"filtered by {noun}."
            )
        else:
            errors = " ".join(filterset.form.errors[name])
            notices.append(f"The {noun} could not be used: {errors}")
    return notices


def parse_page(raw: str | None, num_pages: int) -> tuple[int, str | None]:
    """A page number within range, and a notice when the one asked for was not."""
    if raw is None:
        return 1, None
    if not raw.isdecimal() or int(raw) < 1:
        return 1, f"\u201c{shown(raw)}\u201d is not a page number, so here is the first page."
    number = int(raw)
    if number > num_pages:
        if num_pages <= 1:
            return 1, f"There is no page {number}, so here is the first page."
        return num_pages, (f"There are only {num_pages} pages of results, so here is the last one.")
    return number, None


def listing_url(params: QueryDict) -> str:
    encoded = params.urlencode()
    return reverse("initiatives:list") + (f"?{encoded}" if encoded else "")


def without(params: QueryDict, key: str, value: str | None = None) -> str:
    """The listing's address with one param (or one of its values) and the page dropped."""
    copy = params.copy()
    copy.pop("page", None)
    if value is None:
        copy.pop(key, None)
    else:
        copy.setlist(key, [v for v in copy.getlist(key) if v != value])
    return listing_url(copy)


def with_param(params: QueryDict, key: str, value: str) -> str:
    """The listing's address with one param set (replacing its values) and the page dropped."""
    copy = params.copy()
    copy.pop("page", None)
    copy[key] = value
    return listing_url(copy)


def with_page(params: QueryDict, number: int) -> str:
    copy = params.copy()
    if number > 1:
        copy["page"] = str(number)
    else:
        copy.pop("page", None)
    return listing_url(copy)


def page_links(page, params: QueryDict) -> list[dict]:
    """Numbered links: the first, the last, and two either side of the current page."""
    last = page.paginator.num_pages
    wanted = {1, last} | set(range(page.number - 2, page.number + 3))
    links, previous = [], 0
    for number in sorted(n for n in wanted if 1 <= n <= last):
        if number - previous > 1:
            links.append({"gap": True})
        links.append(
            {"number": number, "url": with_page(params, number), "current": number == page.number}
        )
        previous = number
    return links


def short_label(label: str) -> str:
    """ "Diverse (no funder gives 25% or more)" -> "Diverse"."""
    return label.split(" (")[0]


def active_chips(active: dict, facets: dict, params: QueryDict) -> list[dict]:
    """One removable chip per active filter value."""
    chips = []
    for name, value in active.items():
        prefix = CHIP_LABELS[name]
        if name == "q":
            chips.append({"label": f"{prefix}: \u201c{value}\u201d", "url": without(params, "q")})
        elif name == "postcode":
            copy = params.copy()
            copy.pop("distance_km", None)
            distance = params.get("distance_km") or DEFAULT_DISTANCE_KM
            chips.append(
                {
                    "label": f"{prefix}: {value.asked} (within {distance} km)",
                    "url": without(copy, "postcode"),
                }
            )
        elif name in MULTIPLE_PARAMS:
            for option in facets[name].selected:
                chips.append(
                    {
                        "label": f"{prefix}: {option.label}",
                        "url": without(params, name, option.value),
                    }
                )
        else:
            labels = [short_label(option.label) for option in facets[name].selected]
            if labels:
                chips.append({"label": f"{prefix}: {labels[0]}", "url": without(params, name)})
    return chips


def narrowest_filter(
    listing: ListingFacets, active: dict, chips: list[dict], params
) -> dict | None:
    """The active filter whose removal gives the most results, to suggest on an empty page."""
    best = None
    for name in active:
        count = listing.count_without(name)
        if count and (best is None or count > best["count"]):
            labels = [chip["label"] for chip in chips if chip["url"] == without(params, name)]
            if not labels:
                labels = [
                    chip["label"]
                    for chip in chips
                    if chip["label"].startswith(CHIP_LABELS[name] + ":")
                ]
            best = {
                "count": count,
                "label": "; ".join(labels) or CHIP_LABELS[name],
                "url": without(params, name),
            }
    return best


def postcode_in_search(params: QueryDict) -> QueryDict | None:
    """The params with a search box that holds a known postcode, sector or district moved to
    `postcode` (the home page has one box for words, places and postcodes); else None."""
    q = params.get("q", "")
    if "postcode" in params or not q.strip():
        return None
    try:
        find_place(q)  # words that cannot be a postcode are refused before any query
    except ValidationError:
        return None
    moved = params.copy()
    del moved["q"]
    moved["postcode"] = " ".join(q.split()).upper()
    moved.pop("page", None)
    if moved.get("sort") == "relevance":
        del moved["sort"]
    return moved


def matching_areas(tree: AreaTree, q: str) -> list[Area]:
    """Areas whose name is, or starts with, what was searched ("Wrexham", "Morecambe Bay"),
    exact matches first; from the area tree the listing has already loaded."""
    wanted = " ".join(q.split()).casefold()
    if len(wanted) < 3:
        return []
    exact, starts = [], []
    for area in tree.areas.values():
        name = area.name.casefold()
        if name == wanted:
            exact.append(area)
        elif name.startswith(wanted):
            starts.append(area)
    return (exact + starts)[:MAX_AREA_MATCHES]


def distance_in_words(distance_m: float) -> str:
    if distance_m < 100:
        return "under 0.1 km away"
    return f"{distance_m / 1000:.1f} km away"


def why_listed(initiative) -> str:
    """Why a result of a postcode search is there, with its distance where it has one:
    "serves Halton, 2.3 km away", "national", "0.4 km away"."""
    reason = getattr(initiative, "serving_reason", None) or ""
    distance = getattr(initiative, "distance_m", None)
    if distance is None or reason.endswith("km away"):
        return reason
    return f"{reason}, {distance_in_words(distance)}"


# Pages -------------------------------------------------------------------------


def initiative_list(request):
    """The listing: search, facet filters with counts, sorting and pages; the URL is the state."""
    params, notices, had_empty = normalise_params(request.GET)
    if had_empty:
        return HttpResponseRedirect(listing_url(params))
    moved = postcode_in_search(params)
    if moved is not None:
        return HttpResponseRedirect(listing_url(moved))

    filterset = InitiativeFilter(params, queryset=Initiative.objects.published())
    listing = ListingFacets(filterset)
    # Links keep only what was understood.
    effective = params.copy()
    for name in filterset.form.errors:
        effective.pop(name, None)
    effective.pop("page", None)

    # The counts and the filters showing them (not the results) come from the figures
    # cache, per register version and params: see initiatives/caching.py.
    counted = query_params(params, COUNTED_PARAMS)

    def filters():
        facets = listing.all()
        area_children = [
            {"label": o.label, "count": o.count, "url": with_param(effective, "area", o.value)}
            for o in listing.area_children()
        ]
        html = render_to_string(
            "initiatives/_filters.html",
            {
                "facets": facets,
                "area_children": area_children,
                "chosen_area": listing.data.get("area"),
            },
        )
        return facets, html

    facets, filters_html = cached(
        "listing-filters", query_params(params, COUNTED_PARAMS + ("sort",)), filters
    )
    notices += error_notices(filterset, params, facets, listing.tree)

    paginator = IdsFirstPaginator(listing.results(), PER_PAGE)
    paginator.count = cached("listing-count", counted, listing.total)
    number, page_notice = parse_page(params.get("page"), paginator.num_pages)
    if page_notice:
        notices.append(page_notice)
    page = paginator.page(number)
    place = listing.data.get("postcode")
    if place is not None:
        page.object_list = rows = list(page.object_list)
        if rows and not hasattr(rows[0], "serving_reason"):
            # The page's rows came without the search's annotations: fetch them by id.
            found = {
                row["pk"]: row
                for row in listing.results()
                .order_by()
                .filter(pk__in=[row.pk for row in rows])
                .values("pk", "serving_reason", "distance_m")
            }
            for row in rows:
                row.serving_reason = found.get(row.pk, {}).get("serving_reason")
                row.distance_m = found.get(row.pk, {}).get("distance_m")
        for initiative in rows:
            initiative.why_listed = why_listed(initiative)
        if place.note:
            notices.append(place.note)

    active = listing.active()
    chips = active_chips(active, facets, effective)
    suggestion = None
    if paginator.count == 0 and active:
        suggestion = narrowest_filter(listing, active, chips, effective)

    q = listing.data.get("q") or ""
    default_sort = "relevance" if q else "distance" if place else "name"
    sort = listing.data.get("sort") or default_sort
    if sort == "relevance" and not q:
        sort = "name"
    if sort == "distance" and not place:
        notices.append("Sorting by distance needs a postcode, so the results are sorted by name.")
        sort = "name"
    sort_options = [
        {"value": value, "label": label, "selected": value == sort}
        for value, label in SORT_CHOICES
        if (value != "relevance" or q) and (value != "distance" or place)
    ]
    export_query = effective.urlencode()
    context = {
        "q": q,
        "area_matches": [
            {"area": area, "url": with_param(QueryDict(), "area", area.slug)}
            for area in (matching_areas(listing.tree, q) if q else [])
        ],
        "place": place,
        "postcode": params.get("postcode", ""),
        "postcode_errors": filterset.form.errors.get("postcode"),
        "distance_km": params.get("distance_km", "") if place or params.get("postcode") else "",
        "distance_errors": filterset.form.errors.get("distance_km"),
        "default_distance_km": DEFAULT_DISTANCE_KM,
        "postcode_attribution": ATTRIBUTION,
        "facets": facets,
        "filters_html": filters_html,
        "notices": notices,
        "chips": chips,
        "page": page,
        "page_links": page_links(page, effective) if paginator.num_pages > 1 else [],
        "previous_url": with_page(effective, page.number - 1) if page.has_previous() else None,
        "next_url": with_page(effective, page.number + 1) if page.has_next() else None,
        "count": paginator.count,
        "sort_options": sort_options,
        "default_sort": default_sort,
        "suggestion": suggestion,
        "export_url": export_path() + (f"?{export_query}" if export_query else ""),
        "filtered": bool(active),
    }
    return render(request, "initiatives/list.html", context)


def initiative_detail(request, slug):
    """Everything public about one published initiative."""
    initiative = (
        Initiative.objects.published()
        .for_listing()
        .prefetch_related("population_groups")
        .filter(slug=slug)
        .first()
    )
    if initiative is None:
        return not_found(request, f"We don\u2019t know an initiative at \u201c{shown(slug)}\u201d.")
    organisation = initiative.organisation
    funding = []
    if organisation is not None and organisation.funding_year is not None:
        funding = [
            {
                "label": FundingLine.FunderType(row["funder_type"]).label
                if row["funder_type"] in FundingLine.FunderType.values
                else row["funder_type"],
                "share": row["share"],
            }
            for row in FundingLine.objects.filter(
                organisation=organisation, year=organisation.funding_year
            )
            .values("funder_type")
            .annotate(share=Sum("share"))
            .order_by("-share", "funder_type")
        ]
    website = initiative.website
    context = {
        "initiative": initiative,
        "organisation": organisation,
        "role_in_words": ROLE_IN_WORDS.get(initiative.role, initiative.get_role_display()),
        "role_others": ROLE_OTHERS.get(initiative.role, "Others with the same role"),
        "ages_in_words": ages_in_words(initiative.min_age, initiative.max_age),
        "website_is_link": website.lower().startswith(("http://", "https://")),
        "phone_href": "".join(ch for ch in initiative.phone if ch.isdigit() or ch == "+"),
        "organisation_website_is_link": bool(organisation)
        and organisation.website.lower().startswith(("http://", "https://")),
        "funding": funding,
        "dependency_in_words": DEPENDENCY_IN_WORDS.get(
            initiative.funding_dependency, DEPENDENCY_IN_WORDS[FundingDependency.UNKNOWN]
        ),
        "areas": list(initiative.areas.all()),
        "conditions": list(initiative.conditions.all()),
        "topics": list(initiative.topics.all()),
        "population_groups": list(initiative.population_groups.all()),
    }
    return render(request, "initiatives/detail.html", context)


def area_list(request):
    """Every area, as the hierarchy: nations, NHS regions, ICBs, districts."""
    return render(request, "initiatives/area_list.html", {"tree": Area.objects.tree().nested()})


def section_page(request, key: str, queryset, notices: list[str], *, area: Area):
    """One page of a section of an area page; each section has its own page param.

    Which initiatives a section lists, and how many, come from the figures cache."""
    params = clean_query_dict(request.GET)
    for name in list(params.keys()):
        if name not in AREA_SECTIONS:
            del params[name]
        else:
            params.setlist(name, params.getlist(name)[-1:])
    paginator = IdsFirstPaginator(
        queryset, AREA_SECTION_SIZE, cache_as={"area": area.pk, "section": key}
    )
    number, notice = parse_page(params.get(key), paginator.num_pages)
    if notice:
        notices.append(notice)
    page = paginator.page(number, rows=False)
    page.previous_url = section_url(params, key, number - 1) if page.has_previous() else None
    page.next_url = section_url(params, key, number + 1) if page.has_next() else None
    return page


def section_url(params: QueryDict, key: str, number: int) -> str:
    copy = params.copy()
    if number > 1:
        copy[key] = str(number)
    else:
        copy.pop(key, None)
    return f"?{copy.urlencode()}#{key}"


def area_detail(request, slug):
    """What serves one area: here and below, a wider area around it, and the whole UK."""
    tree = Area.objects.tree()
    area = tree.by_slug(slug)
    if area is None:
        return not_found(request, f"We don\u2019t know the area \u201c{shown(slug)}\u201d.")
    below = tree.descendant_ids(area.pk)
    # The same as Area.objects.ancestor_ids(area), from the tree already loaded.
    above = tree.ancestor_ids(area.pk)
    published = Initiative.objects.published()
    through = Initiative.areas.through

    here = published.in_area(area, below=below)
    # Not already listed under "here": no link to the area or below (a per-row check on
    # the link table, rather than the whole of "here" computed first).
    wider = published.filter(
        Exists(through.objects.filter(initiative_id=OuterRef("pk"), area_id__in=above))
    ).exclude(Exists(through.objects.filter(initiative_id=OuterRef("pk"), area_id__in=below)))
    # UK-wide: national and tied to no area (one tied to a nation is listed under that nation).
    national = published.filter(national=True).exclude(
        Exists(through.objects.filter(initiative_id=OuterRef("pk")))
    )

    notices: list[str] = []
    sections = [
        {
            "key": "here",
            "heading": f"Serving {area.name}",
            "page": section_page(request, "here", here.order_by("name", "pk"), notices, area=area),
            "empty": f"No published initiative serves {area.name} or a place within it yet.",
            "listing_url": reverse("initiatives:list") + f"?area={area.slug}",
        },
        {
            "key": "wider",
            "heading": f"Serving a wider area that includes {area.name}",
            "page": section_page(
                request, "wider", wider.order_by("name", "pk"), notices, area=area
            ),
            "empty": "None recorded.",
        },
        {
            "key": "national",
            "heading": "Serving the whole UK",
            "page": section_page(
                request, "national", national.order_by("name", "pk"), notices, area=area
            ),
            "empty": "None recorded.",
        },
    ]
    ancestors = sorted(
        (tree.areas[pk] for pk in above if pk in tree.areas),
        key=lambda a: (KIND_ORDER.get(a.kind, 9), a.name),
    )
    fill_pages([section["page"] for section in sections])
    vanguards = VanguardSite.objects.filter(areas__in=below | above).distinct().order_by("name")
    context = {
        "area": area,
        "ancestors": ancestors,
        "sub_areas": tree.child_areas(area.pk),
        "sections": sections,
        "vanguards": vanguards,
        "notices": notices,
    }
    return render(request, "initiatives/area_detail.html", context)
