"""The figures behind the insights page: what a commissioner reads, counted for one scope.

Every figure is an aggregate computed by the database (Count, Sum, Avg, Exists,
values().annotate()); Python only arranges the few rows that come back, never
loops over initiatives. Each section here gives its figures (headline Figures,
Funding by band, vanguard sites, Conditions, coverage by area); the tables
module turns them into the tables the page shows and the CSV downloads write.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import connections
from django.db.models import (
    Avg,
    Case,
    Count,
    Exists,
    IntegerField,
    Max,
    OuterRef,
    Q,
    Sum,
    Value,
    When,
)
from django.utils import timezone

from initiatives.areas import TIER_COVERING, TIER_NATION, AreaTree
from initiatives.caching import cached_once
from initiatives.models import (
    Area,
    Condition,
    FundingDependency,
    FundingLine,
    Initiative,
    InitiativeAreaClosure,
    Organisation,
    VanguardSite,
)
from initiatives.services.tally import counts_given, pairs_where, value_of
from initiatives.services.tally import key as tally_key

from .scope import Scope

Role = Initiative.Role
ROLES = [Role.SERVICE_PROVIDER, Role.CAMPAIGNING, Role.BOTH]
# Most fragile first: the order a commissioner reads them in.
BANDS = [
    FundingDependency.HIGHLY_DEPENDENT,
    FundingDependency.DEPENDENT,
    FundingDependency.MODERATE,
    FundingDependency.DIVERSE,
    FundingDependency.UNKNOWN,
]
HIGHLY_DEPENDENT_SHOWN = 10
WELL_COVERED_SHOWN = 8


def verified_since(today: date | None = None) -> date:
    """The first day that counts as "verified in the last 12 months" (not yet review due)."""
    return (today or timezone.localdate()) - timedelta(days=settings.REVIEW_DUE_DAYS)


def percent(part: int | Decimal | None, whole: int | Decimal | None) -> Decimal | None:
    """part as a whole-number percentage of whole; None when whole is zero or unknown."""
    if part is None or not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("1"), rounding=ROUND_HALF_UP)


def whole_percent(value: Decimal | float | None) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal("1"), rounding=ROUND_HALF_UP)


# --- the facet tally ---------------------------------------------------------------

# ({facet: {value as text: n}}, total) over a scope's current published initiatives.
Tallied = tuple[dict[str, dict[str, int]], int]


def scope_tally(scope: Scope) -> Tallied | None:
    """The facet tally's counts over the scope (services.tally): how many of its current
    published initiatives carry each facet value, among them the areas they are "here"
    for and the conditions they serve, in one indexed read at any size of register. For
    the whole register, one area or one vanguard site; None for an area and a vanguard
    site together (the tally keeps pairs of values, not three) or while the tally is
    not built: those are counted."""
    if scope.area is not None and scope.vanguard is not None:
        return None
    if scope.area is not None:
        given = tally_key("area", scope.area.pk)
    elif scope.vanguard is not None:
        given = tally_key("vanguard", scope.vanguard.pk)
    else:
        given = None
    return counts_given(given, using=Initiative.objects.db)


# --- headline figures ------------------------------------------------------------


def initiative_counts(initiatives, tallied: Tallied | None = None) -> dict[str, int]:
    """Counts over initiatives: all, verified lately, highly dependent, by role. In one
    query; or, with the facet tally's counts over the same initiatives (`tallied`), all
    but the verified ones from the tally, and those counted alone (at a million records
    0.04 s through the index `initiative_current_verified`, where the five counts
    together read every row here: 0.5 s)."""
    if tallied is not None:
        by_facet, total = tallied
        roles = by_facet.get("role", {})
        bands = by_facet.get("funding_dependency", {})
        return {
            "initiatives": total,
            "verified": initiatives.filter(last_verified_on__gte=verified_since()).count(),
            "highly_dependent": bands.get(FundingDependency.HIGHLY_DEPENDENT, 0),
            **{f"role_{role}": roles.get(role, 0) for role in ROLES},
        }
    return initiatives.aggregate(
        initiatives=Count("pk"),
        verified=Count("pk", filter=Q(last_verified_on__gte=verified_since())),
        highly_dependent=Count(
            "pk", filter=Q(funding_dependency=FundingDependency.HIGHLY_DEPENDENT)
        ),
        **{f"role_{role}": Count("pk", filter=Q(role=role)) for role in ROLES},
    )


def organisation_sums(initiatives) -> dict[str, object]:
    """Sums over the organisations with at least one of these initiatives, in one query."""
    organisations = Organisation.objects.filter(
        Exists(initiatives.filter(organisation=OuterRef("pk")))
    )
    funded = ~Q(funding_dependency=FundingDependency.UNKNOWN)
    return organisations.aggregate(
        # Aliases differ from field names: an aggregate may not shadow a field it reads.
        organisations=Count("pk"),
        members_total=Sum("members"),
        members_known=Count("members"),
        volunteers_total=Sum("volunteers"),
        volunteers_known=Count("volunteers"),
        funding_known=Count("pk", filter=funded),
        # Band not known, though funders are recorded (amounts without the total income).
        funders_without_share=Count(
            "pk",
            filter=~funded & Exists(FundingLine.objects.filter(organisation=OuterRef("pk"))),
        ),
        # Over the organisations whose NHS share is known (their funding lines account
        # for all their income, or include the NHS).
        nhs_known=Count("nhs_share", filter=funded),
        nhs_share_average=Avg("nhs_share", filter=funded),
        nhs_funded=Count("pk", filter=funded & Q(nhs_share__gt=0)),
    )


@dataclass
class Figures:
    """The headline figures of one scope."""

    initiatives: int
    verified: int
    highly_dependent: int
    by_role: dict[str, int]
    organisations: int
    members: int | None
    members_known: int
    volunteers: int | None
    volunteers_known: int
    funding_known: int
    nhs_share: Decimal | None
    nhs_known: int
    nhs_funded: int
    funders_without_share: int = 0
    # Ended initiatives, kept on the register but not counted in any figure above.
    ended: int = 0

    @classmethod
    def of(cls, initiatives, *, ended=None, tallied: Tallied | None = None) -> Figures:
        """The figures of these (current) initiatives, and the number of `ended` ones:
        three queries, whatever their number (`tallied`: the facet tally's counts over
        the same initiatives, see `initiative_counts`)."""
        counts = initiative_counts(initiatives, tallied)
        sums = organisation_sums(initiatives)
        return cls(
            initiatives=counts["initiatives"],
            verified=counts["verified"],
            highly_dependent=counts["highly_dependent"],
            by_role={role: counts[f"role_{role}"] for role in ROLES},
            organisations=sums["organisations"],
            # A sum over no known values is "not known", not zero.
            members=sums["members_total"] if sums["members_known"] else None,
            members_known=sums["members_known"],
            volunteers=sums["volunteers_total"] if sums["volunteers_known"] else None,
            volunteers_known=sums["volunteers_known"],
            funding_known=sums["funding_known"],
            nhs_share=whole_percent(sums["nhs_share_average"]),
            nhs_known=sums["nhs_known"],
            nhs_funded=sums["nhs_funded"],
            funders_without_share=sums["funders_without_share"],
            ended=ended.count() if ended is not None else 0,
        )

    @property
    def verified_share(self) -> Decimal | None:
        return percent(self.verified, self.initiatives)

    def role_share(self, role: str) -> Decimal | None:
        return percent(self.by_role[role], self.initiatives)


def register_figures() -> Figures:
    """The whole register's headline figures, from the figures cache: the same beside
    every scope, so counted once per version (and by the warmer, with the whole
    register's insights), not again for each area."""

    def count() -> Figures:
        published = Initiative.objects.published()
        return Figures.of(
            published.current(), ended=published.ended(), tallied=scope_tally(Scope())
        )

    return cached_once("insights-register", {}, count)


# --- funding dependency ----------------------------------------------------------


@dataclass
class Funding:
    """Organisations here by funding band, split by what their initiatives here do."""

    # bands[band][role] = organisations
    bands: dict[str, dict[str, int]]
    highly_dependent: list[Initiative]

    @property
    def band_totals(self) -> dict[str, int]:
        return {band: sum(by_role.values()) for band, by_role in self.bands.items()}

    @property
    def organisations(self) -> int:
        return sum(self.band_totals.values())


def organisation_role(provides: bool, campaigns: bool) -> str:
    """An organisation's role from its initiatives here: one kind of work, or both."""
    if provides and campaigns:
        return Role.BOTH
    return Role.SERVICE_PROVIDER if provides else Role.CAMPAIGNING


def count_rows_by(queryset, columns: list[str]) -> list[tuple]:
    """Count the rows a queryset gives, grouped by some of its columns, in the database.

    For a count over a grouped query (Django cannot aggregate an aggregate): the
    queryset's SQL becomes a subquery, its params stay bound.
    """
    sql, params = queryset.query.sql_with_params()
    connection = connections[queryset.db]
    names = ", ".join(connection.ops.quote_name(column) for column in columns)
    counted = f"SELECT {names}, COUNT(*) FROM ({sql}) AS grouped GROUP BY {names}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(counted, params)
        return cursor.fetchall()


def funding_figures(scope: Scope) -> Funding:
    """One pass over the initiatives here, grouped by organisation, then counted by band."""
    initiatives = scope.initiatives
    providing = [Role.SERVICE_PROVIDER, Role.BOTH]
    campaigning = [Role.CAMPAIGNING, Role.BOTH]
    flag = {"default": Value(0), "output_field": IntegerField()}
    # Initiatives carry their organisation's band (Organisation.recompute_funding).
    per_organisation = (
        initiatives.filter(organisation__isnull=False)
        .values("organisation_id", "funding_dependency")
        .annotate(
            provides=Max(Case(When(role__in=providing, then=Value(1)), **flag)),
            campaigns=Max(Case(When(role__in=campaigning, then=Value(1)), **flag)),
        )
        .order_by()
    )
    bands = {band: dict.fromkeys(ROLES, 0) for band in BANDS}
    for band, provides, campaigns, organisations in count_rows_by(
        per_organisation, ["funding_dependency", "provides", "campaigns"]
    ):
        bands[band][organisation_role(bool(provides), bool(campaigns))] += organisations
    highly_dependent = list(
        initiatives.filter(funding_dependency=FundingDependency.HIGHLY_DEPENDENT)
        .select_related("organisation")
        .order_by("-largest_funder_share", "name", "pk")[:HIGHLY_DEPENDENT_SHOWN]
    )
    return Funding(bands=bands, highly_dependent=highly_dependent)


# --- vanguard sites --------------------------------------------------------------


def vanguard_figures(scope: Scope, tree: AreaTree | None) -> list[VanguardSite]:
    """Vanguard sites with their initiatives here by role (attributes named after the roles).

    Whole register: every site. An area: the sites with an initiative here or whose own
    areas lie in it. A vanguard picked: that site.
    """
    held: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(ROLES, 0))
    counts = tallied_vanguard_roles(scope)
    if counts is None:
        counts = (
            scope.initiatives.filter(vanguard__isnull=False)
            .values_list("vanguard_id", "role")
            .annotate(initiatives=Count("pk"))
            .order_by()
        )
    for vanguard_id, role, initiatives in counts:
        held[vanguard_id][role] = initiatives
    sites = VanguardSite.objects.all()
    if scope.vanguard is not None:
        sites = sites.filter(pk=scope.vanguard.pk)
    elif scope.area is not None:
        site_areas = VanguardSite.areas.through.objects.filter(
            vanguardsite_id=OuterRef("pk"), area_id__in=tree.descendant_ids(scope.area.pk)
        )
        sites = sites.filter(Q(pk__in=list(held)) | Q(Exists(site_areas)))
    sites = list(sites.order_by("name"))
    for site in sites:
        for role in ROLES:
            setattr(site, role, held[site.pk][role] if site.pk in held else 0)
        site.total = sum(getattr(site, role) for role in ROLES)
    sites.sort(key=lambda site: -site.total)  # stable: by name within equal totals
    return sites


