"""Misspelling correction, the same on every database: trigram word similarity.

When the full text finds nothing, each unknown query word is replaced by the
closest known word (a word of the records' names, summaries, organisations,
topics or conditions) and the search runs again. The backend's `vocabulary`
proposes the candidates (pg_trgm's GiST index on PostgreSQL, a prefiltered scan
on SQLite); `correct_query` picks the closest of them here, with pg_trgm's
measures computed in Python (`fuzzy_matches`), so both databases choose alike.
"""

from __future__ import annotations

import functools

from .query import STOP_WORDS, WORD_RE, Item, ParsedQuery

# Words shorter than this are not corrected by the misspelling retry.
MIN_FUZZY_WORD = 3
# pg_trgm's default thresholds for `<%` (word_similarity) and `<<%` (strict_word_similarity).
WORD_SIMILARITY_THRESHOLD = 0.6
STRICT_WORD_SIMILARITY_THRESHOLD = 0.5


def fuzzy_words(item: Item) -> list[str]:
    """The item's words that the misspelling fallback may correct."""
    return [
        word for word in item.tokens() if len(word) >= MIN_FUZZY_WORD and word not in STOP_WORDS
    ]


def correctable_words(parsed: ParsedQuery) -> list[str]:
    """The words of the positive items that the misspelling retry may correct, sorted."""
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
    words = correctable_words(parsed)
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
