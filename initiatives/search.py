"""Full-text search. The only module that knows which database backend is in use.

`search_initiatives(queryset, q)` filters the queryset to the records that match
`q` and orders them by relevance, best first: an exact (case-insensitive) name
match, then the backend's rank, then name.

The query language is the one people type into web search boxes:
``dementia carers`` (both words), ``"men's shed"`` (a phrase),
``walking or running`` (either), ``-football`` (without). It is parsed here,
once, and each backend gets the same structure:

- PostgreSQL: a trigger-maintained, GIN-indexed ``tsvector`` column searched
  with ``websearch_to_tsquery('english', ...)`` and ranked by ``ts_rank``.
- SQLite: an FTS5 table kept in step by triggers, ranked by ``bm25`` with
  column weights. Every term is quoted before ``MATCH``, so no input can break
  the query. Without FTS5 (or before the migration ran) a plain ``icontains``
  match on every term is used instead.

When the full text finds nothing, misspellings get a second chance: the
records whose names, summaries, organisations, topics or conditions hold a word
similar to a query word (trigram word similarity: ``pg_trgm`` and its GIN index
on PostgreSQL, the same measure in Python on SQLite) supply the words, each
unknown query word is replaced by the closest of them, and the full-text search
runs again. One extra query finds the words; the page's queries stay full-text.

The schema (column, FTS5 table, triggers, indexes) comes from migration 0003
(`create_search_table`) and is re-checked after every ``migrate``
(`after_migrate`): see `create_search_table` for why SQLite's triggers are
dropped while migrations run.
"""

# ruff: noqa: S608, S611 - SQL is assembled from this module's constants; input is always a parameter.
from __future__ import annotations

import functools
import logging
import re
import sqlite3
from dataclasses import dataclass

from django.db import connections
from django.db.backends.signals import connection_created
from django.db.models import (
    BooleanField,
    Case,
    Exists,
    Expression,
    F,
    FloatField,
    OuterRef,
    Q,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce

logger = logging.getLogger(__name__)

# Longer input is cut (the listing form already refuses more than 200 characters).
MAX_QUERY_CHARS = 256
MAX_ITEMS = 16
# Words shorter than this are not corrected by the misspelling retry.
MIN_FUZZY_WORD = 3
# Bounds on the candidates a misspelling may be corrected to: similar records (SQLite)
# and similar known words (PostgreSQL).
MAX_CORRECTION_ROWS = 2000
NEAREST_WORDS = 50
# pg_trgm's default thresholds for `<%` (word_similarity) and `<<%` (strict_word_similarity).
WORD_SIMILARITY_THRESHOLD = 0.6
STRICT_WORD_SIMILARITY_THRESHOLD = 0.5

FTS_TABLE = "initiatives_search"
# PostgreSQL: every word of the records' names, summaries, organisations, topics and
# conditions, for correcting misspellings (added to by the row trigger, never pruned).
SEARCH_WORDS = "initiatives_search_word"
# bm25 weights, in the FTS5 column order: name, summary, description, organisation,
# topics, conditions (the same order of importance as PostgreSQL's weights A, B, C, D).
FTS_COLUMNS = ("name", "summary", "description", "organisation", "topics", "conditions")
BM25_WEIGHTS = (10.0, 4.0, 2.0, 1.0, 1.0, 1.0)
# The text the misspelling fallback compares against: everything but the description.
FUZZY_COLUMNS = ("name", "summary", "organisation", "topics", "conditions")

# PostgreSQL's English stop words (tsearch_data/english.stop): the SQLite backend
# drops them too, so that "support for carers" finds the same records on both.
_STOP_WORDS_TEXT = """
    i me my myself we our ours ourselves you your yours yourself yourselves he him his
    himself she her hers herself it its itself they them their theirs themselves what
    which who whom this that these those am is are was were be been being have has had
    having do does did doing a an the and but if or because as until while of at by for
    with about against between into through during before after above below to from up
    down in out on off over under again further then once here there when where why how
    all any both each few more most other some such no nor not only own same so than too
    very s t can will just don should now
"""
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())

# A word, as both full-text engines see it: a run of letters and digits.
WORD_RE = re.compile(r"[^\W_]+")


# ---------------------------------------------------------------------------
# The query language, parsed once for both backends


