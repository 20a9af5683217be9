"""A one-word search's name matches come first (search.name_tier), so a page they fill is
read from them alone: the same page as ranking every match (PostgreSQL)."""

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from initiatives import search
from initiatives.listing import PER_PAGE, Listing
from initiatives.listing.pages import IdsFirstPaginator
from initiatives.models import Initiative

from ..factories import AreaFactory, InitiativeFactory, TopicFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def any_length(monkeypatch):
    """The first part is read for lists of any length (a few dozen records here)."""
    monkeypatch.setattr("initiatives.listing.pages.FIRST_PART_OVER", 0)


# The search document as the row trigger builds it (migration 0007_search_schema).
DOCUMENT = (
    "setweight(to_tsvector('english', %s), 'A') || setweight(to_tsvector('english', %s), 'B')"
    " || setweight(to_tsvector('english', %s), 'C') || setweight(to_tsvector('english', %s), 'D')"
)
FILLER = ["alpha", "brook", "cedar", "delta", "ember", "fjord"]


def only_postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the name tier is PostgreSQL's (SQLite ranks by FTS5's bm25)")


# A field: up to 12 words, any of them the searched word ("walking", or "walks", which
# stems the same).
field = st.lists(st.sampled_from([*FILLER, "walking", "walks"]), max_size=12).map(" ".join)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(documents=st.lists(st.tuples(field, field, field, field), min_size=2, max_size=12))
def test_a_name_holding_the_word_outranks_every_other_match(documents):
    """The bound name_tier rests on, checked against PostgreSQL's own ts_rank: every
    document holding the word in its name ranks above every matching one that does not,
    however often the word occurs in the other fields and in whatever order."""
    only_postgresql()
    rows = " UNION ALL ".join(
        f"SELECT {index} AS i, %s AS name, {DOCUMENT} AS document"
        for index in range(len(documents))
    )
    params = [value for document in documents for value in (document[0], *document)]
    with connection.cursor() as cursor:
        cursor.execute(
            # The rows are this test's own SQL; every value is a parameter.
            f"SELECT to_tsvector('english', name) @@ q, ts_rank(document, q) FROM ({rows}) d,"  # noqa: S608
            " websearch_to_tsquery('english', 'walking') q WHERE document @@ q",
            params,
        )
        ranks = cursor.fetchall()
    in_name = [rank for held, rank in ranks if held]
    elsewhere = [rank for held, rank in ranks if not held]
    if in_name and elsewhere:
        assert min(in_name) > max(elsewhere)


@pytest.fixture
def walking():
    """Records holding "walking" in their names, and others holding it only elsewhere,
    some of those many times over (a high rank of their own)."""
    topic = TopicFactory(name="Walking for health")
    named = [
        InitiativeFactory(name=f"{place} Walking Group", summary="Weekly, all paces.")
        for place in [f"Town {n:02d}" for n in range(PER_PAGE + 5)]
    ]
    named.append(InitiativeFactory(name="Walking", summary="Walking walking walking."))
    others = [
        InitiativeFactory(
            name=f"Outdoors club {n}",
            summary="Walking, walking and more walking." if n % 2 else "Gentle walks.",
            description="Walking every day; walking in every weather." if n % 3 else "",
        )
        for n in range(PER_PAGE + 3)
    ]
    others[0].topics.add(topic)
    return named, others


def whole_answer(params: str) -> list[int]:
    """Every result, in order, ranking every match (no tier)."""
    listing = Listing(QueryDict(params))
    return list(listing.results().values_list("pk", flat=True))


def listed(params: str) -> tuple[list[int], list[str]]:
    """The ids on the listing's page for these params, and the SQL it ran."""
    with CaptureQueriesContext(connection) as queries:
        page = Listing(QueryDict(params)).page()
    return [row.pk for row in page.object_list], [query["sql"] for query in queries]


