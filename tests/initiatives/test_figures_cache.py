"""The figures cache (initiatives/caching.py): counts are reused until the register changes."""

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from initiatives import caching
from initiatives.models import Initiative

from ..factories import AreaFactory, ConditionFactory, InitiativeFactory
from ..processes import read_setting

pytestmark = pytest.mark.django_db

LIST = "/initiatives/"


@pytest.fixture(autouse=True)
def _figures_under_the_page(settings):
    """These tests look at the figures a page is made from, so every page is made
    (pages kept whole under their ETag: tests/directory/test_page_cache.py)."""
    settings.PAGE_CACHE = False


def role_count(response, role="service_provider") -> int:
    options = response.context["facets"]["role"].options
    return next(option.count for option in options if option.value == role)


def queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return response, len(captured.captured_queries)


def test_a_repeated_listing_reuses_its_counts_and_still_shows_the_same_page(client):
    InitiativeFactory.create_batch(3, role="service_provider")
    first, cold = queries(client, LIST)
    second, warm = queries(client, LIST)
    # Facet counts and the total come from the cache: several grouped queries fewer.
    assert warm <= cold - 5
    assert second.content == first.content
    assert role_count(second) == 3


def test_saving_a_record_refreshes_the_counts_at_once(client):
    InitiativeFactory.create_batch(2, role="service_provider")
    assert role_count(client.get(LIST)) == 2
    InitiativeFactory(role="service_provider")
    response = client.get(LIST)
    assert role_count(response) == 3
    assert "3 initiatives found" in response.content.decode().replace("<strong>", "").replace(
        "</strong>", ""
    )


def test_archiving_a_record_through_save_takes_it_out_of_the_counts(client):
    kept, archived = InitiativeFactory.create_batch(2, role="service_provider")
    assert role_count(client.get(LIST)) == 2
    archived.status = Initiative.Status.ARCHIVED
    archived.save()
    assert role_count(client.get(LIST)) == 1


def test_a_new_link_to_a_condition_refreshes_the_condition_counts(client):
    condition = ConditionFactory(name="Asthma")
    initiative = InitiativeFactory()
    response = client.get(LIST)
    assert {o.value: o.count for o in response.context["facets"]["condition"].options}[
        condition.slug
    ] == 0
    initiative.conditions.add(condition)
    response = client.get(LIST)
    assert {o.value: o.count for o in response.context["facets"]["condition"].options}[
        condition.slug
    ] == 1


def test_results_are_never_cached_only_the_counts(client):
    """A change made without signals (a bulk update) shows in the results at once."""
    initiative = InitiativeFactory(name="Walking group", role="service_provider")
    assert "Walking group" in client.get(LIST).content.decode()
    Initiative.objects.filter(pk=initiative.pk).update(name="Running group")
    page = client.get(LIST).content.decode()
    assert "Running group" in page and "Walking group" not in page


def test_a_change_another_worker_made_shows_within_seconds_on_a_kept_page(
    client, settings, monkeypatch
):
    """With pages kept whole in each worker's own memory, a change this worker heard no
    signal of shows once the page's validators move (every REVALIDATE_SECONDS)."""
    settings.PAGE_CACHE = True
    now = {"time": 1_800_000_000.0}
    monkeypatch.setattr(caching.time, "time", lambda: now["time"])
    area = AreaFactory(name="Halton", slug="halton")
    initiative = InitiativeFactory(name="Walking group", areas=[area])
    for url in (LIST, "/areas/halton/"):
        assert "Walking group" in client.get(url).content.decode()
    Initiative.objects.filter(pk=initiative.pk).update(
        name="Running group", status=Initiative.Status.ARCHIVED
    )
    now["time"] += caching.REVALIDATE_SECONDS
    for url in (LIST, "/areas/halton/"):
        page = client.get(url).content.decode()
        assert "Walking group" not in page and "Running group" not in page


def test_an_area_page_never_lists_a_record_archived_behind_the_cache(client):
    """Another worker's change arrives with no signal in this one: its cached ids are
    read again through published(), so an archived record is never shown."""
    area = AreaFactory(name="Halton", slug="halton")
    kept = InitiativeFactory(name="Kept walking group", areas=[area])
    archived = InitiativeFactory(name="Archived running club", areas=[area])
    page = client.get("/areas/halton/").content.decode()
    assert kept.name in page and archived.name in page
    Initiative.objects.filter(pk=archived.pk).update(status=Initiative.Status.ARCHIVED)
    page = client.get("/areas/halton/").content.decode()
    assert kept.name in page
    assert archived.name not in page
    assert f"/initiatives/{archived.slug}/" not in page


def test_bulk_writers_bump_the_version(client):
    area = AreaFactory(name="Halton")
    InitiativeFactory(role="campaigning", areas=[area])
    assert role_count(client.get(LIST), "campaigning") == 1
    before = caching.version()
    call_command("generate_initiatives", count=5, seed=7, stdout=io.StringIO())
    assert caching.version() != before
    assert (
        role_count(client.get(LIST), "campaigning")
        == Initiative.objects.filter(status="published", role="campaigning").count()
    )


def test_different_filters_get_their_own_counts(client):
    InitiativeFactory.create_batch(2, role="service_provider")
    InitiativeFactory(role="campaigning")
    assert role_count(client.get(LIST)) == 2
    narrowed = client.get(LIST + "?role=campaigning")
    assert narrowed.context["count"] == 1
    assert role_count(client.get(LIST + "?role=campaigning")) == 2  # counts without itself


def test_home_figures_follow_a_new_record(client):
    InitiativeFactory.create_batch(2)
    assert client.get("/").context["published_count"] == 2
    InitiativeFactory()
    assert client.get("/").context["published_count"] == 3