@dataclass(frozen=True)
class Item:
    """One word or one "quoted phrase" of the query, as typed."""

    text: str
    phrase: bool = False

    def tokens(self) -> list[str]:
        """The item's lower-case words, without stop words at either end.

        Stop words inside are kept, so "state-of-the-art" stays a phrase of four.
        """
        words = [word.lower() for word in WORD_RE.findall(self.text)]
        keep = [i for i, word in enumerate(words) if word not in STOP_WORDS]
        return words[keep[0] : keep[-1] + 1] if keep else []

    def websearch_alternatives(self) -> list[str]:
        """The item for websearch_to_tsquery.

        An item with punctuation inside also goes as a phrase of its words: the
        PostgreSQL parser reads "well-being" as a compound that a text saying
        "well being" lacks, while FTS5 sees two words either way.
        """
        typed = f'"{self.text}"' if self.phrase else self.text
        if all(WORD_RE.fullmatch(word) for word in self.text.split()):
            return [typed]
        return [typed, '"' + " ".join(self.tokens()) + '"']


@dataclass(frozen=True)
class Group:
    """Items of which any one must match; a negated group must not match."""

    items: tuple[Item, ...]
    negated: bool = False

    def websearch_text(self) -> str:
        """The group for one websearch_to_tsquery call: its alternatives joined by `or`."""
        return " or ".join(text for item in self.items for text in item.websearch_alternatives())

    def websearch(self) -> str:
        if self.negated:
            return "-" + self.items[0].websearch_alternatives()[0]
        return " or ".join(item.websearch_alternatives()[0] for item in self.items)


@dataclass(frozen=True)
class ParsedQuery:
    """All positive groups must match and no negated group may."""

    groups: tuple[Group, ...]

    @property
    def positive(self) -> tuple[Group, ...]:
        return tuple(group for group in self.groups if not group.negated)

    @property
    def negative(self) -> tuple[Group, ...]:
        return tuple(group for group in self.groups if group.negated)

    def websearch(self) -> str:
        """The query as understood, in the syntax it was typed in."""
        return " ".join(group.websearch() for group in self.groups)

    def tsquery(self) -> tuple[str, list[str]]:
        """SQL for the PostgreSQL tsquery, with its parameters.

        One websearch_to_tsquery per group, combined with && and !!: given a whole
        query, websearch_to_tsquery would read "a or b c" as a | (b & c).
        """
        parts = []
        for group in self.groups:
            call = "websearch_to_tsquery('english'::regconfig, %s)"
            parts.append(f"(!! {call})" if group.negated else call)
        return "(" + " && ".join(parts) + ")", [group.websearch_text() for group in self.groups]

    def replace_words(self, corrections: dict[str, str]) -> ParsedQuery:
        """The same query with some words replaced (negated items are left alone)."""

        def replaced(item: Item) -> Item:
            tokens = item.tokens()
            if not any(token in corrections for token in tokens):
                return item
            words = [corrections.get(token, token) for token in tokens]
            return Item(" ".join(words), phrase=item.phrase)

        return ParsedQuery(
            tuple(
                group if group.negated else Group(tuple(replaced(i) for i in group.items))
                for group in self.groups
            )
        )

    def __bool__(self) -> bool:
        return bool(self.groups)


def clean_query(q: str) -> str:
    """The query made safe to send anywhere: no NUL or unpaired surrogate, bounded length."""
    q = (q or "").replace("\x00", " ")
    q = q.encode("utf-8", "ignore").decode("utf-8")
    return " ".join(q[:MAX_QUERY_CHARS].split())


def parse_query(q: str) -> ParsedQuery:
    """Parse web-search syntax: words, "phrases", `or` between items, `-` before an item.

    Items without a searchable word (stop words, punctuation) are dropped. `or`
    joins positive items only: next to a negated item it is ignored, so every
    group is either all positive or a single negated item.
    """
    tokens: list[tuple[str, Item | None, bool]] = []  # (kind, item, negated)
    text = clean_query(q)
    i, n = 0, len(text)
    while i < n and len(tokens) < MAX_ITEMS * 2:
        if text[i].isspace():
            i += 1
            continue
        negated = False
        while i < n and text[i] == "-":
            negated = True
            i += 1
        if i >= n or text[i].isspace():
            continue
        if text[i] == '"':
            end = text.find('"', i + 1)
            end = n if end == -1 else end
            item = Item(" ".join(text[i + 1 : end].split()), phrase=True)
            i = end + 1
        else:
            start = i
            while i < n and not text[i].isspace() and text[i] != '"':
                i += 1
            word = text[start:i]
            if word.lower() == "or" and not negated:
                tokens.append(("or", None, False))
                continue
            item = Item(word)
        if item.tokens():
            tokens.append(("item", item, negated))

    groups: list[Group] = []
    pending_or = False
    for kind, item, negated in tokens:
        if kind == "or":
            pending_or = bool(groups) and not groups[-1].negated
            continue
        if pending_or and not negated:
            groups[-1] = Group(groups[-1].items + (item,))
        else:
            groups.append(Group((item,), negated=negated))
        pending_or = False
    kept: list[Group] = []
    count = 0
    for group in groups:
        items = group.items[: MAX_ITEMS - count]
        if items:
            kept.append(Group(items, group.negated))
            count += len(items)
    return ParsedQuery(tuple(kept))


