"""The search schema: the PostgreSQL column, word list, functions, triggers and indexes,
and SQLite's FTS5 table and triggers; installed by migration 0003, checked after migrate.

PostgreSQL: a tsvector column (GIN) and a word list for trigram matching
(pg_trgm, GiST), filled by a row trigger on initiatives and refreshed by
triggers on organisations, topics, conditions and the link tables.
SQLite: an FTS5 table (skipped when FTS5 is missing) and triggers that keep it
in step. Neither is a model field, so the DDL is SQL held here.

Why migrate hooks and not only migrations: Django rebuilds a SQLite table to
alter it (create ``new__<table>``, copy, drop the old, rename), with
``legacy_alter_table`` off. Dropping the table silently drops its own triggers,
and the rename fails while a trigger on another table names the dropped table.
So every later migration that alters an initiative, organisation, topic or
condition table would have to remove and restore the triggers itself. Instead
`before_migrate` drops SQLite's triggers before each ``migrate`` that has work
to do and `after_migrate` puts back whatever is missing, with a re-index (rows
changed by migrations while the triggers were off are indexed again).
PostgreSQL alters tables in place and its triggers name no columns, so there
the check after migrate finds nothing to do unless a trigger was removed by hand.
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


_PG_FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION initiatives_search_document() RETURNS trigger
LANGUAGE plpgsql AS $body$
DECLARE
    organisation_name text;
    topic_names text;
    condition_names text;
    known_text text;
BEGIN
    -- Recompute only when the text changed or a related trigger cleared the vector.
    IF TG_OP = 'UPDATE' AND NEW.search_vector IS NOT NULL
       AND NEW.name IS NOT DISTINCT FROM OLD.name
       AND NEW.summary IS NOT DISTINCT FROM OLD.summary
       AND NEW.description IS NOT DISTINCT FROM OLD.description
       AND NEW.organisation_id IS NOT DISTINCT FROM OLD.organisation_id THEN
        RETURN NEW;
    END IF;
    SELECT o.name INTO organisation_name FROM {ORGANISATION} o WHERE o.id = NEW.organisation_id;
    SELECT string_agg(t.name, ' ' ORDER BY t.name) INTO topic_names
        FROM initiatives_initiative_topics l JOIN initiatives_topic t ON t.id = l.topic_id
        WHERE l.initiative_id = NEW.id;
    SELECT string_agg(c.name, ' ' ORDER BY c.name) INTO condition_names
        FROM initiatives_initiative_conditions l
        JOIN initiatives_condition c ON c.id = l.condition_id
        WHERE l.initiative_id = NEW.id;
    NEW.search_vector :=
        setweight(to_tsvector('english', coalesce(NEW.name, '')), 'A')
        || setweight(to_tsvector('english', coalesce(NEW.summary, '')), 'B')
        || setweight(to_tsvector('english', coalesce(NEW.description, '')), 'C')
        || setweight(to_tsvector('english',
               concat_ws(' ', organisation_name, topic_names, condition_names)), 'D');
    known_text := concat_ws(' ', NEW.name, NEW.summary, organisation_name,
                            topic_names, condition_names);
    INSERT INTO {SEARCH_WORDS} (word)
        SELECT DISTINCT known.word
        FROM regexp_split_to_table(lower(known_text), '[^[:alnum:]]+') AS known(word)
        WHERE length(known.word) >= 3
        ON CONFLICT DO NOTHING;
    RETURN NEW;
END
$body$;

-- Setting search_vector to NULL makes the row trigger above recompute the document.
CREATE OR REPLACE FUNCTION initiatives_search_links_changed() RETURNS trigger
LANGUAGE plpgsql AS $body$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        UPDATE {INITIATIVE} SET search_vector = NULL
        WHERE id IN (SELECT initiative_id FROM new_links);
    END IF;
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        UPDATE {INITIATIVE} SET search_vector = NULL
        WHERE id IN (SELECT initiative_id FROM old_links);
    END IF;
    RETURN NULL;
END
$body$;

CREATE OR REPLACE FUNCTION initiatives_search_name_changed() RETURNS trigger
LANGUAGE plpgsql AS $body$
BEGIN
    IF NEW.name IS NOT DISTINCT FROM OLD.name THEN
        RETURN NULL;
    END IF;
    IF TG_ARGV[0] = 'organisation' THEN
        UPDATE {INITIATIVE} SET search_vector = NULL WHERE organisation_id = NEW.id;
    ELSIF TG_ARGV[0] = 'topic' THEN
        UPDATE {INITIATIVE} SET search_vector = NULL WHERE id IN
            (SELECT initiative_id FROM initiatives_initiative_topics WHERE topic_id = NEW.id);
    ELSE
        UPDATE {INITIATIVE} SET search_vector = NULL WHERE id IN
            (SELECT initiative_id FROM initiatives_initiative_conditions
             WHERE condition_id = NEW.id);
    END IF;
    RETURN NULL;
END
$body$;
"""


