"""The one FilterSet behind the listing, the CSV export and the API.

Invalid params become form errors that the page shows; filters whose values are
valid still apply, so the page shows what it can.
"""

import unicodedata
from decimal import Decimal
from functools import cached_property

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Exists, F, OuterRef, Value

from places.forms import GazetteerField, PlaceField

from ..areas import AreaTree
from ..models import (
    Area,
    Condition,
    FundingDependency,
    Initiative,
    Organisation,
    PopulationGroup,
    Topic,
    VanguardSite,
)
from ..querysets import DEFAULT_DISTANCE_KM, TIER_HERE
from ..search import name_order

MAX_QUERY_LENGTH = 200

SORT_CHOICES = [
    ("relevance", "Relevance"),
    ("distance", "Distance"),
    ("name", "Name (A to Z)"),
    ("-last_verified_on", "Recently checked"),
]

# The value that brings ended initiatives back into the results (the filter's checkbox),
# and the one that lists them alone (where a figure counts the ended ones apart).
INCLUDE_ENDED = "1"
ONLY_ENDED = "only"
INCLUDE_ENDED_CHOICES = [
    (INCLUDE_ENDED, "Include ended initiatives"),
    (ONLY_ENDED, "Only ended initiatives"),
]


def includes_ended(data) -> bool:
    """Whether the params ask for ended initiatives too (include_ended=1), or alone
    (include_ended=only)."""
    return data is not None and data.get("include_ended") in (INCLUDE_ENDED, ONLY_ENDED)


MIN_DISTANCE_KM = Decimal("0.1")
MAX_DISTANCE_KM = Decimal(200)
DISTANCE_MESSAGE = "Give a distance in kilometres from 0.1 to 200, like 10"