def fuzzy_words(item: Item) -> list[str]:
    """The item's words that the misspelling fallback may correct."""
    return [
        word for word in item.tokens() if len(word) >= MIN_FUZZY_WORD and word not in STOP_WORDS
    ]


# ---------------------------------------------------------------------------
# SQL pieces about the current initiative row


class RowSQL(Expression):
    """A raw SQL fragment about the current initiative row.

    ``{row}`` in the fragment is replaced by the alias of the initiative table in
    the query being compiled, so the fragment stays right when Django relabels
    the query (as a subquery, for instance).
    """

    def __init__(self, sql: str, params=(), output_field=None):
        super().__init__(output_field=output_field or FloatField())
        self.sql = sql
        self.params = tuple(params)
        self.pk = F("pk")

    def __repr__(self) -> str:
        return f"RowSQL({self.sql!r}, {self.params!r})"

    def get_source_expressions(self):
        return [self.pk]

    def set_source_expressions(self, exprs):
        (self.pk,) = exprs

    def as_sql(self, compiler, connection):
        alias = compiler.quote_name_unless_alias(self.pk.alias)
        return "(" + self.sql.replace("{row}", alias) + ")", list(self.params)

    def get_group_by_cols(self):
        return [self]


def _condition(sql: str, params=()) -> RowSQL:
    return RowSQL(sql, params, output_field=BooleanField())


def _exact_name(text: str):
    """Case-insensitive equality with the whole query, for the exact-name boost."""
    return Q(name__iexact=text)


# ---------------------------------------------------------------------------
# PostgreSQL


def _pg_matches(queryset, parsed: ParsedQuery, text: str):
    """Records matching the full-text query or named exactly as it, ranked."""
    tsquery, params = parsed.tsquery()
    matches = _condition(f"{{row}}.search_vector @@ {tsquery}", params)
    rank = RowSQL(f"ts_rank({{row}}.search_vector, {tsquery})", params)
    found = queryset.filter(Q(matches) | _exact_name(text))
    return found, Coalesce(rank, 0.0)


def _pg_vocabulary(connection, words: list[str]) -> set[str]:
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


# ---------------------------------------------------------------------------
# SQLite


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


_fts_tables_seen: set[str] = set()


def _fts_table_exists(connection) -> bool:
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
_SQLITE_FUZZY_TEXT = " || ' ' || ".join(f"coalesce({column}, '')" for column in FUZZY_COLUMNS)


def _sqlite_matches(queryset, parsed: ParsedQuery, text: str):
    """Records matching the FTS5 query or named exactly as it, ranked by bm25."""
    expression = fts5_expression(parsed)
    condition = Q()
    if expression:
        condition &= Q(pk__in=RawSQL(FTS_ROWS, [expression]))
    for group in parsed.negative:
        negated = fts5_quote(group.items[0].tokens())
        condition &= ~Q(pk__in=RawSQL(FTS_ROWS, [negated]))
    found = queryset.filter(condition | _exact_name(text))
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


def _sqlite_vocabulary(connection, words: list[str]) -> set[str]:
    """The words of the records holding a word similar to any of `words`."""
    conditions, params = [], []
    for word in words:
        prefilter, prefilter_params = _trigram_prefilter(word, _SQLITE_FUZZY_TEXT)
        conditions.append(f"({prefilter} initiatives_fuzzy_match(%s, {_SQLITE_FUZZY_TEXT}))")
        params += [*prefilter_params, word]
    register_sqlite_functions(connection)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {_SQLITE_FUZZY_TEXT} FROM {FTS_TABLE} WHERE {' OR '.join(conditions)}"
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


# ---------------------------------------------------------------------------
# Both: rank, and correct misspellings when nothing matches


