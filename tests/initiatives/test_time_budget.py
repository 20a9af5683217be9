"""`services.budget.time_budget`: statements past the budget stop with OverBudget, on
each database by its own means (PostgreSQL's statement_timeout, SQLite's progress
handler), and the connection is as it was afterwards."""

import time

import pytest
from django.db import connection

from initiatives.services.budget import OverBudget, time_budget

pytestmark = pytest.mark.django_db


def slow_sql() -> str:
    """A statement that takes seconds on either database."""
    if connection.vendor == "postgresql":
        return "SELECT pg_sleep(5)"
    return (
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 200000000)"
        " SELECT COUNT(*) FROM c"
    )


def timeout_setting():
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        return cursor.fetchone()[0]


def test_a_statement_past_the_budget_is_stopped_soon_after():
    before = timeout_setting()
    started = time.monotonic()
    with pytest.raises(OverBudget), time_budget(0.05), connection.cursor() as cursor:
        cursor.execute(slow_sql())
    # Stopped by the database near the budget, not run to its end (seconds).
    assert time.monotonic() - started < 4
    assert timeout_setting() == before
    with connection.cursor() as cursor:  # the connection goes on working, without limit
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


def test_a_statement_within_the_budget_gives_its_answer():
    before = timeout_setting()
    with time_budget(5), connection.cursor() as cursor:
        cursor.execute("SELECT 41 + 1")
        assert cursor.fetchone() == (42,)
    assert timeout_setting() == before


def test_other_errors_are_not_taken_for_the_budget():
    from django.db import DatabaseError

    with pytest.raises(DatabaseError) as raised, time_budget(5), connection.cursor() as cursor:
        cursor.execute("SELECT * FROM no_such_table_here")
    assert not isinstance(raised.value, OverBudget)


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_limit_ends_with_the_budget():
    """As a page runs it (no transaction around it): stopped, then no limit left."""
    before = timeout_setting()
    with pytest.raises(OverBudget), time_budget(0.05), connection.cursor() as cursor:
        cursor.execute(slow_sql())
    assert timeout_setting() == before
    with time_budget(5), connection.cursor() as cursor:
        cursor.execute("SELECT 41 + 1")
        assert cursor.fetchone() == (42,)
    assert timeout_setting() == before
    assert not connection.in_atomic_block
