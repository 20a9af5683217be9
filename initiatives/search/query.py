"""The query language people type into web search boxes, parsed once for every backend.

``dementia carers`` (both words), ``"men's shed"`` (a phrase), ``walking or
running`` (either), ``-football`` (without). `parse_query` turns the typed text
into a `ParsedQuery` of `Group`s of `Item`s; each backend builds its own match
from that one structure, so the databases agree on what a query means.
`clean_query` bounds and sanitises the raw text before anything else sees it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Longer input is cut (the listing form already refuses more than 200 characters).
MAX_QUERY_CHARS = 256
MAX_ITEMS = 16

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