def _search(queryset, parsed: ParsedQuery, text: str, *, matches, vocabulary):
    found, rank = matches(queryset, parsed, text)
    if not _fuzzy_words(parsed) or _has_rows(found):
        return _ranked(found, rank, text)
    corrected = correct_query(connections[queryset.db], parsed, vocabulary=vocabulary)
    if corrected is None:
        return _ranked(found, rank, text)
    found, rank = matches(queryset, corrected, text)
    return _ranked(found, rank, text)


def _has_rows(queryset) -> bool:
    """Whether the search matched anything.

    On PostgreSQL, `exists()` (LIMIT 1) tempts the planner into reading the table in
    order until a row matches, which for a word no record holds means every row; a
    materialised CTE is planned for all its rows, so it uses the full-text index.
    """
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return queryset.exists()
    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH found AS MATERIALIZED ({sql}) SELECT EXISTS (SELECT 1 FROM found)", params
        )
        return bool(cursor.fetchone()[0])


def _ranked(queryset, rank, text: str):
    flagged = queryset.annotate(
        search_exact=Case(When(_exact_name(text), then=Value(1)), default=Value(0)),
        search_rank=rank,
    )
    return flagged.order_by("-search_exact", "-search_rank", "name", "pk")


def _fuzzy_words(parsed: ParsedQuery) -> list[str]:
    return sorted(
        {word for group in parsed.positive for item in group.items for word in fuzzy_words(item)}
    )


def correct_query(connection, parsed: ParsedQuery, *, vocabulary):
    """The query with each unknown word replaced by the closest known word.

    Known words are those of the records' names, summaries, organisations, topics
    and conditions. The database proposes the similar ones (trigram word
    similarity); the closest is chosen here, the same way on both databases.
    Returns None when no word changes.
    """
    words = _fuzzy_words(parsed)
    known = {word for word in vocabulary(connection, words) if len(word) >= MIN_FUZZY_WORD}
    corrections = {}
    for word in words:
        if word in known:
            continue
        candidates = [candidate for candidate in known if fuzzy_matches(word, candidate)]
        if candidates:
            corrections[word] = min(candidates, key=lambda c: _closeness(word, c))
    if not corrections:
        return None
    return parsed.replace_words(corrections)


def _closeness(word: str, candidate: str):
    """Sort key: the closest whole word first, then the closest stretch, then shortest."""
    word_similarity, strict = _similarity_to_word(word, candidate)
    return (-strict, -word_similarity, abs(len(candidate) - len(word)), candidate)


def _icontains_search(queryset, parsed: ParsedQuery, text: str):
    """Search without FTS5: every word of every item appears somewhere, ignoring case."""
    from .models import Initiative

    def contains(word: str) -> Q:
        through_topics = Initiative.topics.through.objects.filter(
            initiative_id=OuterRef("pk"), topic__name__icontains=word
        )
        through_conditions = Initiative.conditions.through.objects.filter(
            initiative_id=OuterRef("pk"), condition__name__icontains=word
        )
        return (
            Q(name__icontains=word)
            | Q(summary__icontains=word)
            | Q(description__icontains=word)
            | Q(organisation__name__icontains=word)
            | Q(Exists(through_topics))
            | Q(Exists(through_conditions))
        )

    def item_matches(item: Item) -> Q:
        condition = Q()
        for word in item.tokens():
            if word not in STOP_WORDS:
                condition &= contains(word)
        return condition

    condition = Q()
    for group in parsed.positive:
        any_item = Q()
        for item in group.items:
            any_item |= item_matches(item)
        condition &= any_item
    for group in parsed.negative:
        condition &= ~item_matches(group.items[0])
    found = queryset.filter(condition | _exact_name(text))
    return _ranked(found, Value(0.0), text)


# ---------------------------------------------------------------------------
# Trigram word similarity in Python (the SQLite side of the misspelling retry)


def word_trigrams(word: str) -> list[str]:
    """A word's trigrams in order, padded as pg_trgm pads them (two spaces before, one after)."""
    padded = f"  {word.lower()} "
    return [padded[i : i + 3] for i in range(len(padded) - 2)]


@functools.lru_cache(maxsize=65536)
def _similarity_to_word(term: str, word: str) -> tuple[float, float]:
    """(word similarity, strict word similarity) of a query word to one word of a text.

    Word similarity: the best Jaccard similarity between the term's trigrams and
    those of any stretch of the word. Strict: the same for the whole word.
    """
    wanted = set(word_trigrams(term))
    sequence = word_trigrams(word)
    whole = set(sequence)
    shared = len(wanted & whole)
    strict = shared / (len(wanted) + len(whole) - shared)
    best = 0.0
    for start, gram in enumerate(sequence):
        if gram not in wanted:
            continue
        seen: set[str] = set()
        common = 0
        for later in sequence[start:]:
            if later not in seen:
                seen.add(later)
                common += later in wanted
            if later in wanted:
                best = max(best, common / (len(wanted) + len(seen) - common))
    return best, strict


