"""Bad input: every client error is a JSON 4xx that says what was wrong; none gives a 5xx."""

import json
import uuid
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from initiatives.api.ids import ID_NAMESPACE
from initiatives.api.params import SERVICE_LIST_PARAMS, TERM_LIST_PARAMS
from initiatives.models import Initiative

from ..factories import AreaFactory, ConditionFactory, InitiativeFactory
from .support import API, get_json

pytestmark = pytest.mark.django_db


# Bad input ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("role=wizard", "role"),
        ("area=atlantis", "area"),
        ("condition=nope", "condition"),
        ("funding_dependency=lots", "funding_dependency"),
        ("per_page=1000", "per_page"),
        ("per_page=0", "per_page"),
        ("page=0", "page"),
        ("page=two", "page"),
        ("page=-1", "page"),
        ("taxonomy_term_id=not-a-uuid", "taxonomy_term_id"),
        (f"taxonomy_term_id={uuid.UUID(int=1)}", "taxonomy_term_id"),
        ("taxonomy_id=zzz", "taxonomy_id"),
        ("modified_after=yesterday", "modified_after"),
        ("modified_after=2024-13-45", "modified_after"),
        ("modified_after=9999-12-31T23:59:59-23:59", "modified_after"),
        ("search=" + "x" * 300, "search"),
        ("postcode=WA7+1AB", "postcode"),
    ],
)
def test_bad_params_are_a_400_that_names_the_param(client, query, param):
    body = get_json(client, f"{API}/services?{query}", 400)
    assert body["status"] == 400
    assert param in body["errors"]
    assert param in body["message"]


def test_every_bad_param_is_reported_at_once(client):
    body = get_json(client, f"{API}/services?per_page=1000&page=0&role=x&modified_after=x", 400)
    assert set(body["errors"]) == {"per_page", "page", "role", "modified_after"}


@pytest.mark.parametrize(
    "path", ["services", "service_at_locations", "organizations", "taxonomies", "taxonomy_terms"]
)
def test_malformed_and_unknown_ids(client, path):
    body = get_json(client, f"{API}/{path}/12345", 400)
    assert "UUID" in body["message"]
    body = get_json(client, f"{API}/{path}/{uuid.uuid4()}", 404)
    assert body["error"] == "Not found"


def test_detail_endpoints_take_no_params(client, bare_record):
    get_json(client, f"{API}/services/{bare_record.uuid}?full=true", 400)


@pytest.mark.parametrize(
    "path", ["nothing", "services/a/b", "v2/services", "services.json", "%0A", "services/%0A/x"]
)
def test_unknown_paths_are_a_json_404(client, path):
    body = get_json(client, f"{API}/{path}", 404)
    assert "openapi.json" in body["message"]


def test_writes_are_refused_as_json(client):
    response = client.post(f"{API}/services", {"name": "x"})
    assert response.status_code == 405
    assert response.json()["error"] == "Method not allowed"
    assert response["Allow"] == "GET, HEAD, OPTIONS"
    assert response["Access-Control-Allow-Origin"] == "*"


def test_cors_preflight(client):
    response = client.options(f"{API}/services")
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == "*"


# Errors raised outside the views: still JSON, in the same shape -------------------


def error_json(response, status: int) -> dict:
    """The API's error shape: JSON whatever went wrong, and open to every origin."""
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    assert response["Access-Control-Allow-Origin"] == "*"
    body = json.loads(response.content)
    assert body["status"] == status
    assert body["error"] and body["message"]
    assert "<" not in response.content.decode()
    return body


def test_a_post_without_a_csrf_token_is_a_json_403():
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(f"{API}/services", {"name": "x"})
    body = error_json(response, 403)
    assert body["error"] == "Forbidden"
    assert "read-only" in body["message"]


def test_too_many_params_are_a_json_400(client, settings):
    limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    query = "&".join(f"p{n}=1" for n in range(limit + 1))
    body = error_json(client.get(f"{API}/services?{query}"), 400)
    assert f"{limit:,}" in body["message"]