class SlugMultipleChoiceFilter(django_filters.ModelMultipleChoiceFilter):
    """A repeatable slug param; several values mean "any of them"."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("to_field_name", "slug")
        kwargs.setdefault("distinct", False)
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        # EXISTS on the link table rather than a join: no repeated rows, so no
        # DISTINCT over whole rows, and counts can group the rows directly.
        relation = qs.model._meta.get_field(self.field_name)
        link = relation.remote_field.through.objects.filter(
            **{
                relation.m2m_column_name(): OuterRef("pk"),
                f"{relation.m2m_reverse_name()}__in": [item.pk for item in value],
            }
        )
        return qs.filter(Exists(link))


# Alphabets whose letters look alike: a word mixing them was likely pasted, not typed.
CONFUSABLE_SCRIPTS = {"LATIN": "Latin", "CYRILLIC": "Cyrillic", "GREEK": "Greek"}


def check_search_words(value: str) -> None:
    """Refuse words that cannot be searched, with what to do instead: only punctuation,
    or a word that mixes look-alike alphabets (a Cyrillic "е" in "dеmentia")."""
    text = (value or "").strip()
    if not text:
        return
    if not any(char.isalnum() for char in text):
        raise ValidationError(
            f"\u201c{text[:40]}\u201d has no letters or numbers to search for: type a word, "
            "a town or a postcode",
            code="no_words",
        )
    for word in text.split():
        scripts = {
            CONFUSABLE_SCRIPTS[script]
            for char in word
            if char.isalpha()
            and (script := unicodedata.name(char, " ").split(" ")[0]) in CONFUSABLE_SCRIPTS
        }
        if len(scripts) > 1:
            raise ValidationError(
                f"\u201c{word[:40]}\u201d mixes letters of different alphabets "
                f"({' and '.join(sorted(scripts))}), as text copied from elsewhere can: "
                "type it again",
                code="mixed_scripts",
            )


class SearchField(forms.CharField):
    """The search words: at most MAX_QUERY_LENGTH characters that can be searched."""

    default_validators = [check_search_words]


class SearchFilter(django_filters.CharFilter):
    field_class = SearchField


class PlaceFilter(django_filters.Filter):
    """A postcode, sector or district param, cleaned to a places.lookup.Place."""

    field_class = PlaceField


class GazetteerFilter(django_filters.Filter):
    """A town, city or village param, cleaned to a places.gazetteer.GazetteerPlace."""

    field_class = GazetteerField


class InitiativeFilter(django_filters.FilterSet):
    q = SearchFilter(
        label="Search",
        method="filter_q",
        max_length=MAX_QUERY_LENGTH,
    )
    role = django_filters.ChoiceFilter(choices=Initiative.Role.choices, label="Role")
    area = django_filters.ModelChoiceFilter(
        queryset=Area.objects.all(), to_field_name="slug", method="filter_area", label="Area"
    )
    vanguard = django_filters.ModelChoiceFilter(
        queryset=VanguardSite.objects.all(), to_field_name="slug", label="Vanguard site"
    )
    funding_dependency = django_filters.ChoiceFilter(
        choices=FundingDependency.choices, label="Funding dependency"
    )
    condition = SlugMultipleChoiceFilter(
        field_name="conditions", queryset=Condition.objects.all(), label="Condition"
    )
    topic = SlugMultipleChoiceFilter(
        field_name="topics", queryset=Topic.objects.all(), label="What it does"
    )
    population = SlugMultipleChoiceFilter(
        field_name="population_groups",
        queryset=PopulationGroup.objects.all(),
        label="Who it is for",
    )
    legal_form = django_filters.ChoiceFilter(
        field_name="organisation__legal_form",
        choices=Organisation.LegalForm.choices,
        label="Legal form",
    )
    here_only = django_filters.BooleanFilter(method="filter_here_only", label="Here only")
    as_typed = django_filters.BooleanFilter(method="filter_as_typed", label="Words as typed")
    postcode = PlaceFilter(method="filter_postcode", label="Postcode")
    place = GazetteerFilter(method="filter_place", label="Town, city or village")
    distance_km = django_filters.NumberFilter(
        method="filter_distance_km",
        label="Distance (km)",
        min_value=MIN_DISTANCE_KM,
        max_value=MAX_DISTANCE_KM,
        error_messages=dict.fromkeys(("invalid", "min_value", "max_value"), DISTANCE_MESSAGE),
    )
    sort = django_filters.ChoiceFilter(
        choices=SORT_CHOICES, method="filter_sort", label="Sort by", empty_label=None
    )
    include_ended = django_filters.ChoiceFilter(
        choices=INCLUDE_ENDED_CHOICES, method="filter_include_ended", label="Include ended"
    )

    class Meta:
        model = Initiative
        fields: list[str] = []

    def __init__(self, data=None, queryset=None, **kwargs):
        super().__init__(data, queryset, **kwargs)
        # Ended initiatives stay on the register but leave the results unless asked for.
        # The base queryset narrows, so the results, the counts and the facets agree.
        # The current register is kept for "how many without include_ended" (facets).
        self.current_queryset = self.queryset.current()
        # The place of each district a point lies in, looked up once (_district_place).
        self._district_places: dict[str, object] = {}
        if not includes_ended(self.data):
            self.queryset = self.current_queryset
        elif self.data.get("include_ended") == ONLY_ENDED:
            self.queryset = self.queryset.ended()

    def filter_include_ended(self, queryset, name, value):
        # Applied to the base queryset in __init__.
        return queryset

    def filter_q(self, queryset, name, value):
        data = self.cleaned
        return queryset.search(value, correct=not data.get("as_typed"))

    def filter_as_typed(self, queryset, name, value):
        # Read by filter_q; on its own it filters nothing.
        return queryset

    @property
    def cleaned(self) -> dict:
        """The valid params (empty before the form is validated)."""
        return getattr(self.form, "cleaned_data", {})

    @cached_property
    def tree(self) -> AreaTree:
        """The area hierarchy, loaded once for the request (the listing's facets use it too)."""
        return Area.objects.tree()

    def area_place(self):
        """The chosen area as a place served in tiers (areas.ServedPlace), or None."""
        data = self.cleaned
        area = data.get("area")
        if area is None or area.pk not in self.tree.areas:
            return None
        return self.tree.place(area.pk)

    def only_here(self) -> bool:
        data = self.cleaned
        return bool(data.get("here_only"))

    def filter_area(self, queryset, name, value):
        """What serves the area: here (the area or within it), covering it, and its nation
        or the whole UK; with here_only, here alone (as near a postcode or in a town)."""
        place = self.area_place()
        if place is None:
            return queryset.in_area(value)
        if self.only_here():
            return queryset.in_tier(place, TIER_HERE)
        return queryset.serving_area(place)

    def filter_here_only(self, queryset, name, value):
        # Read by filter_area, filter_postcode and filter_place; on its own it filters nothing.
        return queryset

    def distance_km_value(self) -> Decimal:
        """The distance asked for, or the default when none (or a refused one) was given."""
        data = self.cleaned
        return data.get("distance_km") or DEFAULT_DISTANCE_KM

    def _district_place(self, point):
        """The place (areas.ServedPlace) of the district a point lies in, or None: looked
        up once for the results and their first tier."""
        code = point.local_authority_code or ""
        if code not in self._district_places:
            self._district_places[code] = Area.objects.place_of_district(code)
        return self._district_places[code]

    def _serving_point(self, queryset, point, *, part: str | None = None):
        return queryset.serving_point(
            point, self.distance_km_value(), place=self._district_place(point), part=part
        )

    def filter_postcode(self, queryset, name, value):
        # value is a places.lookup.Place: the postcode, or the sector or district standing in.
        return self._here_only(self._serving_point(queryset, value.postcode))

    def point_part(self, queryset, name: str, part: str):
        """`queryset` filtered as the `name` filter (postcode or place) filters it, but
        only one part of the answer, found through that part's own indexes (see
        querysets.serving_point): "here", the first rows of a search near a point, or
        the records "linked" to the place and "unlinked" (the UK-wide ones)."""
        data = self.cleaned
        if name == "place" and data.get("postcode") is not None:
            return queryset  # the postcode is the finer place: it is searched instead
        point = data["postcode"].postcode if name == "postcode" else data["place"]
        return self._serving_point(queryset, point, part=part)

    def _here_only(self, queryset):
        """A search near a point narrowed to its first tier when "here only" is asked for."""
        return queryset.filter(tier=TIER_HERE) if self.only_here() else queryset

    def filter_place(self, queryset, name, value):
        """What serves a town, as a postcode search from its point and its district.
        A postcode given as well is the finer place, so it is searched instead."""
        if self.form.cleaned_data.get("postcode") is not None:
            return queryset
        return self._here_only(self._serving_point(queryset, value))

    def filter_distance_km(self, queryset, name, value):
        # Read by filter_postcode and filter_place; a distance on its own filters nothing.
        return queryset

    def filter_sort(self, queryset, name, value):
        # Ordering is applied in filter_queryset, after every filter has run.
        return queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        return self.sort_queryset(queryset)

    def sort_queryset(self, queryset):
        data = self.cleaned
        sort = data.get("sort") or ""
        searching = bool((data.get("q") or "").strip())
        near = data.get("postcode") is not None or data.get("place") is not None
        if near:
            return self.sort_near(queryset, sort, searching)
        if sort == "distance":
            return queryset.order_by("name", "pk")
        place = None if near or self.only_here() else self.area_place()
        if place is not None:
            # Tier by tier (here, covering, nation-wide), each in the order asked for.
            ordered = self.sort_queryset_within_tier(queryset, sort, searching)
            return ordered.alias(place_tier=ordered.tier_of(place)).order_by(
                "place_tier", *ordered.query.order_by
            )
        return self.sort_queryset_within_tier(queryset, sort, searching)

    @staticmethod
    def sort_near(queryset, sort: str, searching: bool):
        """A search near a postcode or in a town: tier by tier (here, covering, nation-wide),
        and within a tier by default the located ones by distance, then by relevance to
        the words (when searching), then by name without regard to case or accents.
        Another order asked for applies within each tier."""
        # Words that left nothing to search by (only punctuation) leave no rank.
        annotations = queryset.query.annotations
        ranked = searching and "search_rank" in annotations
        relevance = ["-search_exact", "-search_rank"] if ranked else []
        name = [name_order(queryset.db), "pk"]
        # Near a point with no location and in no known area, every row has the same
        # tier and no distance: constants, which PostgreSQL refuses in ORDER BY (and
        # reads a bare number there as a column's position).
        tier = [] if isinstance(annotations.get("tier"), Value) else ["tier"]
        distance = (
            []
            if isinstance(annotations.get("distance_m"), Value)
            else [F("distance_m").asc(nulls_last=True)]
        )
        if sort == "name":
            within = name
        elif sort == "-last_verified_on":
            within = [F("last_verified_on").desc(nulls_last=True), *name]
        elif sort == "relevance" and ranked:
            within = [*relevance, *name]
        else:
            within = [*distance, *relevance, *name]
        return queryset.order_by(*tier, *within)

    def sort_queryset_within_tier(self, queryset, sort: str, searching: bool):
        if sort == "-last_verified_on":
            return queryset.order_by(F("last_verified_on").desc(nulls_last=True), "name", "pk")
        if sort == "name" or not searching:
            return queryset.order_by("name", "pk")
        # Relevance: search() has already ordered by rank.
        return queryset


def clean_query_dict(querydict):
    """Drop NUL bytes and over-long values so that no param can break a query."""
    cleaned = querydict.copy()
    for key in list(cleaned.keys()):
        values = [value.replace("\x00", "")[:1000] for value in cleaned.getlist(key)]
        cleaned.setlist(key, values)
    return cleaned


__all__ = ["InitiativeFilter", "clean_query_dict", "includes_ended", "SORT_CHOICES"]
