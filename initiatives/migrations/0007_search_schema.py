"""The search schema as data: PostgreSQL's tsvector column, word list, functions,
triggers and indexes, and SQLite's FTS5 table. Neither engine's search data is a
model field, so the SQL is written out here.

PostgreSQL: a tsvector column (GIN) holds each initiative's document, weighted
A (name) to D (organisation, topics, conditions); a row trigger recomputes it,
and triggers on organisations, topics, conditions and the link tables clear it
so that the row trigger recomputes it. Every word the records have held goes
into a word list (GiST trigram index) that misspellings are corrected from.
The triggers name no columns and have no WHEN clauses: PostgreSQL refuses to
alter the type of a column that a trigger definition names, which would block
later migrations; the functions test what changed instead.

SQLite: the FTS5 table only (skipped when this SQLite has no FTS5). Its triggers
cannot live in a migration: Django rebuilds a SQLite table to alter it, which
drops that table's triggers and fails while a trigger on another table names it.
initiatives.search.schema drops them before every migrate and installs them
again, with a re-index, after it.

Migration 0003 used to install the same from code. On a database that ran it,
every statement here is idempotent: the schema is re-created in place and the
documents are recomputed. Reversing removes it all (pg_trgm stays: other things
may use it).
"""

from django.db import migrations

from initiatives.search.sqlite import fts5_available

POSTGRESQL_DOCUMENT_FUNCTION = """
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
    SELECT o.name INTO organisation_name
        FROM initiatives_organisation o WHERE o.id = NEW.organisation_id;
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
    INSERT INTO initiatives_search_word (word)
        SELECT DISTINCT known.word
        FROM regexp_split_to_table(lower(known_text), '[^[:alnum:]]+') AS known(word)
        WHERE length(known.word) >= 3
        ON CONFLICT DO NOTHING;
    RETURN NEW;
END
$body$;
"""

# Setting search_vector to NULL makes the row trigger above recompute the document.
POSTGRESQL_LINKS_FUNCTION = """
CREATE OR REPLACE FUNCTION initiatives_search_links_changed() RETURNS trigger
LANGUAGE plpgsql AS $body$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        UPDATE initiatives_initiative SET search_vector = NULL
        WHERE id IN (SELECT initiative_id FROM new_links);
    END IF;
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        UPDATE initiatives_initiative SET search_vector = NULL
        WHERE id IN (SELECT initiative_id FROM old_links);
    END IF;
    RETURN NULL;
END
$body$;
"""

POSTGRESQL_NAME_FUNCTION = """
CREATE OR REPLACE FUNCTION initiatives_search_name_changed() RETURNS trigger
LANGUAGE plpgsql AS $body$
BEGIN
    IF NEW.name IS NOT DISTINCT FROM OLD.name THEN
        RETURN NULL;
    END IF;
    IF TG_ARGV[0] = 'organisation' THEN
        UPDATE initiatives_initiative SET search_vector = NULL WHERE organisation_id = NEW.id;
    ELSIF TG_ARGV[0] = 'topic' THEN
        UPDATE initiatives_initiative SET search_vector = NULL WHERE id IN
            (SELECT initiative_id FROM initiatives_initiative_topics WHERE topic_id = NEW.id);
    ELSE
        UPDATE initiatives_initiative SET search_vector = NULL WHERE id IN
            (SELECT initiative_id FROM initiatives_initiative_conditions
             WHERE condition_id = NEW.id);
    END IF;
    RETURN NULL;
END
$body$;
"""

