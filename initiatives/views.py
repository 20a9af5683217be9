"""Public pages of the register: the listing, one initiative, the areas.

Each view turns its request into a call on the domain (`listing.Listing`,
`listing.areas.AreaSections`, the querysets) and renders what comes back.
"""

from django.conf import settings
from django.http import HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from .areas import TIER_COVERING, TIER_HERE, TIER_NATION
from .caching import incomplete, page_now, revalidated
from .http import not_found
from .listing import Listing
from .listing.areas import AREA_SECTIONS, AreaSections, find_areas, index_entries, served_counts
from .listing.filters import clean_query_dict
from .listing.links import listing_url
from .listing.notices import place_search
from .listing.page import listing_context
from .listing.pages import IdsFirstPaginator, fill_pages
from .listing.params import normalise_params, parse_page, place_in_search, postcode_in_search
from .maps import map_context
from .models import (
    Area,
    FundingDependency,
    FundingLine,
    Initiative,
    OpeningTime,
    VanguardSite,
)
from .opening import exceptions, opening_status, weekly_rows
from .wording import (
    DEPENDENCY_IN_WORDS,
    ROLE_IN_WORDS,
    ROLE_OTHERS,
    ages_in_words,
    based_in_words,
    funder_in_words,
    lifecycle_in_words,
    percent_text,
    phone_href,
    pounds,
    shown,
    what_someone_needs,
)

AREA_SECTION_SIZE = 20
# What each section of an area page shows before "Show all": a few screens on a phone.
AREA_SECTION_PREVIEW = 3


def with_what_someone_needs(rows) -> None:
    """Give each result what someone about to go needs (`initiative.needs`), printed
    under it: read from what `for_listing()` prefetched, so no query of its own."""
    now = timezone.now()
    for initiative in rows:
        initiative.needs = what_someone_needs(initiative, now)


@revalidated
def initiative_list(request):
    """The listing: search, facet filters with counts, sorting and pages; the URL is the state."""
    params, notices, had_empty = normalise_params(request.GET)
    if had_empty:
        return HttpResponseRedirect(listing_url(params))
    moved = postcode_in_search(params) or place_in_search(params)
    if moved is not None:
        return HttpResponseRedirect(listing_url(moved))
    listing = Listing(params, notices=notices, budget=settings.DB_COUNT_BUDGET)
    context = listing_context(listing)
    context["place_search"] = found = place_search(listing, context["count"])
    if found and not context["area_matches"]:
        context["area_matches"] = found.get("area_matches", [])
    # The map and the printed details use the page's own rows: no query of their own.
    with_what_someone_needs(context["page"].object_list)
    context.update(map_context(context["page"].object_list))
    # A page link this site did not make (edited or cut short) is the asker's error.
    status = 400 if listing.bad_cursor else 200
    response = render(request, "initiatives/list.html", context, status=status)
    if listing.facets.deferred:
        incomplete(response)  # counted for the next visitor: this one is kept only briefly
    return response


def funding_lines(organisation) -> list[dict]:
    """The organisation's recorded lines of income, the latest first, each with its
    year, funder, amount, share (only where its source gives the total) and source."""
    if organisation is None:
        return []
    return [
        {
            "period": line.period,
            "funder": funder_in_words(line),
            "amount": pounds(line.amount_gbp),
            "share": percent_text(line.share),
            "total": pounds(line.total_income_gbp),
            "sources": [part.strip() for part in line.source.split(" | ") if part.strip()],
        }
        for line in FundingLine.objects.filter(organisation=organisation)
    ]


# What opening_status() reads of each opening time.
OPENING_SLOT_FIELDS = ("day", "opens_at", "closes_at", "valid_from", "valid_to", "closed")


def opening_now(request, slug, *, now) -> str:
    """What the initiative page says of its opening at `now` ("Open now until 16:00",
    "Closed now · Opens tomorrow 10:00"; "" without weekly times): the only words on it
    that change with the time of day, so the page is kept while they stay the same,
    where it used to be made again every minute. One small query."""
    slots = OpeningTime.objects.filter(initiative__slug=slug).only(*OPENING_SLOT_FIELDS)
    status = opening_status(slots, now=now)
    return "" if status is None else status.text


@revalidated(clock=opening_now)
def initiative_detail(request, slug):
    """Everything public about one published initiative."""
    initiative = Initiative.objects.published().for_listing().filter(slug=slug).first()
    if initiative is None:
        return not_found(request, f"We don\u2019t know an initiative at \u201c{shown(slug)}\u201d.")
    organisation = initiative.organisation
    website = initiative.website
    slots = list(initiative.opening_times.all())
    contacts = [
        {"contact": contact, "phone_href": phone_href(contact.phone)}
        for contact in initiative.contacts.all()
    ]
    context = {
        "initiative": initiative,
        "organisation": organisation,
        "role_in_words": ROLE_IN_WORDS.get(initiative.role, initiative.get_role_display()),
        "role_others": ROLE_OTHERS.get(initiative.role, "Others with the same role"),
        "ages_in_words": ages_in_words(initiative.min_age, initiative.max_age),
        "lifecycle_in_words": lifecycle_in_words(initiative),
        "based_in": based_in_words(initiative),
        "website_is_link": website.lower().startswith(("http://", "https://")),
        "phone_href": phone_href(initiative.phone),
        "opening_status": opening_status(slots, now=page_now(request)),
        "opening_rows": weekly_rows(slots),
        "opening_exceptions": exceptions(slots),
        "contacts": contacts,
        "has_contact_details": bool(
            website
            or initiative.email
            or initiative.phone
            or initiative.address
            or initiative.postcode
            or contacts
        ),
        "organisation_website_is_link": bool(organisation)
        and organisation.website.lower().startswith(("http://", "https://")),
        "funding": funding_lines(organisation),
        "dependency_in_words": DEPENDENCY_IN_WORDS.get(
            initiative.funding_dependency, DEPENDENCY_IN_WORDS[FundingDependency.UNKNOWN]
        ),
        "areas": list(initiative.areas.all()),
        "conditions": list(initiative.conditions.all()),
        "topics": list(initiative.topics.all()),
        "population_groups": list(initiative.population_groups.all()),
        **map_context([initiative]),
    }
    return render(request, "initiatives/detail.html", context)


