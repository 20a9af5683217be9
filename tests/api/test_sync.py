"""modified_after: another directory syncs only what changed since its last visit, and
hears of withdrawals as deletions rather than silence."""

from datetime import UTC, datetime

import pytest

from initiatives.api.serialise import WITHDRAWN_ALERT
from initiatives.models import Initiative, Organisation

from ..factories import InitiativeFactory, OrganisationFactory
from .support import API, get_json

pytestmark = pytest.mark.django_db

LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)
SINCE = "modified_after=2021-01-01"


def age(*records):
    """Make the records look last changed in 2020."""
    for record in records:
        type(record).objects.filter(pk=record.pk).update(updated_at=LONG_AGO)


def by_name(body) -> dict[str, dict]:
    return {(item.get("service") or item)["name"]: item for item in body["contents"]}


def withdraw(initiative, status=Initiative.Status.ARCHIVED):
    initiative.status = status
    initiative.save()


def test_only_records_changed_since_are_synced(client):
    old = InitiativeFactory(name="Old")
    changed = InitiativeFactory(name="Changed")
    age(old, changed, old.organisation, changed.organisation)
    changed.summary = "Now on Tuesdays."
    changed.save()
    assert list(by_name(get_json(client, f"{API}/services?{SINCE}"))) == ["Changed"]
    orgs = get_json(client, f"{API}/organizations?{SINCE}")["contents"]
    # Its service changed: the organisation is in the sync too.
    assert [org["id"] for org in orgs] == [str(changed.organisation.uuid)]
    assert get_json(client, f"{API}/services")["total_items"] == 2


def test_archived_and_unpublished_services_are_deletions(client):
    InitiativeFactory(name="Kept", postcode="WA7 1AB", address="1 High Street")
    archived = InitiativeFactory(name="Archived", postcode="WA7 1AB", address="2 High Street")
    unpublished = InitiativeFactory(name="Unpublished")
    never = InitiativeFactory(name="Never published", status=Initiative.Status.DRAFT)
    never.summary = "Still a draft."
    never.save()
    withdraw(archived)
    withdraw(unpublished, Initiative.Status.DRAFT)

    synced = by_name(get_json(client, f"{API}/services?{SINCE}"))
    assert set(synced) == {"Kept", "Archived", "Unpublished"}
    assert synced["Kept"]["status"] == "active"
    for name, record in (("Archived", archived), ("Unpublished", unpublished)):
        assert synced[name] == {
            "id": str(record.uuid),
            "name": name,
            "status": "inactive",
            "alert": WITHDRAWN_ALERT,
            "last_modified": synced[name]["last_modified"],
        }
        # Nothing else of the record, and no record of its own any more.
        get_json(client, f"{API}/services/{record.uuid}", 404)

    located = by_name(get_json(client, f"{API}/service_at_locations?{SINCE}"))
    assert set(located) == {"Kept", "Archived"}
    assert located["Archived"]["service"]["status"] == "inactive"
    assert set(located["Archived"]["location"]) == {"id", "location_type"}

    # Without modified_after, the published ones alone.
    assert list(by_name(get_json(client, f"{API}/services"))) == ["Kept"]
    assert list(by_name(get_json(client, f"{API}/service_at_locations"))) == ["Kept"]


def test_withdrawals_older_than_the_sync_are_not_repeated(client):
    archived = InitiativeFactory(name="Archived")
    withdraw(archived)
    age(archived, archived.organisation)
    assert get_json(client, f"{API}/services?{SINCE}")["contents"] == []
    assert get_json(client, f"{API}/organizations?{SINCE}")["contents"] == []


def test_a_withdrawal_is_synced_whatever_the_other_filters(client):
    archived = InitiativeFactory(name="Archived", role=Initiative.Role.CAMPAIGNING)
    withdraw(archived)
    body = get_json(client, f"{API}/services?{SINCE}&role=service_provider")
    assert list(by_name(body)) == ["Archived"]


def test_ended_services_are_synced_as_defunct(client):
    InitiativeFactory(name="Ended", lifecycle=Initiative.Lifecycle.ENDED, ended_in=2024)
    assert get_json(client, f"{API}/services")["contents"] == []
    [ended] = get_json(client, f"{API}/services?{SINCE}")["contents"]
    assert ended["status"] == "defunct"
    assert ended["alert"] == "Ended in 2024."


