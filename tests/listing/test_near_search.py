"""Searching near a postcode: the listing, the home page's box, the CSV export and the API."""

import copy
import csv
import html
import io
import math
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection

from places.models import Postcode
from places.source import ATTRIBUTION, data_files, read_file

from ..factories import AreaFactory, InitiativeFactory, PostcodeFactory
from .support import MAX_LISTING_QUERIES

pytestmark = pytest.mark.django_db

LIST = "/initiatives/"
# Halton Borough Council's offices in Widnes, as the ONS Postcode Directory has them.
HALTON_OFFICES = ("WA8 7QF", "E06000006", 351233, 385402)
E, N = HALTON_OFFICES[2], HALTON_OFFICES[3]


def names(response) -> list[str]:
    return [initiative.name for initiative in response.context["page"]]


def text(response) -> str:
    return response.content.decode()


def seen(response) -> str:
    """The page's text as a reader sees it (entities decoded)."""
    return html.unescape(text(response))


def place_at(initiative, easting: int, northing: int) -> None:
    """Give an initiative a location without a postcode lookup (as its postcode would)."""
    type(initiative).objects.filter(pk=initiative.pk).update(
        easting=easting, northing=northing, location_precision="address"
    )


@pytest.fixture
def reg(shared_register):
    reg = copy.deepcopy(shared_register)
    PostcodeFactory(
        postcode=HALTON_OFFICES[0],
        local_authority_code=HALTON_OFFICES[1],
        easting=E,
        northing=N,
    )
    # 1.2 km east and 1.5 km north of the offices: 1.92 km.
    place_at(reg.initiatives["ukulele"], E + 1200, N + 1500)
    # 3 km east and 4 km south, serving only Oldham: in by distance alone, 5 km.
    walkers = InitiativeFactory(
        name="Widnes Walking Group", slug="widnes-walking", areas=[reg.areas["oldham"]]
    )
    place_at(walkers, E + 3000, N - 4000)
    reg.initiatives["walkers"] = walkers
    # About 45 km away, in Oldham.
    place_at(reg.initiatives["arts"], 392000, 405000)
    return reg


def test_the_halton_offices_postcode_is_real():
    """The fixture's postcode and grid reference are the ONS Postcode Directory's."""
    (w_file,) = [f for f in data_files() if f.name.endswith("_W.msgpack.br")]
    row = next(row for row in read_file(w_file) if row[0] == HALTON_OFFICES[0])
    assert row == HALTON_OFFICES


