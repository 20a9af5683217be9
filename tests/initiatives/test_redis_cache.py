"""The figures cache in Redis (or Valkey), as several servers share it: Django's own
RedisCache, chosen by DJANGO_REDIS_URL.

These tests need a Redis that answers at TEST_REDIS_URL (default
redis://127.0.0.1:6379/15; `.ci/run` starts one). Without one they skip, saying so;
under CI=true they fail instead. Each test keeps its keys under a prefix of its own and
removes them afterwards.
"""

import os
import uuid

import pytest
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.test import Client

from initiatives import caching, exports

from ..factories import AreaFactory, InitiativeFactory
from ..processes import read_setting
from .test_figures_cache import LIST, queries, role_count

pytestmark = pytest.mark.django_db

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
HINT = (
    "Start one with `redis-server --port 6379` (Debian: apt-get install redis-server or "
    "valkey-server), or point TEST_REDIS_URL at one."
)


def _redis_answers() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except Exception:
        return False


def _redis_settings(prefix: str, url: str = REDIS_URL) -> dict:
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": prefix,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }


@pytest.fixture
def redis_cache(settings):
    """The figures cache in Redis, under a key prefix of this test's own."""
    if not _redis_answers():
        reason = f"No Redis answers at {REDIS_URL}"
        if os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}:
            pytest.fail(f"{reason}: the Redis cache tests must run in CI. {HINT}", pytrace=False)
        pytest.skip(f"{reason}. {HINT}")
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    settings.CACHES = _redis_settings(prefix)
    settings.FIGURES_CACHE_SECONDS = 3600
    yield prefix
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(f"{prefix}:*"))
    if keys:
        client.delete(*keys)


def other_server(prefix: str) -> RedisCache:
    """A cache handle of its own, as another worker or server would open it."""
    return RedisCache(REDIS_URL, {"KEY_PREFIX": prefix})


def test_the_figures_are_kept_in_redis_and_shared(client, redis_cache):
    InitiativeFactory.create_batch(2, role="service_provider")
    response, cold = queries(client, LIST)
    assert role_count(response) == 2
    assert isinstance(caches["default"], RedisCache)
    # Another server sees the same version and finds the figures counted here.
    other = other_server(redis_cache)
    assert other.get(caching.VERSION_KEY) == caching.version()
    assert any(key.startswith("figures:") for key in _keys(redis_cache))
    again, warm = queries(client, LIST)
    assert warm < cold
    assert again.content == response.content


def test_a_change_shows_at_once_everywhere(client, redis_cache):
    InitiativeFactory.create_batch(2, role="service_provider")
    assert role_count(client.get(LIST)) == 2
    before = other_server(redis_cache).get(caching.VERSION_KEY)
    InitiativeFactory(role="service_provider")
    # The new version is in Redis, so every server counts afresh.
    assert other_server(redis_cache).get(caching.VERSION_KEY) != before
    assert role_count(client.get(LIST)) == 3


def test_cached_figures_equal_a_fresh_count(client, redis_cache, settings):
    settings.PAGE_CACHE = False  # each page made again, from the figures kept in Redis
    InitiativeFactory.create_batch(3, role="service_provider")
    InitiativeFactory.create_batch(2, role="both")
    client.get(LIST)
    cached = client.get(LIST)
    settings.FIGURES_CACHE_SECONDS = 0  # counted afresh, no cache
    fresh = client.get(LIST)
    for name, facet in fresh.context["facets"].items():
        assert [(o.value, o.count) for o in cached.context["facets"][name].options] == [
            (o.value, o.count) for o in facet.options
        ]
    assert cached.context["count"] == fresh.context["count"] == 5


def test_a_page_kept_in_redis_is_served_by_every_server_until_a_change(
    client, redis_cache, django_assert_max_num_queries
):
    InitiativeFactory.create_batch(2, role="service_provider")
    first = client.get(LIST)
    assert first["X-Page-Cache"] == "miss"
    # Kept under its ETag where another server finds it.
    assert other_server(redis_cache).get(f"page:{first['ETag']}") is not None
    with django_assert_max_num_queries(0):
        again = Client().get(LIST)
    assert again["X-Page-Cache"] == "hit"
    assert again.content == first.content
    InitiativeFactory(role="service_provider")
    changed = Client().get(LIST)
    assert changed["X-Page-Cache"] == "miss"
    assert role_count(changed) == 3


def test_an_export_kept_in_redis_is_the_same_file_for_the_next_commissioner(
    client, redis_cache, django_assert_max_num_queries
):
    InitiativeFactory.create_batch(3, role="service_provider")
    url = "/initiatives/export.csv?role=service_provider"
    first = client.get(url)
    assert first.streaming
    sent = b"".join(first.streaming_content)  # kept once the last piece has gone
    assert sent.count(b"\r\n") == 4  # the header and three rows
    with django_assert_max_num_queries(0):
        again = Client().get(url)
    assert again["X-Page-Cache"] == "hit"
    assert again.content == sent
    assert again["Content-Disposition"] == first["Content-Disposition"]
    assert again["Content-Type"] == first["Content-Type"]
    InitiativeFactory(role="service_provider")
    changed = Client().get(url)
    assert b"".join(changed.streaming_content).count(b"\r\n") == 5