def fuzzy_similarity(term: str, text: str | None) -> tuple[float, float]:
    """The best (word, strict) similarities of a query word to any word of the text."""
    term = term.lower()
    best = strict = 0.0
    for word in {word.lower() for word in WORD_RE.findall(text or "")}:
        similarity, whole = _similarity_to_word(term, word)
        best, strict = max(best, similarity), max(strict, whole)
    return best, strict


def fuzzy_matches(term: str, text: str | None) -> bool:
    """The Python side of `term <% text OR term <<% text`."""
    best, strict = fuzzy_similarity(term, text)
    return best >= WORD_SIMILARITY_THRESHOLD - 1e-6 or strict >= (
        STRICT_WORD_SIMILARITY_THRESHOLD - 1e-6
    )


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
    """Add the fuzzy-match functions to a plain sqlite3 connection."""
    raw_connection.create_function(
        "initiatives_fuzzy_match", 2, _sqlite_fuzzy_match, deterministic=True
    )


def _on_connection_created(sender, connection, **kwargs):
    if connection.vendor == "sqlite":
        register_sqlite_functions(connection)


connection_created.connect(_on_connection_created, dispatch_uid="initiatives_search_functions")


# ---------------------------------------------------------------------------
# The entry point


def search_initiatives(queryset, q: str):
    """The queryset filtered to records matching `q`, best match first.

    Annotates `search_exact` (1 for an exact name match) and `search_rank`
    (higher is better). When the full text finds nothing, misspelt words are
    replaced by the closest words of the records and the search runs again.
    Never raises on user input: anything that is not a searchable word is ignored.
    """
    text = clean_query(q)
    parsed = parse_query(text)
    if not text:
        return queryset
    if not parsed:
        # Only stop words or punctuation: nothing but an exact name can match.
        return _ranked(queryset.filter(_exact_name(text)), Value(0.0), text)
    backend = _backend(queryset)
    if backend is None:
        return _icontains_search(queryset, parsed, text)
    return _search(queryset, parsed, text, **backend)


def suggest_correction(queryset, q: str) -> str | None:
    """The query as the misspelling retry rewrites it, or None when it would not.

    For a "Showing results for ..." line: None when the query matches as typed.
    """
    text = clean_query(q)
    parsed = parse_query(text)
    backend = _backend(queryset)
    if not parsed or backend is None or not _fuzzy_words(parsed):
        return None
    found, _ = backend["matches"](queryset, parsed, text)
    if _has_rows(found):
        return None
    corrected = correct_query(connections[queryset.db], parsed, vocabulary=backend["vocabulary"])
    if corrected is None or not _has_rows(backend["matches"](queryset, corrected, text)[0]):
        return None
    return corrected.websearch()


def _backend(queryset) -> dict | None:
    """The full-text functions for the queryset's database (None: plain matching)."""
    connection = connections[queryset.db]
    if connection.vendor == "postgresql":
        return {"matches": _pg_matches, "vocabulary": _pg_vocabulary}
    if connection.vendor == "sqlite" and fts5_available() and _fts_table_exists(connection):
        register_sqlite_functions(connection)
        return {"matches": _sqlite_matches, "vocabulary": _sqlite_vocabulary}
    return None


# ---------------------------------------------------------------------------
# Schema: installed by migration 0003, re-checked after every migrate

INITIATIVE = "initiatives_initiative"
ORGANISATION = "initiatives_organisation"
# (through table, its foreign key, the named table, the FTS5 column)
LINKS = (
    ("initiatives_initiative_topics", "topic_id", "initiatives_topic", "topics"),
    ("initiatives_initiative_conditions", "condition_id", "initiatives_condition", "conditions"),
)


def _sqlite_names(through: str, key: str, table: str, initiative_id: str) -> str:
    """SQL for the space-separated names linked to one initiative, in name order."""
    return (
        "(SELECT coalesce(group_concat(name, ' '), '') FROM (SELECT t.name AS name"
        f" FROM {through} AS l JOIN {table} AS t ON t.id = l.{key}"
        f" WHERE l.initiative_id = {initiative_id} ORDER BY t.name))"
    )


