"""What the API tests share: the path, a JSON getter, and the Open Referral UK schemas."""

import copy
import json
import os
from datetime import datetime
from functools import cache
from pathlib import Path
from urllib.parse import urlparse

import pytest
from jsonschema import Draft202012Validator, FormatChecker

ORUK = Path(__file__).resolve().parents[2].parent / "shared" / "oruk-3.0"
API = "/api/v1"


# Schemas --------------------------------------------------------------------


def oruk_dir() -> Path:
    """The Open Referral UK schemas; a skip when absent, a failure when absent in CI."""
    if not (ORUK / "compiled").is_dir():
        message = f"Open Referral UK 3.0 schemas not found at {ORUK}"
        if os.environ.get("CI", "").strip().lower() == "true":
            pytest.fail(f"{message}: CI must validate the API against them.")
        pytest.skip(f"{message}; the schema checks are skipped.")
    return ORUK


@cache
def _load(name: str) -> dict:
    return json.loads((ORUK / name).read_text(encoding="utf-8"))


def strict(schema):
    """The schema with additionalProperties false on every object, so a misspelt field fails."""
    if isinstance(schema, list):
        return [strict(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    result = {key: strict(value) for key, value in schema.items()}
    if "properties" in result or result.get("type") == "object":
        result["additionalProperties"] = False
    return result


def inline(schema, folder: Path):
    """Replace `"$ref": "x.json"` with the file's contents (the uncompiled taxonomy schema)."""
    if isinstance(schema, list):
        return [inline(item, folder) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema and schema["$ref"].endswith(".json"):
        return inline(json.loads((folder / schema["$ref"]).read_text()), folder)
    return {key: inline(value, folder) for key, value in schema.items()}


format_checker = FormatChecker()


@format_checker.checks("date-time", raises=ValueError)
def _is_datetime(value) -> bool:
    return not isinstance(value, str) or datetime.fromisoformat(value).tzinfo is not None


@format_checker.checks("uri", raises=ValueError)
def _is_uri(value) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlparse(value)
    return bool(parts.scheme and parts.netloc)


@cache
def schema_for(kind: str) -> dict:
    """A strict schema for what an endpoint returns; a list endpoint is Page + contents."""
    oruk_dir()
    items = {
        "service": "compiled/service.json",
        "service_list": "compiled/service_list.json",
        "service_at_location": "compiled/service_at_location.json",
        "service_at_location_list": "compiled/service_at_location_list.json",
        "organization": "compiled/organization.json",
        "organization_list": "compiled/organization_list.json",
        "taxonomy": "taxonomy.json",
        "taxonomy_term": "taxonomy_term.json",
    }
    if kind.startswith("page:"):
        return schema_for_file(items[kind[5:]], page=True)
    return schema_for_file(items[kind])


def assert_valid(body, kind: str) -> None:
    found = problems(body, schema_for(kind))
    assert not found, "\n".join(found)


def assert_no_empty_values(value, where="") -> None:
    """Empty optional fields are left out, not null or empty lists."""
    if isinstance(value, dict):
        for key, item in value.items():
            assert item is not None and item != [], f"{where}/{key} is empty"
            assert_no_empty_values(item, f"{where}/{key}")
    elif isinstance(value, list):
        for n, item in enumerate(value):
            assert_no_empty_values(item, f"{where}/{n}")


def get_json(client, path: str, status: int = 200) -> dict:
    response = client.get(path)
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"] == "application/json"
    assert response["Access-Control-Allow-Origin"] == "*"
    return response.json()


def names(client, query: str, path: str = "services") -> list[str]:
    body = get_json(client, f"{API}/{path}?{query}")
    return sorted(item.get("name") or item["service"]["name"] for item in body["contents"])


@cache
def schema_for_file(name: str, *, page: bool = False) -> dict:
    """A strict schema from one of the profile's files (as openapi.py refers to it by
    URL); with `page`, the Page object with items of that schema as `contents`."""
    oruk_dir()
    item = strict(inline(copy.deepcopy(_load(name)), ORUK))
    if not page:
        return item
    page_fields = _load("openapi.json")["components"]["schemas"]["Page"]["properties"]
    return strict(
        {
            "type": "object",
            "properties": page_fields | {"contents": {"type": "array", "items": item}},
            "required": [*page_fields, "contents"],
        }
    )


def problems(body, schema: dict) -> list[str]:
    validator = Draft202012Validator(schema, format_checker=format_checker)
    return [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator.iter_errors(body)
    ]
