"""/services and /services/{id}: the nested service, pages, filters and query counts."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from initiatives.api.ids import linked_id
from initiatives.models import Initiative

from ..factories import (
    AreaFactory,
    ConditionFactory,
    FundingLineFactory,
    InitiativeFactory,
    OrganisationFactory,
    TopicFactory,
    VanguardSiteFactory,
)
from .support import API, get_json, names

pytestmark = pytest.mark.django_db


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
        "2025-26: Corporate, 12.5% of its income",
        "2025-26: Halton ICB (NHS), 60% of its income",
    ]
    assert [(c.get("name"), c["title"]) for c in body["contacts"]] == [
        ("Enquiries", "Phone: 01928 123456"),
        ("Sam Jones", "Coordinator; Phone: 01928 654321; Email: sam@ukulele.example.org"),
    ]
    assert body["cost_options"][0]["option"] == "Free"
    assert body["cost_options"][0]["amount_description"] == "Free for carers"
    schedules = {s["description"]: s for s in body["schedules"]}
    assert schedules["Monday 10:00 to 12:00"] | {"id": None} == {
        "id": None,
        "service_id": body["id"],
        "freq": "WEEKLY",
        "interval": 1,
        "byday": "MO",
        "opens_at": "10:00:00",
        "closes_at": "12:00:00",
        "description": "Monday 10:00 to 12:00",
    }
    summer = schedules["Saturday 09:00 to 11:00"]
    assert (summer["valid_from"], summer["valid_to"], summer["notes"]) == (
        "2026-06-01",
        "2026-08-31",
        "Summer mornings",
    )
    closed = schedules["Closed"]
    assert (closed["valid_from"], closed["valid_to"]) == ("2026-12-24", "2026-12-24")
    assert "opens_at" not in closed
    notes = schedules["No appointment needed."]
    assert notes["notes"] == "Closed on bank holidays"
    assert len(body["languages"]) == 2
    [located] = body["service_at_locations"]
    assert [a["description"] for a in located["location"]["accessibility"]] == [
        "Step-free access: yes.",
        "Hearing loop: no.",
        "British Sign Language (BSL): yes.",
        "Lift to every floor",
    ]

    terms = {(a["link_type"], a["taxonomy_term"]["name"]) for a in body["attributes"]}
    assert terms == {
        ("role", "Both"),
        ("topic", "Arts and health"),
        ("condition", "Dementia"),
        ("condition", "ALS"),
        ("population_group", "Older people"),
        ("funding_dependency", "Dependent (largest funder 50-74%)"),
        ("care_model", "Multispecialty community provider"),
        ("language", "English"),
        ("language", "Welsh"),
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


def test_modified_after(client):
    old = InitiativeFactory(name="Old")
    Initiative.objects.filter(pk=old.pk).update(updated_at=datetime(2020, 1, 1, tzinfo=UTC))
    InitiativeFactory(name="New")
    assert names(client, "modified_after=2021-01-01") == ["New"]
    assert names(client, "modified_after=2019-12-31T23:00:00Z") == ["New", "Old"]
    # An unencoded "+" arrives as a space; it is read as the offset it was meant to be.
    assert names(client, "modified_after=2020-01-01T01:00:00+01:00") == ["New", "Old"]
    assert names(client, "modified_after=2020-01-01T01:00:01%2B01:00") == ["New"]


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
    # Opening times and contacts: one prefetch each.
    with django_assert_max_num_queries(9):
        get_json(client, f"{API}/services/{full_record.uuid}")
