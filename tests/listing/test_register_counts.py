"""The whole register's counts (`listing.facets.register_counts`), counted once per
version and reused by every listing with no filter left to apply, equal a fresh count:
after writes, for random combinations of filters (a property test), and when counted
ahead by the background warmer after a change."""

import threading

import pytest
from django.core.cache import cache
from django.http import QueryDict
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from initiatives import caching
from initiatives.listing.facets import FACETS, TOTAL, ListingFacets, register_counts
from initiatives.listing.filters import InitiativeFilter
from initiatives.models import FacetPairCount, Initiative

from ..factories import InitiativeFactory

pytestmark = pytest.mark.django_db

WORDS = ["", "", "", "support", "arts", "halton", "-arts"]


def all_counts(params: QueryDict, *, reuse: bool) -> dict:
    """Every facet's counts, the total and each filter's count without it, as the
    listing shows them. With `reuse`, the register's counts are counted first, as the
    warmer does, so that every listing with one filter reads them."""
    if reuse:
        register_counts()
    facets = ListingFacets(
        InitiativeFilter(params, queryset=Initiative.objects.published()), reuse_register=reuse
    )
    counts = {name: dict(facets._grouped(name)) for name in FACETS if name != "area"}
    counts["area"] = facets.area_counts()
    counts["children"] = [(o.value, o.count) for o in facets.area_children()]
    counts["total"] = facets.total()
    counts["without"] = {name: facets.count_without(name) for name in facets.active()}
    return counts


def fresh_register() -> dict:
    """The register's counts counted now, without the figures cache or reuse."""
    facets = ListingFacets(
        InitiativeFilter(QueryDict(), queryset=Initiative.objects.published()),
        every_area=True,
        reuse_register=False,
    )
    batch = facets._count_batch(facets.queryset_without(), list(FACETS))
    return {name: dict(v) if isinstance(v, dict) else v for name, v in batch.items()}


def test_the_register_counts_follow_every_write(reg):
    assert register_counts() == fresh_register()
    halton = reg.areas["halton"]
    new = InitiativeFactory(name="Runcorn Men's Shed", located_in_town="Runcorn", role="both")
    assert register_counts() == fresh_register()
    new.areas.add(halton)
    new.status = Initiative.Status.ARCHIVED
    new.save()
    assert register_counts() == fresh_register()
    Initiative.objects.filter(pk=new.pk).update(lifecycle=Initiative.Lifecycle.ENDED)
    caching.bump_version()  # as every bulk writer does
    assert register_counts() == fresh_register()


def test_a_listing_with_one_filter_reads_the_register_counts_for_that_facet(client, reg):
    FacetPairCount.objects.filter(a="#").delete()  # not built: counted, and kept
    unfiltered = client.get("/initiatives/")
    region = client.get("/initiatives/", {"area": "north-west", "here_only": "true"})
    assert unfiltered.status_code == region.status_code == 200
    key = caching.cache_key("register-counts", {})
    assert cache.get(key) is not None  # counted once, for both pages
    area = {o.value: o.count for o in unfiltered.context["facets"]["area"].options}
    assert area["north-west"] == region.context["count"]


@pytest.fixture
def extra(reg):
    """Records the sample register lacks: an ended one, one located without serving an
    area, and an archived one."""
    halton = reg.areas["halton"]
    InitiativeFactory(name="Ended Lunch Club", areas=[halton], lifecycle="ended", role="both")
    InitiativeFactory(name="Runcorn Men's Shed", located_in_town="Runcorn")
    InitiativeFactory(name="Gone Group", areas=[halton], status=Initiative.Status.ARCHIVED)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_reused_counts_equal_a_fresh_count(reg, extra, data):
    params = QueryDict(mutable=True)
    q = data.draw(st.sampled_from(WORDS))
    if q:
        params["q"] = q
    area = data.draw(st.sampled_from([None, None, *sorted(reg.areas)]))
    if area:
        params["area"] = reg.areas[area].slug
        if data.draw(st.booleans()):
            params["here_only"] = "true"
    role = data.draw(st.sampled_from(["", "", *Initiative.Role.values]))
    if role:
        params["role"] = role
    for name, options in (("topic", reg.topics), ("condition", reg.conditions)):
        for key in data.draw(st.lists(st.sampled_from(sorted(options)), max_size=1)):
            params.appendlist(name, options[key].slug)
    if data.draw(st.sampled_from([False, False, True])):
        params["include_ended"] = "1"
    assert all_counts(params, reuse=True) == all_counts(params, reuse=False)


