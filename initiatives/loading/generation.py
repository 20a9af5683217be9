"""Realistic synthetic records for benchmarks (`manage.py generate_initiatives`).

Records are built in Python (generation_records, from the words and vocabulary in
generation_vocabulary) with a seeded random generator, so a seed always gives the
same names and UUIDs, then written here in batches while the next batch is built.
On SQLite: bulk_create in batches of 2,000 (no `save()` per row), the search
triggers running as for any insert. On PostgreSQL: batches of 10,000 copied into
staging tables and written set-based, search documents and area closure included
(`generation_bulk`); from `BULK_FROM` records on, the written tables' secondary
indexes and foreign keys are dropped for the load and built again at the end.
Every generated slug starts with "gen-" so that `delete_generated()` can remove
them all again.
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from operator import attrgetter

from django.db import connections, router, transaction
from django.db.models import Max, ProtectedError
from django.test.utils import override_settings
from django.utils import timezone

from initiatives.caching import bump_version
from initiatives.models import (
    Area,
    Condition,
    FundingLine,
    Initiative,
    InitiativeAreaClosure,
    InitiativeFacetKeys,
    Organisation,
    PopulationGroup,
    Topic,
    VanguardSite,
)
from initiatives.services.closure import ancestors_by_area, closure_rows
from initiatives.services.tally import (
    add_counts,
    is_built,
    is_counted,
    own_keys,
    pairs,
    tally_deferred,
    tally_sync,
)

from .generation_bulk import bulk_load, write_staged
from .generation_records import GeneratedInitiative, Generator
from .generation_vocabulary import PREFIX, load_vocabulary

BATCH_SIZE = 2000
# PostgreSQL's batches: staged and written set-based, so larger batches mean fewer statements.
STAGED_BATCH_SIZE = 10_000
# From this many records on (PostgreSQL), indexes and foreign keys are built once at the end.
BULK_FROM = 50_000


class GenerationError(Exception):
    """Generation cannot go ahead; the message says what to do."""


# Writing ---------------------------------------------------------------------


# Link tables: (label, m2m field name).
LINKS = [
    ("areas", "areas"),
    ("topics", "topics"),
    ("conditions", "conditions"),
    ("populations", "population_groups"),
]


def _connection():
    connection = connections[router.db_for_write(Initiative)]
    if connection.vendor not in ("postgresql", "sqlite"):
        raise GenerationError("generate_initiatives writes to PostgreSQL or SQLite only.")
    return connection


def _reserve_ids(connection, model, count: int) -> list[int]:
    """Ids for rows not inserted yet, so that rows pointing at them can go in first."""
    table, column = model._meta.db_table, model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, column, count],
            )
            return [row[0] for row in cursor.fetchall()]
        # SQLite, AUTOINCREMENT: never reuse an id, even one whose row was deleted.
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        row = cursor.fetchone()
        top = max(row[0] if row else 0, model.objects.aggregate(top=Max("pk"))["top"] or 0)
        return list(range(top + 1, top + 1 + count))


def _copy(connection, table: str, columns: list[str], rows) -> None:
    """PostgreSQL COPY: the fastest way in, with values adapted by psycopg, not Django."""
    quote = connection.ops.quote_name
    sql = f"COPY {quote(table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


def _insert(connection, model, objects: list, *, with_pk: bool = True) -> None:
    """Insert instances: COPY on PostgreSQL, bulk_create elsewhere (no save() per row).

    The instances hold final column values (normalised postcodes, timestamps set),
    so COPY can skip Django's per-field preparation.
    """
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objects, batch_size=BATCH_SIZE)
        return
    fields = [f for f in model._meta.concrete_fields if with_pk or not f.primary_key]
    values = attrgetter(*(f.attname for f in fields))
    _copy(connection, model._meta.db_table, [f.column for f in fields], map(values, objects))


def _insert_links(connection, rows: list[GeneratedInitiative], counts: Counter) -> None:
    """The initiatives' links, without a model instance per row."""
    quote = connection.ops.quote_name
    for label, field_name in LINKS:
        field = Initiative._meta.get_field(field_name)
        table = field.remote_field.through._meta.db_table
        columns = [field.m2m_column_name(), field.m2m_reverse_name()]
        pairs = [(row.initiative.pk, pk) for row in rows for pk in getattr(row.links, label)]
        counts[f"initiative {label} links"] += len(pairs)
        if connection.vendor == "postgresql":
            _copy(connection, table, columns, pairs)
            continue
        # Table and column names come from the models, quoted; values are parameters.
        insert = f"INSERT INTO {quote(table)} ({', '.join(map(quote, columns))}) VALUES "  # noqa: S608
        with connection.cursor() as cursor:
            for start in range(0, len(pairs), BATCH_SIZE):
                chunk = pairs[start : start + BATCH_SIZE]
                values = ", ".join(["(%s, %s)"] * len(chunk))
                cursor.execute(insert + values, [value for pair in chunk for value in pair])


