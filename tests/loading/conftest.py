"""Fixtures for the loading tests."""

import pytest

from .seeding import load, remove_everything_loaded


@pytest.fixture(scope="class")
def loaded(django_db_setup, django_db_blocker):
    """The seeds, loaded once for a class of tests that do not change them (each test's
    own rows roll back)."""
    with django_db_blocker.unblock():
        load()
        try:
            yield
        finally:
            remove_everything_loaded()
