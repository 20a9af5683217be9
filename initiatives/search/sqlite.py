"""The SQLite backend: an FTS5 table kept in step by triggers, ranked by bm25.

Every term is quoted before ``MATCH`` (`fts5_quote`), so no input can break the
query. Ranking uses bm25 with column weights in the order of PostgreSQL's
weights. Misspellings are corrected from the words of the records that hold a
similar word: a cheap SQL prefilter, then pg_trgm's measures in Python through
the ``initiatives_fuzzy_match`` function added to every SQLite connection here.
Whether this SQLite has FTS5 is probed once (`fts5_available`). The FTS5 table
comes from migration 0007_search_schema, its triggers from
`initiatives.search.schema`.
"""

# ruff: noqa: S608, S611 - SQL is assembled from this module's constants; input is always a parameter.
from __future__ import annotations

import functools
import logging
import sqlite3
import unicodedata

from django.db.backends.signals import connection_created
from django.db.models import Q, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce

from .expressions import RowSQL, exact_name
from .fuzzy import fuzzy_matches, word_trigrams
from .query import WORD_RE, ParsedQuery

logger = logging.getLogger(__name__)


FTS_TABLE = "initiatives_search"
# bm25 weights, in the FTS5 column order: name, summary, description, organisation,
# topics, conditions (the same order of importance as PostgreSQL's weights A, B, C, D).
FTS_COLUMNS = ("name", "summary", "description", "organisation", "topics", "conditions")
BM25_WEIGHTS = (10.0, 4.0, 2.0, 1.0, 1.0, 1.0)
# The text the misspelling fallback compares against: everything but the description.
FUZZY_COLUMNS = ("name", "summary", "organisation", "topics", "conditions")
# Bound on the similar records a misspelling may be corrected from.
MAX_CORRECTION_ROWS = 2000


@functools.cache
def fts5_available() -> bool:
    """Whether this SQLite build has FTS5 (probed once, on a throwaway connection)."""
    try:
        probe = sqlite3.connect(":memory:")
        try:
            probe.execute("CREATE VIRTUAL TABLE probe USING fts5(body)")
        finally:
            probe.close()
    except sqlite3.Error:
        return False
    return True


# The databases (by NAME) known to hold the FTS5 table, so that searches skip the look-up.
_fts_tables_seen: set[str] = set()


def fts_table_exists(connection) -> bool:
    """Whether the FTS5 table exists (remembered once found)."""
    key = str(connection.settings_dict["NAME"])
    if key in _fts_tables_seen:
        return True
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = %s", [FTS_TABLE]
        )
        exists = cursor.fetchone() is not None
    if exists:
        _fts_tables_seen.add(key)
    return exists


def forget_fts_table(connection) -> None:
    """Forget that the FTS5 table exists (it has just been dropped)."""
    _fts_tables_seen.discard(str(connection.settings_dict["NAME"]))


def fts5_quote(tokens: list[str]) -> str:
    """One FTS5 string (a phrase when several tokens): double quotes, inner quotes doubled."""
    return '"' + " ".join(tokens).replace('"', '""') + '"'


def fts5_expression(parsed: ParsedQuery) -> str | None:
    """The FTS5 MATCH expression for the positive groups (None when there are none)."""
    parts = []
    for group in parsed.positive:
        options = [fts5_quote(item.tokens()) for item in group.items]
        parts.append(options[0] if len(options) == 1 else "(" + " OR ".join(options) + ")")
    return " AND ".join(parts) or None


FTS_ROWS = f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s"
FUZZY_TEXT = " || ' ' || ".join(f"coalesce({column}, '')" for column in FUZZY_COLUMNS)


