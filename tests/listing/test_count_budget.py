"""Counts past the budget (settings.DB_COUNT_BUDGET): the listing goes out at once
without the counts beside its filters, says so, and is neither kept nor given an ETag;
the number of results and the tiers of a place search are still counted exactly. The
counts are then counted in the background, and the next visitor gets them, the same as
a listing with no budget counts them."""

import re
from contextlib import contextmanager

import pytest
from django.core.cache import cache

from initiatives import caching
from initiatives.listing import facets
from initiatives.models import FacetPairCount
from initiatives.services.budget import OverBudget

from .support import LIST, facet_counts, text

pytestmark = pytest.mark.django_db

DEFERRED = "still being counted"


@pytest.fixture
def untallied(db):
    """The facet tally not built, as on a database migrated from before it until
    `sync_tallies` runs: every listing counts (with the tally, a listing with one filter
    or none counts nothing: tests/initiatives/test_tally.py)."""
    FacetPairCount.objects.filter(a="#").delete()


@pytest.fixture
def over_budget(monkeypatch, settings, untallied):
    """Every count under the budget runs out of time, as at a million records."""
    settings.DB_COUNT_BUDGET = 0.25
    settings.PAGE_CACHE = True

    calls = []

    @contextmanager
    def out_of_time(seconds, using="default"):
        calls.append(seconds)
        raise OverBudget
        yield  # pragma: no cover

    monkeypatch.setattr(facets, "time_budget", out_of_time)
    # Pages without counts not kept, as once the few seconds they are kept have passed
    # (test_a_page_without_counts_is_kept_a_few_seconds keeps them).
    monkeypatch.setattr(caching, "INCOMPLETE_PAGE_SECONDS", 0)
    caching.run_waiting()  # nothing left from another test
    yield calls
    caching.run_waiting()


def shown_counts(response) -> list[str]:
    return re.findall(r'<span class="count">(\d+)', text(response))


def total(response) -> str:
    return re.search(r'results__count" role="status">\s*(.*?)</p>', text(response), re.S)[1]


def plain(client, settings, url):
    """The page as it is with no budget, counted afresh."""
    budget = settings.DB_COUNT_BUDGET
    settings.DB_COUNT_BUDGET = 0
    cache.clear()
    try:
        return client.get(url)
    finally:
        settings.DB_COUNT_BUDGET = budget
        cache.clear()


@pytest.mark.parametrize("url", [LIST, f"{LIST}?role=service_provider", f"{LIST}?q=walking"])
def test_past_the_budget_the_page_goes_out_without_counts_and_says_so(
    client, reg, settings, over_budget, url
):
    expected = plain(client, settings, url)
    response = client.get(url)
    assert response.status_code == 200
    assert DEFERRED in text(response)
    assert shown_counts(response) == []  # no count shown that was not counted
    assert all(count is None for count in facet_counts(response, "topic").values())
    # Never an invented 0: every option is still offered, none hidden as empty.
    assert len(response.context["facets"]["topic"].shown_options) == len(
        response.context["facets"]["topic"].options
    )
    # The results and their number are the same as with every count.
    assert total(response) == total(expected)
    assert [r.pk for r in response.context["page"]] == [r.pk for r in expected.context["page"]]
    # Nothing to revalidate it by: no browser or CDN keeps it.
    assert "ETag" not in response.headers
    assert "no-cache" in response.headers["Cache-Control"]


def test_a_page_without_counts_is_kept_a_few_seconds(client, reg, over_budget, monkeypatch):
    monkeypatch.setattr(caching, "INCOMPLETE_PAGE_SECONDS", 60)
    # The validators' clock held still (with the local-memory cache they, and the key the
    # page is kept under, also change every REVALIDATE_SECONDS, which a slow run crosses).
    monkeypatch.setattr(caching.time, "time", lambda: 1_800_000_000.0)
    url = f"{LIST}?role=service_provider"
    first = client.get(url)
    again = client.get(url)
    assert again.headers["X-Page-Cache"] == "hit"
    assert again.content == first.content  # still saying its counts are on their way
    assert "ETag" not in again.headers
    assert "no-cache" in again.headers["Cache-Control"]


@pytest.mark.parametrize("url", [LIST, f"{LIST}?role=service_provider&topic=peer"])
def test_the_counts_left_out_are_counted_for_the_next_visitor(
    client, reg, settings, over_budget, url
):
    expected = plain(client, settings, url)
    assert DEFERRED in text(client.get(url))
    assert caching.run_waiting() == 1  # the background thread's job, run here
    response = client.get(url)
    assert DEFERRED not in text(response)
    assert response.context["filters_html"] == expected.context["filters_html"]
    assert shown_counts(response) == shown_counts(expected) != []
    assert "ETag" in response.headers


