"""The JSON API in the Open Referral UK 3.0 shape (HSDS-UK-3.0), over published records only.

Each initiative is a `service`, its organisation an `organization`; our
vocabularies (role, topics, conditions, population groups, funding dependency,
vanguard care models) are `taxonomies` whose terms are linked to services as
`attributes`. Filtering goes through the listing's own FilterSet, so the API,
the listing and the CSV export agree.

Plain Django views returning JsonResponse: ten read-only endpoints whose shape
is fixed by the Open Referral schemas rather than by our models, so a framework
would add a dependency and a serializer layer without taking work away.

Ids the register does not store (taxonomies, terms, service areas, ...) are
derived from stored ones with uuid5 under a fixed namespace: stable across
deploys, no migration needed.
"""

import re
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from decimal import Decimal
from functools import wraps
from math import ceil
from urllib.parse import urlencode

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import HttpResponse, JsonResponse, QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from .caching import cached, query_params
from .listing.filters import InitiativeFilter, clean_query_dict
from .models import (
    Condition,
    FundingDependency,
    Initiative,
    Organisation,
    PopulationGroup,
    Topic,
    VanguardSite,
)
from .validators import normalise_postcode

HSDS_VERSION = "HSDS-UK-3.0"
PROFILE_URL = "https://github.com/openreferral/uk-profile"
DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 100
# Never change: every derived id depends on it.
ID_NAMESPACE = uuid.UUID("0c5b2f7e-8d4a-5b61-9f3e-2a7c4e1d6b90")
ONS_GEOGRAPHY_URI = "http://statistics.data.gov.uk/id/statistical-geography/"
WHOLE_NUMBER = re.compile(r"[0-9]{1,9}")
# The listing's distance_km bounds (0.1 to 200 km, 10 by default), in metres.
MIN_PROXIMITY_M = 100
MAX_PROXIMITY_M = 200_000
DEFAULT_PROXIMITY_M = 10_000


def stable_id(*parts: object) -> str:
    """A UUID that always follows from the same parts (uuid5 under our namespace)."""
    return str(uuid.uuid5(ID_NAMESPACE, "/".join(str(part) for part in parts)))


# The version and variant bits of a UUID, left alone by linked_id so the result stays well formed.
_VERSION_AND_VARIANT = (0xF << 76) | (0x3 << 62)


def linked_id(base: uuid.UUID, kind: str) -> uuid.UUID:
    """Another id for the same record, one per kind; applying it twice gives `base` back.

    A service's location and service_at_location ids must lead back to the
    initiative from a URL, which a one-way uuid5 cannot do.
    """
    mask = uuid.uuid5(ID_NAMESPACE, kind).int & ~_VERSION_AND_VARIANT
    return uuid.UUID(int=base.int ^ mask)


