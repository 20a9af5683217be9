"""Initiatives near a point, and those that serve a postcode (InitiativeQuerySet)."""

import pytest

from initiatives.models import Area, Initiative
from initiatives.wording import reason_for
from places.models import Postcode

from ..factories import AreaFactory, InitiativeFactory, PostcodeFactory

pytestmark = pytest.mark.django_db

# WA7 1AB, Runcorn (Halton).
E, N = 351329, 382947


def placed(name: str, easting: int | None, northing: int | None, **kwargs) -> Initiative:
    """An initiative at a grid point, whatever its postcode says."""
    initiative = InitiativeFactory(name=name, **kwargs)
    Initiative.objects.filter(pk=initiative.pk).update(easting=easting, northing=northing)
    return initiative


def test_near_measures_distance_by_pythagoras_on_the_grid():
    # 3 km east and 4 km north: 5 km away.
    placed("Five km", E + 3000, N + 4000)
    placed("Inside the box, outside the circle", E + 4000, N + 4000)  # 5.66 km
    placed("Far away", E + 200_000, N - 300_000)
    placed("No location", None, None)

    within = Initiative.objects.near(E, N, 5)
    assert [i.name for i in within] == ["Five km"]
    assert within.get().distance_m == pytest.approx(5000.0)
    assert not Initiative.objects.near(E, N, 4.99).exists()
    assert {i.name for i in Initiative.objects.near(E, N, 5.7)} == {
        "Five km",
        "Inside the box, outside the circle",
    }


def test_near_orders_by_distance_and_composes():
    placed("Two km", E - 2000, N)
    placed("One km", E, N + 1000)
    placed("Draft, half a km", E, N - 500, status=Initiative.Status.DRAFT)
    rows = Initiative.objects.published().near(E, N, 10).order_by("distance_m")
    assert [(i.name, round(i.distance_m)) for i in rows] == [("One km", 1000), ("Two km", 2000)]


def test_near_copes_with_the_whole_of_the_uk():
    # Squared distances from Land's End to Shetland overflow 32-bit integers.
    placed("Lerwick", 447_000, 1_141_000)
    rows = Initiative.objects.near(140_000, 25_000, 1500)
    assert rows.get().distance_m == pytest.approx(((307_000**2) + (1_116_000**2)) ** 0.5)


@pytest.fixture
def halton_areas():
    england = AreaFactory(name="England", kind=Area.Kind.NATION, code="E92000001")
    north_west = AreaFactory(
        name="North West", kind=Area.Kind.NHS_REGION, code="E40000010", parent=england
    )
    icb = AreaFactory(
        name="NHS Cheshire and Merseyside ICB",
        kind=Area.Kind.ICB,
        code="E54000008",
        parent=north_west,
    )
    halton = AreaFactory(name="Halton", code="E06000006", parent=icb)
    wrexham = AreaFactory(name="Wrexham", code="W06000006")
    return {"england": england, "icb": icb, "halton": halton, "wrexham": wrexham}


def test_serving_point_gives_each_initiative_a_reason(halton_areas, django_assert_max_num_queries):
    postcode = PostcodeFactory(postcode="WA7 1AB", easting=E, northing=N)
    areas = halton_areas
    placed("Local", None, None, areas=[areas["halton"], areas["icb"]])
    placed("ICB-wide, far away", E + 50_000, N, areas=[areas["icb"]])
    placed("England", None, None, areas=[areas["england"]])
    placed("National", None, None, national=True)
    # 1,380 m east and 1,840 m north: 2.3 km.
    placed("Nearby, serving Wrexham", E + 1380, N + 1840, areas=[areas["wrexham"]])
    placed("Round the corner", E + 30, N + 40)
    placed("Wrexham only", 333056, 350649, areas=[areas["wrexham"]])
    placed("Far and unrelated", E + 300_000, N + 400_000)

    with django_assert_max_num_queries(6):
        rows = {
            i.name: i
            for i in Initiative.objects.published().serving_point(postcode, distance_km=10)
        }
    assert {name: reason_for(i) for name, i in rows.items()} == {
        "Local": "Serves Halton",
        # Beyond the place, a located one still says how far it is (its tier's order).
        "ICB-wide, far away": (
            "Covers NHS Cheshire and Merseyside ICB, which includes Halton; based 50.0 km away"
        ),
        "England": "Serves everyone in England",
        "National": "Serves the whole UK",
        "Nearby, serving Wrexham": "Based 2.3 km away",
        "Round the corner": "Based under 0.1 km away",
    }
    assert rows["Nearby, serving Wrexham"].distance_m == pytest.approx(2300)
    assert rows["ICB-wide, far away"].distance_m == pytest.approx(50_000)
    assert rows["Local"].distance_m is None
    assert rows["Local"].served_area == "Halton"


