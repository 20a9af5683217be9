"""A misspelt search says what it searched for, and offers the words as typed, on the
shared sample register."""

import pytest

from .support import LIST, names, text

pytestmark = pytest.mark.django_db


def test_a_corrected_search_says_so_and_offers_the_words_as_typed(client, reg):
    response = client.get(LIST, {"q": "demntia"})
    assert response.context["correction"] == "dementia"
    corrected = names(response)
    assert corrected  # the sample register has dementia initiatives
    page = text(response)
    assert "Showing results for <strong>dementia</strong> (you typed demntia)." in page
    assert "Search for demntia instead" in page

    as_typed = client.get(response.context["as_typed_url"])
    assert names(as_typed) == []
    assert as_typed.context["correction"] is None
    assert any(chip["label"] == "Words as typed" for chip in as_typed.context["chips"])


def test_a_search_that_matches_as_typed_says_nothing_more(client, reg):
    response = client.get(LIST, {"q": "dementia"})
    assert response.context["correction"] is None
    assert "you typed" not in text(response)
