"""SQLite's search triggers, installed after every migrate; and re-indexing on both databases.

The search schema itself is migration data (0007_search_schema): PostgreSQL's
column, word list, functions, triggers and indexes, and SQLite's FTS5 table.
SQLite's triggers, which keep the FTS5 table in step with initiatives,
organisations, topics, conditions and the link tables, cannot be: Django
rebuilds a SQLite table to alter it (create ``new__<table>``, copy, drop the
old, rename) with ``legacy_alter_table`` off. Dropping the table silently drops
its own triggers, and the rename fails while a trigger on another table names
the dropped table. Every later migration that alters one of those tables would
have to remove and restore the triggers itself.

So `before_migrate` (pre_migrate) drops them before each ``migrate`` that has
work to do, and `after_migrate` (post_migrate) installs whatever is missing
once the FTS5 table exists, then re-indexes: rows that migrations changed while
the triggers were off are indexed again. PostgreSQL alters tables in place and
its triggers name no columns, so it needs neither hook.
"""

# ruff: noqa: S608 - SQL is assembled from this module's constants; input is always a parameter.
from __future__ import annotations

import logging

from django.db import connections

from .postgres import SEARCH_WORDS
from .sqlite import FTS_COLUMNS, FTS_TABLE, forget_fts_table, fts5_available, fts_table_exists

logger = logging.getLogger(__name__)

INITIATIVE = "initiatives_initiative"
ORGANISATION = "initiatives_organisation"
# (through table, its foreign key, the named table, the FTS5 column)
LINKS = (
    ("initiatives_initiative_topics", "topic_id", "initiatives_topic", "topics"),
    ("initiatives_initiative_conditions", "condition_id", "initiatives_condition", "conditions"),
)


def _sqlite_names(through: str, key: str, table: str, initiative_id: str) -> str:
    """SQL for the space-separated names linked to one initiative, in name order."""
    return (
        "(SELECT coalesce(group_concat(name, ' '), '') FROM (SELECT t.name AS name"
        f" FROM {through} AS l JOIN {table} AS t ON t.id = l.{key}"
        f" WHERE l.initiative_id = {initiative_id} ORDER BY t.name))"
    )


def _sqlite_document(row: str) -> str:
    """SQL for the FTS5 column values of the initiative `row` (NEW, or an alias)."""
    organisation = (
        f"coalesce((SELECT name FROM {ORGANISATION} WHERE id = {row}.organisation_id), '')"
    )
    names = [_sqlite_names(through, key, table, f"{row}.id") for through, key, table, _ in LINKS]
    return ", ".join([f"{row}.name", f"{row}.summary", f"{row}.description", organisation, *names])


