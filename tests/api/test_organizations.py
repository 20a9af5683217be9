"""/organizations: the organisations with a published service, each with those services."""

import pytest

from initiatives.models import Initiative

from ..factories import (
    AreaFactory,
    FundingLineFactory,
    InitiativeFactory,
    OrganisationFactory,
    TopicFactory,
)
from .support import API, get_json

pytestmark = pytest.mark.django_db


def test_organisations_are_those_with_a_published_service(client):
    listed = OrganisationFactory(name="Listed", website="https://listed.example.org/")
    InitiativeFactory(organisation=listed)
    InitiativeFactory(organisation=listed)
    for status in (Initiative.Status.DRAFT, Initiative.Status.ARCHIVED):
        InitiativeFactory(organisation=OrganisationFactory(name=f"Only {status}"), status=status)
    OrganisationFactory(name="No services")
    body = get_json(client, f"{API}/organizations")
    assert body["total_items"] == 1
    assert body["contents"] == [
        {
            "id": str(listed.uuid),
            "name": "Listed",
            "description": "Registered charity",
            "website": "https://listed.example.org/",
        }
    ]


def test_an_organisation_has_its_published_services_only(client):
    organisation = OrganisationFactory(name="Halton Social Enterprise", charity_number="1100000")
    InitiativeFactory(name="Walks", organisation=organisation)
    InitiativeFactory(
        name="Old walks", organisation=organisation, lifecycle=Initiative.Lifecycle.ENDED
    )
    archived = InitiativeFactory(name="Archived walks", organisation=organisation)
    archived.status = Initiative.Status.ARCHIVED
    archived.save()
    InitiativeFactory(name="Draft walks", organisation=organisation, status="draft")
    body = get_json(client, f"{API}/organizations/{organisation.uuid}")
    assert body["id"] == str(organisation.uuid)
    assert [(s["name"], s["status"]) for s in body["services"]] == [
        ("Old walks", "defunct"),
        ("Walks", "active"),
    ]
    assert body["services"][0]["organization_id"] == str(organisation.uuid)
    assert "organization" not in body["services"][0]
    [identifier] = body["organization_identifiers"]
    assert identifier["identifier"] == "1100000"
    # The id is the organisation's permanent UUID, the same from list to detail.
    assert [o["id"] for o in get_json(client, f"{API}/organizations")["contents"]] == [body["id"]]


def test_search_organisations_by_name(client):
    for name in ("Halton Carers", "Runcorn Walks"):
        InitiativeFactory(organisation=OrganisationFactory(name=name))
    body = get_json(client, f"{API}/organizations?search=carers")
    assert [o["name"] for o in body["contents"]] == ["Halton Carers"]
    get_json(client, f"{API}/organizations?search=" + "x" * 300, 400)


def test_organisation_ids_malformed_unknown_and_params(client):
    assert "UUID" in get_json(client, f"{API}/organizations/12345", 400)["message"]
    organisation = OrganisationFactory()
    get_json(client, f"{API}/organizations/{organisation.uuid}", 404)
    InitiativeFactory(organisation=organisation)
    get_json(client, f"{API}/organizations/{organisation.uuid}?full=true", 400)
    get_json(client, f"{API}/organizations?full_service=true", 400)
    get_json(client, f"{API}/organizations?per_page=1000", 400)


def test_organisation_list_query_count_does_not_grow(client, django_assert_max_num_queries):
    def add(n):
        for _ in range(n):
            InitiativeFactory(organisation=OrganisationFactory())

    # The count, the page's ids, their rows.
    add(3)
    with django_assert_max_num_queries(3):
        get_json(client, f"{API}/organizations")
    add(40)
    with django_assert_max_num_queries(3):
        assert get_json(client, f"{API}/organizations?per_page=100")["size"] == 43


def test_organisation_detail_query_count_is_fixed(client, django_assert_max_num_queries):
    organisation = OrganisationFactory()
    FundingLineFactory(organisation=organisation)

    def add(n):
        for _ in range(n):
            InitiativeFactory(
                organisation=organisation, topics=[TopicFactory()], areas=[AreaFactory()]
            )

    add(1)
    with django_assert_max_num_queries(9) as one:
        get_json(client, f"{API}/organizations/{organisation.uuid}")
    add(20)
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert len(get_json(client, f"{API}/organizations/{organisation.uuid}")["services"]) == 21
