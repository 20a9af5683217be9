"""Suite-wide test set-up."""

import pytest
from django.conf import settings


def pytest_collection_modifyitems(items):
    """With DATABASE_REPLICA_URL set, tests that commit (live server, browser) read through
    the replica alias too, so they may use every database."""
    if "replica" not in settings.DATABASES:
        return
    for item in items:
        marker = item.get_closest_marker("django_db")
        if marker and marker.kwargs.get("transaction") and "databases" not in marker.kwargs:
            item.add_marker(
                pytest.mark.django_db(*marker.args, databases="__all__", **marker.kwargs)
            )


@pytest.fixture(autouse=True)
def _fresh_figures_cache():
    """Each test starts with an empty figures cache (initiatives/caching.py): the
    database is rolled back between tests, the local-memory cache is not."""
    from django.core.cache import cache

    cache.clear()
    yield
