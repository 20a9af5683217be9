"""PostgreSQL: a GIN index on each initiative's name as the search weighs it ('A' in
``search_vector``), so a one-word search reads the records holding the word in their
name (which rank first) without ranking every match (search.postgres.name_tier).
SQLite's search (FTS5) needs nothing more."""

from django.db import migrations

INDEX = "initiatives_name_document_idx"


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON initiatives_initiative"
            " USING gin (to_tsvector('english'::regconfig, (name)::text))"
        )


def remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("initiatives", "0020_facet_tally"),
    ]

    operations = [
        migrations.RunPython(install, remove, elidable=False),
    ]
