"""PostgreSQL's fast path for generated records: staged batches written set-based.

Each batch is copied (COPY) into temporary staging tables, then written from them
by a few set-based statements instead of row by row:

- the initiatives go in with their search documents computed in the same
  INSERT ... SELECT (`DOCUMENT`), with the per-row search trigger disabled for the
  load, and the words of the batch go into the misspelling word list at once. The
  document is the one the trigger of migration 0007_search_schema computes
  (`tests/loading/test_generate_bulk.py` compares them);
- the topic and condition links follow from the staging tables, with the link
  tables' search triggers disabled (they would only clear what was just computed);
- the area closure is one INSERT ... SELECT DISTINCT of the batch's service areas
  and located districts joined with every area's ancestors (a temporary table
  built once from the area tree).

`bulk_load(..., rebuild=True)`, for large loads, also drops the secondary indexes,
unique constraints and foreign keys of the tables written and builds them again
at the end: one sort per index and one check per foreign key instead of an index
entry and a queued check per row. Everything happens inside one savepoint, so a
load that fails rolls back to the schema it found, triggers enabled. The tables
written are locked for the whole load, and analysed at the end.
"""

# ruff: noqa: S608 - SQL is assembled from model table names and this module's constants.
from __future__ import annotations

from contextlib import contextmanager

from django.db import transaction

from initiatives.models import (
    FundingLine,
    Initiative,
    InitiativeAreaClosure,
    Organisation,
)

INITIATIVE = Initiative._meta.db_table
STAGE_INITIATIVE = "generation_stage_initiative"
STAGE_ANCESTORS = "generation_stage_ancestors"
# (m2m field, staging table); populations need no staging: nothing reads them back.
STAGED_LINKS = {
    "areas": "generation_stage_areas",
    "topics": "generation_stage_topics",
    "conditions": "generation_stage_conditions",
}

# The per-row and per-link search triggers (migration 0007) the staged writes stand in for.
SEARCH_TRIGGERS = [
    ("initiatives_search_document", INITIATIVE),
    ("initiatives_search_topics_insert", "initiatives_initiative_topics"),
    ("initiatives_search_conditions_insert", "initiatives_initiative_conditions"),
]


def written_tables() -> list[str]:
    """The tables a generation writes (apart from the search word list)."""
    links = [
        Initiative._meta.get_field(name).remote_field.through._meta.db_table
        for name in ("areas", "topics", "conditions", "population_groups")
    ]
    return [
        Organisation._meta.db_table,
        FundingLine._meta.db_table,
        INITIATIVE,
        *links,
        InitiativeAreaClosure._meta.db_table,
    ]


def _link_columns(name: str) -> tuple[str, list[str]]:
    field = Initiative._meta.get_field(name)
    return field.remote_field.through._meta.db_table, [
        field.m2m_column_name(),
        field.m2m_reverse_name(),
    ]


def schema_snapshot(cursor, tables: list[str]) -> dict[str, list[tuple[str, str, str]]]:
    """Per table, its secondary indexes, unique constraints and foreign keys as
    (kind, name, definition), in the order they can be dropped; unique constraints
    that a foreign key relies on are left out (they cannot be dropped)."""
    snapshot = {}
    for table in tables:
        cursor.execute(
            "SELECT 'foreign key', conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY conname",
            [table],
        )
        rows = cursor.fetchall()
        cursor.execute(
            "SELECT 'unique', c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c"
            " WHERE c.conrelid = %s::regclass AND c.contype = 'u' AND NOT EXISTS"
            " (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = c.conindid)"
            " ORDER BY c.conname",
            [table],
        )
        rows += cursor.fetchall()
        cursor.execute(
            "SELECT 'index', i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)"
            " FROM pg_index i WHERE i.indrelid = %s::regclass AND NOT i.indisprimary"
            " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid"
            " AND c.conrelid = i.indrelid) ORDER BY 2",
            [table],
        )
        rows += cursor.fetchall()
        snapshot[table] = [tuple(row) for row in rows]
    return snapshot