def _pg_triggers() -> list[tuple[str, str, str]]:
    """(trigger name, table, CREATE TRIGGER statement) for every PostgreSQL trigger.

    No column lists or WHEN clauses: PostgreSQL refuses to alter the type of a
    column that a trigger definition names, which would block later migrations.
    The functions test what changed instead.
    """
    triggers = [
        (
            "initiatives_search_document",
            INITIATIVE,
            f"BEFORE INSERT OR UPDATE ON {INITIATIVE} FOR EACH ROW"
            " EXECUTE FUNCTION initiatives_search_document()",
        ),
        (
            "initiatives_search_organisation_rename",
            ORGANISATION,
            f"AFTER UPDATE ON {ORGANISATION} FOR EACH ROW"
            " EXECUTE FUNCTION initiatives_search_name_changed('organisation')",
        ),
    ]
    for through, _key, table, column in LINKS:
        kind = column.rstrip("s")  # topic / condition
        changed = "EXECUTE FUNCTION initiatives_search_links_changed()"
        triggers += [
            (
                f"initiatives_search_{column}_insert",
                through,
                f"AFTER INSERT ON {through} REFERENCING NEW TABLE AS new_links"
                f" FOR EACH STATEMENT {changed}",
            ),
            (
                f"initiatives_search_{column}_delete",
                through,
                f"AFTER DELETE ON {through} REFERENCING OLD TABLE AS old_links"
                f" FOR EACH STATEMENT {changed}",
            ),
            (
                f"initiatives_search_{column}_update",
                through,
                f"AFTER UPDATE ON {through} REFERENCING OLD TABLE AS old_links"
                f" NEW TABLE AS new_links FOR EACH STATEMENT {changed}",
            ),
            (
                f"initiatives_search_{kind}_rename",
                table,
                f"AFTER UPDATE ON {table} FOR EACH ROW"
                f" EXECUTE FUNCTION initiatives_search_name_changed('{kind}')",
            ),
        ]
    return triggers


_SQLITE_TABLE = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
    + ", ".join(FTS_COLUMNS)
    + ", tokenize = 'porter unicode61 remove_diacritics 0')"
)

_PG_INDEXES = [
    f"CREATE INDEX IF NOT EXISTS initiatives_search_vector_idx ON {INITIATIVE}"
    " USING gin (search_vector)",
    f"CREATE INDEX IF NOT EXISTS initiatives_search_word_gist_idx ON {SEARCH_WORDS}"
    " USING gist (word gist_trgm_ops)",
    # Lets the exact-name condition (UPPER(name) = UPPER(q)) join the GIN scan in a BitmapOr.
    f"CREATE INDEX IF NOT EXISTS initiatives_name_upper_idx ON {INITIATIVE} (upper(name::text))",
]


def create_search_table(connection) -> None:
    """Migration 0003: on PostgreSQL everything; on SQLite only the FTS5 table.

    SQLite's triggers come from `after_migrate`: Django rebuilds a SQLite table to
    alter it, and with legacy_alter_table off the rename fails while any trigger
    elsewhere names the dropped table. So the triggers are dropped before each
    migrate that has work to do, and put back (with a re-index) after it.
    """
    if connection.vendor == "postgresql":
        install_search_schema(connection)
    elif connection.vendor == "sqlite" and fts5_available():
        with connection.cursor() as cursor:
            cursor.execute(_SQLITE_TABLE)