def tallied_vanguard_roles(scope: Scope) -> list[tuple[int, str, int]] | None:
    """[(vanguard site id, role, current published initiatives)] from the facet tally's
    pairs of a role and a site, for the whole register or one site (at a million records
    2 ms, where counting them took 0.2-0.9 s); None in an area (the tally keeps pairs
    of values, not three) or while the tally is not built."""
    if scope.area is not None:
        return None
    sites = Q(b__startswith="vanguard:")
    if scope.vanguard is not None:
        sites = Q(b=tally_key("vanguard", scope.vanguard.pk))
    found = pairs_where(Q(a__startswith="role:") & sites, using=Initiative.objects.db)
    if found is None:
        return None
    return [(int(value_of(b)), value_of(a), n) for a, b, n in found]


# --- conditions ------------------------------------------------------------------


def icb_areas(tree: AreaTree) -> list[tuple[int, int]]:
    """(area id, ICB id) for every ICB and each area within it: its districts, and a
    district split between ICBs under each of them."""
    icbs = [pk for pk, area in tree.areas.items() if area.kind == Area.Kind.ICB]
    return [(pk, icb) for icb in icbs for pk in sorted(tree.descendant_ids(icb))]


def _area_icb_cte(pairs: list[tuple[int, int]]) -> str:
    """The (area, ICB) pairs as a CTE both databases read (ids from the area table)."""
    rows = ", ".join(f"({int(area)}, {int(icb)})" for area, icb in pairs) or "(0, 0)"
    return f"area_icb (area_id, icb_id) AS (VALUES {rows})"


