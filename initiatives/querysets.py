"""Reads, as small composable QuerySet methods (STYLE.md habit 2)."""

from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone


class AreaQuerySet(models.QuerySet):
    def _edges(self) -> dict[int, set[int]]:
        """Child ids of every area, counting the extra parents of split districts."""
        children: dict[int, set[int]] = defaultdict(set)
        for pk, parent_id in self.model.objects.values_list("pk", "parent_id"):
            if parent_id is not None:
                children[parent_id].add(pk)
        through = self.model.other_parents.through
        for child_id, parent_id in through.objects.values_list("from_area_id", "to_area_id"):
            children[parent_id].add(child_id)
        return children

    def descendant_ids(self, area) -> set[int]:
        """The area's own id and the ids of every area below it."""
        children = self._edges()
        found, stack = {area.pk}, [area.pk]
        while stack:
            for child in children.get(stack.pop(), ()):
                if child not in found:
                    found.add(child)
                    stack.append(child)
        return found

    def ancestor_ids(self, area) -> set[int]:
        """The ids of every area above this one (not its own)."""
        parents: dict[int, set[int]] = defaultdict(set)
        for parent_id, children in self._edges().items():
            for child in children:
                parents[child].add(parent_id)
        found: set[int] = set()
        stack = [area.pk]
        while stack:
            for parent in parents.get(stack.pop(), ()):
                if parent not in found:
                    found.add(parent)
                    stack.append(parent)
        return found


class InitiativeQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=self.model.Status.PUBLISHED)

    def in_area(self, area):
        """Initiatives serving the area or any area below it."""
        from .models import Area

        ids = Area.objects.descendant_ids(area)
        through = self.model.areas.through
        return self.filter(
            models.Exists(
                through.objects.filter(initiative_id=models.OuterRef("pk"), area_id__in=ids)
            )
        )

    def search(self, q: str):
        """Full-text search; the backend is chosen in search.py alone."""
        from .search import search_initiatives

        q = (q or "").strip()
        if not q:
            return self
        return search_initiatives(self, q)

    def review_due(self):
        cutoff = timezone.localdate() - timedelta(days=settings.REVIEW_DUE_DAYS)
        return self.filter(
            models.Q(last_verified_on__isnull=True) | models.Q(last_verified_on__lt=cutoff)
        )

    def for_listing(self):
        return self.select_related("organisation", "vanguard").prefetch_related(
            "areas", "conditions", "topics"
        )

    def for_export(self):
        """Everything a CSV row or an API record shows, in a fixed number of queries per chunk.

        Related rows come as plain lists (area_list, condition_list, topic_list,
        population_group_list): much cheaper per row than a related manager each.
        """
        return self.select_related("organisation", "vanguard").prefetch_related(
            models.Prefetch("areas", to_attr="area_list"),
            models.Prefetch("conditions", to_attr="condition_list"),
            models.Prefetch("topics", to_attr="topic_list"),
            models.Prefetch("population_groups", to_attr="population_group_list"),
        )
