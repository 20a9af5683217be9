"""Facet counts for the listing: how many results each filter option would give.

For each facet, every other active filter applies and this one does not; the
counts come from one grouped query per facet, so the listing's query count does
not grow with the number of options.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q

from .filters import InitiativeFilter
from .models import (
    Area,
    Condition,
    FundingDependency,
    Initiative,
    Organisation,
    PopulationGroup,
    Topic,
    VanguardSite,
)

# Listing params that narrow the results (sort and page only arrange them).
FILTER_PARAMS = (
    "q",
    "role",
    "area",
    "vanguard",
    "funding_dependency",
    "condition",
    "topic",
    "population",
    "legal_form",
    "postcode",
)
MULTIPLE_PARAMS = ("condition", "topic", "population")
# Single-choice facets and the column each counts by.
SINGLE_CHOICE_COLUMNS = {
    "role": "role",
    "vanguard": "vanguard_id",
    "funding_dependency": "funding_dependency",
    "legal_form": "organisation__legal_form",
}


class AreaTree:
    """Every area with its children, split districts listed under each of their parents."""

    def __init__(self):
        self.areas: dict[int, Area] = {
            area.pk: area
            for area in Area.objects.only("pk", "name", "slug", "kind", "parent_id").order_by(
                "name", "pk"
            )
        }
        self.children: dict[int, list[int]] = defaultdict(list)
        for area in self.areas.values():
            if area.parent_id in self.areas:
                self.children[area.parent_id].append(area.pk)
        through = Area.other_parents.through
        for child_id, parent_id in through.objects.values_list("from_area_id", "to_area_id"):
            known = child_id in self.areas and parent_id in self.areas
            if known and child_id not in self.children[parent_id]:
                self.children[parent_id].append(child_id)
        position = {pk: index for index, pk in enumerate(self.areas)}
        for kids in self.children.values():
            kids.sort(key=position.__getitem__)
        self.roots = [area.pk for area in self.areas.values() if area.parent_id not in self.areas]

    def by_slug(self, slug: str) -> Area | None:
        return next((area for area in self.areas.values() if area.slug == slug), None)

    def descendant_ids(self, pk: int) -> set[int]:
        """The area's own id and every id below it."""
        found, stack = {pk}, [pk]
        while stack:
            for child in self.children.get(stack.pop(), ()):
                if child not in found:
                    found.add(child)
                    stack.append(child)
        return found

    def ancestor_ids(self, pk: int) -> set[int]:
        """Every id above the area (not its own), through all of its parents."""
        parents: dict[int, list[int]] = defaultdict(list)
        for parent, kids in self.children.items():
            for kid in kids:
                parents[kid].append(parent)
        found: set[int] = set()
        stack = [pk]
        while stack:
            for parent in parents.get(stack.pop(), ()):
                if parent not in found:
                    found.add(parent)
                    stack.append(parent)
        return found

    def child_areas(self, pk: int) -> list[Area]:
        return [self.areas[child] for child in self.children.get(pk, ())]

    def in_order(self) -> list[tuple[Area, int]]:
        """Each area once, with its depth, parents before children (for a select)."""
        ordered: list[tuple[Area, int]] = []
        seen: set[int] = set()

        def visit(pk: int, depth: int) -> None:
            if pk in seen:
                return
            seen.add(pk)
            ordered.append((self.areas[pk], depth))
            for child in self.children.get(pk, ()):
                # Under its own parent only: a split district is listed once.
                if self.areas[child].parent_id == pk:
                    visit(child, depth + 1)

        for root in self.roots:
            visit(root, 0)
        for pk in self.areas:  # anything unreachable (a cycle) still gets listed
            visit(pk, 0)
        return ordered

    def nested(self) -> list[dict]:
        """The hierarchy as nested dicts {"area", "children"}, for the areas index."""

        def build(pk: int, path: frozenset) -> dict:
            kids = [c for c in self.children.get(pk, ()) if c not in path]
            return {
                "area": self.areas[pk],
                "children": [build(child, path | {child}) for child in kids],
            }

        return [build(root, frozenset({root})) for root in self.roots]


@dataclass
class Option:
    value: str
    label: str
    count: int | None = None
    selected: bool = False
    rare: bool = False
    depth: int = 0

    @property
    def indent(self) -> str:
        # Non-breaking spaces: screen readers skip them, sighted users see the nesting.
        return "\u00a0\u00a0" * self.depth


@dataclass
class Facet:
    name: str
    legend: str
    options: list[Option] = field(default_factory=list)
    multiple: bool = False

    @property
    def shown_options(self) -> list[Option]:
        """Options worth offering: those with results, and any already chosen."""
        return [o for o in self.options if o.selected or o.count is None or o.count > 0]

    @property
    def selected(self) -> list[Option]:
        return [o for o in self.options if o.selected]


