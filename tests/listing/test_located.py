"""Where initiatives are based: a postcode gives an address point, a town its centre
(approximate, and said so), and the tiers of a search near a point order what is
located by distance, then by relevance, then by name whatever its case or accents."""

import csv
import io
import math

import pytest
from django.core.exceptions import ValidationError

from initiatives.models import Initiative
from initiatives.querysets import TIER_HERE
from places import gazetteer
from places.models import Postcode

from ..factories import InitiativeFactory, PostcodeFactory

pytestmark = pytest.mark.django_db

RUNCORN = gazetteer.find("Runcorn").chosen
WIDNES = gazetteer.find("Widnes").chosen
# A Runcorn postcode 1.2 km south of the town's centre (in Halton, E06000006).
WA7 = {"postcode": "WA7 1AB", "easting": RUNCORN.easting, "northing": RUNCORN.northing - 1200}
COVERS = "Covers this area: serves Halton (no location recorded, so no distance)"


@pytest.fixture
def wa7(reg):
    return PostcodeFactory(local_authority_code="E06000006", **WA7)


def test_a_town_gives_an_approximate_location_in_its_district(client, reg):
    sewing = InitiativeFactory(
        name="Sew Runcorn", areas=[reg.areas["halton"]], located_in_town="runcorn"
    )
    sewing.refresh_from_db()
    assert sewing.location_precision == Initiative.Precision.TOWN
    assert (sewing.easting, sewing.northing) == (RUNCORN.easting, RUNCORN.northing)
    assert (sewing.latitude, sewing.longitude) == (RUNCORN.latitude, RUNCORN.longitude)
    assert sewing.location_district == reg.areas["halton"]
    page = client.get(sewing.get_absolute_url()).content.decode()
    assert "Runcorn (approximate: town centre; no address recorded)" in page


def test_a_postcode_wins_over_the_town_and_the_town_comes_back_without_it(reg, wa7):
    initiative = InitiativeFactory(
        name="Widnes Walkers", located_in_town="Widnes", postcode="WA7 1AB"
    )
    assert initiative.location_precision == Initiative.Precision.ADDRESS
    assert (initiative.easting, initiative.northing) == (WA7["easting"], WA7["northing"])
    initiative.postcode = ""
    initiative.save()
    assert initiative.location_precision == Initiative.Precision.TOWN
    assert (initiative.easting, initiative.northing) == (WIDNES.easting, WIDNES.northing)
    initiative.located_in_town = ""
    initiative.save()
    assert initiative.location_precision == ""
    assert initiative.easting is None and initiative.location_district is None


def test_a_sector_centre_is_approximate_too(reg):
    PostcodeFactory(postcode="WA7 1", kind=Postcode.Kind.SECTOR, local_authority_code="E06000006")
    initiative = InitiativeFactory(name="Sector Club", postcode="WA7 1ZZ")
    assert initiative.location_precision == Initiative.Precision.POSTCODE_AREA
    assert initiative.location_district == reg.areas["halton"]


@pytest.mark.parametrize(
    ("town", "message"),
    [
        ("Atlantis", "We couldn\u2019t find a place called Atlantis; try a postcode"),
        ("Newport", "There are several places called Newport: give one of newport-"),
    ],
)
def test_a_town_nobody_can_place_is_refused_with_what_to_do(reg, town, message):
    initiative = Initiative(name="Somewhere Group", role="both", located_in_town=town)
    with pytest.raises(ValidationError) as refused:
        initiative.full_clean()
    assert message in " ".join(refused.value.message_dict["located_in_town"])