def matches(queryset, parsed: ParsedQuery, text: str):
    """Records matching the FTS5 query or named exactly as it, ranked by bm25."""
    expression = fts5_expression(parsed)
    condition = Q()
    if expression:
        condition &= Q(pk__in=RawSQL(FTS_ROWS, [expression]))
    for group in parsed.negative:
        negated = fts5_quote(group.items[0].tokens())
        condition &= ~Q(pk__in=RawSQL(FTS_ROWS, [negated]))
    found = queryset.filter(condition | exact_name(text))
    if not expression:
        return found, Value(0.0)
    weights = ", ".join(str(weight) for weight in BM25_WEIGHTS)
    # Ranked once per query (a materialised CTE), then looked up per row: a correlated
    # MATCH per row would recount the whole index for every row.
    materialized = "MATERIALIZED " if sqlite3.sqlite_version_info >= (3, 35) else ""
    rank = RowSQL(
        f"WITH ranked AS {materialized}(SELECT rowid AS id, -bm25({FTS_TABLE}, {weights})"
        f" AS score FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s)"
        " SELECT score FROM ranked WHERE ranked.id = {row}.id",
        [expression],
    )
    return found, Coalesce(rank, 0.0)


def vocabulary(connection, words: list[str]) -> set[str]:
    """The words of the records holding a word similar to any of `words`."""
    conditions, params = [], []
    for word in words:
        prefilter, prefilter_params = _trigram_prefilter(word, FUZZY_TEXT)
        conditions.append(f"({prefilter} initiatives_fuzzy_match(%s, {FUZZY_TEXT}))")
        params += [*prefilter_params, word]
    register_sqlite_functions(connection)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {FUZZY_TEXT} FROM {FTS_TABLE} WHERE {' OR '.join(conditions)}"
            f" LIMIT {MAX_CORRECTION_ROWS}",
            params,
        )
        texts = [row[0] for row in cursor.fetchall()]
    return {word.lower() for text in texts for word in WORD_RE.findall(text or "")}


def _trigram_prefilter(word: str, document: str) -> tuple[str, list]:
    """A cheap test in SQL that every row the Python similarity accepts passes.

    A match needs at least half of the word's trigrams in one word of the row;
    the trigrams without padding must then appear in the (ASCII-lowered) text.
    """
    grams = set(word_trigrams(word))
    padded = [gram for gram in grams if " " in gram]
    inner = sorted(gram for gram in grams if " " not in gram and gram.isascii())
    unchecked = len(grams) - len(padded) - len(inner)
    needed = -(-len(grams) // 2) - len(padded) - unchecked
    if needed <= 0 or not inner:
        return "", []
    checks = " + ".join(f"(instr(lower({document}), %s) > 0)" for _ in inner)
    return f"({checks}) >= %s AND", [*inner, needed]


def has_rows(queryset) -> bool:
    """Whether the search matched anything."""
    return queryset.exists()


def _sqlite_fuzzy_match(term, text) -> int:
    try:
        return int(fuzzy_matches(str(term or ""), text))
    except Exception:  # noqa: BLE001 - a user function must never raise into SQLite
        logger.exception("fuzzy match failed")
        return 0


def register_sqlite_functions(connection) -> None:
    """Make the fuzzy-match functions callable from SQL on this SQLite connection."""
    if connection.vendor != "sqlite":
        return
    connection.ensure_connection()
    add_sqlite_functions(connection.connection)


def add_sqlite_functions(raw_connection: sqlite3.Connection) -> None:
    """Add the fuzzy-match functions, and the collation names sort by, to a plain
    sqlite3 connection."""
    raw_connection.create_function(
        "initiatives_fuzzy_match", 2, _sqlite_fuzzy_match, deterministic=True
    )
    raw_connection.create_collation(NAME_COLLATION, _compare_names)


# Names in the order people expect: "Ágora" beside "Agora", "abc" beside "ABC" (the
# listing sorts by it within the tiers of a search near a point).
NAME_COLLATION = "initiatives_name"


def name_key(text: str) -> tuple[str, str]:
    """Lower case without accents first, then the text itself, so that the order is
    stable between names that differ only by case or accents."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return plain, text or ""


def _compare_names(left: str, right: str) -> int:
    a, b = name_key(left), name_key(right)
    return (a > b) - (a < b)


def _on_connection_created(sender, connection, **kwargs):
    if connection.vendor == "sqlite":
        register_sqlite_functions(connection)


connection_created.connect(_on_connection_created, dispatch_uid="initiatives_search_functions")
