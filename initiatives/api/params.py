"""The query parameters each endpoint takes, and the parsing shared by all of them.

The lists here are what the views check a request against and what the OpenAPI
document describes, so the two cannot drift apart.
"""

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time

from django.http import QueryDict
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from initiatives.models import FundingDependency, Initiative, Organisation

from .errors import ApiError

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 100
WHOLE_NUMBER = re.compile(r"[0-9]{1,9}")
# The listing's distance_km bounds (0.1 to 200 km, 10 by default), in metres.
MIN_PROXIMITY_M = 100
MAX_PROXIMITY_M = 200_000
DEFAULT_PROXIMITY_M = 10_000


@dataclass(frozen=True)
class Param:
    """A query parameter an endpoint takes, as openapi.py describes it."""

    name: str
    description: str
    schema: dict = field(default_factory=lambda: {"type": "string"})
    repeatable: bool = False


def _choices(choices) -> dict:
    return {"type": "string", "enum": [value for value, _label in choices]}


SEARCH = Param("search", "Full-text search, as the listing's search box (at most 200 characters).")
PAGE = Param("page", "Page number, from 1.", {"type": "integer", "minimum": 1, "default": 1})
PER_PAGE = Param(
    "per_page",
    f"Results per page, 1 to {MAX_PER_PAGE}.",
    {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": DEFAULT_PER_PAGE},
)
TAXONOMY_TERM_ID = Param(
    "taxonomy_term_id",
    "Only services with this taxonomy term (see /taxonomy_terms).",
    {"type": "string", "format": "uuid"},
)
TAXONOMY_ID = Param(
    "taxonomy_id",
    "Only services with any term of this taxonomy (see /taxonomies).",
    {"type": "string", "format": "uuid"},
)
TERMS_TAXONOMY_ID = Param(
    "taxonomy_id", "Only the terms of this taxonomy.", {"type": "string", "format": "uuid"}
)
MODIFIED_AFTER = Param(
    "modified_after",
    "For syncing: only services changed on or after this date (YYYY-MM-DD) or date and "
    "time (ISO 8601; UK time when it has no offset). Ended services are included (status "
    "defunct), and so are services withdrawn since (archived or unpublished): those carry "
    "only id, name, status inactive, an alert saying they were withdrawn, and "
    "last_modified; remove them from your copy. Withdrawals ignore the other filters.",
    {"type": "string", "format": "date-time"},
)
SERVICE_FILTER_PARAMS = [
    Param("role", "The listing's role filter.", _choices(Initiative.Role.choices)),
    Param("area", "An area's slug: services in it or in any area below it."),
    Param("vanguard", "A vanguard site's slug."),
    Param("funding_dependency", "A funding dependency band.", _choices(FundingDependency.choices)),
    Param("condition", "A condition's slug; repeat for any of several.", repeatable=True),
    Param("topic", "A topic's slug; repeat for any of several.", repeatable=True),
    Param("population", "A population group's slug; repeat for any of several.", repeatable=True),
    Param(
        "legal_form",
        "The organisation's legal form.",
        _choices(Organisation.LegalForm.choices),
    ),
    Param(
        "include_ended",
        "1: include services that have ended (status defunct); they are left out otherwise.",
        {"type": "string", "enum": ["1"]},
    ),
]
POSTCODE = Param(
    "postcode",
    "Only services that serve this place: a full UK postcode, a sector (WA7 1) or a "
    "district (WA7), as the listing's postcode search. Serving means here (an area served "
    "is the postcode's district or within it, or located within `proximity`), covering "
    "it (a wider area short of a nation), or its nation or the whole UK; in that order, "
    "nearest first within each.",
)
PLACE = Param(
    "place",
    "Only services that serve this town, city or village (its name, as the listing's "
    "`place`): the tiers of `postcode`, measured from the place's centre and its district. "
    "With `postcode` as well, the postcode is searched instead.",
)
HERE_ONLY = Param(
    "here_only",
    "true: with `area`, `postcode` or `place`, only the services of the first tier, here "
    "(serving the place or an area within it, or located there), as the listing's "
    "'Show only what is here'. false or absent: every tier.",
    {"type": "string", "enum": ["true", "false"]},
)
PROXIMITY = Param(
    "proximity",
    f"With `postcode` or `place`: how far a located service may be, in metres, "
    f"{MIN_PROXIMITY_M} to {MAX_PROXIMITY_M}.",
    {
        "type": "integer",
        "minimum": MIN_PROXIMITY_M,
        "maximum": MAX_PROXIMITY_M,
        "default": DEFAULT_PROXIMITY_M,
    },
)
SERVICE_LIST_PARAMS = [
    SEARCH,
    PAGE,
    PER_PAGE,
    TAXONOMY_TERM_ID,
    TAXONOMY_ID,
    MODIFIED_AFTER,
    *SERVICE_FILTER_PARAMS,
    POSTCODE,
    PLACE,
    PROXIMITY,
    HERE_ONLY,
]
# The same params: a located service is one with an address, a postcode or a town.
SERVICE_AT_LOCATION_LIST_PARAMS = SERVICE_LIST_PARAMS
PAGE_PARAMS = [PAGE, PER_PAGE]
ORGANIZATION_LIST_PARAMS = [
    Param("search", "Organisations whose name contains this text (at most 200 characters)."),
    PAGE,
    PER_PAGE,
    Param(
        "modified_after",
        "For syncing: only organisations changed, or whose services changed, on or after "
        "this date (YYYY-MM-DD) or date and time (ISO 8601; UK time when it has no offset). "
        "Organisations withdrawn since (none of their services is published any more) are "
        "included with only id, name and a description saying so; remove them from your "
        "copy.",
        {"type": "string", "format": "date-time"},
    ),
]
TERM_LIST_PARAMS = [PAGE, PER_PAGE, TERMS_TAXONOMY_ID]


def check_param_names(request, params: Sequence[Param]) -> None:
    """Refuse parameters this endpoint does not take, rather than silently ignore them."""
    known = [param.name for param in params]
    unknown = sorted(set(request.GET) - set(known))
    if unknown:
        takes = ", ".join(known) if known else "no parameters"
        raise ApiError(
            400,
            f"Unknown parameter: {', '.join(unknown)}. This endpoint takes {takes}.",
            {name: ["Unknown parameter."] for name in unknown},
        )


def parse_uuid(value: str, *, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except (ValueError, TypeError, AttributeError):
        raise ApiError(
            400,
            f"{value!r} is not a valid {what}: ids are UUIDs like "
            "3f7b145d-84af-42d7-8fae-eaca714b02b2.",
        ) from None


def parse_page(params: QueryDict, errors: dict) -> tuple[int, int]:
    """The page number and page size, reporting a bad value in `errors`."""
    values = {}
    for param, default, highest in (
        ("page", 1, None),
        ("per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE),
    ):
        raw = params.get(param, "").strip()
        if not raw:
            values[param] = default
            continue
        number = int(raw) if WHOLE_NUMBER.fullmatch(raw) else None
        if number is None or number < 1 or (highest is not None and number > highest):
            limit = f"from 1 to {highest}" if highest else "of 1 or more"
            errors[param] = [f"Give a whole number {limit}, not {raw[:40]!r}."]
            values[param] = default
        else:
            values[param] = number
    return values["page"], values["per_page"]


def parse_modified_after(raw: str) -> datetime:
    """An aware datetime from YYYY-MM-DD or an ISO 8601 date and time; ValueError otherwise."""
    # An unencoded "+" in a query string arrives as a space: "...T09:30:00 01:00".
    raw = re.sub(r"(T\d\d:\d\d(?::\d\d(?:\.\d+)?)?) (\d\d:?\d\d)$", r"\1+\2", raw.strip())
    moment = None
    try:
        moment = parse_datetime(raw)
        if moment is None:
            day = parse_date(raw)
            moment = datetime.combine(day, time.min) if day else None
    except ValueError:
        moment = None
    if moment is None:
        raise ValueError(raw)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    try:
        # The database compares in UTC; a date at the very edge of the calendar cannot be.
        moment.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValueError(raw) from None
    return moment
