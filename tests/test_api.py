import copy
import json
import os
import sys
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path
from urllib.parse import quote, urlencode, urlparse

import pytest
from django.urls import URLPattern, get_resolver
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator, FormatChecker

from initiatives.api.ids import ID_NAMESPACE, linked_id
from initiatives.api.params import SERVICE_LIST_PARAMS, TERM_LIST_PARAMS
from initiatives.models import Initiative, VanguardSite

from .factories import (
    AreaFactory,
    ConditionFactory,
    FundingLineFactory,
    InitiativeFactory,
    OrganisationFactory,
    PopulationGroupFactory,
    TopicFactory,
    VanguardSiteFactory,
)

pytestmark = pytest.mark.django_db

ORUK = Path(__file__).resolve().parents[1].parent / "shared" / "oruk-3.0"
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
        "taxonomy": "taxonomy.json",
        "taxonomy_term": "taxonomy_term.json",
    }
    if kind.startswith("page:"):
        page = _load("openapi.json")["components"]["schemas"]["Page"]
        schema = {
            "type": "object",
            "properties": page["properties"]
            | {"contents": {"type": "array", "items": schema_for(kind[5:])}},
            "required": [*page["properties"], "contents"],
        }
    else:
        schema = inline(copy.deepcopy(_load(items[kind])), ORUK)
    return strict(schema)


def assert_valid(body, kind: str) -> None:
    validator = Draft202012Validator(schema_for(kind), format_checker=format_checker)
    problems = [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator.iter_errors(body)
    ]
    assert not problems, "\n".join(problems)


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


# Data -----------------------------------------------------------------------


@pytest.fixture
def full_record():
    """An initiative with every field the API shows."""
    icb = AreaFactory(name="Cheshire and Merseyside", kind="icb", code="E54000008")
    halton = AreaFactory(name="Halton", code="E06000006", parent=icb)
    organisation = OrganisationFactory(
        name="Halton Social Enterprise",
        legal_form="cic",
        charity_number="SC012345",
        company_number="08123456",
        website="https://hse.example.org/",
    )
    FundingLineFactory(
        organisation=organisation, funder_type="nhs", funder_name="Halton ICB", share=Decimal("60")
    )
    FundingLineFactory(organisation=organisation, funder_type="corporate", share=Decimal("12.5"))
    return InitiativeFactory(
        name="Ukulele lessons",
        summary="Music for wellbeing.",
        description="Weekly sessions.\nAll welcome.",
        organisation=organisation,
        role="both",
        topics=[TopicFactory(name="Arts and health")],
        conditions=[ConditionFactory(name="Dementia"), ConditionFactory(name="ALS", is_rare=True)],
        population_groups=[PopulationGroupFactory(name="Older people")],
        areas=[halton],
        national=True,
        vanguard=VanguardSiteFactory(care_model=VanguardSite.CareModel.MCP),
        cost="free",
        min_age=0,
        max_age=99,
        website="https://ukulele.example.org/",
        email="hello@ukulele.example.org",
        phone="01928 123456",
        address="Church Street\nRuncorn\nWA7 1AB",
        postcode="WA7 1AB",
        last_verified_on=date(2025, 3, 1),
    )


@pytest.fixture
def bare_record():
    """An initiative with nothing optional filled in."""
    return InitiativeFactory(
        name="Bare", organisation=None, summary="", last_verified_on=None, role="campaigning"
    )


# The Open Referral shape ------------------------------------------------------


def test_strict_schemas_accept_the_profiles_own_examples():
    folder = oruk_dir() / "examples"
    for example, kind in [
        ("service_full.json", "service"),
        ("service_list.json", "page:service_list"),
        ("service_at_location_full.json", "service_at_location"),
        ("service_at_location_list.json", "page:service_at_location_list"),
        ("taxonomy.json", "taxonomy"),
        ("taxonomy_term.json", "taxonomy_term"),
    ]:
        assert_valid(json.loads((folder / example).read_text()), kind)


def test_without_the_schemas_the_checks_skip_but_fail_in_ci(monkeypatch, tmp_path):
    monkeypatch.setattr(sys.modules[__name__], "ORUK", tmp_path / "absent")
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


