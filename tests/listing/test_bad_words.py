"""Words that cannot be searched get a message saying why, on the listing and the API,
never an error page; the other filters still apply."""

import pytest

pytestmark = pytest.mark.django_db

UNSEARCHABLE = ["?", "--", "'", "\u2014", "!!!", "d\u0435mentia", "\u0430dvice line"]


@pytest.mark.parametrize("q", UNSEARCHABLE)
def test_the_listing_says_why_the_words_were_not_searched(client, reg, q):
    response = client.get("/initiatives/", {"q": q, "role": "service_provider"})
    assert response.status_code == 200
    page = response.content.decode()
    notices = " ".join(response.context["notices"])
    if "\u0435" in q or "\u0430" in q:
        assert "mixes letters of different alphabets (Cyrillic and Latin)" in notices
    else:
        assert "has no letters or numbers to search for" in notices
    assert "The results are not filtered by these words." in notices
    assert "Some of what you asked for could not be used" in page
    # The role still applies, and the words are still in the box to correct.
    everything = client.get("/initiatives/", {"role": "service_provider"})
    assert response.context["count"] == everything.context["count"] > 0
    assert response.context["q"] == q


@pytest.mark.parametrize("q", UNSEARCHABLE)
def test_the_api_answers_a_json_400_naming_the_search(client, reg, q):
    response = client.get("/api/v1/services", {"search": q})
    assert response.status_code == 400
    body = response.json()
    assert body["errors"]["search"]
    assert "search" in body["message"]


@pytest.mark.parametrize(
    "q",
    [
        "dementia",
        "-dementia",
        "\u0434\u0435\u043c\u0435\u043d\u0446\u0438\u044f",
        "caf\u00e9",
        "WA7",
    ],
)
def test_words_in_one_alphabet_are_searched(client, reg, q):
    response = client.get("/initiatives/", {"q": q})
    assert response.status_code == 200
    assert not any("alphabets" in n or "no letters" in n for n in response.context["notices"])
    assert client.get("/api/v1/services", {"search": q}).status_code == 200
