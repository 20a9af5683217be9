"""Pages kept whole (initiatives.caching.kept_page): a public page that is the same for
every visitor is kept under its ETag, so the next visitor gets it without it being made
again; a curator's change, a visitor's own shortlist or an error is never answered from
what was kept."""

from datetime import time

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from initiatives import caching
from initiatives.models import Initiative, OpeningTime

from ..factories import InitiativeFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

LIST = "/initiatives/?q=allotments"
PAGES = [
    "/",
    LIST,
    "/initiatives/halton-allotments/",
    "/areas/halton/",
    "/insights/",
    "/api/v1/services",
]


@pytest.mark.parametrize("url", PAGES)
def test_the_next_visitor_gets_the_same_page_without_it_being_made_again(
    register, url, django_assert_max_num_queries
):
    first = Client().get(url)
    assert first.status_code == 200
    assert first["X-Page-Cache"] == "miss"

    # The initiative page reads what it says of its opening now (one query) to know
    # which kept page is current; the others read nothing.
    with django_assert_max_num_queries(1 if url.startswith("/initiatives/halton") else 0):
        second = Client().get(url)
    assert second.status_code == 200
    assert second["X-Page-Cache"] == "hit"
    assert second.content == first.content
    assert second["Content-Type"] == first["Content-Type"]
    assert second["ETag"] == first["ETag"]


def test_a_curators_change_shows_at_once(client, register):
    assert "Halton allotments" in client.get(LIST).content.decode()
    register.name = "Halton allotments and orchard"
    register.save()
    again = client.get(LIST)
    assert again["X-Page-Cache"] == "miss"
    assert "Halton allotments and orchard" in again.content.decode()

    register.status = Initiative.Status.ARCHIVED
    register.save()
    assert client.get("/initiatives/halton-allotments/").status_code == 404


def test_a_visitors_shortlist_is_theirs_alone(register):
    anonymous = Client()
    assert "Remove from shortlist" not in anonymous.get(LIST).content.decode()

    visitor = Client()
    visitor.post("/shortlist/add/", {"id": register.pk, "next": LIST})
    own = visitor.get(LIST)
    assert "X-Page-Cache" not in own  # made for them, never kept
    assert "Remove from shortlist" in own.content.decode()
    assert "private" in own["Cache-Control"]

    after = Client().get(LIST)
    assert after["X-Page-Cache"] == "hit"
    assert "Remove from shortlist" not in after.content.decode()


def test_an_error_is_never_kept(client, register):
    for _ in range(2):
        response = client.get("/initiatives/?cursor=not-a-cursor")
        assert response.status_code == 400
        assert response.get("X-Page-Cache") == "miss"
    assert client.get("/initiatives/no-such-initiative/").status_code == 404
    assert client.get("/initiatives/no-such-initiative/").status_code == 404


def test_a_page_that_says_open_now_is_kept_until_those_words_change(
    client, register, clock, monkeypatch, settings
):
    """The initiative page is made again when what it says of its opening changes (at
    10:00 here), not every minute; a page with no weekly times is kept all day."""
    monkeypatch.setattr(caching, "_shared", lambda: True)  # no 5 s window to cross
    settings.FIGURES_CACHE_SECONDS = 24 * 3600  # nothing expires on the way
    other = InitiativeFactory(name="Halton orchard", slug="halton-orchard")
    OpeningTime.objects.create(initiative=register, day="FR", opens_at=time(10), closes_at=time(16))
    url = "/initiatives/halton-allotments/"
    first = client.get(url)  # Friday 08:00 in the UK
    assert first["X-Page-Cache"] == "miss"
    assert "Closed now \u00b7 Opens today 10:00" in first.content.decode()
    assert client.get("/initiatives/halton-orchard/")["X-Page-Cache"] == "miss"
    clock["time"] += 119 * 60  # 09:59
    assert client.get(url)["X-Page-Cache"] == "hit"
    assert client.get("/initiatives/halton-orchard/")["X-Page-Cache"] == "hit"
    clock["time"] += 60  # 10:00
    opened = client.get(url)
    assert opened["X-Page-Cache"] == "miss"
    assert "Open now until 16:00" in opened.content.decode()
    assert client.get(url)["X-Page-Cache"] == "hit"
    assert client.get("/initiatives/halton-orchard/")["X-Page-Cache"] == "hit"
    assert other.opening_times.count() == 0


@override_settings(PAGE_CACHE=False)
def test_the_page_cache_can_be_turned_off(client, register):
    client.get(LIST)
    with CaptureQueriesContext(connection) as queries:
        again = client.get(LIST)
    assert len(queries) > 0  # the page is made again: it reads the register
    assert "X-Page-Cache" not in again
    assert "Halton allotments" in again.content.decode()


