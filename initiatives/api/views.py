"""The API's views: plain Django views returning JsonResponse, one per endpoint.

Twelve read-only endpoints whose shape is fixed by the Open Referral schemas rather than
by our models, so a framework would add a dependency and a serializer layer without
taking work away. Each view checks its params, asks lists.py or taxonomies.py for the
records and serialise.py for their shape.
"""

from collections.abc import Sequence

from django.db.models import Q, QuerySet
from django.http import JsonResponse, QueryDict
from django.urls import reverse

from initiatives.caching import revalidated
from initiatives.listing.filters import clean_query_dict
from initiatives.models import Initiative, Organisation

from .errors import ApiError, api_view
from .ids import linked_id
from .lists import (
    filtered_organisations,
    filtered_services,
    named_by_id,
    organisation_rows,
    page_json,
    service_rows,
    withdrawn_services,
)
from .openapi import HSDS_VERSION, PROFILE_URL, openapi_document
from .params import (
    ORGANIZATION_LIST_PARAMS,
    PAGE_PARAMS,
    SERVICE_AT_LOCATION_LIST_PARAMS,
    SERVICE_LIST_PARAMS,
    TERM_LIST_PARAMS,
    Param,
    check_param_names,
    parse_uuid,
)
from .serialise import (
    organization_detail_json,
    organization_list_json,
    service_at_location_json,
    service_json,
    sync_service_at_location_json,
    sync_service_json,
    taxonomy_json,
    term_json,
)
from .taxonomies import TAXONOMIES, all_terms, find_taxonomy, find_term


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
    return queryset.filter(
        ~Q(address="") | ~Q(postcode="") | Q(location_precision=Initiative.Precision.TOWN)
    )


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


@revalidated
@api_view
def services(request):
    params = _params(request, SERVICE_LIST_PARAMS)
    queryset = filtered_services(
        params,
        Initiative.objects.published().select_related("organisation"),
        withdrawn=withdrawn_services(),
    )
    return JsonResponse(
        page_json(params, queryset, sync_service_json, count_as="services", rows=service_rows())
    )


@api_view
def service_detail(request, id):
    _params(request, [])
    initiative = _published_service(id)
    return JsonResponse(service_json(initiative, base_url=_base_url(request)))


@revalidated
@api_view
def service_at_locations(request):
    params = _params(request, SERVICE_AT_LOCATION_LIST_PARAMS)
    queryset = filtered_services(
        params,
        _located(Initiative.objects.published()).select_related("organisation"),
        withdrawn=_located(withdrawn_services()),
    )
    return JsonResponse(
        page_json(
            params,
            queryset,
            sync_service_at_location_json,
            count_as="service_at_locations",
            rows=service_rows(),
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


@revalidated
@api_view
def organizations(request):
    params = _params(request, ORGANIZATION_LIST_PARAMS)
    queryset = filtered_organisations(params)
    return JsonResponse(
        page_json(
            params,
            queryset,
            organization_list_json,
            count_as="organizations",
            rows=organisation_rows(),
        )
    )


@api_view
def organization_detail(request, id):
    _params(request, [])
    key = parse_uuid(id, what="organization id")
    services = list(
        Initiative.objects.published()
        .filter(organisation__uuid=key)
        .for_export()
        .prefetch_related("organisation__funding_lines")
        .order_by("name", "pk")
    )
    if not services:
        raise ApiError(404, f"No organization with a published service has the id {key}.")
    organisation: Organisation = services[0].organisation
    return JsonResponse(
        organization_detail_json(organisation, services, base_url=_base_url(request))
    )


@revalidated
@api_view
def taxonomies(request):
    params = _params(request, PAGE_PARAMS)
    return JsonResponse(page_json(params, TAXONOMIES, taxonomy_json))


@api_view
def taxonomy_detail(request, id):
    _params(request, [])
    taxonomy = find_taxonomy(id)
    if taxonomy is None:
        raise ApiError(404, f"No taxonomy has the id {id}.")
    base_url = _base_url(request)
    terms = [term_json(term, base_url=base_url) for term in taxonomy.terms()]
    return JsonResponse(taxonomy_json(taxonomy, terms=terms))


@revalidated
@api_view
def taxonomy_terms(request):
    params = _params(request, TERM_LIST_PARAMS)
    errors: dict[str, list[str]] = {}
    taxonomy = named_by_id(params, "taxonomy_id", find_taxonomy, "taxonomy", errors)
    if errors:
        raise ApiError(400, errors["taxonomy_id"][0], errors)
    chosen = TAXONOMIES if taxonomy is None else [taxonomy]
    base_url = _base_url(request)
    return JsonResponse(
        page_json(params, all_terms(chosen), lambda t: term_json(t, base_url=base_url))
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
    _params(request, [])
    return JsonResponse(openapi_document(api_url=request.build_absolute_uri(reverse("api:index"))))


@api_view
def not_found(request, path=""):
    raise ApiError(
        404,
        f"Nothing at {request.path}. The endpoints are listed in "
        f"{request.build_absolute_uri(reverse('api:openapi'))}.",
    )
