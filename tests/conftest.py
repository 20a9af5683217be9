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


@pytest.fixture(scope="module")
def shared_register(django_db_setup, django_db_blocker):
    """The sample register (tests/sample_register.py), built once per test module.

    As Django's TestCase.setUpTestData: the rows are written inside a transaction
    that is rolled back when the module's tests are done, and each test runs in a
    savepoint within it, so no test sees another's changes. Building it for every
    test cost about 26 s a run. Every test of a module that uses this sees the
    register, so a module holds either tests that all use it or none that do.
    """
    from django.db import transaction

    from .sample_register import build_register

    with django_db_blocker.unblock(), transaction.atomic():
        yield build_register()
        transaction.set_rollback(True)


@pytest.fixture
def reg(shared_register):
    """The shared register, as a copy of its own for each test (a test may change the
    Python objects; the database changes are rolled back anyway)."""
    import copy

    return copy.deepcopy(shared_register)
