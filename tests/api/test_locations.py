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
