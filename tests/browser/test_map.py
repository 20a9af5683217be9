"""The map in a real browser: tiles from a test route on the live server (never the
network), markers clustered, a marker's link opening its initiative, axe-core clean,
nothing in it reachable by keyboard, and the list alone without JavaScript."""

import base64
import re

import pytest
from django.http import HttpResponse
from django.test.utils import override_settings
from django.urls import path

import directory.urls

from ..factories import InitiativeFactory
from ..sample_register import build_register
from .accessibility import wcag_violations
from .test_csp import RECORD_VIOLATIONS, violations

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# A 1x1 transparent PNG: every tile the map asks for.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)


def tile(request, z, x, y):
    return HttpResponse(PNG, content_type="image/png")


# The site's URLs plus the test's tile server.
urlpatterns = [
    path("test-tiles/<int:z>/<int:x>/<int:y>.png", tile),
    *directory.urls.urlpatterns,
]
handler404 = "directory.views.page_not_found"
handler500 = "directory.views.server_error"

# A focusable element inside the map that Tab would reach.
TAB_STOPS_IN_MAP = """() => Array.from(
    document.querySelectorAll(".map-panel__map :is(a, button, input, [tabindex])")
).filter((node) => node.tabIndex >= 0).length"""


@pytest.fixture
def register():
    reg = build_register()
    halton = reg.areas["halton"]
    for name in ("Sew Runcorn", "Runcorn Singers", "Runcorn Rowers"):
        InitiativeFactory(name=name, areas=[halton], located_in_town="Runcorn")
    InitiativeFactory(
        name="Widnes Walkers", slug="widnes-walkers", areas=[halton], located_in_town="Widnes"
    )
    InitiativeFactory(name="Halton Phone Friends", areas=[halton])  # no location
    return reg


@pytest.fixture
def mapped():
    with override_settings(
        ROOT_URLCONF=__name__,
        MAP_TILES_URL="/test-tiles/{z}/{x}/{y}.png",
        MAP_TILES_ATTRIBUTION="Test tiles, no network",
    ):
        yield


@pytest.fixture
def tiles_asked(page):
    asked = []
    page.on("request", lambda request: "/test-tiles/" in request.url and asked.append(request))
    return asked


def open_map(page, url):
    page.add_init_script(RECORD_VIOLATIONS)
    page.goto(url)
    page.wait_for_selector(".map-panel:not([hidden]) .leaflet-marker-icon")
    page.wait_for_selector(".leaflet-tile-loaded")


def test_the_map_renders_clusters_and_each_marker_opens_its_initiative(
    page, live_server, register, mapped, tiles_asked
):
    open_map(page, live_server.url + "/initiatives/?area=halton")
    assert tiles_asked
    # The three at Runcorn's centre are one cluster; Widnes stands alone.
    cluster = page.locator(".marker-cluster")
    assert cluster.count() == 1
    assert cluster.inner_text().strip() == "3"
    single = page.locator(".leaflet-marker-icon:not(.marker-cluster)")
    assert single.count() == 1
    assert page.locator(".map-panel__attribution").inner_text() == "Test tiles, no network"
    assert page.evaluate(TAB_STOPS_IN_MAP) == 0
    single.click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert "Approximate: the centre of Widnes" in popup.inner_text()
    assert page.evaluate(TAB_STOPS_IN_MAP) == 0  # the pop-up's link and close button too
    # The map pans to show the pop-up whole: click its link once it is still.
    page.wait_for_function("() => !document.querySelector('.leaflet-pan-anim, .leaflet-zoom-anim')")
    # Inside the aria-hidden map the link has no role to find it by: its text does.
    popup.locator("a", has_text="Widnes Walkers").click()
    page.wait_for_url("**/initiatives/widnes-walkers/")
    assert page.locator("h1").inner_text() == "Widnes Walkers"
    assert violations(page) == []


def test_a_cluster_opens_into_its_markers(page, live_server, register, mapped):
    open_map(page, live_server.url + "/initiatives/?area=halton")
    page.locator(".marker-cluster").click()
    # They share one point, so the cluster spreads them out where they are.
    page.wait_for_function(
        "() => document.querySelectorAll('.leaflet-marker-icon:not(.marker-cluster)').length >= 4"
    )


@pytest.mark.parametrize(
    "url",
    ["/initiatives/?area=halton", "/initiatives/widnes-walkers/", "/areas/halton/?here=1"],
)
def test_pages_with_the_map_pass_axe_and_keep_the_map_out_of_the_tab_order(
    page, live_server, register, mapped, url
):
    open_map(page, live_server.url + url)
    assert wcag_violations(page) == []
    assert page.evaluate(TAB_STOPS_IN_MAP) == 0
    assert page.locator(".map-panel__map").get_attribute("aria-hidden") == "true"
    assert violations(page) == []


def test_without_javascript_the_list_works_and_no_map_shows(browser, live_server, register, mapped):
    context = browser.new_context(java_script_enabled=False, locale="en-GB")
    page = context.new_page()
    asked = []
    page.on("request", lambda request: "/test-tiles/" in request.url and asked.append(request))
    try:
        page.goto(live_server.url + "/initiatives/?area=halton")
        assert re.search(r"\d+ initiatives found", page.locator(".results__count").inner_text())
        assert page.get_by_role("link", name="Widnes Walkers").is_visible()
        assert page.locator(".map-panel").is_hidden()
        assert asked == []
        page.get_by_role("link", name="Widnes Walkers").click()
        page.wait_for_url("**/initiatives/widnes-walkers/")
    finally:
        context.close()
