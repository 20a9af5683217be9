"""Row locks for writes that change many records at once.

Every write that changes several records locks them first, in primary-key order, so
that two such writes wait for each other instead of deadlocking, and a write that
read a record earlier compares its version with the locked one before writing.
"""

from collections.abc import Iterable
from contextlib import contextmanager

from django.db import connections, models, transaction

from .history import batches


def rows_lock(*, model: type[models.Model], pks: Iterable[int]) -> dict[int, int]:
    """Lock the rows (in primary-key order, held until the transaction ends); return
    each locked row's stored version (or 0 for a model without one).

    Call inside a transaction. Rows that no longer exist are left out.
    """
    ordered = sorted({pk for pk in pks if pk is not None})
    versioned = any(f.name == "version" for f in model._meta.concrete_fields)
    stored: dict[int, int] = {}
    for chunk in batches(ordered):
        rows = model._default_manager.filter(pk__in=chunk).order_by("pk").select_for_update()
        if versioned:
            stored.update(rows.values_list("pk", "version"))
        else:
            stored.update((pk, 0) for pk in rows.values_list("pk", flat=True))
    return stored


# PostgreSQL's codes for a statement cancelled by a time limit or a lock wait that could
# not end: lock_timeout, statement_timeout (query_canceled) and a deadlock.
BUSY_SQLSTATES = {"55P03": "lock", "57014": "statement", "40P01": "deadlock"}


def database_busy(error: BaseException) -> str | None:
    """ "lock", "statement" or "deadlock" when `error` (or what caused it) is the database
    giving up on a time limit or a lock; None for any other error."""
    seen = 0
    while error is not None and seen < 5:
        code = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)
        if code in BUSY_SQLSTATES:
            return BUSY_SQLSTATES[code]
        error = error.__cause__ or error.__context__
        seen += 1
    return None


@contextmanager
def statement_time_limit(seconds: float, using: str = "default"):
    """Statements inside run under this time limit instead of the connection's, which is
    back afterwards (on an error the transaction's rollback restores it); nothing on
    other databases. For figures counted once per change for every visitor, mostly in
    the background, which at a million records take longer than a page may."""
    connection = connections[using]
    with transaction.atomic(using=using):
        if connection.vendor != "postgresql":
            yield
            return
        with connection.cursor() as cursor:  # what it was, and the new limit, at once
            cursor.execute(
                "SELECT current_setting('statement_timeout'),"
                " set_config('statement_timeout', %s, false)",
                [str(round(seconds * 1000))],
            )
            before = cursor.fetchone()[0]
        yield
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('statement_timeout', %s, false)", [before])