def _sqlite_document(row: str) -> str:
    """SQL for the FTS5 column values of the initiative `row` (NEW, or an alias)."""
    organisation = (
        f"coalesce((SELECT name FROM {ORGANISATION} WHERE id = {row}.organisation_id), '')"
    )
    names = [_sqlite_names(through, key, table, f"{row}.id") for through, key, table, _ in LINKS]
    return ", ".join([f"{row}.name", f"{row}.summary", f"{row}.description", organisation, *names])


def _sqlite_statements() -> list[tuple[str, str]]:
    """(trigger name, CREATE TRIGGER statement) for every SQLite trigger."""
    columns = "rowid, " + ", ".join(FTS_COLUMNS)
    insert = f"INSERT INTO {FTS_TABLE}({columns}) VALUES (NEW.id, {_sqlite_document('NEW')});"
    triggers = [
        (
            "initiatives_search_insert",
            f"AFTER INSERT ON {INITIATIVE} BEGIN {insert} END",
        ),
        (
            "initiatives_search_update",
            f"AFTER UPDATE OF name, summary, description, organisation_id ON {INITIATIVE}"
            f" BEGIN DELETE FROM {FTS_TABLE} WHERE rowid = OLD.id; {insert} END",
        ),
        (
            "initiatives_search_delete",
            f"AFTER DELETE ON {INITIATIVE} BEGIN DELETE FROM {FTS_TABLE} WHERE rowid = OLD.id; END",
        ),
        (
            "initiatives_search_organisation_rename",
            f"AFTER UPDATE OF name ON {ORGANISATION} WHEN OLD.name IS NOT NEW.name BEGIN"
            f" UPDATE {FTS_TABLE} SET organisation = NEW.name WHERE rowid IN"
            f" (SELECT id FROM {INITIATIVE} WHERE organisation_id = NEW.id); END",
        ),
    ]
    for through, key, table, column in LINKS:

        def refresh(initiative_id: str, through=through, key=key, table=table, column=column):
            names = _sqlite_names(through, key, table, initiative_id)
            return f"UPDATE {FTS_TABLE} SET {column} = {names} WHERE rowid = {initiative_id};"

        short = column  # topics / conditions
        triggers += [
            (
                f"initiatives_search_{short}_insert",
                f"AFTER INSERT ON {through} BEGIN {refresh('NEW.initiative_id')} END",
            ),
            (
                f"initiatives_search_{short}_delete",
                f"AFTER DELETE ON {through} BEGIN {refresh('OLD.initiative_id')} END",
            ),
            (
                f"initiatives_search_{short}_update",
                f"AFTER UPDATE ON {through} BEGIN {refresh('OLD.initiative_id')}"
                f" {refresh('NEW.initiative_id')} END",
            ),
            (
                f"initiatives_search_{short}_rename",
                f"AFTER UPDATE OF name ON {table} WHEN OLD.name IS NOT NEW.name BEGIN"
                f" UPDATE {FTS_TABLE} SET {column} ="
                f" {_sqlite_names(through, key, table, f'{FTS_TABLE}.rowid')}"
                f" WHERE rowid IN (SELECT initiative_id FROM {through} WHERE {key} = NEW.id);"
                " END",
            ),
        ]
    return triggers


_PG_FUNCTIONS = f"""
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
    SELECT o.name INTO organisation_name FROM {ORGANISATION} o WHERE o.id = NEW.organisation_id;
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
    INSERT INTO {SEARCH_WORDS} (word)
        SELECT DISTINCT known.word
        FROM regexp_split_to_table(lower(known_text), '[^[:alnum:]]+') AS known(word)
        WHERE length(known.word) >= 3
        ON CONFLICT DO NOTHING;
    RETURN NEW;
END
$body$;

-- Setting search_vector to NULL makes the row trigger above recompute the document.
CREATE OR REPLACE FUNCTION initiatives_search_links_changed() RETURNS trigger
LANGUAGE plpgsql AS $body$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        UPDATE {INITIATIVE} SET search_vector = NULL
        WHERE id IN (SELECT initiative_id FROM new_links);
    END IF;
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        UPDATE {INITIATIVE} SET search_vector = NULL
        WHERE id IN (SELECT initiative_id FROM old_links);
    END IF;
    RETURN NULL;
END
$body$;

CREATE OR REPLACE FUNCTION initiatives_search_name_changed() RETURNS trigger
LANGUAGE plpgsql AS $body$
BEGIN
    IF NEW.name IS NOT DISTINCT FROM OLD.name THEN
        RETURN NULL;
    END IF;
    IF TG_ARGV[0] = 'organisation' THEN
        UPDATE {INITIATIVE} SET search_vector = NULL WHERE organisation_id = NEW.id;
    ELSIF TG_ARGV[0] = 'topic' THEN
        UPDATE {INITIATIVE} SET search_vector = NULL WHERE id IN
            (SELECT initiative_id FROM initiatives_initiative_topics WHERE topic_id = NEW.id);
    ELSE
        UPDATE {INITIATIVE} SET search_vector = NULL WHERE id IN
            (SELECT initiative_id FROM initiatives_initiative_conditions
             WHERE condition_id = NEW.id);
    END IF;
    RETURN NULL;
END
$body$;
"""


