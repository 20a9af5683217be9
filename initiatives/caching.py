"""Short-lived caches for figures that are costly to count and change rarely.

Facet counts, the home page's headline figures, area page counts and the insights
page count over the whole register: at 100,000 initiatives each takes from tens of
milliseconds to seconds, and every visitor would recount the same numbers. They are
kept in Django's cache under a key made of the register's version and the request's
params, for at most ``settings.FIGURES_CACHE_SECONDS``.

The version changes whenever a record that the figures count changes: on every save
and delete of the register's models and every change to their many-to-many links
(signals, in this process and again when the transaction commits), and from the
commands that write in bulk (`bump_version`). With the local-memory cache (the
default) a change is seen at once by the worker that made it and by the others when
their entries expire; with the database cache (``DJANGO_FIGURES_CACHE=database``)
every worker and server shares the version and the figures, so a change is seen
everywhere at once. The listing's results themselves are never cached: only the
counts beside them.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

VERSION_KEY = "register-version"
T = TypeVar("T")


def version() -> str:
    """The register's current version in this cache.

    It starts from the clock, not from 1: should the cache ever drop the version
    (a full cache culls entries), figures kept under an earlier version can never be
    mistaken for current ones.
    """
    current = cache.get(VERSION_KEY)
    if current is None:
        cache.add(VERSION_KEY, _new_version(), timeout=None)
        current = cache.get(VERSION_KEY)
    return current if current is not None else _new_version()


def bump_version(**_ignored) -> None:
    """Mark every cached figure out of date (now, and again once the transaction commits,
    so a figure counted meanwhile from the old rows is not kept)."""
    _bump()
    transaction.on_commit(_bump)


def _bump() -> None:
    cache.set(VERSION_KEY, _new_version(), timeout=None)


def _new_version() -> str:
    """A version never used before: the clock and a random part, not an increment, so
    that two workers sharing a cache and bumping at once never land on the same one."""
    return f"{time.time_ns()}-{uuid.uuid4().hex[:8]}"


def cache_key(name: str, params) -> str:
    """A key for one kind of figure and the params it was counted for."""
    text = json.dumps(params, sort_keys=True, default=str, separators=(",", ":"))
    digest = hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
    return f"figures:{name}:{version()}:{digest}"


def cached(name: str, params, compute: Callable[[], T]) -> T:
    """`compute()`'s value for these params, from the cache when it holds one."""
    timeout = settings.FIGURES_CACHE_SECONDS
    if timeout <= 0:
        return compute()
    key = cache_key(name, params)
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, timeout)
    return value


def query_params(querydict, names=None) -> dict[str, list[str]]:
    """The request's params as a plain, ordered dict, for a cache key."""
    return {
        key: sorted(querydict.getlist(key))
        for key in sorted(querydict.keys())
        if names is None or key in names
    }


def create_cache_table(sender=None, using: str = "default", **kwargs) -> None:
    """After `migrate`: the database cache's table, when that cache is configured
    (`createcachetable` does nothing for other caches, or when the table is there)."""
    from django.core.management import call_command

    call_command("createcachetable", database=using, verbosity=0)


def connect_signals(*, models, links) -> None:
    """Bump the version whenever one of the counted records (`models`) or their
    many-to-many links (`links`: through models) change. The register's app calls
    this once it is ready, so this module needs to know nothing of its models."""
    for model in models:
        uid = f"figures-{model._meta.label_lower}"
        post_save.connect(bump_version, sender=model, dispatch_uid=uid + "-save")
        post_delete.connect(bump_version, sender=model, dispatch_uid=uid + "-delete")
    for through in links:
        m2m_changed.connect(
            bump_version, sender=through, dispatch_uid=f"figures-{through._meta.label_lower}"
        )