class ListingFacets:
    """Facet options and counts for one validated InitiativeFilter."""

    def __init__(self, filterset: InitiativeFilter, *, area_tree: AreaTree | None = None):
        self.filterset = filterset
        filterset.is_valid()  # invalid params are dropped from cleaned_data, the rest apply
        self.data = filterset.form.cleaned_data
        self.tree = area_tree or AreaTree()
        self._bases: dict[tuple[str, ...], object] = {}
        self._totals: dict[str, int] = {}
        self._area_counts: dict[int, int] | None = None
        self._single: dict[str, dict] | None = None

    # Querysets -------------------------------------------------------------

    def active(self) -> dict[str, object]:
        """The valid filters that narrow the results, by param name."""
        # Chosen slugs arrive as querysets the form has already evaluated: bool() is free.
        return {name: value for name, value in self.data.items() if name in FILTER_PARAMS and value}

    def _base(self, names: tuple[str, ...]):
        """The published records with these filters applied, built once and reused.

        Search, area and postcode go first: search may query to decide how to
        match, the area and the postcode look up the places within or above
        them, so each runs once per page.
        """
        if names not in self._bases:
            if names:
                name = names[-1]
                self._bases[names] = self.filterset.filters[name].filter(
                    self._base(names[:-1]), self.data[name]
                )
            else:
                self._bases[names] = self.filterset.queryset.all()
        return self._bases[names]

    def queryset_without(self, *excluded: str):
        """The results with every active filter applied except the excluded ones."""
        active = [name for name in self.active() if name not in excluded]
        first = tuple(name for name in ("q", "area", "postcode") if name in active)
        queryset = self._base(first)
        for name in active:
            if name not in first:
                queryset = self.filterset.filters[name].filter(queryset, self.data[name])
        return queryset

    def results(self):
        """The listing's records, filtered as the FilterSet filters them, in its order."""
        return self.filterset.sort_queryset(self.queryset_without())

    def count_without(self, name: str) -> int:
        """How many results there would be without one filter."""
        if name in self._totals:
            return self._totals[name]
        return self.queryset_without(name).count()

    def _ids_without(self, name: str):
        return self.queryset_without(name).order_by().values("pk")

    def _group_rows(self, queryset, columns: list[str]) -> list[dict]:
        if queryset.query.distinct:
            # Rows may repeat: count each record once through its id.
            queryset = Initiative.objects.filter(pk__in=queryset.order_by().values("pk"))
        # Grouping the filtered rows directly lets the database use its indexes.
        return list(queryset.order_by().values(*columns).annotate(n=Count("*")))

    def _single_counts(self) -> dict[str, dict]:
        """Counts for the single-choice facets.

        Facets not chosen all count over the same results, so one grouped query
        serves them together; each chosen one needs a query of its own.
        """
        if self._single is None:
            active = self.active()
            counts: dict[str, dict] = {name: defaultdict(int) for name in SINGLE_CHOICE_COLUMNS}
            shared = [name for name in SINGLE_CHOICE_COLUMNS if name not in active]
            batches = [(shared, self.queryset_without())] if shared else []
            batches += [([name], self.queryset_without(name)) for name in active if name in counts]
            for names, queryset in batches:
                columns = [SINGLE_CHOICE_COLUMNS[name] for name in names]
                for row in self._group_rows(queryset, columns):
                    for name, column in zip(names, columns, strict=True):
                        counts[name][row[column]] += row["n"]
            for name, by_value in counts.items():
                # Each record falls in exactly one group (None included), so the sum
                # is the number of results without this filter.
                self._totals[name] = sum(by_value.values())
            self._single = counts
        return self._single

    def _grouped(self, name: str, column: str) -> dict:
        return self._single_counts()[name]

    def _through_counts(self, name: str, relation: str) -> dict[int, int]:
        """Results per option of a many-to-many facet, from its link table."""
        field = Initiative._meta.get_field(relation)
        through = field.remote_field.through
        source = field.m2m_column_name()
        target = field.m2m_reverse_name()
        rows = (
            through.objects.filter(**{f"{source}__in": self._ids_without(name)})
            .order_by()
            .values(target)
            .annotate(n=Count("*"))
        )
        return {row[target]: row["n"] for row in rows}

    # Facets ------------------------------------------------------------------

    def _choice_facet(self, name, legend, choices, column) -> Facet:
        counts = self._grouped(name, column)
        chosen = self.data.get(name) or ""
        return Facet(
            name=name,
            legend=legend,
            options=[
                Option(
                    value=value, label=label, count=counts.get(value, 0), selected=value == chosen
                )
                for value, label in choices
            ],
        )

    def role(self) -> Facet:
        return self._choice_facet("role", "Role", Initiative.Role.choices, "role")

    def funding_dependency(self) -> Facet:
        return self._choice_facet(
            "funding_dependency",
            "Funding dependency",
            FundingDependency.choices,
            "funding_dependency",
        )

    def legal_form(self) -> Facet:
        return self._choice_facet(
            "legal_form",
            "Legal form",
            Organisation.LegalForm.choices,
            "organisation__legal_form",
        )

    def vanguard(self) -> Facet:
        counts = self._grouped("vanguard", "vanguard_id")
        chosen = self.data.get("vanguard")
        return Facet(
            name="vanguard",
            legend="Vanguard site",
            options=[
                Option(
                    value=site.slug,
                    label=site.name,
                    count=counts.get(site.pk, 0),
                    selected=chosen is not None and chosen.pk == site.pk,
                )
                for site in VanguardSite.objects.only("pk", "name", "slug").order_by("name")
            ],
        )

    def _m2m_facet(self, name, legend, model, relation) -> Facet:
        counts = self._through_counts(name, relation)
        chosen = {item.pk for item in (self.data.get(name) or [])}
        fields = ["pk", "name", "slug"] + (["is_rare"] if model is Condition else [])
        return Facet(
            name=name,
            legend=legend,
            multiple=True,
            options=[
                Option(
                    value=item.slug,
                    label=item.name,
                    count=counts.get(item.pk, 0),
                    selected=item.pk in chosen,
                    rare=getattr(item, "is_rare", False),
                )
                for item in model.objects.only(*fields).order_by("name")
            ],
        )

    def condition(self) -> Facet:
        return self._m2m_facet("condition", "Condition", Condition, "conditions")

    def topic(self) -> Facet:
        return self._m2m_facet("topic", "What it does", Topic, "topics")

    def population(self) -> Facet:
        return self._m2m_facet("population", "Who it is for", PopulationGroup, "population_groups")

    def area_candidates(self) -> list[Area]:
        """Areas worth counting: nations, NHS regions, the chosen area and its children."""
        chosen = self.data.get("area")
        candidates = [
            area
            for area in self.tree.areas.values()
            if area.kind in (Area.Kind.NATION, Area.Kind.NHS_REGION)
        ]
        if chosen is not None and chosen.pk in self.tree.areas:
            candidates.append(self.tree.areas[chosen.pk])
            candidates.extend(self.tree.child_areas(chosen.pk))
        unique = {area.pk: area for area in candidates}
        return list(unique.values())

    def area_counts(self) -> dict[int, int]:
        """Results per candidate area (including places within it), in one query."""
        if self._area_counts is None:
            self._area_counts = self._count_areas()
        return self._area_counts

    def _count_areas(self) -> dict[int, int]:
        candidates = self.area_candidates()
        if not candidates:
            return {}
        through = Initiative.areas.through
        aggregates = {
            f"a{area.pk}": Count(
                "initiative_id",
                distinct=True,
                filter=Q(area_id__in=sorted(self.tree.descendant_ids(area.pk))),
            )
            for area in candidates
        }
        totals = through.objects.filter(initiative_id__in=self._ids_without("area")).aggregate(
            **aggregates
        )
        return {area.pk: totals[f"a{area.pk}"] for area in candidates}

    def area(self) -> Facet:
        counts = self.area_counts()
        chosen = self.data.get("area")
        return Facet(
            name="area",
            legend="Area",
            options=[
                Option(
                    value=area.slug,
                    label=area.name,
                    count=counts.get(area.pk),
                    selected=chosen is not None and chosen.pk == area.pk,
                    depth=depth,
                )
                for area, depth in self.tree.in_order()
            ],
        )

    def area_children(self) -> list[Option]:
        """The chosen area's sub-areas with counts, to narrow down by link."""
        chosen = self.data.get("area")
        if chosen is None:
            return []
        counts = self.area_counts()
        return [
            Option(value=child.slug, label=child.name, count=counts.get(child.pk, 0))
            for child in self.tree.child_areas(chosen.pk)
        ]

    def all(self) -> dict[str, Facet]:
        return {
            "role": self.role(),
            "area": self.area(),
            "topic": self.topic(),
            "population": self.population(),
            "condition": self.condition(),
            "vanguard": self.vanguard(),
            "funding_dependency": self.funding_dependency(),
            "legal_form": self.legal_form(),
        }