def unplaced_postcode() -> Postcode:
    """A postcode with no location, in no district the register knows (Guernsey), beside
    a record serving the whole UK and one based near Runcorn."""
    postcode = PostcodeFactory(
        postcode="GY1 1AA",
        local_authority_code="L99999999",
        easting=None,
        northing=None,
        latitude=None,
        longitude=None,
    )
    placed("National", None, None, national=True)
    placed("Nearby", E, N)
    return postcode


def test_serving_point_for_a_postcode_without_location_or_known_area(halton_areas):
    guernsey = unplaced_postcode()
    rows = list(Initiative.objects.serving_point(guernsey))
    assert [(i.name, reason_for(i), i.distance_m) for i in rows] == [
        ("National", "Serves the whole UK", None)
    ]


@pytest.mark.parametrize("words", ["", "national"])
def test_the_listing_near_a_postcode_without_location_or_known_area(client, halton_areas, words):
    """Only what serves the whole UK can be said to serve it, and the page says so: each
    row's tier is then one constant, which PostgreSQL read as a column's position in the
    ORDER BY of the page's ids (a 500: "ORDER BY position 3 is not in select list")."""
    unplaced_postcode()
    params = {"postcode": "GY1 1AA", **({"q": words} if words else {})}
    response = client.get("/initiatives/", params)
    assert response.status_code == 200
    names = [row.name for row in response.context["page"].object_list]
    assert names == ["National"]
    assert "Serves the whole UK" in response.content.decode()
    assert " km away" not in response.content.decode()
    # The export and the API read the same order.
    export = client.get("/initiatives/export.csv", params)
    assert export.status_code == 200
    assert "National" in b"".join(export.streaming_content).decode()
    assert "Nearby" not in b"".join(client.get("/initiatives/export.csv", params)).decode()
    api = client.get("/api/v1/services", {"postcode": "GY1 1AA"})
    assert api.status_code == 200
    assert [row["name"] for row in api.json()["contents"]] == ["National"]


def test_serving_point_for_a_sector_centre(halton_areas):
    sector = PostcodeFactory(postcode="WA7 1", kind=Postcode.Kind.SECTOR, easting=E, northing=N)
    placed("Local", None, None, areas=[halton_areas["halton"]])
    placed("Twelve km", E + 12_000, N)
    assert [i.name for i in Initiative.objects.serving_point(sector)] == ["Local"]
    assert {i.name for i in Initiative.objects.serving_point(sector, distance_km=15)} == {
        "Local",
        "Twelve km",
    }


@pytest.mark.parametrize("distance_km", [-1, float("nan"), float("inf"), "ten"])
def test_near_refuses_a_distance_that_is_not_one(distance_km):
    with pytest.raises(ValueError):
        Initiative.objects.near(E, N, distance_km)


def listed_rows(client, params: dict) -> list[tuple[str, str]]:
    response = client.get("/initiatives/", params)
    assert response.status_code == 200
    return [(row.name, row.why_listed) for row in response.context["page"].object_list]


@pytest.mark.parametrize(
    "params",
    [
        {"postcode": "WA7 1AB"},
        {"postcode": "WA7 1AB", "page": "2"},
        {"postcode": "WA7 1AB", "page": "3"},
        {"postcode": "WA7 1AB", "q": "club"},
        {"postcode": "WA7 1AB", "sort": "name"},
        {"place": "Runcorn", "page": "2"},
    ],
    ids=["page 1", "page 2", "page 3", "words", "by name", "a town"],
)
def test_a_page_near_a_point_reads_its_first_tier_first(
    client, halton_areas, monkeypatch, settings, params
):
    """The first tier ("here": the district's records and those within the distance) is
    read on its own when it fills the page (ListingFacets.first_tier); the page, and
    why each row is there, are the same as the whole answer's."""
    from django.core.cache import cache

    from initiatives.listing.facets import ListingFacets

    settings.PAGE_CACHE = False  # each page made afresh
    # The first tier is read for lists of any length (a few dozen records here).
    monkeypatch.setattr("initiatives.listing.pages.FIRST_PART_OVER", 0)
    PostcodeFactory(postcode="WA7 1AB", easting=E, northing=N)
    areas = halton_areas
    for n in range(22):  # here: serving the district (enough to fill a page alone)
        placed(f"Halton club {n:02d}", None, None, areas=[areas["halton"]])
    for n in range(12):  # here: based within the distance
        placed(f"Nearby club {n:02d}", E + 100 * n, N + 50 * n)
    for n in range(10):  # covering: the ICB
        placed(f"ICB club {n:02d}", E + 50_000, N, areas=[areas["icb"]])
    for n in range(8):  # the whole UK
        placed(f"UK club {n:02d}", None, None, national=True)
    rows = listed_rows(client, params)
    assert rows
    cache.clear()
    with monkeypatch.context() as patched:
        patched.setattr(ListingFacets, "first_tier", lambda self: None)
        assert rows == listed_rows(client, params)