class TestPostcodeSearch:
    def test_finds_what_serves_halton_nearest_first(self, client, reg):
        response = client.get(LIST, {"postcode": "wa87qf"})
        assert response.status_code == 200
        assert names(response) == [
            "Halton Ukulele Club",
            "Widnes Walking Group",
            # No location of their own: after the located ones, by name.
            "Halton Litter Pickers",
            "North West Carers Voice",
            "Patient View Survey",
        ]
        why = {i.name: i.why_listed for i in response.context["page"]}
        assert why == {
            "Halton Ukulele Club": "Serves Halton, 1.9 km away",
            "Widnes Walking Group": "Based 5.0 km away",
            "Halton Litter Pickers": (
                "Covers this area: serves Halton (no location recorded, so no distance)"
            ),
            "North West Carers Voice": "Covers North West, which includes Halton",
            "Patient View Survey": "Serves the whole UK",
        }
        page = text(response)
        assert "Why it is here" in page
        assert "Serves Halton, 1.9 km away" in page
        assert ATTRIBUTION.split(".")[0] in page

    def test_distances_are_pythagoras_on_the_grid(self, client, reg):
        response = client.get(LIST, {"postcode": "WA8 7QF", "distance_km": "50"})
        distances = {i.name: i.distance_m for i in response.context["page"]}
        assert distances["Halton Ukulele Club"] == pytest.approx(math.sqrt(1200**2 + 1500**2))
        assert distances["Widnes Walking Group"] == pytest.approx(5000)
        # (392000 - 351233, 405000 - 385402) = (40767, 19598).
        assert distances["Oldham Arts on Prescription"] == pytest.approx(
            math.sqrt(40767**2 + 19598**2)
        )
        assert distances["Halton Litter Pickers"] is None

    def test_distance_km_narrows_the_located_ones(self, client, reg):
        response = client.get(LIST, {"postcode": "WA8 7QF", "distance_km": "2"})
        assert "Widnes Walking Group" not in names(response)
        assert "Halton Ukulele Club" in names(response)
        # Serving the place does not depend on distance.
        assert "Halton Litter Pickers" in names(response)

    def test_a_sector_or_district_finds_the_same_place(self, client, reg):
        PostcodeFactory(postcode="WA8 7", kind=Postcode.Kind.SECTOR, easting=E, northing=N)
        PostcodeFactory(postcode="WA8", kind=Postcode.Kind.DISTRICT, easting=E, northing=N)
        for typed in ("WA8 7", "wa8", " w a 8 7 q f "):
            response = client.get(LIST, {"postcode": typed})
            assert "Halton Ukulele Club" in names(response), typed

    def test_an_unknown_postcode_falls_back_to_its_sector_and_says_so(self, client, reg):
        PostcodeFactory(postcode="WA8 7", kind=Postcode.Kind.SECTOR, easting=E, northing=N)
        response = client.get(LIST, {"postcode": "WA8 7ZZ"})
        assert "Halton Ukulele Club" in names(response)
        assert (
            "We couldn't find WA8 7ZZ, so we are showing results near the centre of "
            "postcode sector WA8 7." in seen(response)
        )

    def test_chip_removes_the_postcode_and_its_distance(self, client, reg):
        response = client.get(LIST, {"postcode": "WA8 7QF", "distance_km": "5", "role": "both"})
        chip = next(c for c in response.context["chips"] if c["label"].startswith("Near:"))
        assert chip["label"] == "Near: WA8 7QF (within 5 km)"
        assert parse_qs(urlsplit(chip["url"]).query) == {"role": ["both"]}

    def test_facet_counts_follow_the_postcode(self, client, reg):
        response = client.get(LIST, {"postcode": "WA8 7QF"})
        roles = {o.value: o.count for o in response.context["facets"]["role"].options}
        assert roles["campaigning"] == 2
        assert sum(roles.values()) == response.context["count"] == 5
        response = client.get(LIST, {"postcode": "WA8 7QF", "role": "campaigning"})
        assert names(response) == ["North West Carers Voice", "Patient View Survey"]

    def test_sort_by_name_or_relevance_with_a_postcode(self, client, reg):
        response = client.get(LIST, {"postcode": "WA8 7QF", "sort": "name"})
        rows = list(response.context["page"])
        # Tier by tier still; by name within each.
        assert [row.tier for row in rows] == sorted(row.tier for row in rows)
        for tier in {row.tier for row in rows}:
            within = [row.name for row in rows if row.tier == tier]
            assert within == sorted(within, key=str.casefold)
        response = client.get(LIST, {"postcode": "WA8 7QF", "q": "ukulele"})
        assert names(response) == ["Halton Ukulele Club"]

    def test_sort_by_distance_needs_a_postcode(self, client, reg):
        response = client.get(LIST, {"sort": "distance"})
        assert response.status_code == 200
        assert names(response) == sorted(names(response))
        assert "Sorting by distance needs a postcode" in text(response)
        labels = [o["value"] for o in response.context["sort_options"]]
        assert "distance" not in labels

    def test_queries_stay_bounded(self, client, reg, django_assert_max_num_queries):
        for params in (
            {"postcode": "WA8 7QF"},
            {"postcode": "WA8 7QF", "q": "halton", "role": "both", "sort": "distance"},
            # Nothing matches: the empty state counts without each filter.
            {"postcode": "WA8 7QF", "role": "campaigning", "topic": "arts"},
        ):
            with django_assert_max_num_queries(MAX_LISTING_QUERIES):
                response = client.get(LIST, params)
            assert response.status_code == 200


class TestInputThatMustNotBreakIt:
    @pytest.mark.parametrize(
        ("typed", "message"),
        [
            ("HELLO", "Enter a UK postcode, like WA7 1AB"),
            ("SW1A", "We couldn't find that postcode"),
            ("ZZ99 9ZZ", "We couldn't find that postcode"),
            ("W" * 500, "Enter a UK postcode, like WA7 1AB"),
            ("<script>alert(1)</script>", "Enter a UK postcode, like WA7 1AB"),
            ("WA8 7QG", "We couldn't find that postcode"),
        ],
    )
    def test_a_bad_postcode_gets_a_message_and_the_unfiltered_list(
        self, client, reg, typed, message
    ):
        response = client.get(LIST, {"postcode": typed})
        assert response.status_code == 200
        assert message in seen(response)
        assert "so the results are not filtered by postcode" in seen(response)
        assert 'aria-invalid="true"' in text(response)
        assert "<script>alert(1)" not in text(response)
        assert len(names(response)) == 8  # the whole register

    def test_an_outward_code_that_exists_is_a_district(self, client, reg):
        PostcodeFactory(
            postcode="SW1A",
            kind=Postcode.Kind.DISTRICT,
            local_authority_code="E09000033",
            easting=529990,
            northing=179800,
        )
        response = client.get(LIST, {"postcode": "sw1a"})
        assert response.status_code == 200
        assert names(response) == ["Patient View Survey"]

    @pytest.mark.parametrize("distance", ["-5", "abc", "0", "0.05", "201", "NaN", "1e400", "inf"])
    def test_a_bad_distance_is_refused_and_the_default_used(self, client, reg, distance):
        response = client.get(LIST, {"postcode": "WA8 7QF", "distance_km": distance})
        assert response.status_code == 200
        page = text(response)
        assert "Give a distance in kilometres from 0.1 to 200, like 10" in page
        assert "so we searched within 10 km" in page
        assert "Widnes Walking Group" in names(response)

    def test_the_largest_distance_is_allowed(self, client, reg):
        response = client.get(LIST, {"postcode": "WA8 7QF", "distance_km": "200"})
        assert "Oldham Arts on Prescription" in names(response)
        assert "Give a distance" not in text(response)


