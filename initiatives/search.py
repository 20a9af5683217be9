"""Full-text search. The only module that knows which database backend is in use."""

from django.db.models import Q


def search_initiatives(queryset, q: str):
    """A plain case-insensitive match on every word (replaced by full-text search per backend)."""
    for term in q.split()[:20]:
        queryset = queryset.filter(
            Q(name__icontains=term) | Q(summary__icontains=term) | Q(description__icontains=term)
        )
    return queryset