def test_one_job_however_many_ask_before_it_runs(client, reg, over_budget):
    for _ in range(3):
        assert DEFERRED in text(client.get(f"{LIST}?role=service_provider"))
    assert caching.run_waiting() == 1


def test_past_what_the_background_takes_the_work_is_shed(client, reg, over_budget, monkeypatch):
    """Under load the background falls behind: past LATER_QUEUE jobs, a page still goes
    out without its counts, and nothing more is queued behind the others."""
    monkeypatch.setattr(caching, "LATER_QUEUE", 1)
    assert DEFERRED in text(client.get(f"{LIST}?role=service_provider"))
    assert DEFERRED in text(client.get(f"{LIST}?role=campaigning"))
    assert not caching.on_its_way("listing-filters", {"role": ["campaigning"]})
    assert caching.run_waiting() == 1
    assert DEFERRED not in text(client.get(f"{LIST}?role=service_provider"))
    assert DEFERRED in text(client.get(f"{LIST}?role=campaigning"))  # handed in now
    assert caching.run_waiting() == 1
    assert DEFERRED not in text(client.get(f"{LIST}?role=campaigning"))


@pytest.mark.parametrize(
    "url",
    [
        f"{LIST}?area=halton",
        f"{LIST}?area=cheshire-merseyside&role=service_provider",
        # Words: each tier counted on its own (facets._tier_batch).
        f"{LIST}?area=halton&q=support",
        f"{LIST}?area=cheshire-merseyside&q=support",
        f"{LIST}?area=wales&q=support",
        f"{LIST}?place=Runcorn",
        f"{LIST}?place=Runcorn&topic=peer",
    ],
)
def test_a_place_search_keeps_its_tier_counts(client, reg, settings, over_budget, url):
    expected = plain(client, settings, url)
    response = client.get(url)
    assert response.status_code == 200
    assert DEFERRED in text(response)  # the facets went over the budget, the tiers did not
    headings = re.findall(r'<h3 class="tiers__heading">(.*?)</h3>', text(response), re.S)
    assert headings
    assert headings == re.findall(r'<h3 class="tiers__heading">(.*?)</h3>', text(expected), re.S)
    assert total(response) == total(expected)


def test_with_no_budget_nothing_is_left_out(client, reg, settings, over_budget):
    settings.DB_COUNT_BUDGET = 0
    response = client.get(LIST)
    assert DEFERRED not in text(response)
    assert shown_counts(response)
    assert caching.run_waiting() == 0


def test_while_they_are_on_their_way_no_time_is_spent_counting_again(client, reg, over_budget):
    url = f"{LIST}?role=service_provider"
    client.get(url)
    assert over_budget  # the first visitor tried, within the budget
    over_budget.clear()
    response = client.get(url)
    assert DEFERRED in text(response)
    assert over_budget == []  # the second went straight out without them
    assert caching.run_waiting() == 1
    assert DEFERRED not in text(client.get(url))


def test_a_job_on_its_way_in_any_worker_is_not_handed_in_twice(db):
    ran = []
    assert caching.in_background("figure", {"a": 1}, lambda: ran.append(1))
    caching._later.waiting.clear()  # as another worker, which shares only the cache
    assert not caching.in_background("figure", {"a": 1}, lambda: ran.append(2))
    assert caching.on_its_way("figure", {"a": 1})
    assert caching.run_waiting() == 1
    assert ran == [1]
    assert not caching.on_its_way("figure", {"a": 1})