def _closure_sources(row: GeneratedInitiative) -> list[int]:
    """The areas a generated record is "here" for before walking up: its service areas
    and the district it is located in, if any."""
    district = row.initiative.location_district_id
    return [*row.links.areas, *([district] if district else [])]


def _insert_closure(connection, rows: list[GeneratedInitiative], ancestors, counts) -> None:
    """The batch's area closure rows (each initiative with every area at or above its
    service areas and located district), written with the batch as the links are."""
    pairs = [
        (row.initiative.pk, area)
        for row in rows
        for area in sorted(closure_rows(_closure_sources(row), ancestors))
    ]
    counts["area closure rows"] += len(pairs)
    if connection.vendor == "postgresql":
        _copy(connection, InitiativeAreaClosure._meta.db_table, ["initiative_id", "area_id"], pairs)
        return
    InitiativeAreaClosure.objects.bulk_create(
        [InitiativeAreaClosure(initiative_id=i, area_id=a) for i, a in pairs],
        batch_size=BATCH_SIZE,
    )


def _count_keys(rows: list[GeneratedInitiative], ancestors, tally: Counter) -> None:
    """Each counted record's facet keys (as the tally keeps them), and their pairs added
    to `tally` (written once, at the end: `add_counts`). Run by the thread that builds
    the batches, while this one waits for the database."""
    for row in rows:
        initiative = row.initiative
        if not is_counted(initiative.status, initiative.lifecycle):
            continue
        keys = own_keys(
            role=initiative.role,
            vanguard=initiative.vanguard_id,
            funding=initiative.funding_dependency,
            legal_form=row.organisation.legal_form,
            links={
                "topic": row.links.topics,
                "population": row.links.populations,
                "condition": row.links.conditions,
            },
            areas=closure_rows(_closure_sources(row), ancestors),
        )
        tally.update(pairs(keys))
        row.keys = " ".join(sorted(keys))


def _write_keys(connection, rows: list[GeneratedInitiative]) -> None:
    """The counted records' keys, kept for the tally (after their ids are given out)."""
    kept = [
        InitiativeFacetKeys(initiative_id=row.initiative.pk, keys=row.keys)
        for row in rows
        if row.keys is not None
    ]
    _insert(connection, InitiativeFacetKeys, kept)


def _write_batch(rows: list[GeneratedInitiative], counts: Counter, ancestors) -> None:
    connection = _connection()
    organisations = [row.organisation for row in rows if row.new_organisation]
    for organisation, pk in zip(
        organisations, _reserve_ids(connection, Organisation, len(organisations)), strict=True
    ):
        organisation.pk = pk
    initiatives = [row.initiative for row in rows]
    for initiative, pk in zip(
        initiatives, _reserve_ids(connection, Initiative, len(initiatives)), strict=True
    ):
        initiative.pk = pk
    lines = []
    for row in rows:
        row.initiative.organisation_id = row.organisation.pk
        for line in row.lines:
            line.organisation_id = row.organisation.pk
            lines.append(line)
    _write_keys(connection, rows)
    _insert(connection, Organisation, organisations)
    _insert(connection, FundingLine, lines, with_pk=False)
    counts["organisations"] += len(organisations)
    counts["funding lines"] += len(lines)
    if connection.vendor == "postgresql":

        def copy(table, columns, values):
            _copy(connection, table, columns, values)

        write_staged(connection, copy, rows, counts)
        return
    # Links before their initiatives: foreign keys are checked at commit (Django creates
    # them deferrable), so the search triggers build each initiative's document once, on
    # its insert, instead of again after every link table.
    _insert_links(connection, rows, counts)
    _insert_closure(connection, rows, ancestors, counts)
    _insert(connection, Initiative, initiatives)
    counts["initiatives"] += len(initiatives)