def condition_icb_counts(tree: AreaTree | None = None) -> dict[int, int]:
    """For each condition, the number of ICBs where a current published initiative serves
    it (ended ones left out, as the listing leaves them out: `InitiativeQuerySet.current`).

    An initiative is in an ICB when it serves the ICB itself or an area within it (a
    district, or a split district that names the ICB among its other parents); being
    based there is not serving it.

    From the facet tally when it is built: an ICB's pair with a condition counts the
    records "here" for the ICB (its closure: serving it or an area within it, or based
    there), so a pair is an ICB served unless every one of its records is only based
    there (`_based_only`, which reads just the records with a location). At a million
    records 0.02 s, where joining every record's areas to its conditions took 1.8 s
    (`_counted_icb_pairs`, without the tally)."""
    tree = tree if tree is not None else Area.objects.tree()
    pairs = icb_areas(tree)
    tallied = _tallied_icb_pairs(sorted({icb for _area, icb in pairs}))
    if tallied is None:
        served = _counted_icb_pairs(pairs)
    else:
        based_only = _based_only(pairs)
        served = [pair for pair, n in tallied.items() if n > based_only.get(pair, 0)]
    counts: dict[int, int] = defaultdict(int)
    for condition_id, _icb in served:
        counts[condition_id] += 1
    return dict(counts)