def test_the_next_visitor_counts_nothing(client, reg, over_budget):
    """The background job keeps the total (and tiers) counted with the facets."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for url in (f"{LIST}?role=service_provider", f"{LIST}?place=Runcorn"):
        client.get(url)
        caching.run_waiting()
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert DEFERRED not in text(response)
        counting = [
            q["sql"]
            for q in captured
            if q["sql"].startswith(("WITH ids", "WITH hidden", 'SELECT COUNT(*) AS "__count"'))
        ]
        assert counting == []


def test_past_the_rows_counted_inline_postgresql_starts_no_count(
    client, reg, settings, monkeypatch, untallied
):
    """A count the planner expects over DB_COUNT_INLINE_ROWS results is left for the
    background at once (PostgreSQL); SQLite, which gives no estimate, tries it."""
    from django.db import connection

    settings.DB_COUNT_BUDGET = 5
    settings.DB_COUNT_INLINE_ROWS = 1
    started = []
    real = facets.time_budget

    @contextmanager
    def watched(seconds, using="default"):
        started.append(seconds)
        with real(seconds, using):
            yield

    monkeypatch.setattr(facets, "time_budget", watched)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    response = client.get(LIST)
    if connection.vendor == "postgresql":
        assert DEFERRED in text(response)
        assert started == []
    else:
        assert DEFERRED not in text(response)
        assert started
    caching.run_waiting()
    settings.DB_COUNT_INLINE_ROWS = 0  # always started: within 5 s, counted
    cache_cleared = client.get(f"{LIST}?role=campaigning")
    assert DEFERRED not in text(cache_cleared)


@pytest.mark.parametrize(
    "url",
    [
        LIST,
        f"{LIST}?role=service_provider&topic=peer&area=cheshire-merseyside",
        f"{LIST}?q=walking&role=service_provider&topic=peer&funding_dependency=dependent",
        f"{LIST}?place=Runcorn&topic=peer",
    ],
)
def test_within_the_budget_a_page_stays_within_its_queries(
    client, reg, settings, django_assert_max_num_queries, url, untallied
):
    """The budget's own statements are a few per counting statement (its time limit;
    inside a transaction, as here, a savepoint and the limit put back) and one
    planner's estimate a page: never one per option or per row."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.DB_COUNT_BUDGET = 0
    with CaptureQueriesContext(connection) as unbudgeted:
        expected = client.get(url)
    counting = [q for q in unbudgeted if q["sql"].startswith(("WITH ids", "WITH hidden"))]
    assert counting
    cache.clear()
    settings.DB_COUNT_BUDGET = 30
    with django_assert_max_num_queries(len(unbudgeted) + 4 * len(counting) + 1):
        response = client.get(url)
    assert DEFERRED not in text(response)
    assert shown_counts(response) == shown_counts(expected)


def test_a_bad_cursor_without_counts_stays_private(client, reg, over_budget):
    """A 400 (a page link this site did not make) is private whether or not its counts
    were left out."""
    response = client.get(f"{LIST}?role=service_provider&cursor=not-ours")
    assert response.status_code == 400
    assert DEFERRED in text(response)
    assert "private" in response.headers["Cache-Control"]
    assert "ETag" not in response.headers


@pytest.fixture
def uk_wide(reg):
    """UK-wide records tied to no area, each placed differently from a point in Runcorn
    (Halton): based in Halton, based near it in another district, based far away, with
    no location; and one ended, one a draft, which no count holds."""
    from places.models import Postcode

    from ..factories import InitiativeFactory, PostcodeFactory

    PostcodeFactory(postcode="WA7 1AB")  # in Halton
    PostcodeFactory(
        postcode="WA8 9ZZ",
        local_authority_code="E06009999",  # a district the register does not hold
        easting=351329 + 3000,
        northing=382947,
    )
    PostcodeFactory(
        postcode="TR1 1AA", local_authority_code="E06000052", easting=182000, northing=45000
    )
    assert Postcode.objects.count() >= 3
    made = {
        "based here": {"postcode": "WA7 1AB"},
        "based near": {"postcode": "WA8 9ZZ"},
        "based far": {"postcode": "TR1 1AA"},
        "nowhere": {},
        "nowhere either": {"role": "campaigning"},
        "ended": {"lifecycle": "ended"},
        "draft": {"status": "draft"},
    }
    for name, fields in made.items():
        InitiativeFactory(name=f"UK-wide, {name}", national=True, areas=[], **fields)
    return made


@pytest.mark.parametrize(
    "url",
    [
        f"{LIST}?postcode=WA7+1AB",
        f"{LIST}?postcode=WA7+1AB&distance_km=1",
        f"{LIST}?postcode=WA7+1AB&q=uk-wide",
        f"{LIST}?postcode=WA7+1AB&role=campaigning",
        f"{LIST}?postcode=WA8+9ZZ",
        f"{LIST}?place=Runcorn",
        f"{LIST}?place=Runcorn&q=support",
        f"{LIST}?place=Runcorn&sort=name",
    ],
)
def test_near_a_point_the_uk_wide_records_are_counted_in_their_tiers(
    client, reg, settings, uk_wide, over_budget, url
):
    """Past the budget the tiers near a point are counted in two parts (the records
    linked to the place or near it, tiered; the UK-wide ones tied to no area, counted:
    facets._point_tier_batch). Each tier's count and the total equal a fresh count of
    every result's tier."""
    expected = plain(client, settings, url)
    response = client.get(url)
    assert response.status_code == 200
    assert DEFERRED in text(response)
    tiers = [(group["heading"], group["count"]) for group in response.context["tier_groups"]]
    assert tiers
    assert tiers == [
        (group["heading"], group["count"]) for group in expected.context["tier_groups"]
    ]
    assert total(response) == total(expected)


