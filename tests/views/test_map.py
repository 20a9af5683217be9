"""The map beside the listing, an initiative's page and an area's page: only with a tile
server set, only for initiatives with a location, from the page's own rows."""

import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings

from places import gazetteer

from ..factories import InitiativeFactory, PostcodeFactory
from .support import text

pytestmark = pytest.mark.django_db

TILES = "https://{s}.tiles.example.org/{z}/{x}/{y}.png"
ATTRIBUTION = "\u00a9 OpenStreetMap contributors https://www.openstreetmap.org/copyright"
RUNCORN = gazetteer.find("Runcorn").chosen
ISLAND = re.compile(r'<script id="map-data" type="application/json">(.*?)</script>', re.S)


def with_tiles(url=TILES, attribution=ATTRIBUTION):
    return override_settings(MAP_TILES_URL=url, MAP_TILES_ATTRIBUTION=attribution)


def markers(page: str) -> list[dict] | None:
    """The markers of the page's map, or None when the page has no map."""
    found = ISLAND.findall(page)
    if not found:
        return None
    assert len(found) == 1
    return json.loads(found[0])["markers"]


def has_map_markup(page: str) -> bool:
    return any(
        sign in page for sign in ("data-map-panel", "map-panel__map", "leaflet", "js/map.js")
    )


@pytest.fixture
def located(reg):
    """One initiative located at its town's centre, one by its own postcode, and one
    that only serves an area (no location)."""
    halton = reg.areas["halton"]
    PostcodeFactory(
        postcode="WA7 1AB",
        local_authority_code="E06000006",
        easting=RUNCORN.easting,
        northing=RUNCORN.northing - 1200,
    )
    return {
        "town": InitiativeFactory(
            name="Sew Runcorn", slug="sew-runcorn", areas=[halton], located_in_town="Runcorn"
        ),
        "address": InitiativeFactory(
            name="Runcorn Singers", slug="runcorn-singers", areas=[halton], postcode="WA7 1AB"
        ),
        "area_only": InitiativeFactory(
            name="Halton Phone Friends", slug="halton-phone-friends", areas=[halton]
        ),
    }


PAGES = ["/initiatives/?area=halton", "/initiatives/sew-runcorn/", "/areas/halton/?here=1"]


@pytest.mark.parametrize("url", PAGES)
def test_without_a_tile_server_pages_show_the_list_alone(client, located, url):
    page = text(client.get(url))
    assert "Sew Runcorn" in page
    assert not has_map_markup(page)
    assert markers(page) is None


def test_the_listing_maps_only_what_has_a_location(client, located):
    with with_tiles():
        page = text(client.get("/initiatives/?area=halton"))
    assert "Halton Phone Friends" in page  # listed, but it has no point to draw
    found = {marker["name"]: marker for marker in markers(page)}
    assert set(found) == {"Sew Runcorn", "Runcorn Singers"}
    town = found["Sew Runcorn"]
    assert town["url"] == "/initiatives/sew-runcorn/"
    assert (town["lat"], town["lng"]) == (round(RUNCORN.latitude, 5), round(RUNCORN.longitude, 5))
    assert town["note"] == "Approximate: the centre of Runcorn"
    assert found["Runcorn Singers"]["note"] == ""  # its own postcode's point
    assert found["Runcorn Singers"]["lat"] < town["lat"]  # 1.2 km south of the centre
    # The map is hidden from assistive technology and stays hidden without JavaScript.
    assert re.search(r'<div class="map-panel map-panel--listing" data-map-panel hidden>', page)
    assert '<div class="map-panel__map" aria-hidden="true"' in page
    assert "/static/vendor/leaflet/leaflet.js" in page
    assert "/static/vendor/leaflet.markercluster/leaflet.markercluster.js" in page
    assert '<a href="https://www.openstreetmap.org/copyright"' in page