def _pg_triggers() -> list[tuple[str, str, str]]:
    """(trigger name, table, CREATE TRIGGER statement) for every PostgreSQL trigger.

    No column lists or WHEN clauses: PostgreSQL refuses to alter the type of a
    column that a trigger definition names, which would block later migrations.
    The functions test what changed instead.
    """
    triggers = [
        (
            "initiatives_search_document",
            INITIATIVE,
            f"BEFORE INSERT OR UPDATE ON {INITIATIVE} FOR EACH ROW"
            " EXECUTE FUNCTION initiatives_search_document()",
        ),
        (
            "initiatives_search_organisation_rename",
            ORGANISATION,
            f"AFTER UPDATE ON {ORGANISATION} FOR EACH ROW"
            " EXECUTE FUNCTION initiatives_search_name_changed('organisation')",
        ),
    ]
    for through, _key, table, column in LINKS:
        kind = column.rstrip("s")  # topic / condition
        changed = "EXECUTE FUNCTION initiatives_search_links_changed()"
        triggers += [
            (
                f"initiatives_search_{column}_insert",
                through,
                f"AFTER INSERT ON {through} REFERENCING NEW TABLE AS new_links"
                f" FOR EACH STATEMENT {changed}",
            ),
            (
                f"initiatives_search_{column}_delete",
                through,
                f"AFTER DELETE ON {through} REFERENCING OLD TABLE AS old_links"
                f" FOR EACH STATEMENT {changed}",
            ),
            (
                f"initiatives_search_{column}_update",
                through,
                f"AFTER UPDATE ON {through} REFERENCING OLD TABLE AS old_links"
                f" NEW TABLE AS new_links FOR EACH STATEMENT {changed}",
            ),
            (
                f"initiatives_search_{kind}_rename",
                table,
                f"AFTER UPDATE ON {table} FOR EACH ROW"
                f" EXECUTE FUNCTION initiatives_search_name_changed('{kind}')",
            ),
        ]
    return triggers


_SQLITE_TABLE = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
    + ", ".join(FTS_COLUMNS)
    + ", tokenize = 'porter unicode61 remove_diacritics 0')"
)

_PG_INDEXES = [
    f"CREATE INDEX IF NOT EXISTS initiatives_search_vector_idx ON {INITIATIVE}"
    " USING gin (search_vector)",
    f"CREATE INDEX IF NOT EXISTS initiatives_search_word_gist_idx ON {SEARCH_WORDS}"
    " USING gist (word gist_trgm_ops)",
    # Lets the exact-name condition (UPPER(name) = UPPER(q)) join the GIN scan in a BitmapOr.
    f"CREATE INDEX IF NOT EXISTS initiatives_name_upper_idx ON {INITIATIVE} (upper(name::text))",
]


def create_search_table(connection) -> None:
    """Migration 0003: on PostgreSQL everything; on SQLite only the FTS5 table.

    SQLite's triggers come from `after_migrate`: Django rebuilds a SQLite table to
    alter it, and with legacy_alter_table off the rename fails while any trigger
    elsewhere names the dropped table. So the triggers are dropped before each
    migrate that has work to do, and put back (with a re-index) after it.
    """
    if connection.vendor == "postgresql":
        install_search_schema(connection)
    elif connection.vendor == "sqlite" and fts5_available():
        with connection.cursor() as cursor:
            cursor.execute(_SQLITE_TABLE)


