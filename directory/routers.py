"""Read replicas: public reads go to the replica, everything else to the primary.

Active only when DATABASE_REPLICA_URL is set (settings add the "replica" alias
and this router). Writes, the admin, any request that is not a plain read
(see directory.middleware.PrimaryDatabaseMiddleware) and anything inside a
transaction use the primary, so curators always see their own changes and a
transaction never mixes two databases.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import DEFAULT_DB_ALIAS, connections

REPLICA_DB_ALIAS = "replica"

# Accounts and sessions are read right after they are written (sign-in): keep them together.
# The figures cache's table too: its register version must never lag behind a change.
PRIMARY_ONLY_APPS = frozenset({"auth", "sessions", "admin", "django_cache"})

_use_primary: ContextVar[bool] = ContextVar("use_primary", default=False)


@contextmanager
def use_primary() -> Iterator[None]:
    """Send every read inside the block to the primary."""
    token = _use_primary.set(True)
    try:
        yield
    finally:
        _use_primary.reset(token)


def in_transaction() -> bool:
    """Whether the code running now is inside transaction.atomic() on the primary."""
    return connections[DEFAULT_DB_ALIAS].in_atomic_block


def primary_required() -> bool:
    """Whether reads must go to the primary right now."""
    return _use_primary.get() or in_transaction()


class PrimaryReplicaRouter:
    """Routes public reads to the replica and all else to the primary ("default")."""

    def db_for_read(self, model, **hints):
        if model._meta.app_label in PRIMARY_ONLY_APPS or primary_required():
            return DEFAULT_DB_ALIAS
        return REPLICA_DB_ALIAS

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # Both aliases hold the same data.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # The replica copies the primary; migrations run on the primary only.
        return db == DEFAULT_DB_ALIAS
