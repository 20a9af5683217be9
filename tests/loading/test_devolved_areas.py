"""Scotland, Wales and Northern Ireland in the seeded areas: postcodes there find
their council or district, then its health board or trust, then the nation; the
area pages, the listing's area filter and the API see the new levels."""

import pytest

from initiatives.loading.generation_vocabulary import load_vocabulary
from initiatives.models import Area, Initiative
from initiatives.wording import reason_for
from places.source import data_files, read_file

from ..api.support import API, get_json
from ..factories import InitiativeFactory, PostcodeFactory

pytestmark = pytest.mark.django_db

# Each city's council offices, as the ONS Postcode Directory has them:
# (postcode, local authority code, easting, northing).
GLASGOW_CITY_CHAMBERS = ("G2 1DU", "S12000049", 259712, 666228)
CARDIFF_CITY_HALL = ("CF10 3ND", "W06000015", 318255, 176903)
BELFAST_CITY_HALL = ("BT1 5GS", "N09000003", 333832, 374014)
PREFIX = "devolved-test-"
# A word no seeded record uses, to find this module's initiatives by search.
WORD = "Kestrelwood"


def area(slug: str) -> Area:
    return Area.objects.get(slug=slug)


def serving(slug: str, *area_slugs: str) -> Initiative:
    return InitiativeFactory(
        name=slug,
        slug=PREFIX + slug,
        summary=f"{WORD} community group.",
        areas=[area(s) for s in area_slugs],
    )


def reasons(place: tuple) -> dict[str, str]:
    """What serves the postcode, and why, among this test's initiatives."""
    postcode = PostcodeFactory(
        postcode=place[0], local_authority_code=place[1], easting=place[2], northing=place[3]
    )
    place = Area.objects.place_of_district(postcode.local_authority_code)
    found = Initiative.objects.published().serving_point(postcode, distance_km=1, place=place)
    return {i.name: reason_for(i) for i in found.filter(slug__startswith=PREFIX)}


def test_the_postcodes_are_real():
    """The postcodes, codes and grid references are the ONS Postcode Directory's."""
    places = [GLASGOW_CITY_CHAMBERS, CARDIFF_CITY_HALL, BELFAST_CITY_HALL]
    wanted = {place[0]: place for place in places}
    letters = {place[0][0] for place in places}
    found = {}
    for path in data_files():
        if path.name.removesuffix(".msgpack.br").endswith(tuple(f"_{x}" for x in letters)):
            found.update({row[0]: row for row in read_file(path) if row[0] in wanted})
    assert found == wanted


@pytest.mark.usefixtures("loaded")
class TestPostcodesFindTheirBoardOrTrust:
    def test_glasgow_finds_glasgow_city_then_its_board_then_scotland(self):
        serving("council", "glasgow-city")
        serving("board", "nhs-greater-glasgow-and-clyde")
        serving("board-and-nation", "scotland", "nhs-greater-glasgow-and-clyde")
        serving("nation", "scotland")
        serving("another-board", "nhs-lothian")
        serving("another-council", "east-renfrewshire")
        covers = "Covers NHS Greater Glasgow and Clyde, which includes Glasgow City"
        assert reasons(GLASGOW_CITY_CHAMBERS) == {
            "council": "Serves Glasgow City",
            "board": covers,
            # The board is named before the nation above it.
            "board-and-nation": covers,
            "nation": "Serves everyone in Scotland",
        }

    def test_cardiff_finds_cardiff_then_its_board_then_wales(self):
        serving("council", "cardiff")
        serving("board", "cardiff-and-vale-university-health-board")
        serving("nation", "wales")
        serving("another-board", "betsi-cadwaladr-university-health-board")
        serving("england", "england")
        assert reasons(CARDIFF_CITY_HALL) == {
            "council": "Serves Cardiff",
            "board": "Covers Cardiff and Vale University Health Board, which includes Cardiff",
            "nation": "Serves everyone in Wales",
        }

    def test_belfast_finds_belfast_then_both_its_trusts_then_northern_ireland(self):
        serving("district", "belfast")
        serving("trust", "belfast-health-and-social-care-trust")
        # Part of Belfast lies in the South Eastern trust, so Belfast is under it too.
        serving("second-trust", "south-eastern-health-and-social-care-trust")
        serving(
            "trust-and-nation", "northern-ireland", "south-eastern-health-and-social-care-trust"
        )
        serving("nation", "northern-ireland")
        serving("another-trust", "western-health-and-social-care-trust")
        south_eastern = "Covers South Eastern Health and Social Care Trust, which includes Belfast"
        assert reasons(BELFAST_CITY_HALL) == {
            "district": "Serves Belfast",
            "trust": "Covers Belfast Health and Social Care Trust, which includes Belfast",
            "second-trust": south_eastern,
            # The trust is named before the nation above it.
            "trust-and-nation": south_eastern,
            "nation": "Serves everyone in Northern Ireland",
        }