def test_a_large_kept_export_is_sent_a_piece_at_a_time(client, redis_cache, monkeypatch):
    monkeypatch.setattr(caching, "STREAM_KEPT_OVER_BYTES", 10)
    InitiativeFactory.create_batch(3, role="service_provider")
    url = "/initiatives/export.csv?role=service_provider"
    sent = b"".join(client.get(url).streaming_content)
    again = Client().get(url)
    assert again["X-Page-Cache"] == "hit"
    assert again.streaming  # never whole in memory
    assert b"".join(again.streaming_content) == sent


def test_an_export_left_unread_is_not_kept(client, redis_cache):
    InitiativeFactory.create_batch(3, role="service_provider")
    url = "/initiatives/export.csv?role=service_provider"
    first = client.get(url)
    next(iter(first.streaming_content))  # the client left after the first piece
    first.close()
    assert Client().get(url)["X-Page-Cache"] == "miss"


def test_a_redis_that_does_not_answer_leaves_the_pages_working(client, settings):
    """No Redis at all (a closed port): every page still serves, counting afresh."""
    settings.CACHES = _redis_settings("down", url="redis://127.0.0.1:9/0")
    settings.FIGURES_CACHE_SECONDS = 3600
    InitiativeFactory.create_batch(2, role="service_provider")
    response = client.get(LIST)
    assert response.status_code == 200
    assert role_count(response) == 2
    InitiativeFactory(role="service_provider")
    assert role_count(client.get(LIST)) == 3


def test_redis_is_chosen_from_the_environment():
    chosen = read_setting(
        "settings.CACHES['default']['BACKEND'], settings.FIGURES_CACHE_SECONDS",
        DJANGO_REDIS_URL="redis://cache.internal:6379/0",
    )
    assert chosen.returncode == 0, chosen.stderr
    assert chosen.stdout.strip() == "django.core.cache.backends.redis.RedisCache 3600"
    missing = read_setting("settings.CACHES", DJANGO_FIGURES_CACHE="redis")
    assert missing.returncode != 0
    assert "DJANGO_FIGURES_CACHE=redis needs DJANGO_REDIS_URL" in missing.stderr


def _keys(prefix: str) -> list[str]:
    import redis

    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    # Django's keys are "<prefix>:<version>:<key>".
    return [key.split(":", 2)[2] for key in client.scan_iter(f"{prefix}:*")]


def test_exports_of_two_places_share_the_rows_kept_in_redis(
    client, redis_cache, settings, monkeypatch
):
    """An export keeps its rows in Redis; an export of another place reads the rows it
    shares (a UK-wide record is in both), the same file as one made without them, and a
    change makes them again."""
    settings.PAGE_CACHE = False  # no whole file kept: each export is made, from the rows
    made: list[str] = []
    real = exports.export_row

    def export_row(record, **kwargs):
        if kwargs.get("readers") is exports.KEPT_READERS:  # a row's kept cells made
            made.append(record.name)
        return real(record, **kwargs)

    monkeypatch.setattr(exports, "export_row", export_row)
    england = AreaFactory(name="England", slug="england", kind="nation")
    north = AreaFactory(name="North", slug="north", kind="icb", parent=england)
    south = AreaFactory(name="South", slug="south", kind="icb", parent=england)
    helpline = InitiativeFactory(name="Everywhere helpline", national=True)
    InitiativeFactory(name="North walking group", areas=[north])
    InitiativeFactory(name="South walking group", areas=[south])

    def export(url):
        return b"".join(Client().get(url).streaming_content).decode("utf-8")

    north_file = export("/initiatives/export.csv?area=north")
    assert sorted(made) == ["Everywhere helpline", "North walking group"]
    assert any(":csv-row:" in key for key in _keys(redis_cache))
    made.clear()
    south_file = export("/initiatives/export.csv?area=south")
    assert made == ["South walking group"]  # the helpline's row read from Redis
    assert "Everywhere helpline" in north_file and "Everywhere helpline" in south_file
    assert "North walking group" not in south_file

    helpline.name = "Everywhere helpline and webchat"
    helpline.save()
    made.clear()
    changed = export("/initiatives/export.csv?area=south")
    assert sorted(made) == ["Everywhere helpline and webchat", "South walking group"]
    assert "Everywhere helpline and webchat" in changed

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    assert not caching.keeps_many_small()
    assert export("/initiatives/export.csv?area=south") == changed