def generate(*, count: int, seed: int, progress=None, bulk_from: int | None = None) -> Counter:
    """Write `count` initiatives (and ~count/3 organisations) for `seed`; rows per table.

    `bulk_from` (default `BULK_FROM`): on PostgreSQL, from this count on, drop the
    written tables' secondary indexes and foreign keys and build them again at the end.
    """
    connection = _connection()
    bulk_from = BULK_FROM if bulk_from is None else bulk_from
    if Initiative.objects.filter(slug__startswith=f"{PREFIX}{seed}-").exists():
        raise GenerationError(
            f"Records generated with seed {seed} are already in the database. "
            "Pass --replace to remove generated records first, or choose another --seed."
        )
    with transaction.atomic():
        vocabulary = load_vocabulary()
        generator = Generator(seed=seed, vocabulary=vocabulary, today=timezone.localdate())
        counts: Counter = Counter({f"fallback {k}": v for k, v in vocabulary.created.items()})
        ancestors = ancestors_by_area()
        size = STAGED_BATCH_SIZE if connection.vendor == "postgresql" else BATCH_SIZE
        ranges = [(first, min(first + size - 1, count)) for first in range(1, count + 1, size)]
        if connection.vendor == "postgresql":
            loading = bulk_load(connection, ancestors, rebuild=count >= bulk_from)
        else:
            loading = nullcontext()
        # A built facet tally counts each batch's records as they are written, from the
        # values in hand (reading a million records back would take minutes); one that
        # is not built is built once at the end.
        tally = Counter() if is_built() else None

        def build(first: int, last: int) -> list[GeneratedInitiative]:
            rows = generator.batch(first, last)
            if tally is not None:
                _count_keys(rows, ancestors, tally)
            return rows

        # One thread builds the next batch (plain Python, no database) while this one waits
        # for the database to write the current batch. Batches are built in order, so a
        # seed still gives the same records.
        with loading, ThreadPoolExecutor(max_workers=1) as builder:
            upcoming = builder.submit(build, *ranges[0])
            for i, (_, last) in enumerate(ranges):
                rows = upcoming.result()
                if i + 1 < len(ranges):
                    upcoming = builder.submit(build, *ranges[i + 1])
                _write_batch(rows, counts, ancestors)
                if progress:
                    progress(last)
        if tally is not None:
            add_counts(tally)
    if tally is None:
        tally_sync()
    bump_version()
    return counts


# Records deleted at once by --replace: Django's cascade holds each one (and its
# related rows) in memory, so a chunk at a time keeps memory flat at any count.
DELETE_CHUNK = 5000


def _delete_in_chunks(queryset, counts: Counter) -> None:
    """Delete the queryset's rows DELETE_CHUNK at a time, in primary-key order."""
    last = None
    while True:
        page = queryset.order_by("pk") if last is None else queryset.filter(pk__gt=last)
        chunk = list(page.order_by("pk").values_list("pk", flat=True)[:DELETE_CHUNK])
        if not chunk:
            return
        _, by_model = queryset.model.objects.filter(pk__in=chunk).delete()
        counts.update(by_model)
        last = chunk[-1]


def delete_generated() -> Counter:
    """Remove every generated record (slug starting "gen-"); rows deleted per table."""
    counts: Counter = Counter()
    generated = {"slug__startswith": PREFIX}
    try:
        # Synthetic records leave no history behind: recording each deletion would add
        # a history row per record and make --replace many times slower.
        with (
            override_settings(SIMPLE_HISTORY_ENABLED=False),
            transaction.atomic(),
            tally_deferred(),
        ):
            for model in (Initiative, Organisation, VanguardSite):
                _delete_in_chunks(model.objects.filter(**generated), counts)
            # Districts before the ICBs and nation above them (parents are protected).
            for kind in ("local_authority", "icb", "nhs_region", "nation"):
                _, by_model = Area.objects.filter(kind=kind, **generated).delete()
                counts.update(by_model)
            for model in (Topic, Condition, PopulationGroup):
                _, by_model = model.objects.filter(**generated).delete()
                counts.update(by_model)
        bump_version()
    except ProtectedError as exc:
        names = ", ".join(sorted({str(obj) for obj in exc.protected_objects})[:5])
        raise GenerationError(
            f"Generated records are in use by other records ({names}); "
            "change those first, then run --replace again."
        ) from exc
    return Counter({label: n for label, n in counts.items() if n})