def test_a_cache_that_does_not_answer_makes_the_page(client, register, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(caching.cache, "get", broken)
    monkeypatch.setattr(caching.cache, "add", broken)
    monkeypatch.setattr(caching.cache, "set", broken)
    response = client.get(LIST)
    assert response.status_code == 200
    assert "Halton allotments" in response.content.decode()


def test_a_page_being_made_by_another_worker_is_waited_for(register, monkeypatch):
    """A second request for a page another worker is making takes that page when it is
    kept, rather than making it too."""
    first = Client().get(LIST)
    etag = first["ETag"]
    kept = caching.cache.get(f"page:{etag}")
    assert kept is not None
    caching.cache.delete(f"page:{etag}")
    made = []

    def make():
        made.append(1)
        raise AssertionError("the page was made twice")

    caching.cache.add(f"page:{etag}:making", 1)
    arrivals = iter([None, kept])
    real_get = caching.cache.get
    monkeypatch.setattr(
        caching.cache,
        "get",
        lambda k, *a, **kw: next(arrivals) if k == f"page:{etag}" else real_get(k, *a, **kw),
    )
    monkeypatch.setattr(caching, "PAGE_WAIT_SECONDS", 2.0)
    response = caching.kept_page(etag, make)
    assert made == []
    assert response.content == first.content


def test_a_change_of_configuration_makes_the_page_again(client, register):
    """A page kept before the map's tile server was set is not served after it."""
    url = "/initiatives/halton-allotments/"
    before = client.get(url)
    assert client.get(url)["X-Page-Cache"] == "hit"
    with override_settings(MAP_TILES_URL="https://tiles.example.org/{z}/{x}/{y}.png"):
        after = client.get(url)
        assert after["X-Page-Cache"] == "miss"
        assert after["ETag"] != before["ETag"]
    assert client.get(url)["ETag"] == before["ETag"]


def test_an_export_is_made_for_each_request_in_each_workers_own_memory(client, register):
    """Files are kept only in a cache all workers share (tests/initiatives/test_redis_cache.py):
    in each worker's own memory they would be kept once per worker."""
    url = "/initiatives/export.csv?q=allotments"
    for _ in range(2):
        response = client.get(url)
        assert response.streaming
        assert b"Halton allotments" in b"".join(response.streaming_content)


def test_an_export_revalidates(client, register):
    url = "/initiatives/export.csv?q=allotments"
    first = client.get(url)
    b"".join(first.streaming_content)
    assert client.get(url, headers={"if-none-match": first["ETag"]}).status_code == 304


def test_with_a_replica_a_page_made_just_after_a_change_is_not_kept_long(
    register, clock, monkeypatch, settings
):
    """A read replica lags behind the primary: a page made within REPLICA_LAG_SECONDS of
    a change may show what was there before it, so it is kept only as long as an
    incomplete page and carries no ETag to revalidate it by; once the replica has
    caught up, the page is kept and revalidated as usual."""
    monkeypatch.setattr(caching, "_shared", lambda: True)
    monkeypatch.setattr(caching, "REPLICA_ALIAS", "default")  # as if a replica were set
    monkeypatch.setattr(caching.time, "time_ns", lambda: int(clock["time"] * 1e9))
    settings.REPLICA_LAG_SECONDS = 5
    register.name = "Halton allotments and orchard"
    register.save()  # a new version, made now
    url = "/initiatives/halton-allotments/"
    young = Client().get(url)
    assert "ETag" not in young
    assert "Halton allotments and orchard" in young.content.decode()
    clock["time"] += caching.INCOMPLETE_PAGE_SECONDS + 1  # the replica has caught up
    settled = Client().get(url)
    assert settled["X-Page-Cache"] == "miss"  # made again, not the page from before
    assert "ETag" in settled
    again = Client().get(url, headers={"if-none-match": settled["ETag"]})
    assert again.status_code == 304


def test_with_a_replica_a_figure_counted_just_after_a_change_is_counted_again_soon(
    register, clock, monkeypatch, settings
):
    """A figure counted within REPLICA_LAG_SECONDS of a change may come from a replica
    that has not caught up: it is kept only seconds, then counted again and kept."""
    monkeypatch.setattr(caching, "REPLICA_ALIAS", "default")  # as if a replica were set
    monkeypatch.setattr(caching.time, "time_ns", lambda: int(clock["time"] * 1e9))
    settings.REPLICA_LAG_SECONDS = 5
    register.save()  # a new version, made now
    counted = []

    def count():
        counted.append(clock["time"])
        return 42

    assert caching.cached("replica-figure", {}, count) == 42
    assert caching.cached("replica-figure", {}, count) == 42
    assert len(counted) == 1  # kept meanwhile
    clock["time"] += caching.INCOMPLETE_PAGE_SECONDS + 1
    caching.cached("replica-figure", {}, count)
    assert len(counted) == 2  # counted again once the replica has caught up
    clock["time"] += 60
    caching.cached("replica-figure", {}, count)
    assert len(counted) == 2  # and now kept as long as any figure
