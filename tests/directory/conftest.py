"""Fixtures shared by the conditional GET and kept page tests."""

from datetime import UTC, datetime

import pytest

from initiatives import caching

from ..factories import AreaFactory, InitiativeFactory


@pytest.fixture
def clock(monkeypatch):
    """The validators' clock, held still (with the local-memory cache they, and with them
    the kept pages, change every REVALIDATE_SECONDS): a test moves it by hand."""
    now = {"time": 1_800_000_000.0}
    monkeypatch.setattr(caching.time, "time", lambda: now["time"])
    # The page's own clock ("Open now") moves with it.
    monkeypatch.setattr(
        caching.timezone, "now", lambda: datetime.fromtimestamp(now["time"], tz=UTC)
    )
    return now


@pytest.fixture
def register():
    """One published initiative serving Halton."""
    halton = AreaFactory(name="Halton", slug="halton", kind="local_authority")
    return InitiativeFactory(
        name="Halton allotments", slug="halton-allotments", summary="Allotments.", areas=[halton]
    )