def test_index_says_version_profile_and_openapi_url(client):
    body = get_json(client, f"{API}/")
    assert body == {
        "version": "HSDS-UK-3.0",
        "profile": "https://github.com/openreferral/uk-profile",
        "openapi_url": "http://testserver/api/v1/openapi.json",
    }


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

    taxonomies = get_json(client, f"{API}/taxonomies")
    assert_valid(taxonomies, "page:taxonomy")
    for taxonomy in taxonomies["contents"]:
        assert_valid(get_json(client, f"{API}/taxonomies/{taxonomy['id']}"), "taxonomy")

    terms = get_json(client, f"{API}/taxonomy_terms?per_page=100")
    assert_valid(terms, "page:taxonomy_term")
    for term in terms["contents"]:
        assert_valid(get_json(client, f"{API}/taxonomy_terms/{term['id']}"), "taxonomy_term")


def test_full_service_carries_organisation_areas_funding_contacts_and_attributes(
    client, full_record
):
    body = get_json(client, f"{API}/services/{full_record.uuid}")
    assert body["id"] == str(full_record.uuid)
    assert body["status"] == "active"
    assert body["description"] == "Music for wellbeing.\n\nWeekly sessions.\nAll welcome."
    assert body["url"] == "https://ukulele.example.org/"
    assert body["email"] == "hello@ukulele.example.org"
    assert (body["minimum_age"], body["maximum_age"]) == (0, 99)
    assert body["assured_date"] == "2025-03-01"

    organisation = body["organization"]
    assert organisation["name"] == "Halton Social Enterprise"
    assert organisation["description"] == "Community interest company"
    assert body["organization_id"] == organisation["id"] == str(full_record.organisation.uuid)
    assert {
        (i["identifier_scheme"], i["identifier"]) for i in organisation["organization_identifiers"]
    } == {("GB-SC", "SC012345"), ("GB-COH", "08123456")}

    areas = {area["name"]: area for area in body["service_areas"]}
    assert set(areas) == {"National", "Halton"}
    assert areas["Halton"]["uri"].endswith("/E06000006")

    assert sorted(f["source"] for f in body["funding"]) == [
        "Corporate: 12.5% of the organisation's income in 2025.",
        "NHS (Halton ICB): 60% of the organisation's income in 2025.",
    ]
    assert [c["title"] for c in body["contacts"]] == ["Phone: 01928 123456"]
    assert body["cost_options"][0]["option"] == "Free"

    terms = {(a["link_type"], a["taxonomy_term"]["name"]) for a in body["attributes"]}
    assert terms == {
        ("role", "Both"),
        ("topic", "Arts and health"),
        ("condition", "Dementia"),
        ("condition", "ALS"),
        ("population_group", "Older people"),
        ("funding_dependency", "Dependent (largest funder 50-74%)"),
        ("care_model", "Multispecialty community provider"),
    }
    for attribute in body["attributes"]:
        assert attribute["taxonomy_term_id"] == attribute["taxonomy_term"]["id"]
        assert attribute["link_id"] == body["id"]
        term = get_json(client, f"{API}/taxonomy_terms/{attribute['taxonomy_term_id']}")
        assert term == attribute["taxonomy_term"]

    [at_location] = body["service_at_locations"]
    address = at_location["location"]["addresses"][0]
    assert (address["address_1"], address["city"], address["postal_code"]) == (
        "Church Street",
        "Runcorn",
        "WA7 1AB",
    )
    again = get_json(client, f"{API}/service_at_locations/{at_location['id']}")
    assert again["service"]["id"] == body["id"]
    assert again["location"] == at_location["location"]


def test_empty_optional_fields_are_left_out(client, full_record, bare_record):
    bare = get_json(client, f"{API}/services/{bare_record.uuid}")
    assert set(bare) <= {"id", "name", "status", "last_modified", "attributes"}
    for path in [
        f"{API}/services",
        f"{API}/services/{full_record.uuid}",
        f"{API}/service_at_locations",
        f"{API}/taxonomies",
        f"{API}/taxonomy_terms",
    ]:
        assert_no_empty_values(get_json(client, path), path)


def test_last_modified_is_utc_with_milliseconds(client, bare_record):
    body = get_json(client, f"{API}/services/{bare_record.uuid}")
    moment = datetime.fromisoformat(body["last_modified"])
    assert body["last_modified"].endswith("Z")
    assert abs(moment - bare_record.updated_at) < timedelta(milliseconds=1)


# Published records only ---------------------------------------------------------


