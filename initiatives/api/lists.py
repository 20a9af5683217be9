"""The list endpoints' shared work: which services match the params, and one page of a list.

Filtering goes through the listing's own FilterSet, so the API, the listing and the
CSV export agree; the profile's own params (taxonomy ids, modified_after) come on top.
"""

from collections.abc import Callable
from decimal import Decimal
from math import ceil

from django.db.models import QuerySet
from django.http import QueryDict

from initiatives.caching import cached, query_params
from initiatives.listing.filters import InitiativeFilter

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
    for param in SERVICE_FILTER_PARAMS:
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
