"""The list endpoints' shared work: which services and organisations match the params,
and one page of a list.

Filtering goes through the listing's own FilterSet, so the API, the listing and the
CSV export agree; the profile's own params (taxonomy ids, modified_after) come on top.
With modified_after a list is a sync feed: records withdrawn since (once published, as
their history shows, and now archived or back to draft) come too, to be served as
deletions.
"""

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from math import ceil

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.http import QueryDict

from initiatives.caching import cached, query_params
from initiatives.listing.filters import MAX_QUERY_LENGTH, InitiativeFilter
from initiatives.models import Initiative, Organisation

from .errors import ApiError
from .params import (
    MAX_PROXIMITY_M,
    MIN_PROXIMITY_M,
    SERVICE_FILTER_PARAMS,
    WHOLE_NUMBER,
    parse_modified_after,
    parse_page,
)
from .taxonomies import find_taxonomy, find_term


def page_json(
    params: QueryDict,
    items,
    serialise: Callable,
    *,
    count_as: str = "",
    rows: QuerySet | None = None,
) -> dict:
    """The profile's Page object plus `contents`, for a queryset or a list.

    With `count_as` (the list's name), a queryset's total comes from the figures cache
    (initiatives/caching.py); the page's records are always read afresh. With `rows` (a
    queryset with what `serialise` reads, and none of the list's filters), the page's
    records are read from it by id, so the list's filters run once, for the ids.
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
    in_page = _slice(items, start, start + per_page, rows) if start < total else []
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


def _slice(items, start: int, stop: int, rows: QuerySet | None = None) -> list:
    """items[start:stop]; for a queryset, the page's ids first, then only those rows.

    The OFFSET then walks the ids alone, not every skipped row and its joins. The rows
    come from `rows` when given, by id alone: the list's filters are not run a second
    time (at 100,000 records a sync's filters cost a scan of the table each time). A
    record gone between the two reads is left out rather than failing the page.
    """
    if not isinstance(items, QuerySet):
        return items[start:stop]
    ids = list(items.values_list("pk", flat=True)[start:stop])
    source = rows if rows is not None else items.order_by()
    found = {row.pk: row for row in source.filter(pk__in=ids)}
    return [found[pk] for pk in ids if pk in found]


def _summary(errors: dict[str, list[str]]) -> str:
    return " ".join(f"{name}: {' '.join(messages)}" for name, messages in errors.items())


def filtered_services(
    params: QueryDict, queryset: QuerySet, *, withdrawn: QuerySet | None = None
) -> QuerySet:
    """The published services that match the params: the listing's filters and the profile's.

    With `modified_after` (a sync), ended services are included, and so are the
    `withdrawn` ones changed since (to be served as deletions).
    """
    errors: dict[str, list[str]] = {}
    parse_page(params, errors)
    data = QueryDict(mutable=True)
    for param in SERVICE_FILTER_PARAMS:
        # An empty value means "not given", as for every other parameter.
        given = [value for value in params.getlist(param.name) if value.strip()]
        if given:
            data.setlist(param.name, given)
    if "search" in params:
        data["q"] = params["search"]
    if params.get("modified_after", "").strip():
        # A sync must hear that a service ended (status defunct), not lose it.
        data["include_ended"] = "1"
    for name in ("postcode", "place"):
        if params.get(name, "").strip():
            data[name] = params[name]
    here_only = params.get("here_only", "").strip().lower()
    if here_only in ("true", "1"):
        if not ({"postcode", "place"} & set(data) or "area" in data):
            errors["here_only"] = ["Give an area, a postcode or a place too: here is there."]
        data["here_only"] = "true"
    elif here_only not in ("", "false", "0"):
        errors["here_only"] = [f"Give true or false, not {params['here_only'][:40]!r}."]
    raw = params.get("proximity", "").strip()
    if raw:
        metres = int(raw) if WHOLE_NUMBER.fullmatch(raw) else None
        if metres is None or not MIN_PROXIMITY_M <= metres <= MAX_PROXIMITY_M:
            errors["proximity"] = [
                f"Give a whole number of metres from {MIN_PROXIMITY_M} to {MAX_PROXIMITY_M}, "
                f"not {raw[:40]!r}."
            ]
        elif "postcode" not in data and "place" not in data:
            errors["proximity"] = ["Give a postcode or a place too: proximity is measured from it."]
        else:
            data["distance_km"] = str(Decimal(metres) / 1000)
    filterset = InitiativeFilter(data, queryset=queryset)
    if not filterset.is_valid():
        for name, messages in filterset.errors.items():
            key = {"q": "search", "distance_km": "proximity"}.get(name, name)
            errors[key] = list(dict.fromkeys(messages))
    queryset = filterset.qs

    since = modified_after(params, errors)
    if since is not None:
        queryset = queryset.filter(updated_at__gte=since)
    queryset = _by_taxonomy(params, queryset, errors)
    if errors:
        raise ApiError(400, _summary(errors), errors)
    if since is not None and withdrawn is not None:
        # A sync feed: the withdrawn ones as deletions, whatever the other filters.
        gone = withdrawn.filter(updated_at__gte=since)
        queryset = (
            # updated_at again outside: the index finds the few changed rows first.
            Initiative.objects.filter(updated_at__gte=since)
            .filter(Q(pk__in=queryset.values("pk")) | Q(pk__in=gone.values("pk")))
            .select_related("organisation")
            .annotate(published_name=last_published("name"))
            .order_by("name", "pk")
        )
    return queryset


def modified_after(params: QueryDict, errors: dict) -> datetime | None:
    """The `modified_after` param as an aware datetime; None when not given or bad (the
    reason then in `errors`)."""
    raw = params.get("modified_after", "").strip()
    if not raw:
        return None
    try:
        return parse_modified_after(raw)
    except ValueError:
        errors["modified_after"] = [
            f"Give a date (2025-01-31) or an ISO 8601 date and time "
            f"(2025-01-31T09:30:00Z), not {raw[:40]!r}."
        ]
        return None


def ever_published() -> Exists:
    """The initiative was published at some moment (its history holds such a version)."""
    return Exists(
        Initiative.history.model.objects.filter(
            id=OuterRef("pk"), status=Initiative.Status.PUBLISHED
        )
    )


def last_published(field: str) -> Subquery:
    """The field as it was when the initiative was last published: a withdrawn record's
    name may have changed since, in a draft nobody published."""
    return Subquery(
        Initiative.history.model.objects.filter(
            id=OuterRef("pk"), status=Initiative.Status.PUBLISHED
        )
        .order_by("-history_date", "-history_id")
        .values(field)[:1]
    )


def service_rows() -> QuerySet:
    """Services as a list serialises them, read by id (page_json's `rows`): with their
    organisation, and a withdrawn one's name as it was last published."""
    return Initiative.objects.select_related("organisation").annotate(
        published_name=last_published("name")
    )


def organisation_rows() -> QuerySet:
    """Organisations as a list serialises them, read by id: whether any service of
    theirs is published (`listed`; not, and it is served as a deletion)."""
    services = Initiative.objects.filter(organisation=OuterRef("pk"))
    return Organisation.objects.annotate(
        listed=Exists(services.filter(status=Initiative.Status.PUBLISHED))
    )


def withdrawn_services() -> QuerySet:
    """Services once published and now not (archived, or back to draft)."""
    return Initiative.objects.exclude(status=Initiative.Status.PUBLISHED).filter(ever_published())


def filtered_organisations(params: QueryDict) -> QuerySet:
    """The organisations with a published service, by name; with `modified_after`, those
    changed (or whose services changed) since, and those withdrawn since as well."""
    errors: dict[str, list[str]] = {}
    parse_page(params, errors)
    search = params.get("search", "").strip()
    if len(search) > MAX_QUERY_LENGTH:
        errors["search"] = [f"Give at most {MAX_QUERY_LENGTH} characters."]
    since = modified_after(params, errors)
    if errors:
        raise ApiError(400, _summary(errors), errors)
    services = Initiative.objects.filter(organisation=OuterRef("pk"))
    queryset = Organisation.objects.annotate(
        listed=Exists(services.filter(status=Initiative.Status.PUBLISHED))
    )
    if since is None:
        queryset = queryset.filter(listed=True)
    else:
        was_listed = Exists(services.filter(ever_published()))
        changed = Q(updated_at__gte=since) | Exists(services.filter(updated_at__gte=since))
        queryset = queryset.filter(Q(listed=True) | was_listed).filter(changed)
    if search:
        queryset = queryset.filter(name__icontains=search)
    return queryset.order_by("name", "pk")


def _by_taxonomy(params: QueryDict, queryset: QuerySet, errors: dict) -> QuerySet:
    term = named_by_id(params, "taxonomy_term_id", find_term, "taxonomy term", errors)
    if term is not None:
        queryset = term.taxonomy.with_term(queryset, term.slug)
    taxonomy = named_by_id(params, "taxonomy_id", find_taxonomy, "taxonomy", errors)
    if taxonomy is not None:
        queryset = taxonomy.with_any_term(queryset)
    return queryset


def named_by_id(params: QueryDict, name: str, find: Callable, what: str, errors: dict):
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