def test_the_listing_maps_only_the_page_it_shows(client, reg):
    for n in range(23):
        InitiativeFactory(
            name=f"Mapped Group {n:02d}", areas=[reg.areas["halton"]], located_in_town="Runcorn"
        )
    with with_tiles():
        first = markers(text(client.get("/initiatives/", {"q": "mapped", "sort": "name"})))
        second = markers(
            text(client.get("/initiatives/", {"q": "mapped", "sort": "name", "page": "2"}))
        )
    assert [m["name"] for m in first] == [f"Mapped Group {n:02d}" for n in range(20)]
    assert [m["name"] for m in second] == [f"Mapped Group {n:02d}" for n in range(20, 23)]


def test_no_map_when_nothing_on_the_page_has_a_location(client, located):
    with with_tiles():
        page = text(client.get("/initiatives/?q=phone"))
        assert "Halton Phone Friends" in page
        assert not has_map_markup(page)
        detail = text(client.get("/initiatives/halton-phone-friends/"))
        assert not has_map_markup(detail)
        empty = text(client.get("/initiatives/?q=zzzzqqq"))
        assert not has_map_markup(empty)


def test_an_initiatives_page_maps_it_alone(client, located):
    with with_tiles():
        page = text(client.get("/initiatives/sew-runcorn/"))
    assert [m["name"] for m in markers(page)] == ["Sew Runcorn"]
    assert "map-panel--detail" in page


def test_an_area_page_maps_the_initiatives_it_lists(client, located):
    with with_tiles():
        page = text(client.get("/areas/halton/?here=1"))
    assert {m["name"] for m in markers(page)} == {"Sew Runcorn", "Runcorn Singers"}
    assert "map-panel--area" in page


def test_names_and_attribution_are_escaped(client, reg):
    name = '</script><script>alert("x")</script> & <b>Bold</b>'
    InitiativeFactory(
        name=name, slug="hostile", areas=[reg.areas["halton"]], located_in_town="Runcorn"
    )
    with with_tiles(attribution='Tiles <img src=x onerror="alert(1)"> & co'):
        page = text(client.get("/initiatives/hostile/"))
    island = ISLAND.findall(page)[0]
    assert "<" not in island and ">" not in island  # no way out of the data block
    assert json.loads(island)["markers"][0]["name"] == name
    assert '<img src=x onerror="alert(1)">' not in page
    assert "Tiles &lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; co" in page


@pytest.mark.parametrize("url", PAGES)
def test_the_map_costs_no_query(client, located, url, settings):
    settings.PAGE_CACHE = False  # each page made, to count what making it costs
    client.get(url)  # the figures cache warmed, as for any visitor after the first
    with CaptureQueriesContext(connection) as without_map:
        client.get(url)
    with with_tiles(), CaptureQueriesContext(connection) as with_map:
        page = text(client.get(url))
    assert markers(page)
    assert len(with_map) == len(without_map)


def csp_directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {
        part.split()[0]: part.split()[1:] for part in (p.strip() for p in policy.split(";")) if part
    }


def test_the_policy_lets_tiles_in_only_from_the_tile_server_when_one_is_set(client, located):
    plain = csp_directives(client.get("/initiatives/"))
    assert sorted(plain["img-src"]) == ["'self'", "data:"]
    with with_tiles():
        mapped = csp_directives(client.get("/initiatives/"))
    assert sorted(mapped["img-src"]) == ["'self'", "data:", "https://*.tiles.example.org"]
    assert {k: v for k, v in mapped.items() if k != "img-src"} == {
        k: v for k, v in plain.items() if k != "img-src"
    }
    with with_tiles("https://tiles.example.org:8443/osm/{z}/{x}/{y}.png?key=abc"):
        assert csp_directives(client.get("/")).get("img-src") == [
            "'self'",
            "data:",
            "https://tiles.example.org:8443",
        ]
    with with_tiles("/tiles/{z}/{x}/{y}.png"):  # on this site: 'self' already covers it
        assert sorted(csp_directives(client.get("/"))["img-src"]) == ["'self'", "data:"]
