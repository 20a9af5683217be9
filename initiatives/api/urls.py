"""/api/v1/: the Open Referral UK endpoints. A trailing slash is optional; anything else is a
JSON 404."""

from django.urls import path, re_path

from . import views

app_name = "api"

urlpatterns = [
    path("", views.index, name="index"),
    path("openapi.json", views.openapi, name="openapi"),
    re_path(r"^services/?$", views.services, name="services"),
    re_path(r"^services/(?P<id>[^/]+)/?$", views.service_detail, name="service"),
    re_path(r"^service_at_locations/?$", views.service_at_locations, name="service_at_locations"),
    re_path(
        r"^service_at_locations/(?P<id>[^/]+)/?$",
        views.service_at_location_detail,
        name="service_at_location",
    ),
    re_path(r"^organizations/?$", views.organizations, name="organizations"),
    re_path(r"^organizations/(?P<id>[^/]+)/?$", views.organization_detail, name="organization"),
    re_path(r"^taxonomies/?$", views.taxonomies, name="taxonomies"),
    re_path(r"^taxonomies/(?P<id>[^/]+)/?$", views.taxonomy_detail, name="taxonomy"),
    re_path(r"^taxonomy_terms/?$", views.taxonomy_terms, name="taxonomy_terms"),
    re_path(r"^taxonomy_terms/(?P<id>[^/]+)/?$", views.taxonomy_term_detail, name="taxonomy_term"),
    # Any character, line breaks included: every path under /api/v1/ answers JSON.
    re_path(r"^(?P<path>[\s\S]*)$", views.not_found, name="not_found"),
]
