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
from django.db.models.functions import Cast, Coalesce, Sqrt
from django.utils import timezone

from .areas import TIER_COVERING, TIER_HERE, TIER_NATION, AreaTree
from .completeness import CONTACT_FIELDS
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

    def place_of_district(self, code: str):
        """The place (areas.ServedPlace) of the local authority with this official code,
        as a postcode gives it, or None when no such area is recorded."""
        if not code:
            return None
        local = self.filter(code=code, kind="local_authority").only("pk").first()
        return self.tree().place(local.pk) if local is not None else None

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
        return self.filter(self.current_condition())

    def current_condition(self, path: str = "") -> models.Q:
        """What `current` means, as a condition on rows that reach their initiative through
        `path` ("initiative__" on a link table): the one definition, for counts that join."""
        return ~models.Q(**{f"{path}lifecycle": self.model.Lifecycle.ENDED})

    def ended(self):
        return self.filter(lifecycle=self.model.Lifecycle.ENDED)

    def in_area(self, area):
        """Initiatives serving the area or any area below it, or located there."""
        return self.filter(self._here(area.pk))

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

    def serving(self, place):
        """The initiatives that serve `place` (an areas.ServedPlace), in tiers.

        Each row is annotated with `tier` (TIER_HERE: a service area at or within the
        place; TIER_COVERING: one that covers it, short of a nation; TIER_NATION: its
        nation, or the whole UK), `served_area` (the name of the service area that
        puts it in its tier, the most specific first) and `nations_linked` (how many
        nations it is linked to, to tell UK-wide from nation-wide). Initiatives of other
        nations only are not there.
        """
        return self._tiered(self.filter(pk__in=self._serving_ids(place)), place)

    def serving_area(self, place):
        """The initiatives serving `place` (an areas.ServedPlace) in any tier, without the
        annotations (the listing orders them with `tier_of`)."""
        return self.filter(pk__in=self.model.objects.all()._serving_ids(place))

    def tier_of(self, place):
        """An expression for each row's tier for `place` (as `serving` gives it)."""
        return self._tiers(place)["tier"]

    def _linked(self, area_ids):
        """EXISTS a link from the row to one of these areas (the link table's area index)."""
        links = self.model.areas.through.objects.filter(
            initiative_id=models.OuterRef("pk"), area_id__in=sorted(area_ids)
        )
        return models.Exists(links)

    def _here(self, area_id: int):
        """A row is "here" for an area: linked to it or to an area below it, or located
        in one (its point lies in that district, from its postcode or its town). That is
        the area's rows in the area closure (each initiative with every area at or above
        its service areas and its located district, kept by `services.closure`): one
        lookup on the closure's area index. (A UNION of the links to every area below
        and the located districts, tested against each row, led PostgreSQL into a
        nested loop over 80,000 ids for each row read under a LIMIT.)"""
        return models.Q(pk__in=self._closure_ids(area_id))

    def _not_here(self, area_id: int):
        """A row is not "here" for an area: NOT EXISTS its row in the area closure. (NOT
        IN the area's ids is a subplan whose rows PostgreSQL guesses at half the
        register: it then read every published row to find the few linked to the areas
        covering a district, 0.36 s at a million records where this takes 0.03 s.)"""
        closure = self.model._meta.get_field("area_closure").related_model
        rows = closure.objects.filter(initiative_id=models.OuterRef("pk"), area_id=area_id)
        return ~models.Exists(rows)

    def _closure_ids(self, area_id: int):
        """Ids of the initiatives "here" for an area: its rows in the area closure."""
        closure = self.model._meta.get_field("area_closure").related_model
        return closure.objects.filter(area_id=area_id).order_by().values("initiative_id")

    def _unlinked_uk_wide(self):
        """Only the national initiatives tied to no area (the partial index on national)."""
        through = self.model.areas.through
        any_link = models.Exists(through.objects.filter(initiative_id=models.OuterRef("pk")))
        return self.filter(national=True).exclude(any_link)

    def _unlinked_uk_wide_ids(self):
        """Ids of the national initiatives tied to no area: one part of the UNIONs below."""
        return self.model.objects.all()._unlinked_uk_wide().order_by().values("pk")

    def _nation_link_ids(self, place):
        """Ids linked to the place's nation (none for a nation itself, which is "here"
        for what serves it): the nation tier's linked part. None when there is none."""
        nations = sorted(place.nation_ids - place.within)
        if not nations:
            return None
        through = self.model.areas.through
        return through.objects.filter(area_id__in=nations).order_by().values("initiative_id")

    def in_tier(self, place, tier: int):
        """The initiatives serving `place` in one tier, as `serving` tiers them, by
        EXISTS on the link table's area index (for lists and counts of one tier, where
        computing every row's tier first reads far more)."""
        if tier == TIER_HERE:
            return self.filter(self._here(place.area.pk))
        if tier == TIER_COVERING:
            if not place.covering:
                return self.none()
            covering = self.filter(self._linked(place.covering_ids))
            return covering.filter(self._not_here(place.area.pk))
        nearer = place.within | place.covering_ids
        # One UNION of two indexed parts (the nation's links; national and tied to no
        # area): an OR of the two would read every published row.
        ids = self._unlinked_uk_wide_ids()
        links = self._nation_link_ids(place)
        if links is not None:
            ids = links.union(ids)
        return (
            self.filter(pk__in=ids)
            .exclude(self._linked(nearer))
            .exclude(location_district_id__in=sorted(place.within))
        )

    def in_tier_parts(self, place, tier: int) -> list:
        """`in_tier` as parts that share no row, whose rows together are its rows, each
        read through its own indexes: for counting a tier (the sum of the parts' counts).
        The nation tier is two: what is linked to the nation, and the UK-wide records
        tied to no area, counted from the partial index on national alone, where as one
        list each of them was looked up by its id (at a million records 50,000 of
        them, 0.45 s)."""
        if tier != TIER_NATION:
            return [self.in_tier(place, tier)]
        within = sorted(place.within)
        parts = []
        links = self._nation_link_ids(place)
        if links is not None:
            nearer = place.within | place.covering_ids
            parts.append(
                self.filter(pk__in=links)
                .exclude(self._linked(nearer))
                .exclude(location_district_id__in=within)
            )
        # Tied to no area, so linked to nothing nearer either.
        parts.append(self._unlinked_uk_wide().exclude(location_district_id__in=within))
        return parts

    def _serving_ids(self, place, near=None, *, unlinked: bool = True):
        """Ids of the initiatives serving the place, and of those `near` it (a queryset),
        as one UNION: each part uses its own index (the link table's area index, the
        partial index on national, the grid index), where an OR of them would make the
        database read every published row. `unlinked` False: without the UK-wide
        records tied to no area (None when nothing else is left)."""
        through = self.model.areas.through
        parts = [self._unlinked_uk_wide_ids()] if unlinked else []
        if place is not None:
            ids = place.within | place.covering_ids | place.nation_ids
            linked = through.objects.filter(area_id__in=sorted(ids)).order_by()
            parts.append(linked.values("initiative_id"))
            located = self.model.objects.filter(location_district_id__in=sorted(place.within))
            parts.append(located.order_by().values("pk"))
        if near is not None:
            parts.append(near.order_by().values("pk"))
        if not parts:
            return None
        return parts[0].union(*parts[1:])

    def _here_ids(self, place, near=None):
        """Ids of the initiatives "here" for a point: the place's rows in the area closure
        and those `near` it (a queryset), as one UNION; None when neither is known."""
        parts = [self._closure_ids(place.area.pk)] if place is not None else []
        if near is not None:
            parts.append(near.order_by().values("pk"))
        if not parts:
            return None
        return parts[0].union(*parts[1:])

    @staticmethod
    def _tiered(queryset, place, *, near_m: float | None = None):
        """`queryset` with the annotations `serving` adds; with `near_m`, an initiative
        located within that many metres (its `distance_m`) is "here" too. Besides the
        tier: `served_within` (a service area at or within the place), `place_name`
        and `uk_wide` (serving every nation, or national with no area), for the words
        that say why each is there."""
        queryset = queryset.annotate(**queryset._tiers(place, near_m=near_m))
        nations = len(place.all_nations) if place is not None else 4
        return queryset.annotate(
            uk_wide=models.Case(
                models.When(national=True, nations_linked__gte=nations, then=models.Value(True)),
                models.When(national=True, served_area__isnull=True, then=models.Value(True)),
                default=models.Value(False),
                output_field=models.BooleanField(),
            )
        )

    def _tiers(self, place, *, near_m: float | None = None) -> dict:
        through = self.model.areas.through

        here = [models.When(distance_m__lte=near_m, then=models.Value(TIER_HERE))] if near_m else []
        if place is None:
            # With no "here" either, every row's tier is one constant (a Value: the
            # listing's order leaves it out, as PostgreSQL refuses a constant there).
            nation = models.Value(TIER_NATION, output_field=models.IntegerField())
            return {
                "tier": models.Case(*here, default=nation) if here else nation,
                "served_area": models.Value(None, output_field=models.CharField()),
                "served_within": models.Value(False),
                "located_here": models.Value(False),
                "place_name": models.Value(None, output_field=models.CharField()),
                "nations_linked": models.Value(0),
            }
        order = [place.area.pk, *sorted(place.within - {place.area.pk})]
        order += [area.pk for area in place.covering] + sorted(place.nation_ids)
        specific_first = models.Case(
            *[models.When(area_id=pk, then=models.Value(n)) for n, pk in enumerate(order)],
            default=models.Value(len(order)),
            output_field=models.IntegerField(),
        )
        serves = through.objects.filter(initiative_id=models.OuterRef("pk"), area_id__in=order)
        nation_links = (
            through.objects.filter(
                initiative_id=models.OuterRef("pk"), area_id__in=sorted(place.all_nations)
            )
            .order_by()
            .values("initiative_id")
            .annotate(count=models.Count("pk"))
            .values("count")
        )
        covering = (
            [models.When(self._linked(place.covering_ids), then=models.Value(TIER_COVERING))]
            if place.covering
            else []
        )
        located_here = models.Q(location_district_id__in=sorted(place.within))
        return {
            "tier": models.Case(
                models.When(self._here(place.area.pk), then=models.Value(TIER_HERE)),
                *here,
                *covering,
                default=models.Value(TIER_NATION),
                output_field=models.IntegerField(),
            ),
            "served_area": models.Subquery(
                serves.order_by(specific_first).values("area__name")[:1]
            ),
            "served_within": self._linked(place.within),
            "located_here": models.ExpressionWrapper(
                located_here, output_field=models.BooleanField()
            ),
            "place_name": models.Value(place.area.name, output_field=models.CharField()),
            "nations_linked": Coalesce(models.Subquery(nation_links[:1]), models.Value(0)),
        }

    def serving_point(
        self,
        postcode,
        distance_km: float = DEFAULT_DISTANCE_KM,
        *,
        place=None,
        part: str | None = None,
    ):
        """Initiatives that serve a postcode, in tiers: those serving the area it lies in
        (`place`, an areas.ServedPlace; by default the one of the postcode's local
        authority, when it is recorded), and those located within distance_km, which are "here".

        `postcode` is a places.models.Postcode. Rows carry `tier`, `served_area` and
        `nations_linked` as `serving` gives them, and `distance_m` (None where either end
        has no location).

        `part`, one part of the answer found through its own indexes (None: all of it):

        - "here": only those "here" (the place's rows in the area closure and those
          located within the distance), through those two indexes alone: the first rows
          of the whole answer, which the UK-wide records (a twentieth of a register
          generated for benchmarks) would otherwise make the database tier one by one;
        - "linked": all but the UK-wide records tied to no area, except those of them
          located in the place or near the point (which may be "here");
        - "unlinked": the UK-wide records tied to no area. Those not in "linked" are all
          in the nation tier, so the tiers can be counted without tiering each of them
          (`ListingFacets._point_tier_batch`).
        """
        if place is None:
            Area = self.model.areas.field.related_model
            place = Area.objects.place_of_district(postcode.local_authority_code)
        located = postcode.easting is not None and postcode.northing is not None
        queryset = self
        near = None
        if located:
            queryset = queryset.alias(
                grid_distance_sq=self._squared_distance(postcode.easting, postcode.northing)
            )
            distance = Sqrt("grid_distance_sq")
            near = self.model.objects.near(postcode.easting, postcode.northing, distance_km)
        else:
            distance = models.Value(None, output_field=models.FloatField())
        near_m = self._radius_m(distance_km) if located else None
        if part == "here":
            here = self._here_ids(place, near)
            queryset = queryset.none() if here is None else queryset.filter(pk__in=here)
        elif part == "linked":
            linked = self._serving_ids(place, near, unlinked=False)
            queryset = queryset.none() if linked is None else queryset.filter(pk__in=linked)
        elif part == "unlinked":
            # On the rows themselves, not their ids IN a subquery: read from the partial
            # index alone, where the ids would then be looked up one by one.
            queryset = queryset._unlinked_uk_wide()
        elif part is None:
            queryset = queryset.filter(pk__in=self._serving_ids(place, near))
        else:
            raise ValueError(f"part must be None, here, linked or unlinked, not {part!r}")
        return self._tiered(queryset.annotate(distance_m=distance), place, near_m=near_m)

    def search(self, q: str, *, correct: bool = True):
        """Full-text search; the backend is chosen in initiatives.search alone. With
        `correct` False, misspelt words are searched as typed."""
        q = (q or "").strip()
        if not q:
            return self
        return search_initiatives(self, q, correct=correct)

    def review_due(self):
        cutoff = timezone.localdate() - timedelta(days=settings.REVIEW_DUE_DAYS)
        return self.filter(
            models.Q(last_verified_on__isnull=True) | models.Q(last_verified_on__lt=cutoff)
        )

    def never_checked(self):
        return self.filter(last_verified_on__isnull=True)

    def without_contact(self):
        """No website, email, phone, address, postcode or contact: no way to reach them
        (what the public page calls "No contact details recorded")."""
        return self.filter(**dict.fromkeys(CONTACT_FIELDS, "")).filter(contacts__isnull=True)

    def notes_to_self_in_public_text(self):
        """Public text that reads like a note to self (validators.notes_to_self), as save()
        records it (a partial index)."""
        return self.filter(notes_in_public_text=True)

    def for_listing(self):
        """A result as the listing and an area page show it, and print it: what someone
        about to go needs (who it is for, opening times, contacts) is on the printed page."""
        return self.select_related("organisation", "vanguard").prefetch_related(
            "areas", "conditions", "topics", "population_groups", "opening_times", "contacts"
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
            models.Prefetch("opening_times", to_attr="opening_time_list"),
            models.Prefetch("contacts", to_attr="contact_list"),
            models.Prefetch("organisation__funding_lines", to_attr="funding_line_list"),
        )