def test_a_body_over_the_limit_is_a_json_413(client, settings):
    body = b"x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = client.post(f"{API}/services", body, content_type="application/octet-stream")
    assert error_json(response, 413)["error"] == "Content too large"


def test_a_method_not_allowed_is_a_json_405(client):
    assert error_json(client.delete(f"{API}/services"), 405)["error"] == "Method not allowed"


def test_an_unexpected_error_is_a_json_500_and_is_logged(monkeypatch, caplog):
    from django.test import Client

    from initiatives.api import views

    def broken(*args, **kwargs):
        raise RuntimeError("the register broke")

    monkeypatch.setattr(views, "filtered_services", broken)
    response = Client(raise_request_exception=False).get(f"{API}/services")
    body = error_json(response, 500)
    assert "the register broke" not in body["message"]
    assert any("the register broke" in str(r.exc_info) for r in caplog.records if r.exc_info)


def test_a_database_outage_is_a_json_503(monkeypatch):
    from django.db import OperationalError
    from django.db.backends.utils import CursorWrapper
    from django.test import Client

    def down(*args, **kwargs):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(CursorWrapper, "execute", down)
    response = Client(raise_request_exception=False).get(f"{API}/services")
    body = error_json(response, 503)
    assert body["error"] == "Service unavailable"
    assert "connect" not in body["message"]


def test_an_html_error_from_anywhere_becomes_the_json_shape(rf):
    from django.http import HttpResponse

    from directory.middleware import ApiErrorsMiddleware

    middleware = ApiErrorsMiddleware(lambda request: HttpResponse("<h1>Slow down</h1>", status=429))
    body = error_json(middleware(rf.get(f"{API}/services")), 429)
    assert body["error"] == "Too many requests"
    page = middleware(rf.get("/initiatives/"))
    assert page.content == b"<h1>Slow down</h1>"


# No input gives a 5xx -------------------------------------------------------------

PARAM_NAMES = sorted(
    {p.name for p in SERVICE_LIST_PARAMS + TERM_LIST_PARAMS}
    | {"postcode", "proximity", "full", "sort", "q"}
)
ENDPOINTS = [
    "/",
    "/services",
    "/services/{id}",
    "/service_at_locations",
    "/service_at_locations/{id}",
    "/organizations",
    "/organizations/{id}",
    "/taxonomies",
    "/taxonomies/{id}",
    "/taxonomy_terms",
    "/taxonomy_terms/{id}",
    "/openapi.json",
    "/{id}",
]
printable = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
values = st.one_of(
    printable,
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.uuids().map(str),
    st.sampled_from(
        [
            "",
            "0",
            "1",
            "100",
            "101",
            "1e3",
            " 2",
            "２",
            "campaigning",
            "asthma",
            "halton",
            "2024-02-30",
            "2024-01-01T00:00:00Z",
            "9999-12-31T23:59:59-23:59",
            "0001-01-01T00:00:00+23:59",
            str(uuid.uuid5(ID_NAMESPACE, "taxonomy/condition")),
            str(uuid.uuid5(ID_NAMESPACE, "role/both")),
            "' OR 1=1 --",
            "%00",
        ]
    ),
)
params = st.lists(st.tuples(st.one_of(st.sampled_from(PARAM_NAMES), printable), values), max_size=6)


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    endpoint=st.sampled_from(ENDPOINTS),
    path_id=st.one_of(printable, st.uuids().map(str)),
    query=params,
)
def test_no_params_give_a_server_error(client, endpoint, path_id, query):
    if not Initiative.objects.exists():
        InitiativeFactory(
            conditions=[ConditionFactory(name="Asthma")], areas=[AreaFactory(name="Halton")]
        )
    path = API + endpoint.replace("{id}", quote(path_id, safe=""))
    response = client.get(f"{path}?{urlencode(query)}")
    assert response.status_code < 500, (path, query, response.content[:300])
    assert response["Access-Control-Allow-Origin"] == "*"
    body = response.json()
    if response.status_code >= 400:
        assert body["message"]