# (trigger, table, what it runs on)
POSTGRESQL_TRIGGERS = [
    (
        "initiatives_search_document",
        "initiatives_initiative",
        "BEFORE INSERT OR UPDATE ON initiatives_initiative FOR EACH ROW"
        " EXECUTE FUNCTION initiatives_search_document()",
    ),
    (
        "initiatives_search_organisation_rename",
        "initiatives_organisation",
        "AFTER UPDATE ON initiatives_organisation FOR EACH ROW"
        " EXECUTE FUNCTION initiatives_search_name_changed('organisation')",
    ),
    (
        "initiatives_search_topics_insert",
        "initiatives_initiative_topics",
        "AFTER INSERT ON initiatives_initiative_topics REFERENCING NEW TABLE AS new_links"
        " FOR EACH STATEMENT EXECUTE FUNCTION initiatives_search_links_changed()",
    ),
    (
        "initiatives_search_topics_delete",
        "initiatives_initiative_topics",
        "AFTER DELETE ON initiatives_initiative_topics REFERENCING OLD TABLE AS old_links"
        " FOR EACH STATEMENT EXECUTE FUNCTION initiatives_search_links_changed()",
    ),
    (
        "initiatives_search_topics_update",
        "initiatives_initiative_topics",
        "AFTER UPDATE ON initiatives_initiative_topics REFERENCING OLD TABLE AS old_links NEW TABLE AS new_links"
        " FOR EACH STATEMENT EXECUTE FUNCTION initiatives_search_links_changed()",
    ),
    (
        "initiatives_search_topic_rename",
        "initiatives_topic",
        "AFTER UPDATE ON initiatives_topic FOR EACH ROW"
        " EXECUTE FUNCTION initiatives_search_name_changed('topic')",
    ),
    (
        "initiatives_search_conditions_insert",
        "initiatives_initiative_conditions",
        "AFTER INSERT ON initiatives_initiative_conditions REFERENCING NEW TABLE AS new_links"
        " FOR EACH STATEMENT EXECUTE FUNCTION initiatives_search_links_changed()",
    ),
    (
        "initiatives_search_conditions_delete",
        "initiatives_initiative_conditions",
        "AFTER DELETE ON initiatives_initiative_conditions REFERENCING OLD TABLE AS old_links"
        " FOR EACH STATEMENT EXECUTE FUNCTION initiatives_search_links_changed()",
    ),
    (
        "initiatives_search_conditions_update",
        "initiatives_initiative_conditions",
        "AFTER UPDATE ON initiatives_initiative_conditions REFERENCING OLD TABLE AS old_links NEW TABLE AS new_links"
        " FOR EACH STATEMENT EXECUTE FUNCTION initiatives_search_links_changed()",
    ),
    (
        "initiatives_search_condition_rename",
        "initiatives_condition",
        "AFTER UPDATE ON initiatives_condition FOR EACH ROW"
        " EXECUTE FUNCTION initiatives_search_name_changed('condition')",
    ),
]

POSTGRESQL_INDEXES = {
    "initiatives_search_vector_idx": "ON initiatives_initiative USING gin (search_vector)",
    "initiatives_search_word_gist_idx": "ON initiatives_search_word USING gist (word gist_trgm_ops)",
    # Lets the exact-name condition (UPPER(name) = UPPER(q)) join the GIN scan in a BitmapOr.
    "initiatives_name_upper_idx": "ON initiatives_initiative (upper(name::text))",
}

POSTGRESQL_INSTALL = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "ALTER TABLE initiatives_initiative ADD COLUMN IF NOT EXISTS search_vector tsvector",
    # The first version matched misspellings against a text column instead.
    "ALTER TABLE initiatives_initiative DROP COLUMN IF EXISTS search_text",
    "CREATE TABLE IF NOT EXISTS initiatives_search_word (word text PRIMARY KEY)",
    POSTGRESQL_DOCUMENT_FUNCTION,
    POSTGRESQL_LINKS_FUNCTION,
    POSTGRESQL_NAME_FUNCTION,
    *(
        statement
        for name, table, trigger in POSTGRESQL_TRIGGERS
        for statement in (
            f"DROP TRIGGER IF EXISTS {name} ON {table}",
            f"CREATE TRIGGER {name} {trigger}",
        )
    ),
    *(f"CREATE INDEX IF NOT EXISTS {name} {index}" for name, index in POSTGRESQL_INDEXES.items()),
    # Every document recomputed: the row trigger fills a cleared vector and the word list.
    "TRUNCATE initiatives_search_word",
    "UPDATE initiatives_initiative SET search_vector = NULL",
]

POSTGRESQL_REMOVE = [
    *(f"DROP TRIGGER IF EXISTS {name} ON {table}" for name, table, _ in POSTGRESQL_TRIGGERS),
    "DROP FUNCTION IF EXISTS initiatives_search_document()",
    "DROP FUNCTION IF EXISTS initiatives_search_links_changed()",
    "DROP FUNCTION IF EXISTS initiatives_search_name_changed()",
    *(f"DROP INDEX IF EXISTS {name}" for name in POSTGRESQL_INDEXES),
    "ALTER TABLE initiatives_initiative DROP COLUMN IF EXISTS search_vector,"
    " DROP COLUMN IF EXISTS search_text",
    "DROP TABLE IF EXISTS initiatives_search_word",
]

SQLITE_TABLE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS initiatives_search USING fts5("
    "name, summary, description, organisation, topics, conditions,"
    " tokenize = 'porter unicode61 remove_diacritics 0')"
)


def install(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        statements = POSTGRESQL_INSTALL
    elif connection.vendor == "sqlite" and fts5_available():
        statements = [SQLITE_TABLE]
    else:
        return
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def remove(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for statement in POSTGRESQL_REMOVE:
                cursor.execute(statement)
        elif connection.vendor == "sqlite":
            # The triggers write to the table: they go first, whoever installed them.
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger'"
                " AND name LIKE 'initiatives\\_search\\_%' ESCAPE '\\'"
            )
            for (name,) in cursor.fetchall():
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            cursor.execute("DROP TABLE IF EXISTS initiatives_search")


class Migration(migrations.Migration):
    dependencies = [
        ("initiatives", "0006_listing_indexes"),
    ]

    operations = [
        migrations.RunPython(install, remove, elidable=False),
    ]