def test_the_warmer_counts_the_register_after_a_change(reg, settings, monkeypatch):
    """After a change commits, the background thread calls the warmers; the register's
    warmer counts it under the new version, so the next visitor finds it (and it equals
    a fresh count)."""
    settings.FIGURES_WARM = True
    registered = list(caching._warmers)
    assert registered  # the register's app registers its counts
    done = threading.Event()
    # The thread has a connection of its own, which cannot see this test's transaction:
    # it runs a stand-in here, and the registered warmers run below in this thread.
    monkeypatch.setattr(caching, "_warmers", [done.set])
    InitiativeFactory(role="both")
    caching._bump_committed()  # as when the change's transaction commits
    assert done.wait(timeout=30), "the warmer never ran"
    monkeypatch.setattr(caching, "_warmers", registered)
    caching.warm_now()
    key = caching.cache_key("register-counts", {})
    assert cache.get(key) == fresh_register()
    assert cache.get(key)[TOTAL] == Initiative.objects.published().current().count()


def test_while_one_worker_counts_the_others_wait_for_its_answer(reg, django_assert_num_queries):
    """After a change, a request that finds the register being counted (by the warmer or
    another worker sharing the cache) takes that count instead of counting again."""
    key = caching.cache_key("register-counts", {})
    assert cache.add(f"{key}:counting", 1)  # someone else is counting
    expected = fresh_register()
    counter = threading.Timer(0.1, lambda: cache.set(key, expected))
    counter.start()
    with django_assert_num_queries(0):
        assert register_counts() == expected
    counter.join()


def test_the_register_is_counted_past_a_pages_time_limit(reg, settings):
    """At a million records the whole register's counts take longer than a page may
    run a statement: they run under the figures' own limit (PostgreSQL), and the page's
    limit is back afterwards."""
    from django.db import connection

    settings.DB_FIGURES_STATEMENT_TIMEOUT = 60
    FacetPairCount.objects.filter(a="#").delete()  # counted, not read from the tally
    expected = fresh_register()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET statement_timeout = 1")  # 1 ms: no count of the register fits
    assert register_counts() == expected
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW statement_timeout")
            assert cursor.fetchone()[0] == "1ms"
            cursor.execute("SET statement_timeout = 0")


def test_a_counter_that_never_answers_is_not_waited_for_ever(reg, monkeypatch):
    key = caching.cache_key("register-counts", {})
    monkeypatch.setattr(caching, "_count_wait", lambda: 0.2)
    assert cache.add(f"{key}:counting", 1)  # a counter that died holding the lock
    assert register_counts() == fresh_register()


@pytest.mark.parametrize("ended", ["1", "only"])
@pytest.mark.parametrize("others", [{}, {"role": "both"}])
def test_without_include_ended_the_count_is_the_current_register(reg, extra, ended, others):
    """ "How many without include_ended" counts what the listing shows when the param is
    dropped: the current register, whether or not the count is reused (it once counted
    the ended record too, the widened base, when counted afresh)."""
    params = QueryDict(mutable=True)
    params.update({"include_ended": ended, **others})
    expected = InitiativeFilter(
        QueryDict("&".join(f"{k}={v}" for k, v in others.items())),
        queryset=Initiative.objects.published(),
    ).qs.count()
    for reuse in (True, False):
        facets = ListingFacets(
            InitiativeFilter(params, queryset=Initiative.objects.published()),
            reuse_register=reuse,
        )
        assert facets.count_without("include_ended") == expected