def _drop(cursor, snapshot) -> None:
    for table, rows in snapshot.items():
        for kind, name, _ in rows:
            if kind == "index":
                cursor.execute(f"DROP INDEX {name}")  # regclass text: quoted as needed
            else:
                cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')


def _rebuild(cursor, snapshot) -> None:
    """Indexes first, then unique constraints, then foreign keys (checked in one pass each)."""
    for wanted in ("index", "unique", "foreign key"):
        for table, rows in snapshot.items():
            for kind, name, definition in rows:
                if kind != wanted:
                    continue
                if kind == "index":
                    cursor.execute(definition)
                else:
                    cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')


def _stage(cursor, ancestors: dict[int, frozenset[int]]) -> None:
    cursor.execute(f"DROP TABLE IF EXISTS {STAGE_INITIATIVE}")
    cursor.execute(
        f"CREATE TEMPORARY TABLE {STAGE_INITIATIVE} (LIKE {INITIATIVE} INCLUDING DEFAULTS)"
    )
    for name, stage in STAGED_LINKS.items():
        _, columns = _link_columns(name)
        cursor.execute(f"DROP TABLE IF EXISTS {stage}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {stage} ({columns[0]} bigint NOT NULL,"
            f" {columns[1]} bigint NOT NULL)"
        )
    cursor.execute(f"DROP TABLE IF EXISTS {STAGE_ANCESTORS}")
    cursor.execute(
        f"CREATE TEMPORARY TABLE {STAGE_ANCESTORS}"
        " (area_id bigint NOT NULL, above_id bigint NOT NULL, PRIMARY KEY (area_id, above_id))"
    )
    with cursor.cursor.copy(f"COPY {STAGE_ANCESTORS} (area_id, above_id) FROM STDIN") as copy:
        for area, aboves in ancestors.items():
            for above in aboves:
                copy.write_row((area, above))
    cursor.execute(f"ANALYZE {STAGE_ANCESTORS}")


def _unstage(cursor) -> None:
    for stage in (STAGE_INITIATIVE, STAGE_ANCESTORS, *STAGED_LINKS.values()):
        cursor.execute(f"DROP TABLE IF EXISTS {stage}")


@contextmanager
def bulk_load(connection, ancestors: dict[int, frozenset[int]], *, rebuild: bool):
    """Staging tables and the search triggers off for the load; with `rebuild`, the
    written tables' secondary indexes, unique constraints and foreign keys dropped
    and built again at the end. One savepoint: a failure leaves the schema as it was."""
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        snapshot = schema_snapshot(cursor, written_tables()) if rebuild else {}
        # A table with foreign key checks still queued cannot be altered: run them now,
        # and check the load's rows as they go in (its writes come in key order).
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for trigger, table in SEARCH_TRIGGERS:
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}")
        _drop(cursor, snapshot)
        _stage(cursor, ancestors)
        yield
        _unstage(cursor)
        if rebuild:
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        _rebuild(cursor, snapshot)
        for trigger, table in SEARCH_TRIGGERS:
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {trigger}")
        # Back to Django's default: the project's foreign keys are checked at commit.
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        # Statistics for the planner: without them (autovacuum off, or not yet run) it
        # guesses, and at 100,000 records reads every published row for a search.
        for table in written_tables():
            cursor.execute(f'ANALYZE "{table}"')


# The trigger's document (migration 0007), for the staged rows `s` with their
# organisation's name and their topics' and conditions' names in name order.
DOCUMENT = (
    "setweight(to_tsvector('english', coalesce(d.name, '')), 'A')"
    " || setweight(to_tsvector('english', coalesce(d.summary, '')), 'B')"
    " || setweight(to_tsvector('english', coalesce(d.description, '')), 'C')"
    " || setweight(to_tsvector('english',"
    " concat_ws(' ', d.organisation_name, d.topic_names, d.condition_names)), 'D')"
)
# The trigger splits concat_ws(' ', name, summary, organisation, topics, conditions)
# into words; a space splits words, so the same words come from each distinct text
# alone, and a batch repeats many (split once each).
KNOWN_TEXTS = " UNION ".join(
    f"SELECT d.{column} AS text FROM d"
    for column in ("name", "summary", "organisation_name", "topic_names", "condition_names")
)


