"""PostgreSQL: the search's indexes cover the published register, which every search
reads (the listing, the API, the exports).

- A GIN index on each published initiative's name as the search weighs it ('A' in
  ``search_vector``), so a one-word search reads the records holding the word in
  their name (which rank first) without ranking every match
  (search.postgres.name_tier).
- The search document's GIN index made partial in the same way.

Partial, because the planner otherwise ANDs the search's bitmap with one of the
indexes on `status` (most of the register is published): at a million records that
bitmap of 850,000 rows took 60-125 ms to build and went lossy, and every row of its
pages was checked again. Measured at a million: "does anything match walking" 121 ms
with a whole index, 15 ms with a partial one; the name matches of "community",
ranked, 0.56 s against 0.23 s. SQLite's search (FTS5) needs nothing more.
"""

from django.db import migrations

NAME_INDEX = "initiatives_name_document_idx"
SEARCH_INDEX = "initiatives_search_vector_idx"
PUBLISHED = "WHERE status = 'published'"


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {NAME_INDEX} ON initiatives_initiative"
            f" USING gin (to_tsvector('english'::regconfig, (name)::text)) {PUBLISHED}"
        )
        schema_editor.execute(f"DROP INDEX IF EXISTS {SEARCH_INDEX}")
        schema_editor.execute(
            f"CREATE INDEX {SEARCH_INDEX} ON initiatives_initiative"
            f" USING gin (search_vector) {PUBLISHED}"
        )


def remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {NAME_INDEX}")
        schema_editor.execute(f"DROP INDEX IF EXISTS {SEARCH_INDEX}")
        schema_editor.execute(
            f"CREATE INDEX {SEARCH_INDEX} ON initiatives_initiative USING gin (search_vector)"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("initiatives", "0020_facet_tally"),
    ]

    operations = [
        migrations.RunPython(install, remove, elidable=False),
    ]
