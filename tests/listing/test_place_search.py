"""Searching in a town: the search box's place names, the `place` param, what the page
says it understood, choices for a shared name, and messages for what is no place."""

import copy
import html

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from .support import LIST, MAX_LISTING_QUERIES, names, query

pytestmark = pytest.mark.django_db


def seen(response) -> str:
    return html.unescape(response.content.decode())


@pytest.fixture
def reg(shared_register):
    return copy.deepcopy(shared_register)


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("Runcorn", {"place": ["Runcorn"]}),
        ("in Widnes", {"place": ["Widnes"]}),
        ("near Wrexham", {"place": ["Wrexham"]}),
        ("liverpool", {"place": ["Liverpool"]}),
        ("dementia Runcorn", {"q": ["dementia"], "place": ["Runcorn"]}),
        ("dementia in Runcorn", {"q": ["dementia"], "place": ["Runcorn"]}),
        ("in Runcorn dementia", {"q": ["dementia"], "place": ["Runcorn"]}),
        ("walking near Stoke on Trent", {"q": ["walking"], "place": ["Stoke-on-Trent"]}),
        ("in Atlantis", {"place": ["Atlantis"]}),
    ],
)
def test_a_place_in_the_search_box_becomes_a_place_search(client, reg, q, expected):
    response = client.get(LIST, {"q": q, "role": "service_provider"})
    assert response.status_code == 302
    assert query(response.url) == {**expected, "role": ["service_provider"]}


@pytest.mark.parametrize(
    "q", ["walking", '"Runcorn"', "Erewash", "WA7 1AB", "dementia -Runcorn", "Newport", "Halton"]
)
def test_words_that_name_no_town_stay_a_word_search(client, reg, q):
    response = client.get(LIST, {"q": q})
    assert response.status_code != 302 or "place" not in query(response.url)


def test_a_town_shows_what_serves_its_district_and_says_so(client, reg):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST, {"place": "Runcorn"})
    assert response.status_code == 200
    assert len(queries) <= MAX_LISTING_QUERIES
    page = seen(response)
    assert "Showing initiatives serving Runcorn (Halton)" in page
    # Halton's own first, then what covers it, then England-wide; never Oldham's or Wales's.
    assert names(response)[:2] == ["Halton Litter Pickers", "Halton Ukulele Club"]
    assert "Wrexham Community Allotments" not in names(response)
    assert {i.why_listed for i in response.context["page"]} >= {
        "Covers this area: serves Halton (no location recorded, so no distance)"
    }
    # The town's name as a word search is offered, and GeoNames is credited.
    words = response.context["place_search"]["words_url"]
    assert query(words) == {"q": ['"Runcorn"']}
    assert client.get(words).status_code == 200
    assert "GeoNames" in page


def test_words_in_a_town_search_the_words_there_and_offer_them_everywhere(client, reg):
    response = client.get(LIST, {"q": "ukulele", "place": "Widnes"})
    assert names(response) == ["Halton Ukulele Club"]
    assert "Showing initiatives matching \u201cukulele\u201d and serving Widnes (Halton)" in seen(
        response
    )
    assert query(response.context["place_search"]["words_url"]) == {"q": ["ukulele"]}
    # The filters form keeps the town.
    assert '<input type="hidden" name="place" value="Widnes">' in response.content.decode()


def test_a_town_in_wales_is_served_by_what_serves_wrexham(client, reg):
    response = client.get(LIST, {"place": "Wrexham"})
    assert "Wrexham Community Allotments" in names(response)
    assert "Halton Ukulele Club" not in names(response)


def test_an_area_that_is_no_town_is_still_offered_as_an_area(client, reg):
    response = client.get(LIST, {"q": "Erewash"})
    assert response.status_code == 200
    assert "Initiatives serving Erewash" in seen(response)


def test_a_shared_name_offers_its_places_as_links(client, reg):
    response = client.get(LIST, {"place": "Newport"})
    assert response.status_code == 200
    page = seen(response)
    assert "There are several places called Newport: which one do you mean?" in page
    choices = response.context["place_search"]["choices"]
    assert len(choices) >= 4
    assert any("Wales" in c["label"] for c in choices)
    chosen = client.get(choices[0]["url"])
    assert chosen.status_code == 200
    assert "Showing initiatives serving Newport" in seen(chosen)


def test_a_shared_name_in_the_search_box_offers_its_places_beside_the_words(client, reg):
    response = client.get(LIST, {"q": "ukulele Halton"})
    assert names(response) == ["Halton Ukulele Club"]
    page = seen(response)
    assert "There are several places called Halton: which one do you mean?" in page
    labels = [c["label"] for c in response.context["place_search"]["choices"]]
    # The sample register has no Lancaster area: that one is placed by its nation alone.
    assert labels == ["Halton (Halton, England)", "Halton (England)"]
    chosen = response.context["place_search"]["choices"][0]["url"]
    assert query(chosen)["q"] == ["ukulele"] and query(chosen)["place"][0].startswith("halton-")
    # The borough itself is still offered as an area.
    assert "Initiatives serving Halton" in seen(client.get(LIST, {"q": "Halton"}))


def test_an_unknown_town_is_named_with_a_hint(client, reg):
    response = client.get(LIST, {"place": "Atlantis"})
    assert response.status_code == 200
    assert "We couldn\u2019t find a place called Atlantis; try a postcode" in seen(response)
    # The rest of the search still applies.
    assert len(names(response)) == response.context["count"] > 0


def test_a_word_that_finds_nothing_suggests_it_may_be_a_place(client, reg):
    response = client.get(LIST, {"q": "Atlantis"})
    assert response.status_code == 200
    assert response.context["count"] == 0
    assert "We couldn\u2019t find a place called Atlantis; try a postcode" in seen(response)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("R\u0443ncorn", "That mixes alphabets"),
        ("Runcorn" * 72, "A place name has at most 60 characters"),
        ("!", "Enter a town, city or village"),
        ("\u2014", "Enter a town, city or village"),
        ("<script>alert(1)</script>", "We couldn\u2019t find a place called <script>"),
    ],
)
def test_hostile_place_text_gets_a_message_never_an_error(client, reg, value, message):
    response = client.get(LIST, {"place": value})
    assert response.status_code == 200
    assert message in seen(response)
    assert "<script>alert(1)" not in response.content.decode()


@pytest.mark.parametrize("q", ["R\u0443ncorn", "Runcorn " * 70, "!", "?? ..."])
def test_hostile_search_text_gets_a_page_never_an_error(client, reg, q):
    response = client.get(LIST, {"q": q}, follow=True)
    assert response.status_code == 200


def test_the_csv_export_takes_the_same_place(client, reg):
    response = client.get("/initiatives/export.csv", {"place": "Runcorn"})
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "Halton Ukulele Club" in body and "Wrexham Community Allotments" not in body
