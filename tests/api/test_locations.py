"""/service_at_locations: the published services that have an address or postcode."""

import pytest

from initiatives.api.ids import linked_id

from ..factories import InitiativeFactory
from .support import API, get_json

pytestmark = pytest.mark.django_db


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


# Near a postcode ------------------------------------------------------------------


@pytest.fixture
def near_and_far():
    from ..factories import PostcodeFactory

    PostcodeFactory()  # WA7 1AB
    PostcodeFactory(postcode="WA8 7TH", easting=351329, northing=382947 + 5000)
    PostcodeFactory(postcode="CH1 1AA", easting=340000, northing=366000)
    InitiativeFactory(name="Near", postcode="WA8 7TH", address="1 Widnes Road")
    InitiativeFactory(name="Far", postcode="CH1 1AA", address="1 Chester Street")
    InitiativeFactory(name="Unlocated")


def test_postcode_and_proximity_in_metres(client, near_and_far):
    def located(query):
        body = get_json(client, f"{API}/service_at_locations?{query}")
        return [item["service"]["name"] for item in body["contents"]]

    assert located("postcode=WA7+1AB&proximity=6000") == ["Near"]
    assert located("postcode=WA7+1AB&proximity=4000") == []
    assert located("postcode=WA7+1AB&proximity=30000") == ["Near", "Far"]
    # Only located services: the one without a location is never measured or listed.
    assert "Unlocated" not in located("postcode=WA7+1AB&proximity=200000")


@pytest.mark.parametrize("endpoint", ["service_at_locations", "services"])
@pytest.mark.parametrize("proximity", ["-1", "abc", "0", "1.5", "200001", "1e3"])
def test_a_bad_proximity_is_a_json_400(client, near_and_far, proximity, endpoint):
    body = get_json(client, f"{API}/{endpoint}?postcode=WA7+1AB&proximity={proximity}", 400)
    assert body["status"] == 400
    assert body["error"] == "Bad request"
    assert "proximity" in body["errors"]
    # /services takes a postcode and proximity too, as the listing takes them.
    assert "metres" in body["errors"]["proximity"][0]


@pytest.mark.parametrize("endpoint", ["service_at_locations", "services"])
def test_proximity_without_a_postcode_is_a_json_400(client, endpoint):
    body = get_json(client, f"{API}/{endpoint}?proximity=1000", 400)
    assert "postcode" in body["errors"]["proximity"][0]


@pytest.mark.parametrize("endpoint", ["service_at_locations", "services"])
@pytest.mark.parametrize("postcode", ["ZZ9 9ZZ", "not a postcode", "WA7"])
def test_an_unknown_postcode_is_a_json_400_with_a_message(client, near_and_far, postcode, endpoint):
    body = get_json(client, f"{API}/{endpoint}?postcode={postcode}", 400)
    assert body["errors"]["postcode"]
    assert "postcode" in body["message"]
