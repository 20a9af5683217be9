"""A time budget for statements a page can do without.

The listing's counts beside its filters are worth having, not worth waiting for: at a
million records a combination nobody asked for since the last change takes seconds to
count. `time_budget` runs statements under a short limit and raises `OverBudget` when
the database stops one there, so the page can go out without them (and have them
counted in the background for the next visitor: initiatives.caching.in_background).

PostgreSQL stops the statement itself (statement_timeout, for the block only); SQLite
is interrupted by a progress handler that looks at the clock every few thousand steps
of its virtual machine. Either way the database does no more work on it.
"""

import time
from contextlib import contextmanager

from django.db import OperationalError, connections, transaction

from .locking import database_busy, statement_time_limit

# SQLite calls the handler after this many virtual machine instructions (about 0.1 ms).
SQLITE_STEPS = 4000


class OverBudget(Exception):
    """The statements did not finish within the time given them."""


@contextmanager
def time_budget(seconds: float, using: str = "default"):
    """Statements inside stop after `seconds` (together, on SQLite; each, on
    PostgreSQL, which is one statement for the listing's counts) with `OverBudget`.
    Inside its own transaction (a savepoint within another), undone on OverBudget."""
    connection = connections[using]
    if connection.vendor == "postgresql":
        # At least a millisecond: a limit of 0 would be no limit at all.
        seconds = max(seconds, 0.001)
        try:
            if connection.in_atomic_block:  # set, then put back, within the transaction
                with statement_time_limit(seconds, using=using):
                    yield
            else:  # a transaction of its own: the limit ends with it (one statement more)
                with transaction.atomic(using=using), connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT set_config('statement_timeout', %s, true)",
                        [str(round(seconds * 1000))],
                    )
                    yield
        except OperationalError as error:
            if database_busy(error) == "statement":
                raise OverBudget from error
            raise
        return
    if connection.vendor != "sqlite":
        yield
        return
    deadline = time.monotonic() + seconds
    stopped = False

    def past_deadline() -> int:
        nonlocal stopped
        stopped = time.monotonic() > deadline
        return 1 if stopped else 0  # non-zero interrupts the statement

    connection.ensure_connection()
    raw = connection.connection
    raw.set_progress_handler(past_deadline, SQLITE_STEPS)
    try:
        with transaction.atomic(using=using):
            yield
    except OperationalError as error:
        if stopped:
            raise OverBudget from error
        raise
    finally:
        raw.set_progress_handler(None, 0)