def test_only_published_records_are_served(client):
    shown = InitiativeFactory(name="Shown", postcode="WA7 1AB")
    hidden = [
        InitiativeFactory(status=status, postcode="WA7 1AB")
        for status in (Initiative.Status.DRAFT, Initiative.Status.ARCHIVED)
    ]
    assert [s["id"] for s in get_json(client, f"{API}/services")["contents"]] == [str(shown.uuid)]
    located = get_json(client, f"{API}/service_at_locations")["contents"]
    assert [s["service"]["id"] for s in located] == [str(shown.uuid)]
    for record in hidden:
        body = get_json(client, f"{API}/services/{record.uuid}", 404)
        assert body["message"] == f"No published service has the id {record.uuid}."
        sal_id = linked_id(record.uuid, "service_at_location")
        get_json(client, f"{API}/service_at_locations/{sal_id}", 404)


def test_service_at_locations_are_the_services_with_an_address_or_postcode(client):
    InitiativeFactory(name="Postcode only", postcode="WA7 1AB")
    InitiativeFactory(name="Address only", address="1 High Street, Runcorn")
    nowhere = InitiativeFactory(name="Nowhere")
    located = get_json(client, f"{API}/service_at_locations")["contents"]
    assert [item["service"]["name"] for item in located] == ["Address only", "Postcode only"]
    get_json(
        client,
        f"{API}/service_at_locations/{linked_id(nowhere.uuid, 'service_at_location')}",
        404,
    )
    assert "service_at_locations" not in get_json(client, f"{API}/services/{nowhere.uuid}")


# Pages --------------------------------------------------------------------------


def test_pages(client):
    for n in range(5):
        InitiativeFactory(name=f"Item {n}")
    first = get_json(client, f"{API}/services?per_page=2")
    assert {k: v for k, v in first.items() if k != "contents"} == {
        "total_items": 5,
        "total_pages": 3,
        "page_number": 1,
        "size": 2,
        "first_page": True,
        "last_page": False,
        "empty": False,
    }
    last = get_json(client, f"{API}/services?per_page=2&page=3")
    assert [s["name"] for s in last["contents"]] == ["Item 4"]
    assert (last["size"], last["first_page"], last["last_page"]) == (1, False, True)
    beyond = get_json(client, f"{API}/services?per_page=2&page=999999999")
    assert (beyond["contents"], beyond["empty"], beyond["last_page"]) == ([], True, True)


def test_no_records_is_an_empty_first_page(client):
    body = get_json(client, f"{API}/services")
    assert body == {
        "total_items": 0,
        "total_pages": 0,
        "page_number": 1,
        "size": 0,
        "first_page": True,
        "last_page": True,
        "empty": True,
        "contents": [],
    }


# Filters ------------------------------------------------------------------------


def names(client, query: str, path: str = "services") -> list[str]:
    body = get_json(client, f"{API}/{path}?{query}")
    return sorted(item.get("name") or item["service"]["name"] for item in body["contents"])


def test_the_listings_filters(client):
    icb = AreaFactory(name="Cheshire and Merseyside", kind="icb")
    halton = AreaFactory(name="Halton", parent=icb)
    asthma, dementia = ConditionFactory(name="Asthma"), ConditionFactory(name="Dementia")
    arts = TopicFactory(name="Arts")
    vanguard = VanguardSiteFactory(name="Wirral")
    dependent = OrganisationFactory()
    FundingLineFactory(organisation=dependent, share=Decimal("80"))
    InitiativeFactory(name="A", areas=[halton], conditions=[asthma], postcode="WA7 1AB")
    InitiativeFactory(name="B", role="campaigning", conditions=[dementia], topics=[arts])
    InitiativeFactory(name="C", vanguard=vanguard, organisation=dependent)
    InitiativeFactory(name="Ukulele club", conditions=[asthma, dementia])

    assert names(client, "role=campaigning") == ["B"]
    assert names(client, "area=cheshire-and-merseyside") == ["A"]
    assert names(client, "area=cheshire-and-merseyside", "service_at_locations") == ["A"]
    assert names(client, "vanguard=wirral") == ["C"]
    assert names(client, "funding_dependency=highly_dependent") == ["C"]
    assert names(client, "condition=asthma") == ["A", "Ukulele club"]
    assert names(client, "condition=asthma&condition=dementia") == ["A", "B", "Ukulele club"]
    assert names(client, "topic=arts") == ["B"]
    assert names(client, "search=ukulele") == ["Ukulele club"]
    assert names(client, "search=ukulele&condition=asthma") == ["Ukulele club"]


