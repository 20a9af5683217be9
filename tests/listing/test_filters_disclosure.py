"""The listing's filters on a phone: behind a "Filters (N)" disclosure that works
without JavaScript, applied by a button, and the distance field saying what it
measures."""

import re

import pytest

from .support import LIST, text

pytestmark = pytest.mark.django_db


def disclosure(page: str) -> str:
    match = re.search(r"<details[^>]*data-filters-disclosure[^>]*>(.*?)</details>", page, re.S)
    assert match, "the filters are not in a disclosure"
    return match.group(0)


class TestFiltersDisclosure:
    def test_summary_counts_the_active_filters(self, client, reg):
        page = text(client.get(LIST, {"role": "campaigning", "topic": "arts"}))
        assert '<summary class="filters__toggle">Filters (2)</summary>' in disclosure(page)

    def test_no_filters_counts_none(self, client, reg):
        page = text(client.get(LIST))
        assert '<summary class="filters__toggle">Filters (0)</summary>' in disclosure(page)

    def test_closed_as_served_so_a_phone_shows_the_results_first(self, client, reg):
        opening = re.search(r"<details[^>]*data-filters-disclosure[^>]*>", text(client.get(LIST)))
        assert " open" not in opening.group(0)

    def test_the_options_and_the_apply_button_are_inside_the_form(self, client, reg):
        page = text(client.get(LIST))
        inside = disclosure(page)
        assert 'id="role-campaigning"' in inside
        assert '<button type="submit" class="filters__submit">Apply filters</button>' in inside
        form = re.search(r'<form id="filters".*?</form>', page, re.S).group(0)
        assert inside in form

    def test_no_promise_that_clicking_an_option_applies_it(self, client, reg):
        assert "as soon as you click" not in text(client.get(LIST))


def test_distance_hint_says_only_initiatives_with_a_location_are_measured(client, reg):
    page = text(client.get(LIST))
    hint = re.search(r'<p id="distance-hint" class="hint">(.*?)</p>', page).group(1)
    assert "Measured to initiatives with a location" in hint
    assert "approximate" in hint
    assert "Those that serve the area without one are listed too, with no distance" in hint