def install_search_schema(connection) -> None:
    """Create (or re-create) the search table or column, its triggers and indexes, and fill it."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            cursor.execute(
                f"ALTER TABLE {INITIATIVE} ADD COLUMN IF NOT EXISTS search_vector tsvector"
            )
            # The first version matched misspellings against a text column instead.
            cursor.execute(f"ALTER TABLE {INITIATIVE} DROP COLUMN IF EXISTS search_text")
            cursor.execute(f"CREATE TABLE IF NOT EXISTS {SEARCH_WORDS} (word text PRIMARY KEY)")
            cursor.execute(_PG_FUNCTIONS)
            for name, table, statement in _pg_triggers():
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
                cursor.execute(f"CREATE TRIGGER {name} {statement}")
            for statement in _PG_INDEXES:
                cursor.execute(statement)
        elif connection.vendor == "sqlite":
            if not fts5_available():
                logger.warning("SQLite has no FTS5: search falls back to plain matching.")
                return
            cursor.execute(_SQLITE_TABLE)
            for name, statement in _sqlite_statements():
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
                cursor.execute(f"CREATE TRIGGER {name} {statement}")
        else:
            return
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


def remove_search_schema(connection) -> None:
    """Undo install_search_schema (pg_trgm stays: other things may use it)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for name, table, _ in _pg_triggers():
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            for function in ("document", "links_changed", "name_changed"):
                cursor.execute(f"DROP FUNCTION IF EXISTS initiatives_search_{function}()")
            for statement in _PG_INDEXES:
                index = statement.split()[5]
                cursor.execute(f"DROP INDEX IF EXISTS {index}")
            cursor.execute(
                f"ALTER TABLE {INITIATIVE} DROP COLUMN IF EXISTS search_vector,"
                " DROP COLUMN IF EXISTS search_text"
            )
            cursor.execute(f"DROP TABLE IF EXISTS {SEARCH_WORDS}")
        elif connection.vendor == "sqlite":
            for name, _ in _sqlite_statements():
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            cursor.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")
    forget_fts_table(connection)


def _schema_state(connection, expected: set[str]) -> tuple[bool, bool]:
    """(installed: the search table or column exists, complete: nothing else is missing)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT 1 FROM information_schema.columns"
                " WHERE table_schema = current_schema() AND table_name = %s"
                " AND column_name = 'search_vector'",
                [INITIATIVE],
            )
            installed = cursor.fetchone() is not None
            cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [SEARCH_WORDS])
            word_list = cursor.fetchone()[0]
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgname LIKE 'initiatives\\_search\\_%%'"
                " AND NOT tgisinternal"
            )
        else:
            cursor.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = %s", [FTS_TABLE]
            )
            installed = cursor.fetchone() is not None
            word_list = True
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger'"
                " AND name LIKE 'initiatives\\_search\\_%%' ESCAPE '\\'"
            )
        triggers = {row[0] for row in cursor.fetchall()}
    return installed, word_list and expected <= triggers


def before_migrate(sender=None, using: str = "default", plan=None, **kwargs) -> None:
    """pre_migrate: on SQLite, drop the search triggers when migrations are about to run."""
    connection = connections[using]
    if plan and connection.vendor == "sqlite":
        drop_search_triggers(connection)


def after_migrate(sender=None, using: str = "default", **kwargs) -> None:
    """post_migrate: put back any missing search trigger (see create_search_table)."""
    ensure_search_schema(using)


def ensure_search_schema(using: str = "default") -> bool:
    """Install missing search triggers and re-index, once the search migration has run.

    Returns whether anything was missing.
    """
    connection = connections[using]
    if connection.vendor == "postgresql":
        expected = {name for name, _, _ in _pg_triggers()}
    elif connection.vendor == "sqlite" and fts5_available():
        expected = {name for name, _ in _sqlite_statements()}
    else:
        return False
    installed, complete = _schema_state(connection, expected)
    if not installed or complete:
        return False
    logger.info("Installing the search triggers and rebuilding the search index.")
    install_search_schema(connection)
    return True
