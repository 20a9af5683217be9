"""The listing's GET params: which there are, and tidying them before the FilterSet
judges them. The CSV export and the listing share this, so a file always holds
what the page showed."""

from django.core.exceptions import ValidationError
from django.http import QueryDict

from places.lookup import find_place

from ..wording import shown
from .filters import MAX_QUERY_LENGTH, clean_query_dict

# Listing params that narrow the results (sort and page only arrange them).
FILTER_PARAMS = (
    "q",
    "role",
    "area",
    "vanguard",
    "funding_dependency",
    "condition",
    "topic",
    "population",
    "legal_form",
    "postcode",
    "here_only",
    "as_typed",
    "include_ended",
)
MULTIPLE_PARAMS = ("condition", "topic", "population")

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
    "here_only": "here only",
    "as_typed": "search as typed",
    "include_ended": "choice about ended initiatives",
    "distance_km": "distance",
    "sort": "sort order",
    "page": "page",
}


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
