"""Full-text search: the document each initiative is searched by, kept in step by triggers.

PostgreSQL: a tsvector column (GIN) and a text column for trigram matching
(pg_trgm, GIN), filled by a row trigger on initiatives and refreshed by
triggers on organisations, topics, conditions and the link tables.
SQLite: an FTS5 table (skipped when FTS5 is missing); its triggers are added
after each migrate run, see initiatives.search.schema.
Neither is a model field. The SQL lives in initiatives/search/schema.py.
"""

from django.db import migrations


def install(apps, schema_editor):
    from initiatives.search.schema import create_search_table

    create_search_table(schema_editor.connection)


def remove(apps, schema_editor):
    from initiatives.search.schema import remove_search_schema

    remove_search_schema(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("initiatives", "0002_curator_group"),
    ]

    operations = [
        migrations.RunPython(install, remove, elidable=False),
    ]
