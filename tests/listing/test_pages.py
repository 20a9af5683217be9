"""The listing on records of each test's own (no shared register): pages of results
and an empty register."""

import pytest

from ..factories import InitiativeFactory, TopicFactory
from .support import LIST, names, query, text

pytestmark = pytest.mark.django_db


class TestPagination:
    @pytest.fixture
    def many(self):
        topic = TopicFactory(slug="walking", name="Walking")
        for n in range(45):
            InitiativeFactory(name=f"Walk {n:02d}", topics=[topic])
        return topic

    def test_twenty_a_page_with_numbered_links_that_keep_the_filters(self, client, many):
        first = client.get(LIST, {"topic": "walking"})
        assert len(names(first)) == 20
        assert "45</strong> initiatives found, showing 1 to 20" in text(first)
        links = first.context["page_links"]
        assert [link["number"] for link in links] == [1, 2, 3]
        assert query(links[1]["url"]) == {"topic": ["walking"], "page": ["2"]}
        # Next follows a cursor (tests/listing/test_cursor_pages.py) to the same page.
        assert query(first.context["next_url"])["topic"] == ["walking"]
        assert names(client.get(first.context["next_url"]))[0] == "Walk 20"

        second = client.get(LIST, {"topic": "walking", "page": "2"})
        assert names(second)[0] == "Walk 20"
        assert 'aria-current="page"><span class="visually-hidden">Page </span>2<' in text(second)
        third = client.get(LIST, {"topic": "walking", "page": "3"})
        assert names(third) == [f"Walk {n}" for n in range(40, 45)]
        assert third.context["next_url"] is None

    def test_a_page_past_the_end_shows_the_last_page_and_says_so(self, client, many):
        response = client.get(LIST, {"page": "99999"})
        assert response.status_code == 200
        assert names(response)[-1] == "Walk 44"
        assert "There are only 3 pages of results, so here is the last one." in text(response)

    def test_long_result_lists_elide_middle_page_numbers(self, client):
        for n in range(205):
            InitiativeFactory(name=f"Group {n:03d}")
        response = client.get(LIST, {"page": "6"})
        numbers = [link.get("number", "...") for link in response.context["page_links"]]
        assert numbers == [1, "...", 4, 5, 6, 7, 8, "...", 11]


class TestEmptyState:
    def test_an_empty_register_says_so_without_suggestions(self, client):
        response = client.get(LIST)
        assert response.status_code == 200
        assert response.context["suggestion"] is None
        assert "No initiatives found" in text(response)


def test_a_tier_sorted_once_found_pages_in_the_same_order(monkeypatch):
    """The tiers past "here" are found, then sorted (`sort_found`), never walked through
    the name index: the same rows in the same order (name, then id; equal names too) on
    every page, whether the list is short or long."""
    from initiatives.listing import pages
    from initiatives.models import Initiative

    for n in range(30):
        InitiativeFactory(name=f"Club {n % 7}")
    ordered = Initiative.objects.published().order_by("name", "pk")
    expected = list(ordered.values_list("pk", flat=True))
    for short_list in (0, 5000):  # a long list, then a short one
        monkeypatch.setattr(pages, "SHORT_LIST", short_list)
        for sort_found in (False, True):
            paginator = pages.IdsFirstPaginator(ordered, 8, sort_found=sort_found)
            found = [pk for n in paginator.page_range for pk in paginator.page(n, rows=False)]
            assert found == expected


def test_what_serves_a_place_is_sorted_once_found_up_to_its_own_limit(monkeypatch):
    """Names begin with their places' names, so what serves a place (a tier of an area,
    an area page's section) is found, then sorted, up to PLACE_LIST results, where any
    other list is walked through the name index past SHORT_LIST; the pages are the same
    either way."""
    from initiatives.listing import pages
    from initiatives.models import Initiative

    for n in range(30):
        InitiativeFactory(name=f"Wirral Club {n % 7}")
    ordered = Initiative.objects.published().order_by("name", "pk")
    expected = list(ordered.values_list("pk", flat=True))
    monkeypatch.setattr(pages, "SHORT_LIST", 0)

    def walks(paginator) -> bool:
        return tuple(paginator._ordered().query.order_by) == ("name", "pk")

    for place_list, of_place, walked in [(100, True, False), (100, False, True), (10, True, True)]:
        monkeypatch.setattr(pages, "PLACE_LIST", place_list)
        paginator = pages.IdsFirstPaginator(ordered, 8, of_place=of_place)
        assert walks(paginator) is walked
        found = [pk for n in paginator.page_range for pk in paginator.page(n, rows=False)]
        assert found == expected


def test_a_place_list_read_among_the_first_names_pages_as_when_sorted(monkeypatch):
    """Before sorting a place's list, its page is looked for among the register's first
    names (NAME_PREFIX); found there or not, every page is the same as sorted: the
    place's rows interleave in name order with others', some with equal names."""
    from initiatives.listing import pages
    from initiatives.models import Initiative

    for n in range(24):
        InitiativeFactory(name=f"{'ABCDW'[n % 5]} Club {n % 3}", role="service_provider")
        InitiativeFactory(name=f"{'ABCDW'[n % 4]} Club {n % 3}", role="campaigning")
    InitiativeFactory(name="A Club 0", role="service_provider", status=Initiative.Status.DRAFT)
    ordered = Initiative.objects.published().filter(role="service_provider").order_by("name", "pk")
    expected = list(ordered.values_list("pk", flat=True))
    monkeypatch.setattr(pages, "SHORT_LIST", 0)
    for prefix in (0, 1, 5, 12, 30, 1000):
        monkeypatch.setattr(pages, "NAME_PREFIX", prefix)
        paginator = pages.IdsFirstPaginator(ordered, 5, of_place=True)
        assert paginator._sorts_a_place()
        found = [pk for n in paginator.page_range for pk in paginator.page(n, rows=False)]
        assert found == expected, prefix
