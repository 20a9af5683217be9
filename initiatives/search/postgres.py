"""The PostgreSQL backend: a trigger-maintained tsvector column, ranked by ts_rank.

Each initiative's ``search_vector`` (GIN-indexed, weights A to D for name,
summary, description, and organisation, topics and conditions) is searched
with one ``websearch_to_tsquery('english', ...)`` per group of the parsed query.
Misspellings are corrected from ``initiatives_search_word``, every word the
records have held, looked up through pg_trgm's GiST index. The column, word
list, triggers and indexes come from migration 0007_search_schema.
"""

# ruff: noqa: S608 - SQL is assembled from this module's constants; input is always a parameter.
from __future__ import annotations

from django.db import connections
from django.db.models import Q
from django.db.models.functions import Coalesce

from .expressions import RowSQL, exact_name, row_condition
from .query import ParsedQuery

# Every word of the records' names, summaries, organisations, topics and conditions,
# for correcting misspellings (added to by the row trigger, never pruned).
SEARCH_WORDS = "initiatives_search_word"
# Bound on the similar known words a misspelling may be corrected to, per measure.
NEAREST_WORDS = 50


def matches(queryset, parsed: ParsedQuery, text: str):
    """Records matching the full-text query or named exactly as it, ranked."""
    tsquery, params = parsed.tsquery()
    condition = row_condition(f"{{row}}.search_vector @@ {tsquery}", params)
    rank = RowSQL(f"ts_rank({{row}}.search_vector, {tsquery})", params)
    found = queryset.filter(Q(condition) | exact_name(text))
    return found, Coalesce(rank, 0.0)


# The name's own document, as the row trigger weights it 'A' in ``search_vector``; GIN-
# indexed for published records (migration 0021_search_name_index, as is the document
# itself), so the published records holding a word in their name are found without
# reading the others.
NAME_DOCUMENT = "to_tsvector('english'::regconfig, ({row}.name)::text)"


def name_tier(queryset, parsed: ParsedQuery, text: str):
    """Of `queryset` (the matches of `parsed`, in relevance order), those that come first
    for a query of one word: the records holding the word in their name, and any named
    exactly as the query. Empty for any other query (two words, a phrase, a negation).

    For a tsquery of one lexeme, ts_rank (default weights 0.1, 0.2, 0.4, 1.0 for D to A,
    no normalisation) gives a document holding the lexeme with weight A (its name) at
    least 1.0 / 1.645 = 0.61, and one without at most (0.4 + 0.2 + 0.4 * 0.395) / 1.645
    = 0.46: the largest weight counts whole, every other occurrence by 1/n^2, and
    occurrences before the first of the largest weight weigh less than it. So every
    name match ranks above every other match, and the first rows of this tier, when
    it has that many, are the first rows of the whole answer (tests/search compares
    the two on random documents).
    """
    tsquery, params = parsed.tsquery()
    in_name = row_condition(
        f"numnode({tsquery}) = 1 AND {NAME_DOCUMENT} @@ {tsquery}", params + params
    )
    return queryset.filter(Q(in_name) | exact_name(text))


def vocabulary(connection, words: list[str]) -> set[str]:
    """Known words closest to each of `words`, by word and by strict word similarity.

    Nearest-neighbour searches on the GiST trigram index: always an index scan
    (a similarity filter on a GIN index is costed above a sequential scan that
    runs the similarity function for every word).
    """
    nearest = []
    for distance in ("<->>", "<->>>"):  # 1 - word_similarity, 1 - strict_word_similarity
        nearest += [
            f"(SELECT word FROM {SEARCH_WORDS} ORDER BY word {distance} %s LIMIT {NEAREST_WORDS})"
        ] * len(words)
    with connection.cursor() as cursor:
        cursor.execute(" UNION ".join(nearest), words * 2)
        return {row[0] for row in cursor.fetchall()}


def has_rows(queryset) -> bool:
    """Whether the search matched anything.

    `exists()` (LIMIT 1) tempts the planner into reading the table in order until
    a row matches, which for a word no record holds means every row; a
    materialised CTE is planned for all its rows, so it uses the full-text index.
    """
    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(
            f"WITH found AS MATERIALIZED ({sql}) SELECT EXISTS (SELECT 1 FROM found)", params
        )
        return bool(cursor.fetchone()[0])