def test_taxonomy_filters(client):
    rare = ConditionFactory(name="ALS", is_rare=True)
    InitiativeFactory(name="Has condition", conditions=[rare])
    InitiativeFactory(name="Campaign", role="campaigning")
    InitiativeFactory(name="Vanguard", vanguard=VanguardSiteFactory(care_model="ehch"))

    terms = get_json(client, f"{API}/taxonomy_terms?per_page=100")["contents"]
    by_name = {(term["taxonomy"], term["name"]): term["id"] for term in terms}
    taxonomies = {t["name"]: t["id"] for t in get_json(client, f"{API}/taxonomies")["contents"]}

    assert names(client, f"taxonomy_term_id={by_name['Conditions', 'ALS']}") == ["Has condition"]
    assert names(client, f"taxonomy_term_id={by_name['Role', 'Campaigning group']}") == ["Campaign"]
    care_home = by_name["Vanguard care models", "Enhanced health in care homes"]
    assert names(client, f"taxonomy_term_id={care_home}") == ["Vanguard"]
    assert names(client, f"taxonomy_id={taxonomies['Conditions']}") == ["Has condition"]
    assert names(client, f"taxonomy_id={taxonomies['Vanguard care models']}") == ["Vanguard"]
    assert len(names(client, f"taxonomy_id={taxonomies['Role']}")) == 3


def test_modified_after(client):
    old = InitiativeFactory(name="Old")
    Initiative.objects.filter(pk=old.pk).update(updated_at=datetime(2020, 1, 1, tzinfo=UTC))
    InitiativeFactory(name="New")
    assert names(client, "modified_after=2021-01-01") == ["New"]
    assert names(client, "modified_after=2019-12-31T23:00:00Z") == ["New", "Old"]
    # An unencoded "+" arrives as a space; it is read as the offset it was meant to be.
    assert names(client, "modified_after=2020-01-01T01:00:00+01:00") == ["New", "Old"]
    assert names(client, "modified_after=2020-01-01T01:00:01%2B01:00") == ["New"]


def test_taxonomy_ids_are_stable_uuid5_values(client):
    ConditionFactory(name="Asthma")
    taxonomies = get_json(client, f"{API}/taxonomies")["contents"]
    assert [t["name"] for t in taxonomies] == [
        "Role",
        "Topics",
        "Conditions",
        "Population groups",
        "Funding dependency",
        "Vanguard care models",
    ]
    expected = str(uuid.uuid5(ID_NAMESPACE, "taxonomy/condition"))
    assert taxonomies[2]["id"] == expected
    conditions = get_json(client, f"{API}/taxonomies/{expected}")
    assert [(t["name"], t["term"]) for t in conditions["taxonomy_terms"]] == [("Asthma", "asthma")]
    assert conditions["taxonomy_terms"][0]["id"] == str(
        uuid.uuid5(ID_NAMESPACE, "condition/asthma")
    )
    assert conditions["taxonomy_terms"][0]["term_uri"] == (
        "http://testserver/initiatives/?condition=asthma"
    )
    only = get_json(client, f"{API}/taxonomy_terms?taxonomy_id={expected}")["contents"]
    assert [t["name"] for t in only] == ["Asthma"]


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
    "path", ["services", "service_at_locations", "taxonomies", "taxonomy_terms"]
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


def test_trailing_slash_is_optional(client, bare_record):
    assert get_json(client, f"{API}/services/")["total_items"] == 1
    assert get_json(client, f"{API}/services/{bare_record.uuid}/")["name"] == "Bare"


# Queries ------------------------------------------------------------------------


def test_list_query_count_does_not_grow_with_items(client, django_assert_max_num_queries):
    def add(n):
        for _ in range(n):
            InitiativeFactory(
                organisation=OrganisationFactory(),
                topics=[TopicFactory()],
                areas=[AreaFactory()],
                postcode="WA7 1AB",
            )

    # The count, the page's ids, their rows.
    add(3)
    for path in ["services", "service_at_locations"]:
        with django_assert_max_num_queries(3):
            get_json(client, f"{API}/{path}")
    add(40)
    for path in ["services", "service_at_locations"]:
        with django_assert_max_num_queries(3):
            assert get_json(client, f"{API}/{path}?per_page=100")["size"] == 43


def test_detail_query_count_is_fixed(client, full_record, django_assert_max_num_queries):
    with django_assert_max_num_queries(7):
        get_json(client, f"{API}/services/{full_record.uuid}")


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
