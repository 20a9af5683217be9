"""Past DJANGO_ESTIMATE_TOTAL_OVER, on PostgreSQL, the listing shows the planner's
estimate as "About N", rounded; below it, and always on SQLite, it counts exactly. The
CSV and the API's total_items always count."""

import pytest
from django.db import connection

from initiatives.listing.pages import about

from ..factories import InitiativeFactory
from .support import LIST, text

pytestmark = pytest.mark.django_db


@pytest.fixture
def register():
    for n in range(123):
        InitiativeFactory(name=f"Group {n:03d}")
    with connection.cursor() as cursor:  # the planner's statistics, as ANALYZE leaves them
        cursor.execute(
            "ANALYZE initiatives_initiative" if connection.vendor == "postgresql" else "ANALYZE"
        )


def test_about_rounds_to_two_figures():
    assert [about(n) for n in (7, 99, 123, 418_612, 85_048)] == [7, 99, 120, 420_000, 85_000]


def test_below_the_setting_or_without_it_the_total_is_exact(client, register, settings):
    settings.ESTIMATE_TOTAL_OVER = 0
    response = client.get(LIST)
    assert "<strong>123</strong> initiatives found" in text(response)
    assert "About" not in text(response)
    settings.ESTIMATE_TOTAL_OVER = 100_000
    assert "<strong>123</strong> initiatives found" in text(client.get(LIST))


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_past_the_setting_postgresql_shows_about_a_rounded_estimate(client, register, settings):
    settings.ESTIMATE_TOTAL_OVER = 50
    response = client.get(LIST)
    page = text(response)
    assert response.context["count_estimated"] is True
    shown = response.context["count"]
    assert shown % 10 == 0 and 100 <= shown <= 150  # the planner's estimate, rounded
    assert f"About <strong>{shown}</strong> initiatives found (an estimate" in page
    assert f"these initiatives (about {shown})" in page
    assert "<strong>123</strong>" not in page
    # The CSV and the API still count exactly.
    csv = b"".join(client.get("/initiatives/export.csv").streaming_content).decode()
    assert len(csv.strip().splitlines()) == 1 + 123
    assert client.get("/api/v1/services").json()["total_items"] == 123


def test_sqlite_always_counts_exactly(client, register, settings):
    if connection.vendor == "postgresql":
        pytest.skip("SQLite's behaviour")
    settings.ESTIMATE_TOTAL_OVER = 50
    response = client.get(LIST)
    assert response.context["count_estimated"] is False
    assert "<strong>123</strong> initiatives found" in text(response)