def test_an_organisation_with_no_published_service_left_is_a_deletion(client):
    gone = OrganisationFactory(name="Gone")
    staying = OrganisationFactory(name="Staying")
    archived = InitiativeFactory(name="Archived", organisation=gone)
    InitiativeFactory(name="Still here", organisation=staying)
    InitiativeFactory(name="Archived too", organisation=staying, status="archived")
    never = OrganisationFactory(name="Never listed")
    InitiativeFactory(organisation=never, status=Initiative.Status.DRAFT)
    withdraw(archived)

    synced = by_name(get_json(client, f"{API}/organizations?{SINCE}"))
    assert set(synced) == {"Gone", "Staying"}
    assert set(synced["Gone"]) == {"id", "name", "description"}
    assert synced["Gone"]["description"].startswith("Withdrawn from the directory")
    assert not synced["Staying"]["description"].startswith("Withdrawn")
    assert list(by_name(get_json(client, f"{API}/organizations"))) == ["Staying"]
    get_json(client, f"{API}/organizations/{gone.uuid}", 404)
    assert Organisation.objects.filter(pk=gone.pk).exists()


def test_bad_modified_after_on_organizations_is_a_400(client):
    body = get_json(client, f"{API}/organizations?modified_after=yesterday", 400)
    assert "modified_after" in body["errors"]


def test_a_sync_near_a_postcode_keeps_the_nearness_and_adds_withdrawals(client):
    from ..factories import PostcodeFactory

    PostcodeFactory()
    PostcodeFactory(postcode="CH1 1AA", easting=340000, northing=366000)
    InitiativeFactory(name="Near", postcode="WA7 1AB", address="1 High Street")
    InitiativeFactory(name="Far", postcode="CH1 1AA", address="1 Chester Street")
    gone = InitiativeFactory(name="Gone far", postcode="CH1 1AA", address="2 Chester Street")
    withdraw(gone)
    body = get_json(client, f"{API}/service_at_locations?postcode=WA7+1AB&proximity=1000&{SINCE}")
    assert list(by_name(body)) == ["Gone far", "Near"]


def test_sync_query_count_does_not_grow(client, django_assert_max_num_queries):
    def add(n):
        for _ in range(n):
            InitiativeFactory(organisation=OrganisationFactory(), postcode="WA7 1AB")
            withdraw(InitiativeFactory(organisation=OrganisationFactory(), postcode="WA7 1AB"))

    add(2)
    for path in ["services", "service_at_locations", "organizations"]:
        with django_assert_max_num_queries(3):
            assert get_json(client, f"{API}/{path}?{SINCE}")["size"] == 4
    add(20)
    for path in ["services", "service_at_locations", "organizations"]:
        with django_assert_max_num_queries(3):
            assert get_json(client, f"{API}/{path}?{SINCE}&per_page=100")["size"] == 44


def test_a_deletion_carries_the_name_it_was_published_under(client):
    unpublished = InitiativeFactory(name="Walking group")
    withdraw(unpublished, Initiative.Status.DRAFT)
    unpublished.name = "Walking group (new name, not checked yet)"
    unpublished.save()
    [deletion] = get_json(client, f"{API}/services?{SINCE}")["contents"]
    assert deletion["name"] == "Walking group"


@pytest.mark.parametrize("endpoint", ["services", "service_at_locations", "organizations"])
def test_a_sync_pages_filters_run_once_for_its_ids_and_its_records_are_read_by_id(client, endpoint):
    """At 100,000 records each run of a sync's filters scans the table: they run for the
    count and for the page's ids, and the page's records are then read by id alone."""
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    kept = InitiativeFactory(name="Kept", postcode="WA7 1AB", address="1 High Street")
    archived = InitiativeFactory(name="Archived", postcode="WA7 1AB", address="2 High Street")
    withdraw(archived)
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        body = get_json(client, f"{API}/{endpoint}?modified_after=2021-01-01T00:00:00Z")
    filtered = [q["sql"] for q in queries.captured_queries if "2021-01-01" in q["sql"]]
    assert len(filtered) == 2  # the count (then kept in the figures cache) and the ids
    names = {(item.get("service") or item)["name"] for item in body["contents"]}
    if endpoint == "organizations":
        assert names == {kept.organisation.name, archived.organisation.name}
    else:
        assert names == {"Kept", "Archived"}