@revalidated
def area_list(request):
    """The nations with their regions, health boards and trusts, each with how many
    initiatives serve it; `find` lists the areas whose names hold its words."""
    tree = Area.objects.tree()
    entries = index_entries(tree)
    counts = served_counts(tree, [a.pk for e in entries for a in (e["area"], *e["children"])])
    for entry in entries:
        entry["count"] = counts[entry["area"].pk]
        entry["children"] = [{"area": a, "count": counts[a.pk]} for a in entry["children"]]
    context = {"tree": entries, "find": None}
    if "find" in request.GET:
        context["find"] = find_areas(tree, request.GET.get("find", ""))
    return render(request, "initiatives/area_list.html", context)


def section_page(
    request,
    key: str,
    queryset,
    notices: list[str],
    *,
    area: Area,
    count_parts=None,
    ordered_parts=None,
    known_count=None,
):
    """One section of an area page. At first each section shows its first few results
    (AREA_SECTION_PREVIEW), so that the page stays a few screens long on a phone, with a
    link to show them all; its own page param (`here=1`, `wider=2`) shows it all, a
    page of AREA_SECTION_SIZE at a time.

    Which initiatives a section lists, and how many, come from the figures cache."""
    params = clean_query_dict(request.GET)
    for name in list(params.keys()):
        if name not in AREA_SECTIONS:
            del params[name]
        else:
            params.setlist(name, params.getlist(name)[-1:])
    full = key in params
    size = AREA_SECTION_SIZE if full else AREA_SECTION_PREVIEW
    paginator = IdsFirstPaginator(
        queryset,
        size,
        cache_as={"area": area.pk, "section": key, "size": size},
        sort_found=key != "here",
        of_place=True,
        count_parts=count_parts,
        ordered_parts=ordered_parts,
        known_count=known_count,
    )
    number = 1
    if full:
        number, notice = parse_page(params.get(key), paginator.num_pages)
        if notice:
            notices.append(notice)
    page = paginator.page(number, rows=False)
    page.full = full
    page.show_all_url = None
    page.previous_url = page.next_url = page.overview_url = None
    path = request.path
    if not full and paginator.count > size:
        page.show_all_url = section_url(path, params, key, 1)
    if full:
        if page.has_previous():
            page.previous_url = section_url(path, params, key, number - 1)
        if page.has_next():
            page.next_url = section_url(path, params, key, number + 1)
        page.overview_url = section_url(path, params, key, None)
    return page


def section_url(path: str, params: QueryDict, key: str, number: int | None) -> str:
    """The area page with the section `key` at page `number` (None: its first few only)."""
    copy = params.copy()
    if number is None:
        copy.pop(key, None)
    else:
        copy[key] = str(number)
    query = copy.urlencode()
    return f"{path}?{query}#{key}" if query else f"{path}#{key}"


@revalidated
def area_detail(request, slug):
    """What serves one area: here and below, a wider area around it, and the whole UK."""
    tree = Area.objects.tree()
    area = tree.by_slug(slug)
    if area is None:
        return not_found(request, f"We don\u2019t know the area \u201c{shown(slug)}\u201d.")
    served = AreaSections(area, tree)
    headings = served.place.tier_headings()  # the same words as the listing's tier groups
    notices: list[str] = []

    def page(key, queryset):
        return section_page(
            request,
            key,
            queryset.order_by("name", "pk"),
            notices,
            area=area,
            count_parts=served.parts(key),
            ordered_parts=served.national_in_order() if key == "national" else None,
            known_count=served.here_count if key == "here" else None,
        )

    sections = [
        {
            "key": "here",
            "heading": headings[TIER_HERE],
            "page": page("here", served.here()),
            "empty": f"No published initiative serves {area.name} or a place within it yet.",
            "listing_url": reverse("initiatives:list") + f"?area={area.slug}",
        },
        {
            "key": "wider",
            "heading": headings[TIER_COVERING],
            "page": page("wider", served.wider()),
            "empty": "None recorded.",
        },
        {
            "key": "national",
            "heading": headings[TIER_NATION],
            "page": page("national", served.national()),
            "empty": "None recorded.",
        },
    ]
    fill_pages([section["page"] for section in sections])
    with_what_someone_needs(row for section in sections for row in section["page"].object_list)
    vanguards = (
        VanguardSite.objects.filter(areas__in=served.below | served.above)
        .distinct()
        .order_by("name")
    )
    context = {
        "area": area,
        "ancestors": served.ancestors(),
        "sub_areas": tree.child_areas(area.pk),
        "sections": sections,
        "vanguards": vanguards,
        "notices": notices,
        "preview_size": AREA_SECTION_PREVIEW,
        **map_context(row for section in sections for row in section["page"].object_list),
    }
    return render(request, "initiatives/area_detail.html", context)