@pytest.mark.parametrize("page", [1, 2, 3])
def test_a_page_of_a_one_word_search_is_the_same_page_of_the_whole_answer(walking, page):
    only_postgresql()
    named, _ = walking
    answer = whole_answer("q=walking")
    ids, sql = listed(f"q=walking&page={page}")
    assert ids == answer[(page - 1) * PER_PAGE : page * PER_PAGE]
    # The exact name first, then the other name matches.
    assert answer[0] == named[-1].pk
    assert set(answer[: len(named)]) == {record.pk for record in named}
    ranked_ids = [query for query in sql if "ts_rank" in query and "LIMIT" in query]
    if page == 1:  # 26 name matches fill it: the other matches are never ranked
        assert len(ranked_ids) == 1 and "to_tsvector('english'::regconfig" in ranked_ids[0]
    else:  # past the name matches: read from the whole answer after trying the tier
        assert len(ranked_ids) == 2


def without_the_tier(monkeypatch, params: str) -> list[int]:
    """The ids on the page for these params with every match ranked (no tier)."""
    with monkeypatch.context() as patched:
        patched.setattr("initiatives.listing.name_tier", lambda queryset, q: None)
        page = Listing(QueryDict(params)).page()
    return [row.pk for row in page.object_list]


@pytest.mark.parametrize("page", [1, 2, 3])
def test_an_areas_tiers_each_read_their_name_matches_first(monkeypatch, page):
    """In an area's listing each tier (here, covering, the whole UK) is ranked on its
    own: a tier's name matches come first within it."""
    only_postgresql()
    region = AreaFactory(name="North Shire", kind="region")
    district = AreaFactory(name="Lowtown", parent=region)
    for n in range(PER_PAGE + 4):  # here: name matches fill page 1
        record = InitiativeFactory(name=f"Lowtown Walking Club {n}", summary="Walks.")
        record.areas.add(district)
    for n in range(6):  # here, matching elsewhere, ranked high
        record = InitiativeFactory(name=f"Lowtown Club {n}", summary="Walking, walking, walking.")
        record.areas.add(district)
    for n in range(PER_PAGE):  # covering
        record = InitiativeFactory(
            name=f"Shire {'Walking' if n % 2 else 'Rambling'} {n}", summary="Walking."
        )
        record.areas.add(region)
    params = f"q=walking&area={district.slug}&page={page}"
    ids, sql = listed(params)
    assert ids == without_the_tier(monkeypatch, params)
    assert len(ids) == min(PER_PAGE, PER_PAGE + 4 + 6 + PER_PAGE - (page - 1) * PER_PAGE)
    if page == 1:
        assert any("to_tsvector('english'::regconfig" in query for query in sql)


def test_a_filtered_one_word_search_keeps_its_filter_in_the_tier(walking):
    only_postgresql()
    named, others = walking
    for record in named[:3] + others[:2]:
        record.role = Initiative.Role.CAMPAIGNING
        record.save()
    params = "q=walking&role=campaigning"
    ids, _ = listed(params)
    assert ids == whole_answer(params)
    assert set(ids) == {record.pk for record in named[:3] + others[:2]}


@pytest.mark.parametrize(
    "q", ["walking outdoors", '"walking group"', "walking -town", "walking or club"]
)
def test_searches_of_more_than_one_word_rank_every_match(walking, q):
    only_postgresql()
    params = QueryDict(mutable=True)
    params["q"] = q
    results = Listing(params).results()
    assert not search.name_tier(results, q).exists()
    ids, _ = listed(params.urlencode())
    assert ids == list(results.values_list("pk", flat=True)[:PER_PAGE])


def test_no_tier_in_another_order_or_without_postgresql(walking):
    results = Listing(QueryDict("q=walking&sort=name")).results()
    assert search.name_tier(results, "walking") is None
    ranked = Listing(QueryDict("q=walking")).results()
    tier = search.name_tier(ranked, "walking")
    assert (tier is None) == (connection.vendor != "postgresql")


def test_a_tier_that_does_not_fill_the_page_leaves_it_to_the_whole_list(walking):
    only_postgresql()
    named, others = walking
    results = Listing(QueryDict("q=walking")).results()
    tier = search.name_tier(results, "walking").filter(pk__in=[named[0].pk, named[1].pk])
    paginator = IdsFirstPaginator(results, PER_PAGE, first_part=tier)
    paginator.count = results.count()
    page = paginator.page(1)
    assert [row.pk for row in page.object_list] == list(
        results.values_list("pk", flat=True)[:PER_PAGE]
    )