def test_a_postcode_search_orders_each_tier_by_distance_then_name(client, reg, wa7):
    halton = reg.areas["halton"]
    InitiativeFactory(name="Widnes Lunch Club", areas=[halton], located_in_town="Widnes")
    InitiativeFactory(name="Sew Runcorn", areas=[halton], located_in_town="Runcorn")
    # No location: after the located ones, by name whatever the case or accents.
    InitiativeFactory(name="ábaco Games", areas=[halton])
    InitiativeFactory(name="Abbey Readers", areas=[halton])
    response = client.get("/initiatives/", {"postcode": "WA7 1AB"})
    rows = list(response.context["page"])
    here = [row.name for row in rows if row.tier == TIER_HERE]
    assert here == [
        "Sew Runcorn",
        "Widnes Lunch Club",
        "ábaco Games",
        "Abbey Readers",
        "Halton Litter Pickers",
        "Halton Ukulele Club",
    ]
    assert [row.tier for row in rows] == sorted(row.tier for row in rows)
    why = {row.name: row.why_listed for row in rows}
    widnes_km = math.hypot(WIDNES.easting - WA7["easting"], WIDNES.northing - WA7["northing"])
    assert why["Sew Runcorn"] == (
        "Serves Halton; based in Runcorn, about 1.2 km away (approximate: town centre)"
    )
    assert why["Widnes Lunch Club"] == (
        f"Serves Halton; based in Widnes, about {widnes_km / 1000:.1f} km away "
        "(approximate: town centre)"
    )
    assert why["Halton Ukulele Club"] == COVERS
    assert "km" not in why["North West Carers Voice"]
    # The CSV says the same, row for row.
    export = client.get("/initiatives/export.csv", {"postcode": "WA7 1AB"})
    text = b"".join(export.streaming_content).decode("utf-8-sig")
    exported = list(csv.DictReader(io.StringIO(text)))
    assert [row["Name"] for row in exported][: len(here)] == here
    assert exported[0]["Why it is listed"] == why["Sew Runcorn"]


def test_the_words_come_before_the_name_but_after_the_distance(client, reg, wa7):
    halton = reg.areas["halton"]
    InitiativeFactory(name="Aardvark Choir", summary="Some singing.", areas=[halton])
    InitiativeFactory(name="Singing Together", summary="Singing.", areas=[halton])
    InitiativeFactory(
        name="Zeal Choir", summary="Some singing.", areas=[halton], located_in_town="Runcorn"
    )
    response = client.get("/initiatives/", {"postcode": "WA7 1AB", "q": "singing"})
    here = [row.name for row in response.context["page"] if row.tier == TIER_HERE]
    # Located first; then the better match (the word in its name) before the other,
    # though Aardvark comes first by name.
    assert here == ["Zeal Choir", "Singing Together", "Aardvark Choir"]


def test_a_town_search_says_which_distances_are_approximate(client, reg):
    InitiativeFactory(name="Sew Runcorn", areas=[reg.areas["england"]], located_in_town="Runcorn")
    response = client.get("/initiatives/", {"place": "Widnes"})
    why = {row.name: row.why_listed for row in response.context["page"]}
    # 2.2 km from Widnes: "here" by distance (and located in Halton), approximate.
    assert why["Sew Runcorn"] == "Based in Runcorn, about 2.2 km away (approximate: town centre)"
    # In Runcorn itself: no "about under 0.1 km".
    response = client.get("/initiatives/", {"place": "Runcorn"})
    why = {row.name: row.why_listed for row in response.context["page"]}
    assert why["Sew Runcorn"] == "Based in Runcorn, about 0.1 km away (approximate: town centre)"


def test_the_api_sends_a_towns_centre_as_an_approximate_location_without_an_address(client, reg):
    sewing = InitiativeFactory(
        name="Sew Runcorn", areas=[reg.areas["halton"]], located_in_town="Runcorn"
    )
    listed = client.get("/api/v1/service_at_locations").json()["contents"]
    mine = next(item for item in listed if item["service_id"] == str(sewing.uuid))
    assert mine["location"]["latitude"] == RUNCORN.latitude
    assert "approximate" in mine["location"]["description"].lower()
    detail = client.get(f"/api/v1/service_at_locations/{mine['id']}").json()
    assert "addresses" not in detail["location"]
    assert "Runcorn" in detail["location"]["description"]