def _sqlite_statements() -> list[tuple[str, str]]:
    """(trigger name, CREATE TRIGGER statement) for every SQLite trigger."""
    columns = "rowid, " + ", ".join(FTS_COLUMNS)
    insert = f"INSERT INTO {FTS_TABLE}({columns}) VALUES (NEW.id, {_sqlite_document('NEW')});"
    triggers = [
        (
            "initiatives_search_insert",
            f"AFTER INSERT ON {INITIATIVE} BEGIN {insert} END",
        ),
        (
            "initiatives_search_update",
            f"AFTER UPDATE OF name, summary, description, organisation_id ON {INITIATIVE}"
            f" BEGIN DELETE FROM {FTS_TABLE} WHERE rowid = OLD.id; {insert} END",
        ),
        (
            "initiatives_search_delete",
            f"AFTER DELETE ON {INITIATIVE} BEGIN DELETE FROM {FTS_TABLE} WHERE rowid = OLD.id; END",
        ),
        (
            "initiatives_search_organisation_rename",
            f"AFTER UPDATE OF name ON {ORGANISATION} WHEN OLD.name IS NOT NEW.name BEGIN"
            f" UPDATE {FTS_TABLE} SET organisation = NEW.name WHERE rowid IN"
            f" (SELECT id FROM {INITIATIVE} WHERE organisation_id = NEW.id); END",
        ),
    ]
    for through, key, table, column in LINKS:

        def refresh(initiative_id: str, through=through, key=key, table=table, column=column):
            names = _sqlite_names(through, key, table, initiative_id)
            return f"UPDATE {FTS_TABLE} SET {column} = {names} WHERE rowid = {initiative_id};"

        short = column  # topics / conditions
        triggers += [
            (
                f"initiatives_search_{short}_insert",
                f"AFTER INSERT ON {through} BEGIN {refresh('NEW.initiative_id')} END",
            ),
            (
                f"initiatives_search_{short}_delete",
                f"AFTER DELETE ON {through} BEGIN {refresh('OLD.initiative_id')} END",
            ),
            (
                f"initiatives_search_{short}_update",
                f"AFTER UPDATE ON {through} BEGIN {refresh('OLD.initiative_id')}"
                f" {refresh('NEW.initiative_id')} END",
            ),
            (
                f"initiatives_search_{short}_rename",
                f"AFTER UPDATE OF name ON {table} WHEN OLD.name IS NOT NEW.name BEGIN"
                f" UPDATE {FTS_TABLE} SET {column} ="
                f" {_sqlite_names(through, key, table, f'{FTS_TABLE}.rowid')}"
                f" WHERE rowid IN (SELECT initiative_id FROM {through} WHERE {key} = NEW.id);"
                " END",
            ),
        ]
    return triggers


def _sqlite_trigger_names(connection) -> set[str]:
    """The search triggers this SQLite database has now."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger'"
            " AND name LIKE 'initiatives\\_search\\_%' ESCAPE '\\'"
        )
        return {row[0] for row in cursor.fetchall()}


def install_search_triggers(connection) -> None:
    """Create (or re-create) SQLite's search triggers and re-index."""
    with connection.cursor() as cursor:
        for name, statement in _sqlite_statements():
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            cursor.execute(f"CREATE TRIGGER {name} {statement}")
    rebuild_search_index(connection)


def drop_search_triggers(connection) -> None:
    """Remove the SQLite triggers (the FTS5 table stays); `after_migrate` puts them back."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        for name, _ in _sqlite_statements():
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


def rebuild_search_index(connection) -> None:
    """Recompute every initiative's search document (after a bulk change made without triggers)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {SEARCH_WORDS}")
            cursor.execute(f"UPDATE {INITIATIVE} SET search_vector = NULL")
        elif connection.vendor == "sqlite" and fts_table_exists(connection):
            cursor.execute(f"DELETE FROM {FTS_TABLE}")
            columns = "rowid, " + ", ".join(FTS_COLUMNS)
            cursor.execute(
                f"INSERT INTO {FTS_TABLE}({columns})"
                f" SELECT initiative.id, {_sqlite_document('initiative')}"
                f" FROM {INITIATIVE} AS initiative"
            )


def before_migrate(sender=None, using: str = "default", plan=None, **kwargs) -> None:
    """pre_migrate: on SQLite, drop the search triggers when migrations are about to run."""
    connection = connections[using]
    if plan and connection.vendor == "sqlite":
        drop_search_triggers(connection)


def after_migrate(sender=None, using: str = "default", **kwargs) -> None:
    """post_migrate: on SQLite, put back any missing search trigger (see the module docstring)."""
    ensure_search_triggers(using)


def ensure_search_triggers(using: str = "default") -> bool:
    """Install SQLite's missing search triggers and re-index, once the FTS5 table exists.

    Returns whether anything was missing.
    """
    connection = connections[using]
    if connection.vendor != "sqlite" or not fts5_available():
        return False
    # The migrations may have created or dropped the table since a search last looked.
    forget_fts_table(connection)
    if not fts_table_exists(connection):
        return False
    expected = {name for name, _ in _sqlite_statements()}
    if expected <= _sqlite_trigger_names(connection):
        return False
    logger.info("Installing the search triggers and rebuilding the search index.")
    install_search_triggers(connection)
    return True
