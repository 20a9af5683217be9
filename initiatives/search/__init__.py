"""Full-text search of initiatives. The only place that picks a backend by database.

`search_initiatives(queryset, q)` filters the queryset to the records that match
`q` and orders them by relevance, best first: an exact (case-insensitive) name
match, then the backend's rank, then name. `suggest_correction` says how a
misspelt query would be rewritten, for a "Showing results for ..." line.

The query is parsed once and every backend gets the same structure; when the
full text finds nothing, misspellings get a second chance: each unknown word is
replaced by the closest known word of the records and the search runs again.
One extra query finds the words; the page's queries stay full-text.

The package's modules:

- `query`: the query language (words, "phrases", ``or``, ``-``), stop words
  and limits: `parse_query`, `clean_query`.
- `postgres`: the PostgreSQL backend (tsvector, ts_rank, known words by pg_trgm).
- `sqlite`: the SQLite backend (FTS5, bm25, FTS5 probing, the fuzzy-match SQL
  function added to each connection).
- `fallback`: plain ``icontains`` matching where no full-text index is available.
- `fuzzy`: the misspelling correction both backends share (trigram word similarity).
- `expressions`: raw SQL about the current row, and the relevance order.
- `schema`: SQLite's search triggers, installed after every ``migrate``, and
  re-indexing. The rest of the search schema is migration 0007_search_schema.

A backend is a module with `matches(queryset, parsed, text)` (the matching records
and a rank expression), `vocabulary(connection, words)` (known words similar to
`words`) and `has_rows(queryset)`.
"""

from __future__ import annotations

from functools import cache

from django.db import connections
from django.db.models import F, Value
from django.db.models.functions import Collate, Lower

from . import postgres, sqlite
from .expressions import RANKED_ORDER, exact_name, ranked
from .fallback import icontains_search
from .fuzzy import correct_query, correctable_words
from .query import ParsedQuery, clean_query, parse_query
from .schema import rebuild_search_index
from .sqlite import NAME_COLLATION, add_sqlite_functions

__all__ = [
    "add_sqlite_functions",
    "clean_query",
    "name_order",
    "name_tier",
    "parse_query",
    "rebuild_search_index",
    "search_initiatives",
    "suggest_correction",
]


# PostgreSQL's ICU root collation: case and accents count only between names that are
# otherwise the same.
ICU_COLLATION = "und-x-icu"


def name_order(using: str = "default"):
    """An expression ordering by name without regard to case or accents (ties broken
    by them): ICU's root collation on PostgreSQL when the server has it, the
    `initiatives_name` collation on SQLite, else the name in lower case."""
    vendor = connections[using].vendor
    if vendor == "sqlite":
        return Collate(F("name"), NAME_COLLATION)
    if vendor == "postgresql" and _has_icu(using):
        return Collate(F("name"), ICU_COLLATION)
    return Lower("name")


@cache
def _has_icu(using: str) -> bool:
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_collation WHERE collname = %s", [ICU_COLLATION])
        return cursor.fetchone() is not None


def search_initiatives(queryset, q: str, *, correct: bool = True):
    """The queryset filtered to records matching `q`, best match first.

    Annotates `search_exact` (1 for an exact name match) and `search_rank`
    (higher is better). When the full text finds nothing, misspelt words are
    replaced by the closest words of the records and the search runs again
    (unless `correct` is False: the words as typed, for "Search for ... instead").
    Never raises on user input: anything that is not a searchable word is ignored.
    """
    text = clean_query(q)
    parsed = parse_query(text)
    if not text:
        return queryset
    if not parsed:
        # Only stop words or punctuation: nothing but an exact name can match.
        return ranked(queryset.filter(exact_name(text)), Value(0.0), text)
    backend = _backend(queryset)
    if backend is None:
        return icontains_search(queryset, parsed, text)
    return _search(queryset, parsed, text, backend, correct=correct)


def suggest_correction(queryset, q: str) -> str | None:
    """The query as the misspelling retry rewrites it, or None when it would not.

    For a "Showing results for ..." line: None when the query matches as typed.
    """
    text = clean_query(q)
    parsed = parse_query(text)
    backend = _backend(queryset)
    if not parsed or backend is None or not correctable_words(parsed):
        return None
    found, _ = backend.matches(queryset, parsed, text)
    if backend.has_rows(found):
        return None
    corrected = correct_query(connections[queryset.db], parsed, vocabulary=backend.vocabulary)
    if corrected is None or not backend.has_rows(backend.matches(queryset, corrected, text)[0]):
        return None
    return corrected.websearch()


def name_tier(queryset, q: str):
    """The first part of a relevance-ordered search for `q` (the records holding a
    one-word query in their name, which rank above every other match), as a queryset in
    the same order; None where the backend cannot tell it (not PostgreSQL, no words) or
    the queryset is not in relevance order.

    A page wholly inside the tier is that page of the whole answer: the tier reads a few
    of the matches through the name's index instead of ranking every match. A page the
    tier does not fill must be read from the whole answer.
    """
    text = clean_query(q)
    parsed = parse_query(text)
    if not parsed or tuple(queryset.query.order_by) != RANKED_ORDER:
        return None
    if _backend(queryset) is not postgres:
        return None
    return postgres.name_tier(queryset, parsed, text)


def _search(queryset, parsed: ParsedQuery, text: str, backend, *, correct: bool = True):
    """Full-text matches, ranked; when there are none, the same for the corrected query."""
    found, rank = backend.matches(queryset, parsed, text)
    if not correct or not correctable_words(parsed) or backend.has_rows(found):
        return ranked(found, rank, text)
    corrected = correct_query(connections[queryset.db], parsed, vocabulary=backend.vocabulary)
    if corrected is None:
        return ranked(found, rank, text)
    found, rank = backend.matches(queryset, corrected, text)
    return ranked(found, rank, text)


def _backend(queryset):
    """The backend module for the queryset's database (None: plain matching)."""
    connection = connections[queryset.db]
    if connection.vendor == "postgresql":
        return postgres
    if (
        connection.vendor == "sqlite"
        and sqlite.fts5_available()
        and sqlite.fts_table_exists(connection)
    ):
        sqlite.register_sqlite_functions(connection)
        return sqlite
    return None