class TestSearchBox:
    def test_a_postcode_in_the_search_box_becomes_a_postcode_search(self, client, reg):
        response = client.get(LIST, {"q": " wa8 7qf ", "role": "both"})
        assert response.status_code == 302
        assert parse_qs(urlsplit(response["Location"]).query) == {
            "postcode": ["WA8 7QF"],
            "role": ["both"],
        }

    def test_words_and_unknown_postcodes_stay_a_text_search(self, client, reg):
        for q in ("ukulele", "ZZ99 9ZZ", "halton"):
            response = client.get(LIST, {"q": q})
            assert response.status_code == 200, q

    def test_the_home_page_box_sends_a_postcode_to_the_listing(self, client, reg):
        response = client.get(LIST, {"q": "WA8 7QF"}, follow=True)
        assert "Halton Ukulele Club" in names(response)
        assert response.context["place"].postcode.postcode == "WA8 7QF"

    def test_a_place_name_offers_the_area(self, client, reg):
        # Wrexham is a town too: the search in it still offers the area.
        page = text(client.get(LIST, {"q": "wrexham"}, follow=True))
        assert '<a href="/initiatives/?area=wrexham">Initiatives serving Wrexham</a>' in page

    def test_an_area_name_is_matched_by_its_start(self, client, reg):
        AreaFactory(name="Morecambe Bay", slug="morecambe-bay", parent=reg.areas["north-west"])
        page = text(client.get(LIST, {"q": "Morecambe"}, follow=True))
        assert "Initiatives serving Morecambe Bay" in page
        page = text(client.get(LIST, {"q": "ukulele"}))
        assert "Initiatives serving" not in page


class TestExportAndApi:
    def test_the_export_equals_the_postcode_listing(self, client, reg):
        listing = names(client.get(LIST, {"postcode": "WA8 7QF", "distance_km": "3"}))
        response = client.get(
            "/initiatives/export.csv", {"postcode": "WA8 7QF", "distance_km": "3"}
        )
        content = b"".join(response.streaming_content).decode("utf-8-sig")
        rows = list(csv.DictReader(io.StringIO(content)))
        name_column = next(key for key in rows[0] if key.lower() == "name")
        assert [row[name_column] for row in rows] == listing
        assert "Widnes Walking Group" not in listing

    def test_service_at_locations_near_a_postcode(self, client, reg):
        type(reg.initiatives["ukulele"]).objects.filter(
            slug__in=["halton-ukulele", "widnes-walking", "oldham-arts"]
        ).update(postcode="WA8 7QF")
        url = "/api/v1/service_at_locations"
        wide = client.get(url, {"postcode": "WA8 7QF", "proximity": "50000"}).json()
        narrow = client.get(url, {"postcode": "wa87qf", "proximity": "3000"}).json()
        default = client.get(url, {"postcode": "WA8 7QF"}).json()

        def service_names(body):
            return [item["service"]["name"] for item in body["contents"]]

        assert service_names(wide) == [
            "Halton Ukulele Club",
            "Widnes Walking Group",
            "Oldham Arts on Prescription",
        ]
        assert service_names(narrow) == ["Halton Ukulele Club"]
        assert service_names(default) == ["Halton Ukulele Club", "Widnes Walking Group"]

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"postcode": "HELLO"}, "postcode"),
            ({"postcode": "ZZ99 9ZZ"}, "postcode"),
            ({"postcode": "WA8 7QF", "proximity": "-5"}, "proximity"),
            ({"postcode": "WA8 7QF", "proximity": "abc"}, "proximity"),
            ({"postcode": "WA8 7QF", "proximity": "999999"}, "proximity"),
            ({"proximity": "5000"}, "proximity"),
        ],
    )
    def test_bad_postcode_or_proximity_is_a_400(self, client, reg, params, field):
        response = client.get("/api/v1/service_at_locations", params)
        assert response.status_code == 400
        assert field in response.json()["errors"]


def test_postgresql_uses_the_grid_index_for_the_box(reg):
    if connection.vendor != "postgresql":
        pytest.skip("the plan checked is PostgreSQL's")
    from initiatives.models import Initiative

    place = Postcode.objects.get(postcode="WA8 7QF")
    queryset = Initiative.objects.published().serving_point(place, 10)
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        try:
            plan = queryset.explain()
        finally:
            cursor.execute("SET enable_seqscan = on")
    assert "initiative_grid" in plan
