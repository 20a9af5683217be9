"""The Open Referral UK validator's walk: every endpoint the API lists, every page of each
list, every record of each list at its own endpoint, each answer against the profile's
schemas (strict: additionalProperties false). Done as a plain reader and as a sync
(`modified_after`), which adds withdrawn records as deletions."""

import pytest

from initiatives.api.openapi import ORUK_SCHEMAS
from initiatives.models import Initiative

from ..factories import InitiativeFactory, OrganisationFactory, PostcodeFactory
from .support import API, get_json, oruk_dir, problems, schema_for_file

pytestmark = pytest.mark.django_db

PER_PAGE = 2


@pytest.fixture
def small_register(full_record, bare_record):
    """Enough of everything for two pages or more of each list, and one of each kind of
    record a sync can meet: ended, withdrawn, never published."""
    PostcodeFactory()
    for n in range(3):
        InitiativeFactory(name=f"Located {n}", postcode="WA7 1AB", address="1 High Street")
    InitiativeFactory(name="Ended", lifecycle=Initiative.Lifecycle.ENDED, postcode="WA7 1AB")
    withdrawn = InitiativeFactory(
        name="Withdrawn", postcode="WA7 1AB", organisation=OrganisationFactory(name="Gone")
    )
    withdrawn.status = Initiative.Status.ARCHIVED
    withdrawn.save()
    InitiativeFactory(name="Never published", status=Initiative.Status.DRAFT)
    return full_record


def local_file(ref: str) -> str:
    assert ref.startswith(ORUK_SCHEMAS), ref
    return ref.removeprefix(ORUK_SCHEMAS)


def response_schema(operation: dict) -> dict:
    return operation["get"]["responses"]["200"]["content"]["application/json"]["schema"]


def walk_list(client, path: str, item_file: str, query: str) -> list[dict]:
    """Every page of a list, each valid; the items of all of them."""
    schema = schema_for_file(item_file, page=True)
    items, page = [], 1
    while True:
        body = get_json(client, f"{API}{path}?per_page={PER_PAGE}&page={page}{query}")
        assert not problems(body, schema), (path, page, problems(body, schema))
        assert body["page_number"] == page
        items += body["contents"]
        if body["last_page"]:
            break
        page += 1
    assert page == body["total_pages"] >= 2, f"{path}: one page only, the walk proves little"
    assert len(items) == body["total_items"]
    assert len({item["id"] for item in items}) == len(items), f"{path}: an item repeats"
    return items


@pytest.mark.parametrize("sync", [False, True], ids=["reader", "sync"])
def test_every_endpoint_listed_and_every_page_is_valid(client, small_register, sync):
    oruk_dir()
    index = get_json(client, f"{API}/")
    document = get_json(client, index["openapi_url"].removeprefix("http://testserver"))
    paths = document["paths"]
    assert {"/organizations", "/organizations/{id}"} <= set(paths)
    ids: dict[str, list[str]] = {}
    for path, operation in paths.items():
        if "{id}" in path or path in ("/", "/openapi.json"):
            continue
        taken = {param["name"] for param in operation["get"]["parameters"]}
        query = "&modified_after=2000-01-01" if sync and "modified_after" in taken else ""
        item_ref = response_schema(operation)["properties"]["contents"]["items"]["$ref"]
        items = walk_list(client, path, local_file(item_ref), query)
        ids[path] = [item["id"] for item in items if is_listed(item)]
    checked = set()
    for path, operation in paths.items():
        if "{id}" not in path:
            continue
        schema = schema_for_file(local_file(response_schema(operation)["$ref"]))
        listed = ids[path.removesuffix("/{id}")]
        assert listed, f"{path}: no record to check"
        for record_id in listed:
            body = get_json(client, f"{API}{path.replace('{id}', record_id)}")
            assert not problems(body, schema), (path, record_id, problems(body, schema))
        checked.add(path)
    assert checked == {path for path in paths if "{id}" in path}
    assert not problems(index, response_schema(paths["/"]))


def is_listed(item: dict) -> bool:
    """Not a deletion of a sync feed (those have no record of their own to fetch)."""
    service = item.get("service", item)
    return "Withdrawn" not in service.get("alert", "") + service.get("description", "")