def only_indexes(cursor, keep: str) -> None:
    """Drop every index of the initiatives table but `keep` and those a constraint
    needs, in the test's transaction, and analyse it: on a table this small the planner
    would rather read another index (on the national flag, on status) and the rows."""
    cursor.execute(
        "SELECT indexname FROM pg_indexes WHERE tablename = 'initiatives_initiative'"
        " AND indexname <> %s AND indexname NOT IN (SELECT conname FROM pg_constraint)",
        [keep],
    )
    for (name,) in cursor.fetchall():
        cursor.execute(f'DROP INDEX "{name}"')
    cursor.execute("ANALYZE initiatives_initiative")


def test_postgresql_counts_the_uk_wide_records_from_their_index_alone(client, reg, uk_wide):
    """The UK-wide records tied to no area, current and published, are counted from the
    partial index on national, which carries status and lifecycle (migration 0022):
    not their ids looked up row by row (at a million records 0.4 s for 50,000)."""
    from django.db import connection

    from initiatives.models import Initiative

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's covering index")
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'initiative_national'")
        (definition,) = cursor.fetchone()
    assert definition.endswith(
        '(id) INCLUDE (status, lifecycle, location_district_id) WHERE "national"'
    )
    unlinked = Initiative.objects.published().current()._unlinked_uk_wide()
    names = set(unlinked.values_list("name", flat=True))
    for name in uk_wide:
        assert (f"UK-wide, {name}" in names) == (name not in ("ended", "draft")), name
    sql, params = unlinked.order_by().values("pk").query.sql_with_params()
    assert "IN (SELECT" not in sql  # on the rows themselves
    with connection.cursor() as cursor:
        only_indexes(cursor, "initiative_national")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("EXPLAIN SELECT COUNT(*) FROM (" + sql + ") t", params)  # noqa: S608
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index Only Scan using initiative_national " in plan, plan


def test_postgresql_reads_a_page_of_uk_wide_records_in_name_order_from_their_index(
    client, reg, uk_wide
):
    """A page of the UK-wide records tied to no area in name order (an area page's
    national section, IdsFirstPaginator's ordered_parts) is read in that order from the
    partial index on national and name (migration 0023), not found whole and sorted."""
    from django.db import connection

    from initiatives.models import Initiative

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's partial index")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'initiative_national_name'"
        )
        (definition,) = cursor.fetchone()
    assert definition.endswith(
        '(name, id) INCLUDE (status, lifecycle, location_district_id) WHERE "national"'
    )
    # Enough of them that sorting them all costs more than reading a page in order.
    organisation = Initiative.objects.first().organisation
    Initiative.objects.bulk_create(
        Initiative(
            name=f"UK-wide {n:03d}",
            slug=f"uk-wide-{n:03d}",
            organisation=organisation,
            summary="A national helpline.",
            status=Initiative.Status.PUBLISHED,
            national=True,
        )
        for n in range(500)
    )
    unlinked = Initiative.objects.published().current()._unlinked_uk_wide()
    page = unlinked.order_by("name", "pk").values("pk")[:20]
    sql, params = page.query.sql_with_params()
    with connection.cursor() as cursor:
        only_indexes(cursor, "initiative_national_name")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "using initiative_national_name" in plan, plan
    assert "Sort" not in plan, plan


def test_an_empty_pages_suggestion_is_counted_with_the_facets_for_the_next_visitor(
    client, reg, settings, over_budget
):
    """Past the budget, the counts behind an empty page's suggestion (one per active
    filter) are not made one by one for the page: it goes out without a suggestion
    rather than a wrong one, and the background job counts them with the facets, so
    the next visitor has the suggestion and counts nothing."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = f"{LIST}?topic=arts&area=wales"
    expected = plain(client, settings, url).context["suggestion"]
    assert (expected["label"], expected["count"]) == ("Area: Wales", 2)
    with CaptureQueriesContext(connection) as captured:
        first = client.get(url)
    assert first.context["count"] == 0
    assert first.context["suggestion"] is None
    assert DEFERRED in text(first)
    assert not [q for q in captured if q["sql"].startswith('SELECT COUNT(*) AS "__count"')]
    assert caching.run_waiting() == 1
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.context["suggestion"] == expected
    assert "Remove it to see 2 initiatives" in text(response)
    counting = [
        q["sql"]
        for q in captured
        if q["sql"].startswith(("WITH ids", "WITH hidden", 'SELECT COUNT(*) AS "__count"'))
    ]
    assert counting == []
