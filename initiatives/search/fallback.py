"""Search without a full-text index: every word of every item appears somewhere.

Used where no full-text backend is available (SQLite without FTS5, or before
the search migration ran). It matches ``icontains`` on the name, summary,
description, organisation, topics and conditions, and honours the same query
language; every match ranks 0, so the exact name and then the name order them.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, Value

from .expressions import exact_name, ranked
from .query import STOP_WORDS, Item, ParsedQuery


def icontains_search(queryset, parsed: ParsedQuery, text: str):
    """The queryset filtered to records holding every word of `parsed`, ignoring case."""
    model = queryset.model

    def contains(word: str) -> Q:
        through_topics = model.topics.through.objects.filter(
            initiative_id=OuterRef("pk"), topic__name__icontains=word
        )
        through_conditions = model.conditions.through.objects.filter(
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
    found = queryset.filter(condition | exact_name(text))
    return ranked(found, Value(0.0), text)
