"""DJANGO_MAP_TILES_URL and DJANGO_MAP_TILES_ATTRIBUTION: a tile URL the map cannot use,
or one without the attribution its provider asks for, stops the site at start-up with
a message; a usable one gives the one source the policy adds to img-src."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from directory.maps import tile_source

from ..processes import run_django

OSM_LIKE = "https://{s}.tiles.example.org/{z}/{x}/{y}.png"
ATTRIBUTION = "\u00a9 OpenStreetMap contributors https://www.openstreetmap.org/copyright"


@pytest.mark.parametrize(
    ("url", "source"),
    [
        ("", None),
        (OSM_LIKE, "https://*.tiles.example.org"),
        ("https://tiles.example.org/{z}/{x}/{y}{r}.png?key=a1", "https://tiles.example.org"),
        ("https://tiles.example.org:8443/{z}/{y}/{x}", "https://tiles.example.org:8443"),
        ("/tiles/{z}/{x}/{y}.png", None),  # on this site: 'self' allows it
    ],
)
def test_a_usable_url_gives_its_hosts_source(url, source):
    assert tile_source(url) == source


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("https://tiles.example.org/{z}/{x}.png", "it has no {y}"),
        ("http://tiles.example.org/{z}/{x}/{y}.png", "must start with https://"),
        ("//tiles.example.org/{z}/{x}/{y}.png", "must start with https://"),
        ("javascript:alert(1)//{z}/{x}/{y}", "must start with https://"),
        ("https://tiles.{s}.example.org/{z}/{x}/{y}.png", "only as its first part"),
        ("https://tiles.example.org;script-src *{z}/{x}/{y}", "plain host name"),
        ("https://user@tiles.example.org/{z}/{x}/{y}", "plain host name"),
    ],
)
def test_an_unusable_url_is_refused_saying_why(url, says):
    with pytest.raises(ImproperlyConfigured, match="DJANGO_MAP_TILES_URL") as refused:
        tile_source(url)
    assert says in str(refused.value)


def test_plain_http_only_when_asked_for_a_server_on_your_own_machine():
    url = "http://localhost:8080/{z}/{x}/{y}.png"
    assert tile_source(url, allow_http=True) == "http://localhost:8080"


def test_the_site_refuses_to_start_with_an_unusable_url_or_no_attribution():
    bad = run_django("", DJANGO_MAP_TILES_URL="https://tiles.example.org/{z}.png")
    assert bad.returncode != 0
    assert "DJANGO_MAP_TILES_URL must hold {z}, {x}, {y}" in bad.stderr
    unattributed = run_django("", DJANGO_MAP_TILES_URL=OSM_LIKE)
    assert unattributed.returncode != 0
    assert "without DJANGO_MAP_TILES_ATTRIBUTION" in unattributed.stderr
    ok = run_django(
        "from django.conf import settings; print(settings.MAP_TILES_URL)",
        DJANGO_MAP_TILES_URL=OSM_LIKE,
        DJANGO_MAP_TILES_ATTRIBUTION=ATTRIBUTION,
    )
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip() == OSM_LIKE