def install_search_schema(connection) -> None:
    """Create (or re-create) the search table or column, its triggers and indexes, and fill it."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            cursor.execute(
                f"ALTER TABLE {INITIATIVE} ADD COLUMN IF NOT EXISTS search_vector tsvector"
            )
            # The first version matched misspellings against a text column instead.
            cursor.execute(f"ALTER TABLE {INITIATIVE} DROP COLUMN IF EXISTS search_text")
            cursor.execute(f"CREATE TABLE IF NOT EXISTS {SEARCH_WORDS} (word text PRIMARY KEY)")
            cursor.execute(_PG_FUNCTIONS)
            for name, table, statement in _pg_triggers():
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
                cursor.execute(f"CREATE TRIGGER {name} {statement}")
            for statement in _PG_INDEXES:
                cursor.execute(statement)
        elif connection.vendor == "sqlite":
            if not fts5_available():
                logger.warning("SQLite has no FTS5: search falls back to plain matching.")
                return
            cursor.execute(_SQLITE_TABLE)
            for name, statement in _sqlite_statements():
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
                cursor.execute(f"CREATE TRIGGER {name} {statement}")
        else:
            return
    rebuild_search_index(connection)


def drop_search_triggers(connection) -> None:
    """Remove the SQLite triggers (the FTS5 table stays); `after_migrate` puts them back."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        for name, _ in _sqlite_statements():
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


def rebuild_search_index(connection) -> None:
    """Recompute every initiative's search document (after a bulk change made without triggers)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {SEARCH_WORDS}")
            cursor.execute(f"UPDATE {INITIATIVE} SET search_vector = NULL")
        elif connection.vendor == "sqlite" and _fts_table_exists(connection):
            cursor.execute(f"DELETE FROM {FTS_TABLE}")
            columns = "rowid, " + ", ".join(FTS_COLUMNS)
            cursor.execute(
                f"INSERT INTO {FTS_TABLE}({columns})"
                f" SELECT initiative.id, {_sqlite_document('initiative')}"
                f" FROM {INITIATIVE} AS initiative"
            )


def remove_search_schema(connection) -> None:
    """Undo install_search_schema (pg_trgm stays: other things may use it)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for name, table, _ in _pg_triggers():
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            for function in ("document", "links_changed", "name_changed"):
                cursor.execute(f"DROP FUNCTION IF EXISTS initiatives_search_{function}()")
            for statement in _PG_INDEXES:
                index = statement.split()[5]
                cursor.execute(f"DROP INDEX IF EXISTS {index}")
            cursor.execute(
                f"ALTER TABLE {INITIATIVE} DROP COLUMN IF EXISTS search_vector,"
                " DROP COLUMN IF EXISTS search_text"
            )
            cursor.execute(f"DROP TABLE IF EXISTS {SEARCH_WORDS}")
        elif connection.vendor == "sqlite":
            for name, _ in _sqlite_statements():
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            cursor.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")
    _fts_tables_seen.discard(str(connection.settings_dict["NAME"]))


def _schema_state(connection, expected: set[str]) -> tuple[bool, bool]:
    """(installed: the search table or column exists, complete: nothing else is missing)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT 1 FROM information_schema.columns"
                " WHERE table_schema = current_schema() AND table_name = %s"
                " AND column_name = 'search_vector'",
                [INITIATIVE],
            )
            installed = cursor.fetchone() is not None
            cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [SEARCH_WORDS])
            word_list = cursor.fetchone()[0]
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgname LIKE 'initiatives\\_search\\_%%'"
                " AND NOT tgisinternal"
            )
        else:
            cursor.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = %s", [FTS_TABLE]
            )
            installed = cursor.fetchone() is not None
            word_list = True
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger'"
                " AND name LIKE 'initiatives\\_search\\_%%' ESCAPE '\\'"
            )
        triggers = {row[0] for row in cursor.fetchall()}
    return installed, word_list and expected <= triggers


def before_migrate(sender=None, using: str = "default", plan=None, **kwargs) -> None:
    """pre_migrate: on SQLite, drop the search triggers when migrations are about to run."""
    connection = connections[using]
    if plan and connection.vendor == "sqlite":
        drop_search_triggers(connection)


def after_migrate(sender=None, using: str = "default", **kwargs) -> None:
    """post_migrate: put back any missing search trigger (see create_search_table)."""
    ensure_search_schema(using)


def ensure_search_schema(using: str = "default") -> bool:
    """Install missing search triggers and re-index, once the search migration has run.

    Returns whether anything was missing.
    """
    connection = connections[using]
    if connection.vendor == "postgresql":
        expected = {name for name, _, _ in _pg_triggers()}
    elif connection.vendor == "sqlite" and fts5_available():
        expected = {name for name, _ in _sqlite_statements()}
    else:
        return False
    installed, complete = _schema_state(connection, expected)
    if not installed or complete:
        return False
    logger.info("Installing the search triggers and rebuilding the search index.")
    install_search_schema(connection)
    return True
