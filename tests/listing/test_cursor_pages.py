"""Next and Previous follow a cursor (the row a page ends or starts with) rather than a
page number, in the orders that allow it: walking by cursor gives the same records in
the same order as walking by page number, and a cursor the site did not make is a 400
with a message."""

from datetime import date, timedelta

import pytest

from initiatives.listing.pages import make_cursor

from ..factories import InitiativeFactory, TopicFactory
from .support import LIST, MAX_LISTING_QUERIES, query, text

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _every_page_made(settings):
    """Walking back comes to pages already seen: each is made again, so its context
    (the records, the links) can be read (pages kept whole: test_page_cache.py)."""
    settings.PAGE_CACHE = False


def ids(response) -> list[int]:
    return [initiative.pk for initiative in response.context["page"]]


@pytest.fixture
def register():
    """67 records with shared names, shared and missing verification dates, some ended
    and some with the topic, so that every tie is broken by the id."""
    topic = TopicFactory(slug="walking", name="Walking")
    today = date(2026, 6, 1)
    for n in range(67):
        InitiativeFactory(
            name=f"Walk {n % 9}",  # nine names, each shared
            summary="A walking group." if n % 2 else "A community group.",
            last_verified_on=None if n % 5 == 0 else today - timedelta(days=n % 4),
            lifecycle="ended" if n % 11 == 0 else "",
            topics=[topic] if n % 3 else [],
        )
    InitiativeFactory(name="Draft walk", status="draft")
    return topic


def walk_by_number(client, params) -> list[int]:
    found, number = [], 1
    while True:
        response = client.get(LIST, {**params, "page": str(number)})
        found += ids(response)
        if response.context["page"].number >= response.context["page"].paginator.num_pages:
            return found
        number += 1


def walk_by_cursor(client, params) -> tuple[list[int], list]:
    """Forward by Next from the first page; then back by Previous from the last."""
    pages, url = [], None
    response = client.get(LIST, params)
    while True:
        assert response.status_code == 200
        pages.append(ids(response))
        url = response.context["next_url"]
        if url is None:
            break
        assert "cursor" in query(url) and "page" not in query(url)
        response = client.get(url)
    backwards = [ids(response)]
    while response.context["previous_url"]:
        response = client.get(response.context["previous_url"])
        backwards.append(ids(response))
    return pages, backwards[::-1]


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"sort": "-last_verified_on"},
        {"topic": "walking"},
        {"topic": "walking", "sort": "-last_verified_on", "include_ended": "1"},
        {"q": "walking", "sort": "name"},
        {"q": "walking", "sort": "-last_verified_on"},
    ],
)
def test_walking_by_cursor_gives_the_same_records_as_by_number(client, register, params):
    by_number = walk_by_number(client, params)
    pages, backwards = walk_by_cursor(client, params)
    assert [pk for page in pages for pk in page] == by_number
    assert len(by_number) == len(set(by_number)) and len(pages) > 1
    assert backwards == pages  # Previous comes back through the same pages


def test_a_cursor_page_says_where_it_is_and_keeps_the_filters(client, register):
    first = client.get(LIST, {"topic": "walking"})
    second = client.get(first.context["next_url"])
    assert query(first.context["next_url"])["topic"] == ["walking"]
    assert second.context["page"].number == 2
    assert "showing 21 to 40" in text(second)
    assert query(second.context["previous_url"]) == {"topic": ["walking"]}  # page 1 as itself
    assert 'aria-current="page"><span class="visually-hidden">Page </span>2<' in text(second)


def test_a_deep_page_by_number_leads_on_by_cursor(client, register):
    second = client.get(LIST, {"page": "2"})
    assert "cursor" in query(second.context["next_url"])
    third = client.get(second.context["next_url"])
    assert ids(third) == ids(client.get(LIST, {"page": "3"}))


def test_a_cursor_page_stays_within_the_listing_query_budget(
    client, register, django_assert_max_num_queries
):
    url = client.get(LIST, {"topic": "walking"}).context["next_url"]
    with django_assert_max_num_queries(MAX_LISTING_QUERIES):
        response = client.get(url)
    assert response.status_code == 200


@pytest.mark.parametrize("change", ["edited", "cut", "garbage", "other order"])
def test_a_cursor_the_site_did_not_make_is_a_400_with_a_message(client, register, change):
    good = query(client.get(LIST).context["next_url"])["cursor"][0]
    cursor = {
        "edited": good[:-3] + ("abc" if good[-3:] != "abc" else "abd"),
        "cut": good[: len(good) // 2],
        "garbage": "not a cursor",
        "other order": good,
    }[change]
    params = {"cursor": cursor, "sort": "-last_verified_on" if change == "other order" else "name"}
    response = client.get(LIST, params)
    assert response.status_code == 400
    assert "The link to that page of results was changed or cut short" in text(response)
    assert len(ids(response)) == 20  # the first page, filters kept


def test_a_cursor_from_an_unknown_row_gives_the_first_page_and_says_why(client, register):
    response = client.get(LIST, {"cursor": make_cursor("name", 10**9, after=True, number=2)})
    assert response.status_code == 200
    assert "The results have changed since that link was made" in text(response)
    assert ids(response) == ids(client.get(LIST))


def test_relevance_keeps_page_numbers(client, register):
    response = client.get(LIST, {"q": "walking"})
    assert query(response.context["next_url"]) == {"q": ["walking"], "page": ["2"]}
