"""Facet counts for the listing: how many results each filter option would give.

For each facet, every other active filter applies and this one does not; the
counts come from one grouped query per facet, so the listing's query count does
not grow with the number of options.
"""

# ruff: noqa: S608 - SQL is assembled from model table names, facet names and ids; the
# filters' values stay parameters.

import sqlite3
import time
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.http import QueryDict
from django.utils.html import escape
from django.utils.safestring import mark_safe

from ..areas import TIER_HERE, TIER_NATION, AreaTree, ServedPlace
from ..caching import cached_once, peek
from ..models import (
    Area,
    Condition,
    FundingDependency,
    Initiative,
    InitiativeAreaClosure,
    Organisation,
    PopulationGroup,
    Topic,
    VanguardSite,
)
from ..services.budget import OverBudget, time_budget
from ..services.locking import statement_time_limit
from ..services.tally import counts_given
from ..services.tally import key as tally_key
from .filters import InitiativeFilter, includes_ended
from .pages import planner_estimate
from .params import FILTER_PARAMS, MULTIPLE_PARAMS

# The key under which `ListingFacets._counts` gives the number of results.
TOTAL = "__total__"
# The key under which it gives the results per tier of a place search (see `tier_counts`).
TIERS = "__tiers__"
# Filters that narrow nothing on their own (read by other filters).
NO_OP_FILTERS = ("here_only", "as_typed")
# Filters whose one value the facet tally (services.tally) has every count beside.
TALLIED = (
    *("role", "vanguard", "funding_dependency", "legal_form"),
    *("topic", "population", "condition"),
)


@dataclass(frozen=True)
class Counted:
    """How a facet is counted: a column of the results' CTE, a link table (a
    many-to-many field), or the areas (each with the places below it)."""

    kind: str
    column: str = ""
    integer: bool = False

    def value(self, text):
        """An option's value as the facet keys it, from the text the query gives."""
        if text is None or not self.integer:
            return text
        return int(text)


# Columns the results' CTE carries (its name: the queryset's field).
CTE_COLUMNS = {
    "role": "role",
    "vanguard_id": "vanguard_id",
    "funding_dependency": "funding_dependency",
    "legal_form": "organisation__legal_form",
}
FACETS = {
    "role": Counted("column", "role"),
    "vanguard": Counted("column", "vanguard_id", integer=True),
    "funding_dependency": Counted("column", "funding_dependency"),
    "legal_form": Counted("column", "legal_form"),
    "topic": Counted("link", "topics", integer=True),
    "population": Counted("link", "population_groups", integer=True),
    "condition": Counted("link", "conditions", integer=True),
    "area": Counted("areas", integer=True),
}


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

    def options_html(self) -> str:
        """Every option as an <option> of a select (the area and vanguard site facets),
        escaped: "Label (count)", indented by depth. Written here rather than looped
        over in the template: the area facet's 440 options were most of the filters'
        rendering (about 16 ms of a cold listing at 100,000 records)."""
        return mark_safe(  # noqa: S308 - every value and label is escaped here
            "\n".join(
                f'<option value="{escape(o.value)}"{" selected" if o.selected else ""}>'
                f"{o.indent}{escape(o.label)}"
                f"{'' if o.count is None else f' ({int(o.count)})'}</option>"
                for o in self.options
            )
        )


def _count(counts: dict | None, key) -> int | None:
    """An option's count (0 when none was found), or None when the facet was not counted."""
    return None if counts is None else counts.get(key, 0)


def materialized_keyword(connection) -> str:
    """ "MATERIALIZED " for a CTE that must run once (SQLite before 3.35 knows no such word)."""
    if connection.vendor == "sqlite" and sqlite3.sqlite_version_info < (3, 35):
        return ""
    return "MATERIALIZED "