def _names(name: str, table: str) -> str:
    stage = STAGED_LINKS[name]
    _, (initiative_column, other_column) = _link_columns(name)
    return (
        f"(SELECT l.{initiative_column} AS initiative_id,"
        f" string_agg(t.name, ' ' ORDER BY t.name) AS names"
        f" FROM {stage} l JOIN {table} t ON t.id = l.{other_column}"
        f" GROUP BY l.{initiative_column})"
    )


def write_staged(connection, copy, rows, counts) -> None:
    """Write one batch through the staging tables (after its organisations and
    funding lines, which go straight in). `copy(table, columns, rows)` is COPY."""
    initiatives = [row.initiative for row in rows]
    fields = Initiative._meta.concrete_fields
    columns = [f.column for f in fields]
    values = [f.attname for f in fields]
    copy(
        STAGE_INITIATIVE,
        columns,
        ([getattr(i, name) for name in values] for i in initiatives),
    )
    for name, stage in STAGED_LINKS.items():
        _, link_columns = _link_columns(name)
        pairs = [(row.initiative.pk, pk) for row in rows for pk in getattr(row.links, name)]
        counts[f"initiative {name} links"] += len(pairs)
        copy(stage, link_columns, pairs)

    quote = connection.ops.quote_name
    listed = ", ".join(quote(c) for c in columns)
    chosen = ", ".join(f"d.{quote(c)}" for c in columns)
    organisation = Organisation._meta.db_table
    topic = Initiative._meta.get_field("topics").related_model._meta.db_table
    condition = Initiative._meta.get_field("conditions").related_model._meta.db_table
    closure = InitiativeAreaClosure._meta.db_table
    district = Initiative._meta.get_field("location_district").column
    _, (area_initiative, area_column) = _link_columns("areas")
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH d AS MATERIALIZED (SELECT s.*, o.name AS organisation_name,"
            f" t.names AS topic_names, c.names AS condition_names"
            f" FROM {STAGE_INITIATIVE} s"
            f" LEFT JOIN {organisation} o ON o.id = s.organisation_id"
            f" LEFT JOIN {_names('topics', topic)} t ON t.initiative_id = s.id"
            f" LEFT JOIN {_names('conditions', condition)} c ON c.initiative_id = s.id),"
            f" written AS (INSERT INTO {INITIATIVE} ({listed}, search_vector)"
            f" SELECT {chosen}, {DOCUMENT} FROM d)"
            " INSERT INTO initiatives_search_word (word)"
            f" SELECT DISTINCT known.word FROM ({KNOWN_TEXTS}) AS texts,"
            " regexp_split_to_table(lower(texts.text), '[^[:alnum:]]+') AS known(word)"
            " WHERE length(known.word) >= 3 ON CONFLICT DO NOTHING"
        )
        for name, stage in STAGED_LINKS.items():
            table, link_columns = _link_columns(name)
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(link_columns)})"
                f" SELECT {', '.join(link_columns)} FROM {stage}"
            )
        cursor.execute(
            f"INSERT INTO {closure} (initiative_id, area_id)"
            f" SELECT DISTINCT s.initiative_id, a.above_id FROM"
            f" (SELECT {area_initiative} AS initiative_id, {area_column} AS area_id"
            f" FROM {STAGED_LINKS['areas']} UNION ALL"
            f" SELECT id, {district} FROM {STAGE_INITIATIVE} WHERE {district} IS NOT NULL) s"
            f" JOIN {STAGE_ANCESTORS} a ON a.area_id = s.area_id"
        )
        counts["area closure rows"] += cursor.rowcount
        cursor.execute(f"TRUNCATE {STAGE_INITIATIVE}, {', '.join(STAGED_LINKS.values())}")
    # Straight in, after the initiatives they point at.
    populations, population_columns = _link_columns("population_groups")
    pairs = [(row.initiative.pk, pk) for row in rows for pk in row.links.populations]
    counts["initiative populations links"] += len(pairs)
    copy(populations, population_columns, pairs)
    counts["initiatives"] += len(initiatives)
