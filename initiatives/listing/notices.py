"""What the listing says beside its results: why a param was not used, the chips
of the active filters, the filter to drop when nothing matched, the areas a
search names, what a search in a town understood, and why each result of a postcode
search is there."""

from collections.abc import Callable

from django.http import QueryDict

from places import gazetteer

from ..areas import AreaTree
from ..models import Area
from ..querysets import DEFAULT_DISTANCE_KM
from ..wording import reason_for, short_label, shown
from .links import listing_url, with_param, without
from .params import MULTIPLE_PARAMS, PARAM_NOUNS, split_place

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
    "place": "In",
    "here_only": "Here only",
    "as_typed": "Words as typed",
    "include_ended": "Including",
}
# Areas offered for a place name typed in the search box.
MAX_AREA_MATCHES = 3


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
        if name == "include_ended":
            notices.append(
                f"\u201c{shown(raw[-1] if raw else '')}\u201d is not a choice for ended "
                "initiatives, so they are left out. Use include_ended=1 to include them, or "
                "include_ended=only to list them alone."
            )
            continue
        if name == "place":
            # Several places of that name are offered as choices (place_search).
            if not any(e.code == "ambiguous_place" for e in filterset.form.errors.as_data()[name]):
                errors = " ".join(dict.fromkeys(filterset.form.errors[name]))
                notices.append(f"{errors}. The results are not filtered by place.")
            continue
        if name == "q":
            errors = " ".join(dict.fromkeys(filterset.form.errors[name]))
            notices.append(f"{errors}. The results are not filtered by these words.")
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


def active_chips(active: dict, facets: dict, params: QueryDict) -> list[dict]:
    """One removable chip per active filter value."""
    chips = []
    for name, value in active.items():
        prefix = CHIP_LABELS[name]
        if name == "q":
            chips.append({"label": f"{prefix}: \u201c{value}\u201d", "url": without(params, "q")})
        elif name in ("postcode", "place"):
            # Removing the place removes its distance too.
            copy = params.copy()
            copy.pop("distance_km", None)
            distance = params.get("distance_km") or DEFAULT_DISTANCE_KM
            chips.append(
                {
                    "label": f"{prefix}: {value.asked} (within {distance} km)",
                    "url": without(copy, name),
                }
            )
        elif name in ("here_only", "as_typed"):
            chips.append({"label": CHIP_LABELS[name], "url": without(params, name)})
        elif name == "include_ended":
            label = "Only ended initiatives" if value == "only" else f"{prefix}: ended initiatives"
            chips.append({"label": label, "url": without(params, name)})
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
    count_without: Callable[[str], int | None], active: dict, chips: list[dict], params
) -> dict | None:
    """The active filter whose removal gives the most results (`count_without(name)`:
    ListingFacets.count_without, or the same kept), to suggest on an empty page; None
    when one of those counts is not known yet (None), rather than a filter that may not
    be the one."""
    counts = {name: count_without(name) for name in active}
    if None in counts.values():
        return None
    best = None
    for name, count in counts.items():
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


def why_listed(initiative) -> str:
    """Why a result of a search near a postcode or in a town is there
    (wording.serving_reason)."""
    return reason_for(initiative, near_point=True)


def _districts(places) -> dict[str, Area]:
    """The local authority areas the places lie in, by code (one query)."""
    codes = {place.local_authority_code for place in places}
    return {
        area.code: area
        for area in Area.objects.filter(code__in=codes, kind=Area.Kind.LOCAL_AUTHORITY).only(
            "name", "slug", "code"
        )
    }


def place_search(listing, count: int) -> dict | None:
    """What the page says about a town it searched in, for the template, or None.

    - A town: {"place", "district" (its Area, or None), "words", "words_url"}: the page
      says "Showing initiatives serving Runcorn (Halton)" and links to the words alone
      (for a town alone, the town's name searched as a word).
    - A name several places share, as the place or in the search box ("Newport"):
      {"asked", "choices"}, each choice a link to the search in that place.
    - A search that found nothing and could name a place: {"not_found"}.
    """
    data, effective = listing.data, listing.effective
    place = data.get("place")
    if place is not None and data.get("postcode") is None:
        words = data.get("q") or ""
        copy = effective.copy()
        for name in ("place", "distance_km", "page"):
            copy.pop(name, None)
        if words and data.get("sort") == "distance":
            copy.pop("sort", None)
        if not words:
            copy["q"] = f'"{place.name}"'  # quoted: a word, never a place again
        return {
            "place": place,
            "district": _districts([place]).get(place.local_authority_code),
            "words": words,
            "words_url": listing_url(copy),
            "param": effective.get("place"),
            # Areas of the town's name ("Morecambe": Morecambe Bay), as a search offers.
            "area_matches": [
                {"area": area, "url": with_param(QueryDict(), "area", area.slug)}
                for area in matching_areas(listing.tree, place.name)
            ],
            "attribution": gazetteer.ATTRIBUTION,
        }
    q = data.get("q") or ""
    errors = listing.filterset.form.errors.as_data().get("place", [])
    shared, params = None, effective.copy()
    if any(error.code == "ambiguous_place" for error in errors):
        shared = gazetteer.find(listing.params.get("place", ""))
    elif q and "place" not in listing.params and "postcode" not in listing.params:
        split = split_place(q)
        if split is not None and split[1].ambiguous:
            words, shared = split
            params.pop("q")
            if words:
                params["q"] = words
    if shared is not None:
        districts = _districts(shared.places)
        choices = []
        for option in shared.places:
            district = districts.get(option.local_authority_code)
            where = f"{district.name}, {option.nation}" if district else option.nation
            choices.append(
                {
                    "label": f"{option.name} ({where})",
                    "url": with_param(params, "place", option.key),
                }
            )
        return {"asked": shared.asked, "choices": choices, "attribution": gazetteer.ATTRIBUTION}
    if (
        count == 0
        and q
        and "place" not in listing.params
        and split_place(q) is None
        and not matching_areas(listing.tree, q)
    ):
        words = q.split()
        if len(words) <= 3 and all(w.replace("-", "").replace("'", "").isalpha() for w in words):
            return {"not_found": gazetteer.not_found_message(" ".join(words))}
    return None