@pytest.mark.usefixtures("loaded")
class TestPagesShowTheNewLevels:
    def test_a_scottish_board_lists_its_council_areas(self, client):
        response = client.get("/areas/nhs-greater-glasgow-and-clyde/")
        assert response.status_code == 200
        assert [a.name for a in response.context["sub_areas"]] == [
            "East Dunbartonshire",
            "East Renfrewshire",
            "Glasgow City",
            "Inverclyde",
            "Renfrewshire",
            "West Dunbartonshire",
        ]
        page = response.content.decode()
        assert "Places within NHS Greater Glasgow and Clyde" in page
        assert 'href="/areas/glasgow-city/"' in page
        assert "Health board (S08000031), part of" in page
        assert 'href="/areas/scotland/">Scotland</a>' in page

    def test_a_council_area_names_its_board_and_nation(self, client):
        page = client.get("/areas/cardiff/").content.decode()
        assert "Local authority (W06000015), part of" in page
        assert 'href="/areas/wales/">Wales</a> and ' in page
        assert ">Cardiff and Vale University Health Board</a>." in page

    def test_the_areas_index_labels_boards_and_trusts(self, client):
        page = client.get("/areas/").content.decode()
        assert 'href="/areas/nhs-fife/">NHS Fife</a> <span class="muted kind">Health board' in page
        assert (
            "Belfast Health and Social Care Trust</a> "
            '<span class="muted kind">Health and social care trust'
        ) in page

    def test_filtering_by_a_board_includes_what_serves_its_council_areas(self, client):
        serving("glasgow", "glasgow-city")
        serving("inverclyde", "inverclyde")
        serving("edinburgh", "city-of-edinburgh")
        serving("scotland", "scotland")
        response = client.get("/initiatives/", {"area": "nhs-greater-glasgow-and-clyde", "q": WORD})
        assert response.status_code == 200
        found = {i.name for i in response.context["page"]}
        # What serves all of Scotland serves the board's area too, in its own tier.
        assert found == {"glasgow", "inverclyde", "scotland"}
        here = client.get(
            "/initiatives/",
            {"area": "nhs-greater-glasgow-and-clyde", "q": WORD, "here_only": "true"},
        )
        assert {i.name for i in here.context["page"]} == {"glasgow", "inverclyde"}
        response = client.get("/initiatives/", {"area": "scotland", "q": WORD})
        assert {i.name for i in response.context["page"]} == {
            "glasgow",
            "inverclyde",
            "edinburgh",
            "scotland",
        }

    def test_the_api_links_ons_codes_but_not_the_trusts_own(self, client):
        initiative = serving("api", "nhs-lothian", "belfast-health-and-social-care-trust")
        body = get_json(client, f"{API}/services/{initiative.uuid}")
        areas = {a["name"]: a for a in body["service_areas"]}
        assert areas["NHS Lothian"]["service_area"] == "NHS Lothian (Health board)"
        assert areas["NHS Lothian"]["uri"].endswith("/statistical-geography/S08000024")
        trust = areas["Belfast Health and Social Care Trust"]
        assert trust["service_area"] == (
            "Belfast Health and Social Care Trust (Health and social care trust)"
        )
        assert "uri" not in trust

    def test_the_insights_page_offers_boards_and_trusts_in_their_own_groups(self, client):
        response = client.get("/insights/", {"area": "nhs-highland"})
        assert response.status_code == 200
        groups = dict(response.context["area_groups"])
        boards = groups["Health boards (Scotland and Wales)"]
        assert len(boards) == 14 + 7
        assert {a.kind for a in boards} == {Area.Kind.HEALTH_BOARD}
        trusts = groups["Health and social care trusts (Northern Ireland)"]
        assert [a.code for a in trusts] == ["BHSCT", "NHSCT", "SEHSCT", "SHSCT", "WHSCT"]
        assert '<option value="nhs-highland" selected>NHS Highland</option>' in (
            response.content.decode()
        )

    def test_generated_records_below_a_board_or_trust_name_the_nations_nhs(self):
        """Synthetic records for a council under a health board or trust speak of that
        nation's NHS ("NHS Wales"), not of England's."""
        boards = load_vocabulary().boards
        assert boards[area("wrexham").parent_id] == "Wales"
        assert boards[area("glasgow-city").parent_id] == "Scotland"
        assert boards[area("belfast").parent_id] == "Northern Ireland"
        assert boards[area("halton").parent_id] == "Cheshire and Merseyside"