def register_counts() -> dict[str, dict]:
    """Every facet's counts and the TOTAL over the whole published, current register (no
    filter), the area facet for every area: one statement, kept in the figures cache
    under the register's version.

    The listing with no filter reads them from here, and so does any listing whose
    counts leave out its one filter (the area facet beside `area=halton`, the role
    facet beside `role=...`) once they are counted. After a change the register is
    counted once for all of those pages (one worker counts, the others wait for it:
    `caching.cached_once`), and `warm_register_counts` counts it before anyone asks."""

    def count() -> dict[str, dict]:
        facets = ListingFacets(
            InitiativeFilter(QueryDict(), queryset=Initiative.objects.published()),
            every_area=True,
        )
        with statement_time_limit(settings.DB_FIGURES_STATEMENT_TIMEOUT):
            tallied = facets._tallied(None, [], None)
            if tallied is not None:
                return tallied
            batch = facets._count_batch(facets.queryset_without(), list(FACETS))
        return {name: dict(value) if name != TOTAL else value for name, value in batch.items()}

    return cached_once("register-counts", {}, count)


def warm_register_counts() -> None:
    """Count the register's figures under the current version before a visitor asks
    (called by initiatives.caching after a change commits, see `caching.on_new_version`)."""
    register_counts()


class ListingFacets:
    """Facet options and counts for one validated InitiativeFilter.

    `every_area`: count the area facet for every area, not only the candidates shown
    (for `register_counts`). `reuse_register`: counts with no filter left to apply come
    from `register_counts` (off only to check them against a fresh count). `budget`:
    seconds the counts of a listing may take together (0: no limit); past them the
    facets go without counts (None) and `deferred` is set, and the results and the
    tiers of a place search are counted on their own (see `_within_budget`)."""

    def __init__(
        self,
        filterset: InitiativeFilter,
        *,
        area_tree: AreaTree | None = None,
        every_area: bool = False,
        reuse_register: bool = True,
        tiers: bool = False,
        budget: float = 0,
    ):
        self.filterset = filterset
        filterset.is_valid()  # invalid params are dropped from cleaned_data, the rest apply
        self.data = filterset.form.cleaned_data
        self._tree = area_tree
        self._bases: dict[tuple[bool, tuple[str, ...]], object] = {}
        self._batches: dict[str | None, dict[str, dict]] = {}
        self._first_tier = None
        self.every_area = every_area
        self.reuse_register = reuse_register
        self.tiers = tiers
        self.budget = budget
        self._deadline: float | None = None
        self._estimated = False
        # Whether some counts were left out for taking longer than the budget.
        self.deferred = False

    @property
    def tree(self) -> AreaTree:
        """The area hierarchy, loaded when first needed (the area facet, notices)."""
        if self._tree is None:
            self._tree = self.filterset.tree
        return self._tree

    # Querysets -------------------------------------------------------------

    def active(self) -> dict[str, object]:
        """The valid filters that narrow the results, by param name."""
        # Chosen slugs arrive as querysets the form has already evaluated: bool() is free.
        return {name: value for name, value in self.data.items() if name in FILTER_PARAMS and value}

    def _base(self, names: tuple[str, ...], *, current: bool = False):
        """The published records with these filters applied, built once and reused.

        Search, area and postcode go first: search may query to decide how to
        match, the area and the postcode look up the places within or above
        them, so each runs once per page. `current`: start from the current
        register, whatever include_ended asks for.
        """
        key = (current, names)
        if key not in self._bases:
            if names:
                name = names[-1]
                self._bases[key] = self.filterset.filters[name].filter(
                    self._base(names[:-1], current=current), self.data[name]
                )
            elif current:
                self._bases[key] = self.filterset.current_queryset.all()
            else:
                self._bases[key] = self.filterset.queryset.all()
        return self._bases[key]

    def queryset_without(self, *excluded: str):
        """The results with every active filter applied except the excluded ones.
        Without include_ended, the results are drawn from the current register, as
        they are when the param is not given."""
        first, rest = self._in_order([name for name in self.active() if name not in excluded])
        widened = "include_ended" in excluded and includes_ended(self.data)
        queryset = self._base(first, current=widened)
        for name in rest:
            queryset = self.filterset.filters[name].filter(queryset, self.data[name])
        return queryset

    @staticmethod
    def _in_order(active) -> tuple[tuple[str, ...], list[str]]:
        """The active filters in the order they run: search, area, postcode and place
        first (each built once, in `_base`), then the rest."""
        first = tuple(name for name in ("q", "area", "postcode", "place") if name in active)
        return first, [name for name in active if name not in first]

    def results(self):
        """The listing's records, filtered as the FilterSet filters them, in its order."""
        return self.filterset.sort_queryset(self.queryset_without())

    def first_tier(self):
        """Near a postcode or in a town, in tiers: the results in the first tier ("here"),
        in the results' order, found without the others (FilterSet.point_part); else
        None."""
        if self.tiering != "point":
            return None
        if self._first_tier is None:
            self._first_tier = self.filterset.sort_queryset(self.point_part("here"))
        return self._first_tier

    def point_part(self, part: str):
        """The results near a point, but only one part of them (querysets.serving_point:
        "here", "linked", "unlinked"). The filters run in the order `queryset_without`
        runs them, the search and the area as already found."""
        first, rest = self._in_order(list(self.active()))
        point = min(first.index(name) for name in ("postcode", "place") if name in first)
        queryset = self._base(first[:point])
        for name in [*first[point:], *rest]:
            if name in ("postcode", "place"):
                queryset = self.filterset.point_part(queryset, name, part)
            else:
                queryset = self.filterset.filters[name].filter(queryset, self.data[name])
        return queryset

    def count_without(self, name: str) -> int:
        """How many results there would be without one filter."""
        excluded = name if name in self.active() else None
        batch = self._counts(excluded)
        if batch is None:  # over the budget: the results alone
            return self.queryset_without(*([excluded] if excluded else [])).count()
        if TOTAL not in batch:  # the closure's count leaves it out: asked only on an empty page
            batch[TOTAL] = self.queryset_without(*([excluded] if excluded else [])).count()
        return batch[TOTAL]

    def total(self) -> int:
        """How many results there are (the count in the same statement as the facets, or
        on its own when those went over the budget)."""
        batch = self._counts(None)
        if batch is not None:
            return batch[TOTAL]
        if isinstance(self.tiering, ServedPlace):  # an area's tiers share out its results
            return sum(self.tier_counts().values())
        return self.queryset_without().count()

    @cached_property
    def tiering(self):
        """How the results come in tiers, when `tiers` is asked for: "point" near a
        postcode or in a town (each row carries its tier), the chosen area's place
        (areas.ServedPlace) for an area, or None (no tiers, or "here only")."""
        if not self.tiers or self.filterset.only_here():
            return None
        if self.data.get("postcode") is not None or self.data.get("place") is not None:
            return "point"
        return self.filterset.area_place()

    def tier_counts(self) -> dict[int, int]:
        """Results per tier, counted in the same statement as the facets: near a point,
        with every filter (the statement of the total); in an area, with every filter
        but the area's, which each tier stands in for (the statement of the area facet)."""
        tiering = self.tiering
        if tiering is None:
            return {}
        return dict(self._counts(None if tiering == "point" else "area")[TIERS])

    def _tiers_in(self, excluded: str | None):
        """The tiering the batch without `excluded` counts the tiers of, or None."""
        tiering = self.tiering
        if tiering == "point" and excluded is None:
            return tiering
        if isinstance(tiering, ServedPlace) and excluded == "area":
            return tiering
        return None

    def _counts(self, excluded: str | None) -> dict[str, dict] | None:
        """Counts per facet over the results without the `excluded` filter (None: with
        every filter), and the TOTAL of those results: with `excluded`, only its own
        facet; with None, every facet not chosen. None when they took longer than the
        budget; with the tiers, which the pages need, only the facets are then None."""
        if excluded not in self._batches:
            active = self.active()
            tiers = self._tiers_in(excluded)
            others = [name for name in active if name != excluded]
            tallied = self._tallied(excluded, others, tiers)
            if tallied is not None:
                self._batches[excluded] = tallied
                return tallied
            if self.reuse_register and tiers is None and not others:
                # No filter left: the whole register's counts, counted once per version.
                # Beside one filter only when already counted (by the warmer or the
                # listing with no filter): counting one facet alone is quicker than all.
                counted = (
                    register_counts()
                    if excluded is None and not self.budget
                    else peek("register-counts", {})
                )
                if counted is not None:
                    self._batches[excluded] = counted
                    return counted
            if excluded is None:
                names = [name for name in FACETS if name not in active]
            else:
                names = [excluded] if excluded in FACETS else []
            queryset = self.queryset_without(*([excluded] if excluded else []))
            if (
                excluded == "area"
                and not [name for name in others if name not in NO_OP_FILTERS]
                and not includes_ended(self.data)
            ):
                # Beside an area alone the results without it are the whole current
                # register: the area facet is the facet tally's (its rows in the area
                # closure, counted as they are written) and only the tiers are counted;
                # without the tally its closure rows are counted, leaving out the few
                # drafts and ended ones, rather than listing every id first.
                batch = self._tallied_areas(queryset, tiers)
                if batch is None:
                    batch = self._within_budget(
                        lambda: self._closure_batch(queryset, tiers), queryset
                    )
                if batch is None and tiers is not None:
                    batch = self._tiers_only(
                        self._closure_batch(queryset, tiers, areas=[tiers.area.pk]), ["area"]
                    )
            else:
                batch = self._within_budget(
                    lambda: self._count_batch(queryset, names, tiers=tiers), queryset
                )
                if batch is None and isinstance(tiers, ServedPlace):
                    batch = self._tiers_only(self._tier_batch(queryset, tiers), names)
                elif batch is None and tiers is not None:  # near a point: every filter
                    batch = self._tiers_only(self._point_tier_batch(), names)
            self._batches[excluded] = batch
        return self._batches[excluded]

    def _tallied(self, excluded: str | None, others: list[str], tiers) -> dict | None:
        """The batch from the facet tally, when what is left to apply is no filter or one
        value of one tallied filter (or an area, here only), over the current register
        (None: it is not, or the tally is not built; the counts are then counted). Off
        with `reuse_register=False`, which checks the reused counts against fresh ones."""
        if not self.reuse_register or tiers is not None:
            return None
        if includes_ended(self.data) and excluded != "include_ended":
            return None
        narrowing = [name for name in others if name not in NO_OP_FILTERS]
        given = None
        if narrowing:
            name = narrowing[0]
            # An area "here only" is its rows in the closure: the tally's area key.
            here = name == "area" and self.filterset.only_here()
            if len(narrowing) > 1 or not (name in TALLIED or here):
                return None
            value = self.data[name]
            if name in MULTIPLE_PARAMS:
                chosen = list(value)
                if len(chosen) != 1:
                    return None
                value = chosen[0].pk
            elif name in ("vanguard", "area"):
                value = value.pk
            given = tally_key(name, value)
        found = counts_given(given, using=self.filterset.queryset.db)
        if found is None:
            return None
        counts, total = found
        batch: dict = {TOTAL: total}
        for name, facet in FACETS.items():
            found = {facet.value(value): n for value, n in counts.get(name, {}).items()}
            if facet.kind == "column":
                # One value each, or none (no vanguard site): the rest, as a GROUP BY has.
                missing = total - sum(found.values())
                if missing > 0:
                    found[None] = missing
            batch[name] = found
        return batch

    def _tallied_areas(self, queryset, tiers) -> dict | None:
        """The area facet over the whole current register from the facet tally (the
        closure's rows of every current published record, by area: the same as
        `_closure_batch` counts), with the tiers past "here" counted through their own
        indexes; None when the tally is not built, or with `reuse_register=False`.
        At a million records `_closure_batch` first listed the 150,000 drafts, archived
        and ended records to leave out: 0.3 s."""
        if not self.reuse_register:
            return None
        found = counts_given(None, using=self.filterset.queryset.db)
        if found is None:
            return None
        counts, _total = found
        areas = {int(pk): n for pk, n in counts.get("area", {}).items()}
        if not self.every_area:
            candidates = {int(area.pk) for area in self.area_candidates()}
            if tiers is not None:
                candidates.add(int(tiers.area.pk))
            areas = {pk: n for pk, n in areas.items() if pk in candidates}
        if tiers is None:
            return {"area": defaultdict(int, areas)}
        parts, params = self._tier_counts_sql(queryset, tiers)
        batch = (
            self._run(
                connections[queryset.db],
                " UNION ALL ".join(parts),
                params,
                ["area"],
                tiers,
                with_total=False,
            )
            if parts
            else {TIERS: {}}
        )
        # The area facet, and "here" (the area's own count), from the tally.
        batch["area"] = defaultdict(int, areas)
        batch[TIERS][TIER_HERE] = areas.get(int(tiers.area.pk), 0)
        return batch

    def spend_budget(self) -> None:
        """Leave no time for the counts the budget covers (they are being counted)."""
        if self.budget:
            self._deadline = time.monotonic()

    @staticmethod
    def _tiers_only(batch: dict, names: list[str]) -> dict:
        """A batch of the tiers (and the TOTAL) counted on their own after the whole
        batch went over the budget: its facets not counted (None)."""
        return {**batch, **dict.fromkeys(names)}

    def _within_budget(self, count, queryset):
        """`count()`, within what is left of the budget (from the first count), or None
        when it ran out (the tiers, which the pages need, are then counted alone).

        On PostgreSQL, when the first count of a page would cover more results than
        settings.DB_COUNT_INLINE_ROWS, by the planner's estimate, no count is started
        at all: it would go over the budget, and the time spent until then would be
        lost (a machine under load loses the most: its counts all run slower)."""
        if not self.budget:
            return count()
        now = time.monotonic()
        if self._deadline is None:
            self._deadline = now + self.budget
        inline = settings.DB_COUNT_INLINE_ROWS
        if inline > 0 and self._deadline > now and not self._estimated:
            self._estimated = True  # once a page: the first count tells
            expected = planner_estimate(queryset)
            if expected is not None and expected > inline:
                self.spend_budget()  # and the counts after it: theirs are no fewer
                return None
        left = self._deadline - now
        if left > 0:
            try:
                with time_budget(left, using=self.filterset.queryset.db):
                    return count()
            except OverBudget:
                pass
        return None

    def _count_batch(
        self, queryset, names: list[str], *, tiers=None, areas: list[int] | None = None
    ) -> dict[str, dict]:
        """The TOTAL and each named facet's counts over `queryset`, in one statement,
        and with `tiers` the results per tier (TIERS).

        The results' ids are found once (a materialised CTE: the search and the
        filters run once, not once per facet), then each facet groups them.
        """
        connection = connections[queryset.db]
        # The ids with the columns the single-choice facets count by, so that those
        # group the CTE alone (and near a point, each row's tier). (A queryset marked
        # distinct gives each id once here too.)
        extra = ["tier"] if tiers == "point" else []
        ids_sql, params = (
            queryset.order_by().values("pk", *CTE_COLUMNS.values(), *extra).query.sql_with_params()
        )
        parts = ["SELECT 'total', NULL, COUNT(*) FROM ids"]
        parts += [part for part in (self._facet_sql(name, areas) for name in names) if part]
        params = list(params)
        if tiers == "point":
            parts.append(f"SELECT '{TIERS}', CAST(tier AS TEXT), COUNT(*) FROM ids GROUP BY tier")
        elif tiers is not None:
            # The tiers beyond "here" (which is the area facet's count of the area itself).
            for tier, (sql, tier_params) in self._tier_sql(Initiative.objects.all(), tiers):
                parts.append(f"SELECT '{TIERS}', '{tier}', COUNT(*) FROM ids WHERE id IN ({sql})")
                params += tier_params
        materialized = materialized_keyword(connection)
        columns = ", ".join(["id", *CTE_COLUMNS, *extra])
        sql = f"WITH ids ({columns}) AS {materialized}({ids_sql}) " + " UNION ALL ".join(parts)
        return self._run(connection, sql, params, names, tiers)

    def _closure_batch(self, queryset, tiers, *, areas: list[int] | None = None) -> dict[str, dict]:
        """The area facet (and with `tiers` the results per tier) over `queryset`, the
        whole current published register: its closure rows for the candidate areas,
        less those of the drafts, archived and ended records (an anti-join with the
        few of them), with no list of every id first. No TOTAL: `count_without` counts
        it when asked (only an empty page asks)."""
        connection = connections[queryset.db]
        params = []
        # What the published, current register leaves out (the queryset is that register).
        hidden = (
            Initiative.objects.exclude(status=Initiative.Status.PUBLISHED)
            | Initiative.objects.ended()
        )
        hidden_sql, hidden_params = hidden.order_by().values("pk").query.sql_with_params()
        closure = InitiativeAreaClosure._meta.db_table
        parts = []
        area = (
            f"SELECT 'area', CAST(c.area_id AS TEXT), COUNT(*) FROM {closure} c"
            f" WHERE NOT EXISTS (SELECT 1 FROM hidden h WHERE h.id = c.initiative_id)"
        )
        if not self.every_area:
            candidates = areas or sorted(int(a.pk) for a in self.area_candidates())
            if candidates:
                parts.append(
                    area + f" AND c.area_id IN ({', '.join(map(str, candidates))})"
                    " GROUP BY c.area_id"
                )
        else:
            parts.append(area + " GROUP BY c.area_id")
        if tiers is not None:
            tier_parts, tier_params = self._tier_counts_sql(queryset, tiers)
            parts += tier_parts
            params += tier_params
        materialized = materialized_keyword(connection)
        sql = f"WITH hidden (id) AS {materialized}({hidden_sql}) " + " UNION ALL ".join(parts)
        return self._run(
            connection, sql, [*hidden_params, *params], ["area"], tiers, with_total=False
        )

    def _tier_batch(self, queryset, place) -> dict[str, dict]:
        """The results per tier of an area served in tiers, with its "here" tier as the
        area facet's count of the place: each tier counted on its own through its
        indexes (`in_tier`: the place's rows in the closure, the links to the areas
        covering it, its nation's), for when the whole batch went over the budget.
        Finding every result without the area first, to count the few in the place
        (for a common word, most of the register), took 0.2 s at 100,000 records."""
        try:
            here = queryset.in_tier(place, TIER_HERE).order_by().values("pk")
            sql, params = here.query.sql_with_params()
        except EmptyResultSet:  # filters that can match nothing: no tier holds anything
            return {"area": {}, TIERS: {}}
        tier_parts, tier_params = self._tier_counts_sql(queryset, place)
        parts = [f"SELECT 'area', '{place.area.pk}', COUNT(*) FROM ({sql}) t", *tier_parts]
        params = [*params, *tier_params]
        return self._run(
            connections[queryset.db],
            " UNION ALL ".join(parts),
            params,
            ["area"],
            place,
            with_total=False,
        )

    def _point_tier_batch(self) -> dict[str, dict]:
        """The TOTAL and the results per tier near a point, for when the whole batch went
        over the budget, without tiering every UK-wide record one by one: the results
        "linked" to the place (or near it) are tiered, and those of the UK-wide records
        tied to no area that are not among them are all in the nation tier, so they are
        only counted, through the partial index on national. At a million records those
        are 50,000 of the 52,000 results of a town, and tiering them took 0.7 s."""
        linked = self.point_part("linked")
        unlinked = self.point_part("unlinked")
        connection = connections[linked.db]
        params: list = []
        try:
            linked_sql, linked_params = (
                linked.order_by().values("pk", "tier").query.sql_with_params()
            )
            params += linked_params
        except EmptyResultSet:
            linked_sql = None
        try:
            unlinked_sql, unlinked_params = unlinked.order_by().values("pk").query.sql_with_params()
            params += unlinked_params
        except EmptyResultSet:
            unlinked_sql = None
        if linked_sql is None and unlinked_sql is None:
            return {TOTAL: 0, TIERS: {}}
        materialized = materialized_keyword(connection)
        ctes, tiered = [], []
        if linked_sql is not None:
            ctes.append(f"ids (id, tier) AS {materialized}({linked_sql})")
            tiered.append("SELECT tier FROM ids")
        if unlinked_sql is not None:
            ctes.append(f"uk (id) AS ({unlinked_sql})")
            apart = (
                " WHERE NOT EXISTS (SELECT 1 FROM ids WHERE ids.id = uk.id)"
                if linked_sql is not None
                else ""
            )
            tiered.append(f"SELECT {TIER_NATION} FROM uk{apart}")
        ctes.append(f"tiered (tier) AS {materialized}({' UNION ALL '.join(tiered)})")
        sql = (
            f"WITH {', '.join(ctes)} SELECT 'total', NULL, COUNT(*) FROM tiered UNION ALL "
            f"SELECT '{TIERS}', CAST(tier AS TEXT), COUNT(*) FROM tiered GROUP BY tier"
        )
        return self._run(connection, sql, params, [], "point")

    def _tier_counts_sql(self, queryset, place) -> tuple[list[str], list]:
        """`SELECT TIERS, tier, COUNT(*)` over each tier of `queryset` past "here" (each
        part of one: `_run` adds them up), and their params."""
        parts, params = [], []
        for tier, (sql, tier_params) in self._tier_sql(queryset, place):
            parts.append(f"SELECT '{TIERS}', '{tier}', COUNT(*) FROM ({sql}) t")
            params += tier_params
        return parts, params

    @staticmethod
    def _tier_sql(queryset, place):
        """(tier, (sql, params)) selecting the ids of `queryset` in each tier but "here",
        a tier in parts that share no row (`in_tier_parts`: their counts add up); a part
        that can hold nothing (no area covers a nation) is left out: it counts 0."""
        parts = []
        for tier in place.tier_headings():
            if tier == TIER_HERE:
                continue
            for part in queryset.in_tier_parts(place, tier):
                try:
                    parts.append((tier, part.order_by().values("pk").query.sql_with_params()))
                except EmptyResultSet:
                    continue
        return parts

    def _run(self, connection, sql, params, names, tiers, *, with_total=True) -> dict[str, dict]:
        """Run a counting statement: its rows are (facet or 'total' or TIERS, value, n)."""
        counts: dict[str, dict] = {name: defaultdict(int) for name in names}
        found: dict[int, int] = {}
        total = 0 if with_total else None
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            for facet, value, n in cursor.fetchall():
                if facet == "total":
                    total = n
                elif facet == TIERS:  # a tier counted in parts: their sum
                    found[int(value)] = found.get(int(value), 0) + n
                else:
                    counts[facet][FACETS[facet].value(value)] += n
        batch = {**counts, TOTAL: total} if total is not None else dict(counts)
        if tiers is not None:
            if isinstance(tiers, ServedPlace):
                found[TIER_HERE] = counts["area"].get(tiers.area.pk, 0)
            batch[TIERS] = found
        return batch

    def _facet_sql(self, name: str, areas: list[int] | None = None) -> str:
        """One facet's `SELECT facet, value, count` over the ids (value as text); the
        area facet for the `areas` given, else for the candidates."""
        facet = FACETS[name]
        if facet.kind == "column":
            return (
                f"SELECT '{name}', CAST({facet.column} AS TEXT), COUNT(*) FROM ids"
                f" GROUP BY {facet.column}"
            )
        if facet.kind == "link":
            field = Initiative._meta.get_field(facet.column)
            through = field.remote_field.through._meta.db_table
            source, target = field.m2m_column_name(), field.m2m_reverse_name()
            return (
                f"SELECT '{name}', CAST(l.{target} AS TEXT), COUNT(*) FROM ids"
                f" JOIN {through} l ON l.{source} = ids.id GROUP BY l.{target}"
            )
        # Areas: each candidate counts the records serving it or any area below it. The
        # closure holds each record once per area it serves at or below: no DISTINCT.
        closure = InitiativeAreaClosure._meta.db_table
        join = (
            f"SELECT '{name}', CAST(c.area_id AS TEXT), COUNT(*) FROM ids"
            f" JOIN {closure} c ON c.initiative_id = ids.id"
        )
        if self.every_area:
            return join + " GROUP BY c.area_id"
        candidates = areas or sorted(int(area.pk) for area in self.area_candidates())
        if not candidates:
            return ""
        return join + f" WHERE c.area_id IN ({', '.join(map(str, candidates))}) GROUP BY c.area_id"

    def _grouped(self, name: str) -> dict | None:
        """Results per option of one facet, given every other filter (None: over the
        budget, not counted)."""
        batch = self._counts(name if name in self.active() else None)
        if batch is None or batch[name] is None:
            self.deferred = True  # a facet shown without its counts
            return None
        return batch[name]

    # Facets ------------------------------------------------------------------

    def _choice_facet(self, name, legend, choices) -> Facet:
        counts = self._grouped(name)
        chosen = self.data.get(name) or ""
        return Facet(
            name=name,
            legend=legend,
            options=[
                Option(
                    value=value, label=label, count=_count(counts, value), selected=value == chosen
                )
                for value, label in choices
            ],
        )

    def role(self) -> Facet:
        return self._choice_facet("role", "Role", Initiative.Role.choices)

    def funding_dependency(self) -> Facet:
        return self._choice_facet(
            "funding_dependency", "Funding dependency", FundingDependency.choices
        )

    def legal_form(self) -> Facet:
        return self._choice_facet("legal_form", "Legal form", Organisation.LegalForm.choices)

    def vanguard(self) -> Facet:
        counts = self._grouped("vanguard")
        chosen = self.data.get("vanguard")
        return Facet(
            name="vanguard",
            legend="Vanguard site",
            options=[
                Option(
                    value=site.slug,
                    label=site.name,
                    count=_count(counts, site.pk),
                    selected=chosen is not None and chosen.pk == site.pk,
                )
                for site in VanguardSite.objects.only("pk", "name", "slug").order_by("name")
            ],
        )

    def _m2m_facet(self, name, legend, model) -> Facet:
        counts = self._grouped(name)
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
                    count=_count(counts, item.pk),
                    selected=item.pk in chosen,
                    rare=getattr(item, "is_rare", False),
                )
                for item in model.objects.only(*fields).order_by("name")
            ],
        )

    def condition(self) -> Facet:
        return self._m2m_facet("condition", "Condition", Condition)

    def topic(self) -> Facet:
        return self._m2m_facet("topic", "What it does", Topic)

    def population(self) -> Facet:
        return self._m2m_facet("population", "Who it is for", PopulationGroup)

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

    def area_counts(self) -> dict[int, int | None]:
        """Results per candidate area (including places within it; None: not counted)."""
        counts = self._grouped("area")
        return {area.pk: _count(counts, area.pk) for area in self.area_candidates()}

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
            Option(value=child.slug, label=child.name, count=counts.get(child.pk))
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
