"""The API's index and its OpenAPI description, which must match the routes and params."""

import json

import pytest
from django.urls import URLPattern, get_resolver

from .support import API, get_json, oruk_dir

pytestmark = pytest.mark.django_db


def test_index_says_version_profile_and_openapi_url(client):
    body = get_json(client, f"{API}/")
    assert body == {
        "version": "HSDS-UK-3.0",
        "profile": "https://github.com/openreferral/uk-profile",
        "openapi_url": "http://testserver/api/v1/openapi.json",
    }


# The OpenAPI description --------------------------------------------------------


def api_routes() -> set[str]:
    """The API's routes as OpenAPI paths, read from the URLconf."""
    resolver = get_resolver()
    [api_resolver] = [p for p in resolver.url_patterns if getattr(p, "namespace", "") == "api"]
    paths = set()
    for pattern in api_resolver.url_patterns:
        assert isinstance(pattern, URLPattern)
        if pattern.name == "not_found":
            continue
        route = str(pattern.pattern).strip("^$").replace("/?", "").replace("\\", "")
        route = route.replace("(?P<id>[^/]+)", "{id}")
        paths.add("/" + route)
    return paths


def test_openapi_describes_exactly_the_routes(client):
    document = get_json(client, f"{API}/openapi.json")
    assert document["servers"] == [{"url": "http://testserver/api/v1"}]
    assert set(document["paths"]) == api_routes()


def test_openapi_parameters_are_exactly_those_accepted(client):
    document = get_json(client, f"{API}/openapi.json")
    for path, item in document["paths"].items():
        documented = {p["name"] for p in item["get"].get("parameters", [])}
        if "{id}" in path:
            continue
        for name in documented:
            response = client.get(f"{API}{path}?{name}=")
            assert response.status_code == 200, (path, name, response.content)
        response = client.get(f"{API}{path}?undocumented=1")
        assert response.status_code == 400, path


def test_openapi_refers_to_the_profile_schemas_that_exist():
    folder = oruk_dir()
    from initiatives.api.openapi import ORUK_SCHEMAS, openapi_document

    text = json.dumps(openapi_document(api_url="http://x/api/v1/"))
    refs = {part.split('"')[0] for part in text.split(ORUK_SCHEMAS)[1:]}
    assert refs
    for ref in refs:
        assert (folder / ref).is_file(), ref
