"""/api/v1/: the Open Referral UK endpoints. A trailing slash is optional; anything else is a
JSON 404."""

from django.urls import path, re_path

from . import api

app_name = "api"

urlpatterns = [
    path("", api.index, name="index"),
    path("openapi.json", api.openapi, name="openapi"),
    re_path(r"^services/?$", api.services, name="services"),
    re_path(r"^services/(?P<id>[^/]+)/?$", api.service_detail, name="service"),
    re_path(r"^service_at_locations/?$", api.service_at_locations, name="service_at_locations"),
    re_path(
        r"^service_at_locations/(?P<id>[^/]+)/?$",
        api.service_at_location_detail,
        name="service_at_location",
    ),
    re_path(r"^taxonomies/?$", api.taxonomies, name="taxonomies"),
    re_path(r"^taxonomies/(?P<id>[^/]+)/?$", api.taxonomy_detail, name="taxonomy"),
    re_path(r"^taxonomy_terms/?$", api.taxonomy_terms, name="taxonomy_terms"),
    re_path(r"^taxonomy_terms/(?P<id>[^/]+)/?$", api.taxonomy_term_detail, name="taxonomy_term"),
    # Any character, line breaks included: every path under /api/v1/ answers JSON.
    re_path(r"^(?P<path>[\s\S]*)$", api.not_found, name="not_found"),
]