def _tallied_icb_pairs(icbs: list[int]) -> dict[tuple[int, int], int] | None:
    """{(condition id, ICB id): current published records here for the ICB with the
    condition}, from the facet tally; None while it is not built."""
    found = pairs_where(
        Q(a__in=[tally_key("area", icb) for icb in icbs], b__startswith="condition:"),
        using=Initiative.objects.db,
    )
    if found is None:
        return None
    return {(int(value_of(b)), int(value_of(a))): n for a, b, n in found}


def _current_sql(queryset) -> tuple[str, list]:
    return queryset.order_by().values("id").query.sql_with_params()


def _based_only(pairs: list[tuple[int, int]]) -> dict[tuple[int, int], int]:
    """{(condition id, ICB id): n}: the current published records with a location that
    are here for the ICB (in its closure) but serve neither it nor an area within it."""
    connection = connections[Initiative.objects.db]
    quote = connection.ops.quote_name
    located = Initiative.objects.published().current().filter(location_district__isnull=False)
    current, params = _current_sql(located)
    icbs = ", ".join(str(int(icb)) for icb in sorted({icb for _area, icb in pairs})) or "0"
    sql = f"""
        WITH {_area_icb_cte(pairs)}
        SELECT ic.condition_id, c.area_id, COUNT(*)
        FROM {quote(InitiativeAreaClosure._meta.db_table)} c
        JOIN ({current}) i ON i.id = c.initiative_id
        JOIN {quote(Initiative.conditions.through._meta.db_table)} ic
            ON ic.initiative_id = c.initiative_id
        WHERE c.area_id IN ({icbs}) AND NOT EXISTS (
            SELECT 1 FROM {quote(Initiative.areas.through._meta.db_table)} ia
            JOIN area_icb m ON m.area_id = ia.area_id
            WHERE ia.initiative_id = c.initiative_id AND m.icb_id = c.area_id
        )
        GROUP BY ic.condition_id, c.area_id
    """  # noqa: S608 - table names from the models, ids as integers, values as params
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {(condition, icb): n for condition, icb, n in cursor.fetchall()}


