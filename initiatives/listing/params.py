"""The listing's GET params: which there are, and tidying them before the FilterSet
judges them. The CSV export and the listing share this, so a file always holds
what the page showed."""

from django.core.exceptions import ValidationError
from django.http import QueryDict

from places import gazetteer
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
    "place",
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
    "cursor",
)
KNOWN_PARAMS = FILTER_PARAMS + ("distance_km", "sort", "page", "cursor")
# Params the listing's counts depend on (sort, page and cursor only arrange the results).
COUNTED_PARAMS = FILTER_PARAMS + ("distance_km",)
# Params that choose the results and their order: the filters panel and the pages'
# ids are kept under them.
FILTERS_PARAMS = COUNTED_PARAMS + ("sort",)
# Params that point into the results (a page number, a cursor): dropped from any link
# to other results, where they would point nowhere.
PAGING_PARAMS = ("page", "cursor")
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
    "place": "place",
    "here_only": "here only",
    "as_typed": "search as typed",
    "include_ended": "choice about ended initiatives",
    "distance_km": "distance",
    "sort": "sort order",
    "page": "page",
    "cursor": "page link",
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
    drop_paging(moved)
    if moved.get("sort") == "relevance":
        del moved["sort"]
    return moved


# Words that say the rest is a place: "in Widnes", "dementia near Runcorn".
PLACE_PREPOSITIONS = ("in", "near", "around", "at")
# The longest place name looked for among a search's words ("Newcastle upon Tyne").
MAX_PLACE_WORDS = 4


def _place_value(found: gazetteer.Found) -> str:
    """The place param for what was found: its name, or its key when the name alone
    would mean another place."""
    chosen = found.chosen
    if chosen is None:
        return found.asked
    return chosen.name if gazetteer.find(chosen.name).chosen == chosen else chosen.key


def _as_place(words: list[str]) -> gazetteer.Found | None:
    text = " ".join(words)
    if len(gazetteer.normalise(text)) < 3 or any(w.startswith("-") or '"' in w for w in words):
        return None
    try:
        gazetteer.check_place_text(text)
    except ValidationError:
        return None
    found = gazetteer.find(text)
    return found if found.places else None


def split_place(q: str) -> tuple[str, gazetteer.Found] | None:
    """A search's words and the place they name: "dementia Runcorn" is ("dementia",
    Runcorn), "in Widnes" is ("", Widnes); None when no place is named. The longest
    place name at the end wins, then one just after a leading preposition ("in Runcorn
    dementia"); a preposition before the place goes with it. A quoted search is words
    only, so a visitor can always search for a word that is also a place ("Runcorn")."""
    words = q.split()
    if not words or '"' in q:
        return None

    def rest(kept: list[str]) -> str:
        while kept and kept[-1].casefold() in PLACE_PREPOSITIONS:
            kept = kept[:-1]
        while kept and kept[0].casefold() in PLACE_PREPOSITIONS:
            kept = kept[1:]
        return " ".join(kept)

    for size in range(min(MAX_PLACE_WORDS, len(words)), 0, -1):
        found = _as_place(words[-size:])
        if found is not None:
            return rest(words[:-size]), found
    if words[0].casefold() not in PLACE_PREPOSITIONS:
        return None
    for size in range(min(MAX_PLACE_WORDS, len(words) - 2), 0, -1):
        found = _as_place(words[1 : 1 + size])
        if found is not None:
            return rest(words[1 + size :]), found
    return None


def place_in_search(params: QueryDict) -> QueryDict | None:
    """The params with a town named in the search box moved to `place`: "Runcorn",
    "in Widnes" or "near Wrexham" become a place search, "dementia Runcorn" searches
    "dementia" in Runcorn, and "in Atlantis" asks for a place we will say we do not
    know; else None. A town typed in the box replaces the place
    searched before; a postcode, the finer place, keeps the search box as words."""
    q = params.get("q", "")
    if "postcode" in params or not q.strip():
        return None
    split = split_place(q)
    if split is None:
        asked = q.split()
        if not (asked[0].casefold() in PLACE_PREPOSITIONS and 1 < len(asked) <= MAX_PLACE_WORDS):
            return None
        # "in Atlantis" asks for a place: the place search says it knows none so called.
        words, found = "", gazetteer.Found(asked=" ".join(asked[1:]), places=())
    else:
        words, found = split
        if found.ambiguous or (words and split_place(words) is not None):
            # Several places of the name (the page offers them), or two places named
            # ("Runcorn Widnes"): the words are searched, and no place is guessed.
            return None
    moved = params.copy()
    drop_paging(moved)
    if words:
        moved["q"] = words
    else:
        del moved["q"]
        if moved.get("sort") == "relevance":
            del moved["sort"]
    moved["place"] = _place_value(found)
    return moved


def drop_paging(params: QueryDict) -> None:
    """Remove PAGING_PARAMS from a mutable copy of the params."""
    for name in PAGING_PARAMS:
        params.pop(name, None)