class ApiError(Exception):
    """A client error, answered as JSON: what was wrong and, per parameter, why."""

    def __init__(self, status: int, message: str, errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors or {}


ERROR_TITLES = {400: "Bad request", 404: "Not found", 405: "Method not allowed"}


def error_response(status: int, message: str, errors: dict | None = None) -> JsonResponse:
    body = {"status": status, "error": ERROR_TITLES.get(status, "Error"), "message": message}
    if errors:
        body["errors"] = errors
    return JsonResponse(body, status=status)


def api_view(view):
    """GET (and HEAD) only, ApiError as a JSON answer, and open to every origin (CORS)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method == "OPTIONS":
            response = HttpResponse(status=204)
            response["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
            response["Access-Control-Max-Age"] = "86400"
        elif request.method not in ("GET", "HEAD"):
            response = error_response(
                405, f"{request.method} is not allowed: this API is read-only."
            )
        else:
            try:
                response = view(request, *args, **kwargs)
            except ApiError as exc:
                response = error_response(exc.status, exc.message, exc.errors)
        if response.status_code in (204, 405):
            response["Allow"] = "GET, HEAD, OPTIONS"
        response["Access-Control-Allow-Origin"] = "*"
        return response

    return wrapper


# Parameters -----------------------------------------------------------------


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
    "Only services changed on or after this date (YYYY-MM-DD) or date and time "
    "(ISO 8601; UK time when it has no offset).",
    {"type": "string", "format": "date-time"},
)
FILTER_PARAMS = [
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
]
SERVICE_LIST_PARAMS = [
    SEARCH,
    PAGE,
    PER_PAGE,
    TAXONOMY_TERM_ID,
    TAXONOMY_ID,
    MODIFIED_AFTER,
    *FILTER_PARAMS,
]
POSTCODE = Param(
    "postcode",
    "Only services that serve this place: a full UK postcode, a sector (WA7 1) or a "
    "district (WA7). Serving means an area served includes it, national, or located "
    "within `proximity`; nearest first.",
)
PROXIMITY = Param(
    "proximity",
    f"With `postcode`: how far a located service may be, in metres, {MIN_PROXIMITY_M} to "
    f"{MAX_PROXIMITY_M}.",
    {
        "type": "integer",
        "minimum": MIN_PROXIMITY_M,
        "maximum": MAX_PROXIMITY_M,
        "default": DEFAULT_PROXIMITY_M,
    },
)
SERVICE_AT_LOCATION_LIST_PARAMS = [*SERVICE_LIST_PARAMS, POSTCODE, PROXIMITY]
PAGE_PARAMS = [PAGE, PER_PAGE]
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


# Taxonomies -----------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    vocabulary: "Vocabulary"
    slug: str
    name: str
    description: str

    @property
    def id(self) -> str:
        return stable_id(self.vocabulary.key, self.slug)


class Vocabulary:
    """One of our classifications, published as an Open Referral taxonomy."""

    key: str
    name: str
    description: str
    # The listing's param for it, so a term can link to the filtered listing.
    listing_param: str | None = None

    @property
    def id(self) -> str:
        return stable_id("taxonomy", self.key)

    def terms(self) -> list[Term]:
        raise NotImplementedError

    def terms_of(self, initiative: Initiative) -> list[Term]:
        raise NotImplementedError

    def with_term(self, queryset: QuerySet, slug: str) -> QuerySet:
        raise NotImplementedError

    def with_any_term(self, queryset: QuerySet) -> QuerySet:
        raise NotImplementedError


class ChoiceVocabulary(Vocabulary):
    """Terms from a field's fixed choices."""

    def __init__(self, key, name, description, *, choices, lookup, descriptions=None, param=None):
        self.key, self.name, self.description = key, name, description
        self.choices = list(choices)
        self.lookup = lookup  # the queryset lookup, e.g. "vanguard__care_model"
        self.descriptions = descriptions or {}
        self.listing_param = param
        self._by_value = {
            value: Term(self, value, label, self.descriptions.get(value, label))
            for value, label in self.choices
        }

    def terms(self) -> list[Term]:
        return list(self._by_value.values())

    def terms_of(self, initiative: Initiative) -> list[Term]:
        value: object = initiative
        for attribute in self.lookup.split("__"):
            value = getattr(value, attribute, None)
        term = self._by_value.get(value)
        return [term] if term else []

    def with_term(self, queryset, slug):
        return queryset.filter(**{self.lookup: slug})

    def with_any_term(self, queryset):
        return queryset.filter(**{f"{self.lookup}__in": list(self._by_value)})


class ModelVocabulary(Vocabulary):
    """Terms from a model's rows, linked to initiatives by a many-to-many field."""

    def __init__(
        self, key, name, description, *, model, relation, prefetched, describe, param=None
    ):
        self.key, self.name, self.description = key, name, description
        self.model = model
        self.relation = relation
        # The list attribute for_export() prefetches the related rows into.
        self.prefetched = prefetched
        self.describe = describe
        self.listing_param = param

    def _term(self, item) -> Term:
        return Term(self, item.slug, item.name, self.describe(item))

    def terms(self) -> list[Term]:
        return [self._term(item) for item in self.model.objects.order_by("name", "pk")]

    def terms_of(self, initiative: Initiative) -> list[Term]:
        return [self._term(item) for item in getattr(initiative, self.prefetched)]

    def with_term(self, queryset, slug):
        # The slug is unique and each link is stored once, so this join cannot repeat a row.
        return queryset.filter(**{f"{self.relation}__slug": slug})

    def with_any_term(self, queryset):
        through = getattr(Initiative, self.relation).through
        return queryset.filter(Exists(through.objects.filter(initiative_id=OuterRef("pk"))))


VOCABULARIES: list[Vocabulary] = [
    ChoiceVocabulary(
        "role",
        "Role",
        "Whether an initiative delivers services directly, campaigns, or both.",
        choices=Initiative.Role.choices,
        lookup="role",
        descriptions={
            "service_provider": "Delivers services directly.",
            "campaigning": "Informs, advocates and campaigns for change.",
            "both": "Delivers services and campaigns.",
        },
        param="role",
    ),
    ModelVocabulary(
        "topic",
        "Topics",
        "What an initiative does.",
        model=Topic,
        relation="topics",
        prefetched="topic_list",
        describe=lambda topic: f"What it does: {topic.name}.",
        param="topic",
    ),
    ModelVocabulary(
        "condition",
        "Conditions",
        "Health conditions an initiative serves; rare conditions are marked.",
        model=Condition,
        relation="conditions",
        prefetched="condition_list",
        describe=lambda c: f"{'Rare condition' if c.is_rare else 'Condition'}: {c.name}.",
        param="condition",
    ),
    ModelVocabulary(
        "population_group",
        "Population groups",
        "Who an initiative is for.",
        model=PopulationGroup,
        relation="population_groups",
        prefetched="population_group_list",
        describe=lambda group: f"Who it is for: {group.name}.",
        param="population",
    ),
    ChoiceVocabulary(
        "funding_dependency",
        "Funding dependency",
        "How much the organisation depends on its largest single funder, by share of income.",
        choices=FundingDependency.choices,
        lookup="funding_dependency",
        param="funding_dependency",
    ),
    ChoiceVocabulary(
        "care_model",
        "Vanguard care models",
        "The care model of the NHS England new care models vanguard site an initiative belongs to.",
        choices=VanguardSite.CareModel.choices,
        lookup="vanguard__care_model",
    ),
]


def all_terms(vocabularies: Iterable[Vocabulary] = VOCABULARIES) -> list[Term]:
    return [term for vocabulary in vocabularies for term in vocabulary.terms()]


def find_vocabulary(raw: str) -> Vocabulary | None:
    wanted = str(parse_uuid(raw, what="taxonomy id"))
    return next((v for v in VOCABULARIES if v.id == wanted), None)


def find_term(raw: str) -> Term | None:
    wanted = str(parse_uuid(raw, what="taxonomy term id"))
    return next((term for term in all_terms() if term.id == wanted), None)


# Records as JSON ------------------------------------------------------------


def present(**fields) -> dict:
    """The fields that have a value: empty optional fields are left out, not null."""
    return {name: value for name, value in fields.items() if value not in (None, "", [])}


def timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def taxonomy_json(vocabulary: Vocabulary, *, terms: list[dict] | None = None) -> dict:
    data = {"id": vocabulary.id, "name": vocabulary.name, "description": vocabulary.description}
    return data | present(taxonomy_terms=terms)


def term_json(term: Term, *, base_url: str) -> dict:
    vocabulary = term.vocabulary
    term_uri = None
    if vocabulary.listing_param:
        query = urlencode({vocabulary.listing_param: term.slug})
        term_uri = f"{base_url}{reverse('initiatives:list')}?{query}"
    return {"id": term.id, "name": term.name, "description": term.description} | present(
        taxonomy=vocabulary.name, taxonomy_id=vocabulary.id, term=term.slug, term_uri=term_uri
    )


def charity_identifier(number: str) -> tuple[str, str]:
    """The org-id.guide scheme and its name for a charity number."""
    if number.startswith("SC"):
        return "GB-SC", "Scottish charity number"
    if number.startswith("NIC"):
        return "GB-NIC", "Northern Ireland charity number"
    return "GB-CHC", "Charity number (England and Wales)"


def organization_json(organisation: Organisation, *, full: bool) -> dict:
    data = {
        "id": str(organisation.uuid),
        "name": organisation.name,
        # Required by the schema; the legal form is the nearest thing we hold.
        "description": organisation.get_legal_form_display(),
    } | present(website=organisation.website)
    if full:
        identifiers = []
        if organisation.charity_number:
            scheme, kind = charity_identifier(organisation.charity_number)
            identifiers.append((scheme, kind, organisation.charity_number))
        if organisation.company_number:
            identifiers.append(("GB-COH", "Company number", organisation.company_number))
        data |= present(
            organization_identifiers=[
                {
                    "id": stable_id("organization_identifier", organisation.uuid, scheme),
                    "organization_id": str(organisation.uuid),
                    "identifier_scheme": scheme,
                    "identifier_type": kind,
                    "identifier": number,
                }
                for scheme, kind, number in identifiers
            ]
        )
    return data


def service_summary_json(initiative: Initiative) -> dict:
    """The one-to-one fields of a service (the list item shape)."""
    organisation = initiative.organisation
    description = "\n\n".join(part for part in (initiative.summary, initiative.description) if part)
    return {"id": str(initiative.uuid), "name": initiative.name, "status": "active"} | present(
        organization_id=str(organisation.uuid) if organisation else None,
        description=description,
        url=initiative.website,
        email=initiative.email,
        minimum_age=initiative.min_age,
        maximum_age=initiative.max_age,
        assured_date=initiative.last_verified_on.isoformat()
        if initiative.last_verified_on
        else None,
        last_modified=timestamp(initiative.updated_at),
        organization=organization_json(organisation, full=False) if organisation else None,
    )


def has_location(initiative: Initiative) -> bool:
    """The rule of _located(), for one record already in hand."""
    return bool(initiative.address or initiative.postcode)


def address_json(initiative: Initiative, location_id: str) -> dict:
    lines = [line.strip(" ,") for line in initiative.address.splitlines() if line.strip(" ,")]
    if lines and initiative.postcode and normalise_postcode(lines[-1]) == initiative.postcode:
        lines.pop()  # the postcode has its own field
    city = lines.pop() if len(lines) > 1 else ""
    return {
        "id": stable_id("address", initiative.uuid),
        "location_id": location_id,
        "address_1": ", ".join(lines),
        "city": city,
        "state_province": "",
        "postal_code": initiative.postcode,
        "country": "GB",
        "address_type": "physical",
    }


def location_json(initiative: Initiative, *, full: bool) -> dict:
    location_id = str(linked_id(initiative.uuid, "location"))
    data = {"id": location_id, "location_type": "physical"} | present(
        name=initiative.name, latitude=initiative.latitude, longitude=initiative.longitude
    )
    if full:
        data["addresses"] = [address_json(initiative, location_id)]
    return data


def service_area_json(initiative: Initiative) -> list[dict]:
    service_id = str(initiative.uuid)
    areas = [
        {"id": stable_id("service_area", service_id, area.slug), "service_id": service_id}
        | present(
            name=area.name,
            service_area=f"{area.name} ({area.get_kind_display()})",
            uri=f"{ONS_GEOGRAPHY_URI}{area.code}" if area.code else None,
        )
        for area in initiative.area_list
    ]
    if initiative.national:
        areas.insert(
            0,
            {
                "id": stable_id("service_area", service_id, "national"),
                "service_id": service_id,
                "name": "National",
                "service_area": "Serves the whole of the UK or of a nation.",
            },
        )
    return areas


def funding_json(initiative: Initiative) -> list[dict]:
    organisation = initiative.organisation
    if organisation is None:
        return []
    service_id = str(initiative.uuid)
    funding = []
    for line in organisation.funding_lines.all():
        funder = line.get_funder_type_display()
        if line.funder_name:
            funder = f"{funder} ({line.funder_name})"
        share = format(line.share.normalize(), "f")
        funding.append(
            {
                "id": stable_id("funding", service_id, line.pk),
                "service_id": service_id,
                "source": f"{funder}: {share}% of the organisation's income in {line.year}.",
            }
        )
    return funding


def cost_options_json(initiative: Initiative) -> list[dict]:
    if not initiative.cost:
        return []
    option = {
        "id": stable_id("cost_option", initiative.uuid),
        "service_id": str(initiative.uuid),
        "option": initiative.get_cost_display(),
    }
    if initiative.cost == Initiative.Cost.FREE:
        option["amount"] = 0
    return [option]


def contacts_json(initiative: Initiative) -> list[dict]:
    # The profile's contact has no phone field, so the number goes in its title.
    if not initiative.phone:
        return []
    return [
        {
            "id": stable_id("contact", initiative.uuid),
            "service_id": str(initiative.uuid),
            "name": "Enquiries",
            "title": f"Phone: {initiative.phone}",
        }
    ]


def attributes_json(initiative: Initiative, *, base_url: str) -> list[dict]:
    service_id = str(initiative.uuid)
    return [
        {
            "id": stable_id("attribute", service_id, term.id),
            "link_id": service_id,
            "link_type": vocabulary.key,
            "taxonomy_term_id": term.id,
            "taxonomy_term": term_json(term, base_url=base_url),
        }
        for vocabulary in VOCABULARIES
        for term in vocabulary.terms_of(initiative)
    ]


def service_json(initiative: Initiative, *, base_url: str, with_locations: bool = True) -> dict:
    """A fully nested service (its organisation, areas, funding, contacts, attributes)."""
    data = service_summary_json(initiative)
    organisation = initiative.organisation
    locations = None
    if with_locations and has_location(initiative):
        locations = [service_at_location_json(initiative, base_url=base_url, full=True, nest=False)]
    return data | present(
        organization=organization_json(organisation, full=True) if organisation else None,
        service_areas=service_area_json(initiative),
        service_at_locations=locations,
        funding=funding_json(initiative),
        cost_options=cost_options_json(initiative),
        contacts=contacts_json(initiative),
        attributes=attributes_json(initiative, base_url=base_url),
    )


def service_at_location_json(
    initiative: Initiative, *, base_url: str, full: bool, nest: bool = True
) -> dict:
    """A service at its location; `nest` adds the service itself (the endpoints' shape)."""
    location = location_json(initiative, full=full)
    data = {
        "id": str(linked_id(initiative.uuid, "service_at_location")),
        "service_id": str(initiative.uuid),
        "location_id": location["id"],
        "location": location,
    }
    if nest:
        data["service"] = (
            service_json(initiative, base_url=base_url, with_locations=False)
            if full
            else service_summary_json(initiative)
        )
    return data


# Lists ----------------------------------------------------------------------


def page_json(params: QueryDict, items, serialise: Callable, *, count_as: str = "") -> dict:
    """The profile's Page object plus `contents`, for a queryset or a list.

    With `count_as` (the list's name), a queryset's total comes from the figures cache
    (initiatives/caching.py); the page's records are always read afresh.
    """
    errors: dict[str, list[str]] = {}
    page, per_page = parse_page(params, errors)
    if errors:
        raise ApiError(400, _summary(errors), errors)
    if not isinstance(items, QuerySet):
        total = len(items)
    elif count_as:
        filters = {k: v for k, v in query_params(params).items() if k not in ("page", "per_page")}
        total = cached("api-count", {"list": count_as, **filters}, items.count)
    else:
        total = items.count()
    start = (page - 1) * per_page
    # Past the end there is nothing to fetch (and no huge OFFSET to send).
    in_page = _slice(items, start, start + per_page) if start < total else []
    contents = [serialise(item) for item in in_page]
    total_pages = ceil(total / per_page)
    return {
        "total_items": total,
        "total_pages": total_pages,
        "page_number": page,
        "size": len(contents),
        "first_page": page == 1,
        "last_page": page >= total_pages,
        "empty": not contents,
        "contents": contents,
    }


def _slice(items, start: int, stop: int) -> list:
    """items[start:stop]; for a queryset, the page's ids first, then only those rows.

    The OFFSET then walks the ids alone, not every skipped row and its joins.
    """
    if not isinstance(items, QuerySet):
        return items[start:stop]
    ids = list(items.values_list("pk", flat=True)[start:stop])
    rows = {row.pk: row for row in items.order_by().filter(pk__in=ids)}
    return [rows[pk] for pk in ids]


def _summary(errors: dict[str, list[str]]) -> str:
    return " ".join(f"{name}: {' '.join(messages)}" for name, messages in errors.items())


def filtered_services(params: QueryDict, queryset: QuerySet) -> QuerySet:
    """The published services that match the params: the listing's filters and the profile's."""
    errors: dict[str, list[str]] = {}
    parse_page(params, errors)
    data = QueryDict(mutable=True)
    for param in FILTER_PARAMS:
        # An empty value means "not given", as for every other parameter.
        given = [value for value in params.getlist(param.name) if value.strip()]
        if given:
            data.setlist(param.name, given)
    if "search" in params:
        data["q"] = params["search"]
    if params.get("postcode", "").strip():
        data["postcode"] = params["postcode"]
    raw = params.get("proximity", "").strip()
    if raw:
        metres = int(raw) if WHOLE_NUMBER.fullmatch(raw) else None
        if metres is None or not MIN_PROXIMITY_M <= metres <= MAX_PROXIMITY_M:
            errors["proximity"] = [
                f"Give a whole number of metres from {MIN_PROXIMITY_M} to {MAX_PROXIMITY_M}, "
                f"not {raw[:40]!r}."
            ]
        elif "postcode" not in data:
            errors["proximity"] = ["Give a postcode too: proximity is measured from it."]
        else:
            data["distance_km"] = str(Decimal(metres) / 1000)
    filterset = InitiativeFilter(data, queryset=queryset)
    if not filterset.is_valid():
        for name, messages in filterset.errors.items():
            key = {"q": "search", "distance_km": "proximity"}.get(name, name)
            errors[key] = list(dict.fromkeys(messages))
    queryset = filterset.qs

    raw = params.get("modified_after", "").strip()
    if raw:
        try:
            queryset = queryset.filter(updated_at__gte=parse_modified_after(raw))
        except ValueError:
            errors["modified_after"] = [
                f"Give a date (2025-01-31) or an ISO 8601 date and time "
                f"(2025-01-31T09:30:00Z), not {raw[:40]!r}."
            ]
    queryset = _by_taxonomy(params, queryset, errors)
    if errors:
        raise ApiError(400, _summary(errors), errors)
    return queryset


def _by_taxonomy(params: QueryDict, queryset: QuerySet, errors: dict) -> QuerySet:
    term = _named_by_id(params, "taxonomy_term_id", find_term, "taxonomy term", errors)
    if term is not None:
        queryset = term.vocabulary.with_term(queryset, term.slug)
    vocabulary = _named_by_id(params, "taxonomy_id", find_vocabulary, "taxonomy", errors)
    if vocabulary is not None:
        queryset = vocabulary.with_any_term(queryset)
    return queryset


def _named_by_id(params: QueryDict, name: str, find: Callable, what: str, errors: dict):
    """What the param `name` names by id; None, with the reason in `errors`, when it names none."""
    raw = params.get(name, "").strip()
    if not raw:
        return None
    try:
        found = find(raw)
    except ApiError as exc:
        errors[name] = [exc.message]
        return None
    if found is None:
        errors[name] = [f"No {what} has the id {raw}."]
    return found


def _base_url(request) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def _params(request, allowed: Sequence[Param]) -> QueryDict:
    check_param_names(request, allowed)
    return clean_query_dict(request.GET)


def _published_service(raw_id: str, queryset: QuerySet | None = None) -> Initiative:
    key = parse_uuid(raw_id, what="service id")
    queryset = queryset if queryset is not None else Initiative.objects.published()
    initiative = (
        queryset.for_export()
        .prefetch_related("organisation__funding_lines")
        .filter(uuid=key)
        .first()
    )
    if initiative is None:
        raise ApiError(404, f"No published service has the id {key}.")
    return initiative


def _located(queryset: QuerySet) -> QuerySet:
    return queryset.filter(~Q(address="") | ~Q(postcode=""))


# Views ----------------------------------------------------------------------


@api_view
def index(request):
    """What this API is: its HSDS version, profile and OpenAPI description."""
    _params(request, [])
    return JsonResponse(
        {
            "version": HSDS_VERSION,
            "profile": PROFILE_URL,
            "openapi_url": request.build_absolute_uri(reverse("api:openapi")),
        }
    )


@api_view
def services(request):
    params = _params(request, SERVICE_LIST_PARAMS)
    queryset = filtered_services(
        params, Initiative.objects.published().select_related("organisation")
    )
    return JsonResponse(page_json(params, queryset, service_summary_json, count_as="services"))


@api_view
def service_detail(request, id):
    _params(request, [])
    initiative = _published_service(id)
    return JsonResponse(service_json(initiative, base_url=_base_url(request)))


@api_view
def service_at_locations(request):
    params = _params(request, SERVICE_AT_LOCATION_LIST_PARAMS)
    queryset = filtered_services(
        params, _located(Initiative.objects.published()).select_related("organisation")
    )
    return JsonResponse(
        page_json(
            params,
            queryset,
            lambda i: service_at_location_json(i, base_url="", full=False),
            count_as="service_at_locations",
        )
    )


@api_view
def service_at_location_detail(request, id):
    _params(request, [])
    key = parse_uuid(id, what="service_at_location id")
    service_id = str(linked_id(key, "service_at_location"))
    try:
        initiative = _published_service(service_id, _located(Initiative.objects.published()))
    except ApiError:
        raise ApiError(404, f"No service_at_location has the id {key}.") from None
    return JsonResponse(
        service_at_location_json(initiative, base_url=_base_url(request), full=True)
    )


@api_view
def taxonomies(request):
    params = _params(request, PAGE_PARAMS)
    return JsonResponse(page_json(params, VOCABULARIES, taxonomy_json))


@api_view
def taxonomy_detail(request, id):
    _params(request, [])
    vocabulary = find_vocabulary(id)
    if vocabulary is None:
        raise ApiError(404, f"No taxonomy has the id {id}.")
    base_url = _base_url(request)
    terms = [term_json(term, base_url=base_url) for term in vocabulary.terms()]
    return JsonResponse(taxonomy_json(vocabulary, terms=terms))


@api_view
def taxonomy_terms(request):
    params = _params(request, TERM_LIST_PARAMS)
    errors: dict[str, list[str]] = {}
    vocabulary = _named_by_id(params, "taxonomy_id", find_vocabulary, "taxonomy", errors)
    if errors:
        raise ApiError(400, errors["taxonomy_id"][0], errors)
    vocabularies = VOCABULARIES if vocabulary is None else [vocabulary]
    base_url = _base_url(request)
    return JsonResponse(
        page_json(params, all_terms(vocabularies), lambda t: term_json(t, base_url=base_url))
    )


@api_view
def taxonomy_term_detail(request, id):
    _params(request, [])
    term = find_term(id)
    if term is None:
        raise ApiError(404, f"No taxonomy term has the id {id}.")
    return JsonResponse(term_json(term, base_url=_base_url(request)))


@api_view
def openapi(request):
    """The OpenAPI description of exactly these endpoints."""
    from .openapi import openapi_document

    _params(request, [])
    return JsonResponse(openapi_document(api_url=request.build_absolute_uri(reverse("api:index"))))


@api_view
def not_found(request, path=""):
    raise ApiError(
        404,
        f"Nothing at {request.path}. The endpoints are listed in "
        f"{request.build_absolute_uri(reverse('api:openapi'))}.",
    )
