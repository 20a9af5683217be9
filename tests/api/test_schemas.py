"""Every endpoint answers in the Open Referral UK 3.0 shape, checked against strict schemas."""

import json
import uuid

import pytest
from jsonschema import Draft202012Validator

from . import support
from .support import API, assert_no_empty_values, assert_valid, get_json, oruk_dir, schema_for

pytestmark = pytest.mark.django_db


# The Open Referral shape ------------------------------------------------------


def test_strict_schemas_accept_the_profiles_own_examples():
    folder = oruk_dir() / "examples"
    for example, kind in [
        ("service_full.json", "service"),
        ("service_list.json", "page:service_list"),
        ("service_at_location_full.json", "service_at_location"),
        ("service_at_location_list.json", "page:service_at_location_list"),
        ("organization_full.json", "organization"),
        ("organization_list.json", "page:organization_list"),
        ("taxonomy.json", "taxonomy"),
        ("taxonomy_term.json", "taxonomy_term"),
    ]:
        assert_valid(json.loads((folder / example).read_text()), kind)


def test_without_the_schemas_the_checks_skip_but_fail_in_ci(monkeypatch, tmp_path):
    monkeypatch.setattr(support, "ORUK", tmp_path / "absent")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="schemas not found"):
        oruk_dir()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must validate"):
        oruk_dir()


def test_strict_schemas_refuse_a_misspelt_field():
    oruk_dir()
    validator = Draft202012Validator(schema_for("service"))
    assert not validator.is_valid(
        {"id": str(uuid.uuid4()), "name": "x", "status": "active"} | {"emial": "a@b.example"}
    )


def test_every_endpoint_answers_in_the_profile_shape(client, full_record, bare_record):
    services = get_json(client, f"{API}/services")
    assert_valid(services, "page:service_list")
    assert [s["name"] for s in services["contents"]] == ["Bare", "Ukulele lessons"]

    for record in (full_record, bare_record):
        assert_valid(get_json(client, f"{API}/services/{record.uuid}"), "service")

    located = get_json(client, f"{API}/service_at_locations")
    assert_valid(located, "page:service_at_location_list")
    [item] = located["contents"]
    assert_valid(
        get_json(client, f"{API}/service_at_locations/{item['id']}"), "service_at_location"
    )

    organizations = get_json(client, f"{API}/organizations")
    assert_valid(organizations, "page:organization_list")
    [organization] = organizations["contents"]
    assert_valid(get_json(client, f"{API}/organizations/{organization['id']}"), "organization")

    taxonomies = get_json(client, f"{API}/taxonomies")
    assert_valid(taxonomies, "page:taxonomy")
    for taxonomy in taxonomies["contents"]:
        assert_valid(get_json(client, f"{API}/taxonomies/{taxonomy['id']}"), "taxonomy")

    terms = get_json(client, f"{API}/taxonomy_terms?per_page=100")
    assert_valid(terms, "page:taxonomy_term")
    for term in terms["contents"]:
        assert_valid(get_json(client, f"{API}/taxonomy_terms/{term['id']}"), "taxonomy_term")


def test_empty_optional_fields_are_left_out(client, full_record, bare_record):
    bare = get_json(client, f"{API}/services/{bare_record.uuid}")
    assert set(bare) <= {"id", "name", "status", "last_modified", "attributes"}
    for path in [
        f"{API}/services",
        f"{API}/services/{full_record.uuid}",
        f"{API}/service_at_locations",
        f"{API}/organizations",
        f"{API}/organizations/{full_record.organisation.uuid}",
        f"{API}/taxonomies",
        f"{API}/taxonomy_terms",
    ]:
        assert_no_empty_values(get_json(client, path), path)