def _counted_icb_pairs(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The (condition id, ICB id) pairs served, counted from the records: the small
    (area, ICB) table joined once to every current published record's areas and
    conditions."""
    connection = connections[Initiative.objects.db]
    quote = connection.ops.quote_name
    current, params = _current_sql(Initiative.objects.published().current())
    sql = f"""
        WITH {_area_icb_cte(pairs)}
        SELECT DISTINCT ic.condition_id, m.icb_id
        FROM {quote(Initiative.conditions.through._meta.db_table)} ic
        JOIN ({current}) i ON i.id = ic.initiative_id
        JOIN {quote(Initiative.areas.through._meta.db_table)} ia
            ON ia.initiative_id = ic.initiative_id
        JOIN area_icb m ON m.area_id = ia.area_id
    """  # noqa: S608 - table names from the models, ids as integers, values as params
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


@dataclass
class Conditions:
    """Conditions with their initiatives here, in the whole register, and ICBs served."""

    rows: list[Condition]

    @property
    def gaps(self) -> list[Condition]:
        """Rare conditions that nothing here or covering the area serves (what serves the
        whole nation or the UK is shown beside a gap, not counted against it)."""
        return [c for c in self.rows if c.is_rare and c.here == 0 and c.covering == 0]

    @property
    def well_covered(self) -> list[Condition]:
        """The conditions with the most initiatives here."""
        covered = sorted((c for c in self.rows if c.here), key=lambda c: (-c.here, c.name))
        return covered[:WELL_COVERED_SHOWN]


@dataclass
class RegisterConditions:
    """Per condition id, what does not depend on the scope: current published initiatives
    in the whole register, and ICBs served. Counted once per version for every scope."""

    register: dict[int, int]
    icbs: dict[int, int]


def condition_counts(parts: dict) -> dict:
    """For each named queryset of initiatives, how many of them serve each condition:
    {name: {condition id: n}}, in one statement (a UNION ALL of one grouped read of the
    links per queryset, each a semi-join on its initiatives' ids).

    Not one pass with a COUNT(...) FILTER (WHERE initiative_id IN (...)) per part: such
    a filter is a subplan tested for every link, and once its ids outgrow the planner's
    memory for a hash (England at a million records: 800,000 of them) it is scanned
    again for each row, and the statement ran past a minute.
    """
    through = Initiative.conditions.through
    names = list(parts)
    found: dict[str, dict[int, int]] = {name: {} for name in names}
    grouped = [
        through.objects.filter(initiative_id__in=parts[name].order_by().values("pk"))
        .values("condition_id")
        .annotate(part=Value(index), n=Count("initiative_id"))
        .values_list("part", "condition_id", "n")
        .order_by()
        for index, name in enumerate(names)
    ]
    if not grouped:
        return found
    combined = grouped[0].union(*grouped[1:], all=True) if len(grouped) > 1 else grouped[0]
    for index, condition_id, n in combined:
        found[names[index]][condition_id] = n
    return found


def register_conditions(tree: AreaTree | None = None) -> RegisterConditions:
    """The whole register's counts per condition and ICBs served, from the figures cache
    (counted by one worker at a time after a change, and by the warmer with the whole
    register's insights), so that an area's insights count only their own."""

    def count() -> RegisterConditions:
        tallied = scope_tally(Scope())
        if tallied is not None:  # the tally's "*" pairs: the same current published ones
            register = {int(pk): n for pk, n in tallied[0].get("condition", {}).items()}
        else:
            current = Initiative.objects.published().current()
            register = condition_counts({"register": current})["register"]
        return RegisterConditions(register=register, icbs=condition_icb_counts(tree))

    return cached_once("insights-conditions", {}, count)


def condition_figures(scope: Scope, tree: AreaTree, tallied: Tallied | None = None) -> Conditions:
    """Per condition: current initiatives here (from the facet tally when `tallied`
    holds the scope's counts), covering the area and serving its nation (one statement),
    in the register and ICBs served (the whole register's, counted once per version);
    ended ones are left out of every count, as the listing leaves them out."""
    whole = register_conditions(tree)
    parts = {}
    if scope.is_whole_register:
        # Nothing covers the whole register: every count is its own.
        here = whole.register
    elif tallied is not None:
        here = {int(pk): n for pk, n in tallied[0].get("condition", {}).items()}
    else:
        here = None
        parts["here"] = scope.initiatives
    if scope.area is not None:
        place = tree.place(scope.area.pk)
        # Each tier in parts that share no row, each read through its own indexes.
        for tier in (TIER_COVERING, TIER_NATION):
            for index, part in enumerate(scope.tier_parts(place, tier)):
                parts[(tier, index)] = part
    counts = condition_counts(parts)
    if here is None:
        here = counts["here"]
    tiers: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for name, found in counts.items():
        if name != "here":  # (tier, part): the parts' sum
            for pk, n in found.items():
                tiers[name[0]][pk] += n
    conditions = list(Condition.objects.order_by("name"))
    for condition in conditions:
        condition.here = here.get(condition.pk, 0)
        condition.covering = tiers[TIER_COVERING].get(condition.pk, 0)
        condition.nationwide = tiers[TIER_NATION].get(condition.pk, 0)
        condition.register = whole.register.get(condition.pk, 0)
        condition.icbs = whole.icbs.get(condition.pk, 0)
    return Conditions(rows=conditions)


# --- coverage by area ------------------------------------------------------------


def sub_areas(scope: Scope, tree: AreaTree) -> list[Area]:
    """The areas one level below the scope's area (the nations for the whole register)."""
    if scope.area is None:
        return list(Area.objects.filter(parent__isnull=True).order_by("name"))
    child_ids = tree.children.get(scope.area.pk, ())
    return list(Area.objects.filter(pk__in=child_ids).order_by("name"))


def coverage_figures(scope: Scope, tree: AreaTree, tallied: Tallied | None = None) -> list[Area]:
    """Sub-areas with the number of initiatives here that are "here" for each: serving it
    or a place within it, or based there, as the listing of that area counts its first
    tier (the area closure, services.closure; an area below the scope's lies within it).

    From the facet tally when `tallied` holds the scope's counts; else one indexed
    GROUP BY of the sub-areas' rows in the closure."""
    areas = sub_areas(scope, tree)
    if not areas:
        return []
    if tallied is not None:
        counts = {int(pk): n for pk, n in tallied[0].get("area", {}).items()}
    else:
        rows = (
            InitiativeAreaClosure.objects.filter(
                area_id__in=[area.pk for area in areas],
                initiative_id__in=scope.initiatives.order_by().values("pk"),
            )
            .values("area_id")
            .annotate(n=Count("initiative_id"))
            .order_by()
        )
        counts = {row["area_id"]: row["n"] for row in rows}
    for area in areas:
        area.initiatives_here = counts.get(area.pk, 0)
    return areas
