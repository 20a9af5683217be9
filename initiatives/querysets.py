"""Reads, as small composable QuerySet methods: `Initiative.objects.published()`,
`.in_area(area)`, `.search(q)`, `.near(...)`, `.for_listing()`.

Public reads start from `published()`. Each method returns a queryset, so they
compose; the query for related rows a page shows lives in the method the page
calls (`for_listing`), never in a template loop."""

import math
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models.functions import Cast, Concat, Round, Sqrt
from django.utils import timezone

from .areas import AreaTree
from .search import search_initiatives

# How far "near" reaches when a search gives a postcode but no distance.
DEFAULT_DISTANCE_KM = Decimal(10)


class AreaQuerySet(models.QuerySet):
    def tree(self) -> AreaTree:
        """The whole hierarchy in memory (two queries): see initiatives/areas.py."""
        areas = self.model.objects.only("pk", "name", "slug", "kind", "parent_id").order_by(
            "name", "pk"
        )
        links = self.model.other_parents.through.objects.values_list("from_area_id", "to_area_id")
        return AreaTree(areas, links)

    def descendant_ids(self, area) -> set[int]:
        """The area's own id and the ids of every area below it."""
        return self.tree().descendant_ids(area.pk)

    def ancestor_ids(self, area) -> set[int]:
        """The ids of every area above this one (not its own)."""
        return self.tree().ancestor_ids(area.pk)


class InitiativeQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=self.model.Status.PUBLISHED)

    def current(self):
        """Leaves out the initiatives recorded as ended (an unrecorded lifecycle stays in)."""
        return self.exclude(lifecycle=self.model.Lifecycle.ENDED)

    def ended(self):
        return self.filter(lifecycle=self.model.Lifecycle.ENDED)

    def _areas(self):
        """The Area manager (the model of the areas served), without importing models."""
        return self.model.areas.field.related_model.objects

    def in_area(self, area, *, below: set[int] | None = None):
        """Initiatives serving the area or any area below it (`below`: those areas' ids,
        the area's own included, when the caller has them already)."""
        ids = self._areas().descendant_ids(area) if below is None else below
        through = self.model.areas.through
        return self.filter(
            models.Exists(
                through.objects.filter(initiative_id=models.OuterRef("pk"), area_id__in=ids)
            )
        )

    @staticmethod
    def _squared_distance(easting: float, northing: float):
        """Squared grid distance in m² from a point, in SQL (floats: ints would overflow)."""
        dx = Cast("easting", models.FloatField()) - models.Value(float(easting))
        dy = Cast("northing", models.FloatField()) - models.Value(float(northing))
        return models.ExpressionWrapper(dx * dx + dy * dy, output_field=models.FloatField())

    @staticmethod
    def _radius_m(distance_km) -> float:
        radius_m = float(distance_km) * 1000
        if not math.isfinite(radius_m) or radius_m < 0:
            # The FilterSet validates what people type; this is a programming error.
            raise ValueError(f"distance_km must be a number of 0 or more, not {distance_km!r}")
        return radius_m

    @staticmethod
    def _box(easting: float, northing: float, radius_m: float) -> models.Q:
        """The square around the circle, for the (easting, northing) index."""
        return models.Q(
            easting__gte=math.floor(easting - radius_m),
            easting__lte=math.ceil(easting + radius_m),
            northing__gte=math.floor(northing - radius_m),
            northing__lte=math.ceil(northing + radius_m),
        )

    def _within(self, easting: float, northing: float, radius_m: float) -> models.Q:
        """A box on the (easting, northing) index, then the exact circle."""
        return self._box(easting, northing, radius_m) & models.Q(
            grid_distance_sq__lte=radius_m * radius_m
        )

    def near(self, easting: float, northing: float, distance_km: float):
        """Initiatives within distance_km of a grid point, annotated with distance_m."""
        radius_m = self._radius_m(distance_km)
        return (
            self.alias(grid_distance_sq=self._squared_distance(easting, northing))
            .filter(self._within(easting, northing, radius_m))
            .annotate(distance_m=Sqrt("grid_distance_sq"))
        )

    def serving_point(self, postcode, distance_km: float = DEFAULT_DISTANCE_KM):
        """Initiatives that serve a postcode: by area served, nationally, or within distance_km.

        `postcode` is a places.models.Postcode. Each row is annotated with
        `serving_reason` for the page ("serves Halton", "national", "2.3 km away";
        the most specific area served wins), `served_area` (that area's name or
        None) and `distance_m` (None where either end has no location).
        """
        Area = self.model.areas.field.related_model
        areas = []
        if postcode.local_authority_code:
            local = Area.objects.filter(
                code=postcode.local_authority_code, kind=Area.Kind.LOCAL_AUTHORITY
            ).first()
            if local is not None:
                above = Area.objects.ancestor_ids(local)
                areas = [local, *Area.objects.filter(pk__in=above)]
        # The local authority first, then its ICB, region and nation.
        depth = {kind: n for n, kind in enumerate(["local_authority", "icb", "nhs_region"])}
        areas.sort(key=lambda area: depth.get(area.kind, len(depth)))
        area_ids = [area.pk for area in areas]
        through = self.model.areas.through
        serves = through.objects.filter(initiative_id=models.OuterRef("pk"), area_id__in=area_ids)
        specific_first = models.Case(
            *[models.When(area_id=pk, then=models.Value(n)) for n, pk in enumerate(area_ids)],
            default=models.Value(len(area_ids)),
            output_field=models.IntegerField(),
        )
        located = postcode.easting is not None and postcode.northing is not None
        queryset = self
        if located:
            queryset = queryset.alias(
                grid_distance_sq=self._squared_distance(postcode.easting, postcode.northing)
            )
            distance = Sqrt("grid_distance_sq")
        else:
            distance = models.Value(None, output_field=models.FloatField())
        within_km = distance_km if located else None
        return (
            queryset.filter(pk__in=self._serving_ids(area_ids, postcode, within_km))
            .annotate(
                served_area=models.Subquery(
                    serves.order_by(specific_first).values("area__name")[:1]
                ),
                distance_m=distance,
            )
            .annotate(
                serving_reason=models.Case(
                    models.When(
                        served_area__isnull=False,
                        then=Concat(models.Value("serves "), "served_area"),
                    ),
                    models.When(national=True, then=models.Value("national")),
                    models.When(distance_m__lt=100, then=models.Value("under 0.1 km away")),
                    default=Concat(
                        Cast(Round(models.F("distance_m") / 1000, 1), models.CharField()),
                        models.Value(" km away"),
                    ),
                    output_field=models.CharField(),
                )
            )
        )

    def _serving_ids(self, area_ids: list[int], postcode, distance_km: float | None):
        """Ids of the initiatives serving the areas, the national ones, and those within
        distance_km of the postcode, as one UNION: each part uses its own index (the link
        table's area index, the partial index on national, the grid index), where an OR
        of the three would make the database read every published row."""
        parts = [self.model.objects.filter(national=True).order_by().values("pk")]
        if area_ids:
            through = self.model.areas.through
            linked = through.objects.filter(area_id__in=area_ids).order_by()
            parts.append(linked.values("initiative_id"))
        if distance_km is not None:
            near = self.model.objects.near(postcode.easting, postcode.northing, distance_km)
            parts.append(near.order_by().values("pk"))
        return parts[0].union(*parts[1:])

    def search(self, q: str):
        """Full-text search; the backend is chosen in initiatives.search alone."""
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
