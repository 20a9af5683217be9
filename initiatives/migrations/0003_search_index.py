"""Full-text search: once installed the search schema from code; now empty.

Migration 0007_search_schema holds that schema as data (PostgreSQL's column,
word list, functions, triggers and indexes; SQLite's FTS5 table) and re-creates
it in place on a database that ran the old version of this migration. SQLite's
triggers are installed after every migrate by initiatives.search.schema.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("initiatives", "0002_curator_group"),
    ]

    operations = []