def test_the_insights_page_is_reused_until_the_register_changes(client):
    InitiativeFactory.create_batch(2, role="service_provider")
    first, cold = queries(client, "/insights/")
    second, warm = queries(client, "/insights/")
    assert second.content == first.content
    assert warm < cold
    InitiativeFactory(role="campaigning")
    third, _ = queries(client, "/insights/")
    assert third.content != first.content


def test_a_timeout_of_zero_turns_the_cache_off(client, settings):
    settings.FIGURES_CACHE_SECONDS = 0
    InitiativeFactory.create_batch(2)
    _, cold = queries(client, LIST)
    _, again = queries(client, LIST)
    assert again == cold


def test_keys_do_not_depend_on_the_order_of_params():
    a = caching.query_params(_querydict("role=a&condition=x&condition=y"))
    b = caching.query_params(_querydict("condition=y&role=a&condition=x"))
    assert caching.cache_key("listing", a) == caching.cache_key("listing", b)
    c = caching.query_params(_querydict("role=b&condition=x&condition=y"))
    assert caching.cache_key("listing", a) != caching.cache_key("listing", c)


def _querydict(text):
    from django.http import QueryDict

    return QueryDict(text)


def test_the_api_total_follows_a_new_record_and_pages_stay_live(client):
    InitiativeFactory.create_batch(2)
    first = client.get("/api/v1/services").json()
    assert first["total_items"] == 2
    InitiativeFactory(name="Newest")
    second = client.get("/api/v1/services").json()
    assert second["total_items"] == 3
    assert "Newest" in [item["name"] for item in second["contents"]]


def test_a_lost_version_never_brings_back_figures_from_before_a_change(client):
    from django.core.cache import cache

    assert role_count(client.get(LIST)) == 0  # counted under the first version
    InitiativeFactory(role="service_provider")
    assert role_count(client.get(LIST)) == 1
    cache.delete(caching.VERSION_KEY)  # as when a full cache culls it
    assert role_count(client.get(LIST)) == 1


@pytest.fixture
def database_cache(settings):
    """The figures cache in a database table, as several servers would share it."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "directory_figures_cache",
        }
    }
    call_command("createcachetable", verbosity=0)
    yield
    from django.core.cache import cache

    cache.clear()


def test_the_database_cache_is_shared_and_follows_changes(client, database_cache):
    from django.core.cache import cache
    from django.db import connection as db

    InitiativeFactory.create_batch(2, role="service_provider")
    assert role_count(client.get(LIST)) == 2
    with db.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM directory_figures_cache")
        assert cursor.fetchone()[0] >= 3  # the version, the counts and the total
    # Another worker or server reads the same table: a fresh handle finds the figures.
    assert cache.get(caching.VERSION_KEY) == caching.version()
    _, warm = queries(client, LIST)
    InitiativeFactory(role="service_provider")
    response, cold = queries(client, LIST)
    assert role_count(response) == 3
    assert warm < cold


def test_migrate_makes_the_cache_table_only_when_it_is_configured(settings):
    from django.db import connection as db

    caching.create_cache_table()
    assert "directory_figures_cache" not in db.introspection.table_names()


def _settings_with(value: str):
    return read_setting("settings.CACHES['default']['BACKEND']", DJANGO_FIGURES_CACHE=value)


def test_the_cache_is_chosen_from_the_environment():
    result = _settings_with("database")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django.core.cache.backends.db.DatabaseCache"
    bad = _settings_with("memcached")
    assert bad.returncode != 0
    assert "DJANGO_FIGURES_CACHE must be local, redis or database, not 'memcached'." in bad.stderr


def page_rows(response) -> list[tuple[str, int | None]]:
    return [(row.name, getattr(row, "tier", None)) for row in response.context["page"]]


def choosing_the_page(captured) -> list[str]:
    """The statements that chose a page's ids (in the list's order, LIMITed)."""
    return [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].startswith('SELECT "initiatives_initiative"."id" AS "pk"')
        and "LIMIT" in q["sql"]
    ]


@pytest.mark.parametrize("params", [{"area": "halton"}, {}], ids=["tiered", "plain"])
def test_a_listing_page_asked_again_reads_only_its_rows_until_the_register_changes(
    client, reg, params
):
    first = client.get(LIST, params)
    assert first.context["page"].object_list
    with CaptureQueriesContext(connection) as captured:
        second = client.get(LIST, params)
    assert page_rows(second) == page_rows(first)
    assert choosing_the_page(captured) == []

    InitiativeFactory(name="Aaardvark Halton Club", areas=[reg.areas["halton"]])
    with CaptureQueriesContext(connection) as captured:
        third = client.get(LIST, params)
    assert choosing_the_page(captured)
    assert page_rows(third)[0][0] == "Aaardvark Halton Club"
    assert page_rows(third)[1:] == page_rows(first)[: len(page_rows(third)) - 1]


def test_the_home_page_figures_are_counted_ahead_after_a_change(client):
    """The home page's figures are among what the background thread counts after a
    change (caching.on_new_version): its next visitor counts nothing."""
    from directory.views import warm_home_figures

    assert warm_home_figures in caching._warmers
    InitiativeFactory.create_batch(2, role="service_provider")
    InitiativeFactory(role="campaigning", lifecycle=Initiative.Lifecycle.ENDED)
    caching.warm_now()  # as the background thread does once the change commits
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/")
    assert captured.captured_queries == []
    current = Initiative.objects.published().current()
    assert response.context["published_count"] == current.count()
    shares = {share["value"]: share["count"] for share in response.context["role_shares"]}
    for role in ("service_provider", "campaigning"):
        assert shares[role] == current.filter(role=role).count()
    assert shares["service_provider"] >= 2
