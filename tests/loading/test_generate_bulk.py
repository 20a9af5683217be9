"""Generation's fast path (PostgreSQL: staged batches written set-based, and from
`--bulk-from` records on, indexes and foreign keys built once at the end) gives the
same records, search documents, word list and area closure as the normal write
path, and leaves the schema as it found it, even when it fails."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from initiatives.loading import generation, generation_bulk
from initiatives.models import Initiative, InitiativeAreaClosure
from initiatives.search import rebuild_search_index
from initiatives.services.closure import closure_sync

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the bulk load's schema changes are PostgreSQL's"
)


def generate(*args: str) -> str:
    out = StringIO()
    call_command("generate_initiatives", *args, stdout=out)
    return out.getvalue()


def generated_ids() -> list[int]:
    return list(
        Initiative.objects.filter(slug__startswith="gen-")
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def search_documents() -> dict[int, str]:
    """Each initiative's search document as the database holds it."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT id, search_vector::text FROM initiatives_initiative")
        else:
            cursor.execute(
                "SELECT rowid, name || '|' || summary || '|' || description || '|'"
                " || organisation || '|' || topics || '|' || conditions FROM initiatives_search"
            )
        return dict(cursor.fetchall())


def search_words() -> set[str]:
    if connection.vendor != "postgresql":
        return set()
    with connection.cursor() as cursor:
        cursor.execute("SELECT word FROM initiatives_search_word")
        return {row[0] for row in cursor.fetchall()}


def closure() -> set[tuple[int, int]]:
    return set(InitiativeAreaClosure.objects.values_list("initiative_id", "area_id"))


def schema() -> dict:
    """The written tables' indexes, constraints and triggers (with whether each is on)."""
    tables = generation_bulk.written_tables()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename, indexname, indexdef FROM pg_indexes"
            " WHERE tablename = ANY(%s) ORDER BY 1, 2",
            [tables],
        )
        indexes = cursor.fetchall()
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, contype, pg_get_constraintdef(oid),"
            " condeferrable, condeferred, convalidated FROM pg_constraint"
            " WHERE conrelid::regclass::text = ANY(%s) ORDER BY 1, 2",
            [tables],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT tgrelid::regclass::text, tgname, tgenabled FROM pg_trigger"
            " WHERE NOT tgisinternal ORDER BY 1, 2"
        )
        triggers = cursor.fetchall()
    return {"indexes": indexes, "constraints": constraints, "triggers": triggers}


@pytest.mark.parametrize("bulk_from", ["1", "1000"], ids=["indexes-rebuilt", "indexes-kept"])
def test_the_fast_path_writes_what_the_normal_write_path_does(bulk_from):
    output = generate("--count", "120", "--seed", "3", "--bulk-from", bulk_from)
    assert "Generated 120 initiatives (seed 3)" in output
    ids = generated_ids()
    assert len(ids) == 120
    documents, words, rows = search_documents(), search_words(), closure()
    assert set(documents) >= set(ids)
    assert rows

    # The normal write path: every document computed again by the database's own
    # triggers (the word list from scratch), the closure by a fresh walk of the tree.
    rebuild_search_index(connection)
    InitiativeAreaClosure.objects.all().delete()
    closure_sync()

    assert search_documents() == documents
    assert search_words() == words
    assert closure() == rows


def test_generated_records_are_found_by_their_words_and_places():
    generate("--count", "40", "--seed", "4", "--bulk-from", "1")
    initiative = Initiative.objects.filter(slug__startswith="gen-").published().first()
    assert initiative in Initiative.objects.published().search(initiative.name)
    topic = initiative.topics.first()
    if topic is not None:
        assert initiative in Initiative.objects.published().search(topic.name)
    area = initiative.areas.first()
    if area is not None:
        assert initiative in Initiative.objects.published().in_area(area)


@postgres_only
def test_a_bulk_load_puts_back_every_index_constraint_and_trigger():
    before = schema()
    generate("--count", "60", "--seed", "5", "--bulk-from", "1")
    assert schema() == before

    # The triggers work again: a curator's rename is searchable at once.
    initiative = Initiative.objects.filter(slug__startswith="gen-").published().first()
    initiative.name = "Zanzibar walking football"
    initiative.save()
    assert list(Initiative.objects.published().search("zanzibar")) == [initiative]


@postgres_only
def test_a_bulk_load_that_fails_leaves_the_schema_and_data_as_they_were(monkeypatch):
    before = schema()
    monkeypatch.setattr(generation, "STAGED_BATCH_SIZE", 20)
    written = []

    def fail_on_the_second_batch(connection, copy, rows, counts):
        if written:
            raise RuntimeError("the database went away")
        written.append(len(rows))
        return real_write(connection, copy, rows, counts)

    real_write = generation.write_staged
    monkeypatch.setattr(generation, "write_staged", fail_on_the_second_batch)

    with pytest.raises(RuntimeError, match="went away"):
        generate("--count", "60", "--seed", "6", "--bulk-from", "1")

    assert written == [20]
    assert generated_ids() == []
    assert schema() == before
    # The schema really is whole: a duplicate slug is still refused.
    monkeypatch.undo()
    generate("--count", "30", "--seed", "6", "--bulk-from", "1")
    assert len(generated_ids()) == 30
    assert schema() == before


@postgres_only
def test_below_the_threshold_indexes_stay_in_place(monkeypatch):
    dropped = []
    real_drop = generation_bulk._drop

    def recording_drop(cursor, snapshot):
        dropped.extend(name for rows in snapshot.values() for _, name, _ in rows)
        return real_drop(cursor, snapshot)

    monkeypatch.setattr(generation_bulk, "_drop", recording_drop)
    generate("--count", "30", "--seed", "7", "--bulk-from", "31")
    assert dropped == []
    generate("--count", "30", "--seed", "8", "--bulk-from", "30")
    assert "initiatives_search_vector_idx" in dropped


@postgres_only
def test_the_planner_knows_the_generated_tables_sizes():
    # With autovacuum off or behind, an unanalysed table is planned from guesses: a
    # search at 100,000 records read every published row instead of the text index.
    generate("--count", "40", "--seed", "9")
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'initiatives_initiative'")
        estimated = cursor.fetchone()[0]
    assert estimated == Initiative.objects.count()
