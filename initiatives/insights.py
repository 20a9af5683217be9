"""The figures behind the insights page (DESIGN.md section 1: commissioners).

Every figure is an aggregate computed by the database (Count, Sum, Avg, Exists,
values().annotate()); Python only arranges the few rows that come back, never
loops over initiatives. Each section gives its figures and a Table, which the
page shows, the charts draw and the CSV downloads write, so all three agree.

"Here" is the scope a commissioner picked: the published initiatives in an area
(the area and everything below it, Initiative.objects.in_area) and, optionally,
of one vanguard site. With no area and no vanguard the scope is the whole register.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property
from urllib.parse import urlencode

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

from .areas import AreaTree
from .models import Area, Condition, FundingDependency, Initiative, Organisation, VanguardSite

LISTING_PATH = "/initiatives/"
EXPORT_PATH = "/initiatives/export.csv"
INSIGHTS_PATH = "/insights/"

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
BAND_NAMES = {
    FundingDependency.HIGHLY_DEPENDENT: "Highly dependent (75% or more from one funder)",
    FundingDependency.DEPENDENT: "Dependent (50-74%)",
    FundingDependency.MODERATE: "Moderate (25-49%)",
    FundingDependency.DIVERSE: "Diverse (no funder 25% or more)",
    FundingDependency.UNKNOWN: "Unknown (no funding recorded)",
}
ROLE_NAMES = {
    Role.SERVICE_PROVIDER: "Service providers",
    Role.CAMPAIGNING: "Campaigning groups",
    Role.BOTH: "Both",
}
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


# --- the scope -------------------------------------------------------------------


@dataclass
class Scope:
    """What the commissioner is looking at: an area, a vanguard site, both or neither."""

    area: Area | None = None
    vanguard: VanguardSite | None = None

    @property
    def is_whole_register(self) -> bool:
        return self.area is None and self.vanguard is None

    @property
    def name(self) -> str:
        parts = [p.name for p in (self.area, self.vanguard) if p is not None]
        return ", ".join(parts) if parts else "the whole register"

    @cached_property
    def initiatives(self):
        """The published initiatives here (one queryset, so in_area runs once)."""
        queryset = Initiative.objects.published()
        if self.area is not None:
            queryset = queryset.in_area(self.area)
        if self.vanguard is not None:
            queryset = queryset.filter(vanguard=self.vanguard)
        return queryset

    def contains(self, path: str = "") -> Q:
        """A condition for rows whose initiative is here, reached through `path`.

        `path` is "" on Initiative itself, or a relation such as "initiative__" on a
        through table. An area adds a subquery (in_area); otherwise plain column filters.
        """
        if self.area is not None:
            lookup = f"{path}in" if path else "pk__in"
            return Q(**{lookup: self.initiatives.values("pk")})
        condition = Q(**{f"{path}status": Initiative.Status.PUBLISHED})
        if self.vanguard is not None:
            condition &= Q(**{f"{path}vanguard": self.vanguard})
        return condition

    def params(self, **extra) -> dict[str, str]:
        params = {}
        if self.area is not None:
            params["area"] = self.area.slug
        if self.vanguard is not None:
            params["vanguard"] = self.vanguard.slug
        params.update({key: value for key, value in extra.items() if value})
        return params

    def listing_url(self, **extra) -> str:
        """The listing that shows the initiatives behind a figure here."""
        return url_with(LISTING_PATH, self.params(**extra))

    def export_url(self, **extra) -> str:
        return url_with(EXPORT_PATH, self.params(**extra))

    def insights_url(self, **extra) -> str:
        return url_with(INSIGHTS_PATH, self.params(**extra))


def url_with(path: str, params: dict[str, str]) -> str:
    return f"{path}?{urlencode(params)}" if params else path


def register_listing_url(**params) -> str:
    """The listing over the whole register (no area), for the register-wide figures."""
    return url_with(LISTING_PATH, {key: value for key, value in params.items() if value})


# --- tables ----------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """One table cell: the value the CSV holds, the text the page shows, the listing behind it."""

    value: object
    text: str
    url: str = ""
    numeric: bool = False


def text_cell(value: str, url: str = "") -> Cell:
    return Cell(value, value, url)


def count_cell(value: int | None, url: str = "") -> Cell:
    if value is None:
        return Cell(None, "not known", numeric=True)
    return Cell(value, f"{value:,}", url, numeric=True)


def percent_cell(value: Decimal | None, url: str = "") -> Cell:
    if value is None:
        return Cell(None, "no data", numeric=True)
    return Cell(value, f"{value}%", url, numeric=True)


@dataclass
class Table:
    """A table of figures, as the page shows it and the CSV download writes it."""

    slug: str
    title: str
    columns: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    note: str = ""
    # Where its CSV comes from when that is not the insights download (the listing export).
    download_url: str = ""
    # Set by the page: where this table's CSV is downloaded from.
    csv_url: str = ""

    def csv_rows(self) -> Iterable[list[object]]:
        yield self.columns
        for row in self.rows:
            yield [cell.value for cell in row]


# --- headline figures ------------------------------------------------------------


def initiative_counts(initiatives) -> dict[str, int]:
    """Counts over initiatives in one query: all, verified lately, highly dependent, by role."""
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
    nhs_funded: int

    @classmethod
    def of(cls, initiatives) -> Figures:
        """The figures of these initiatives: two queries, whatever their number."""
        counts = initiative_counts(initiatives)
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
            nhs_funded=sums["nhs_funded"],
        )

    @property
    def verified_share(self) -> Decimal | None:
        return percent(self.verified, self.initiatives)

    def role_share(self, role: str) -> Decimal | None:
        return percent(self.by_role[role], self.initiatives)


def headline_table(scope: Scope, here: Figures, register: Figures) -> Table:
    def row(label, here_cell, register_cell):
        return [text_cell(label), here_cell, register_cell]

    hd = FundingDependency.HIGHLY_DEPENDENT
    recent = "-last_verified_on"
    rows = [
        row(
            "Published initiatives",
            count_cell(here.initiatives, scope.listing_url()),
            count_cell(register.initiatives, register_listing_url()),
        ),
        row(
            "Organisations",
            count_cell(here.organisations, scope.listing_url()),
            count_cell(register.organisations, register_listing_url()),
        ),
        row(
            "Members (where known)",
            count_cell(here.members, scope.listing_url()),
            count_cell(register.members, register_listing_url()),
        ),
        row(
            "Organisations that told us their members",
            count_cell(here.members_known, scope.listing_url()),
            count_cell(register.members_known, register_listing_url()),
        ),
        row(
            "Volunteers (where known)",
            count_cell(here.volunteers, scope.listing_url()),
            count_cell(register.volunteers, register_listing_url()),
        ),
        row(
            "Organisations that told us their volunteers",
            count_cell(here.volunteers_known, scope.listing_url()),
            count_cell(register.volunteers_known, register_listing_url()),
        ),
        row(
            "Initiatives verified in the last 12 months",
            count_cell(here.verified, scope.listing_url(sort=recent)),
            count_cell(register.verified, register_listing_url(sort=recent)),
        ),
        row(
            "Share verified in the last 12 months (%)",
            percent_cell(here.verified_share, scope.listing_url(sort=recent)),
            percent_cell(register.verified_share, register_listing_url(sort=recent)),
        ),
        row(
            "Organisations with funding recorded",
            count_cell(here.funding_known, scope.listing_url()),
            count_cell(register.funding_known, register_listing_url()),
        ),
        row(
            "Average NHS share of an organisation's income (%)",
            percent_cell(here.nhs_share, scope.listing_url()),
            percent_cell(register.nhs_share, register_listing_url()),
        ),
        row(
            "Organisations with some NHS funding",
            count_cell(here.nhs_funded, scope.listing_url()),
            count_cell(register.nhs_funded, register_listing_url()),
        ),
        row(
            "Initiatives highly dependent on one funder",
            count_cell(here.highly_dependent, scope.listing_url(funding_dependency=hd)),
            count_cell(register.highly_dependent, register_listing_url(funding_dependency=hd)),
        ),
    ]
    return Table(
        slug="headline",
        title="Headline figures",
        columns=["Figure", f"Here ({scope.name})", "Whole register"],
        rows=rows,
        note=(
            "Organisations are those with a published initiative here. The NHS share is "
            "the average, over organisations with funding recorded, of the NHS's share of "
            "each one's income in its latest year."
        ),
    )


def role_table(scope: Scope, here: Figures, register: Figures) -> Table:
    rows = [
        [
            text_cell(ROLE_NAMES[role]),
            count_cell(here.by_role[role], scope.listing_url(role=role)),
            percent_cell(here.role_share(role), scope.listing_url(role=role)),
            count_cell(register.by_role[role], register_listing_url(role=role)),
            percent_cell(register.role_share(role), register_listing_url(role=role)),
        ]
        for role in ROLES
    ]
    return Table(
        slug="roles",
        title="What initiatives do: provide services, campaign, or both",
        columns=[
            "Role",
            "Initiatives here",
            "Share here (%)",
            "Initiatives in the whole register",
            "Share of the whole register (%)",
        ],
        rows=rows,
    )


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


def funding_table(scope: Scope, funding: Funding) -> Table:
    totals = funding.band_totals
    rows = [
        [
            text_cell(BAND_NAMES[band]),
            *(
                count_cell(
                    funding.bands[band][role],
                    scope.listing_url(funding_dependency=band, role=role),
                )
                for role in ROLES
            ),
            count_cell(totals[band], scope.listing_url(funding_dependency=band)),
        ]
        for band in BANDS
    ]
    return Table(
        slug="funding",
        title="Organisations by funding dependency and role",
        columns=["Funding dependency", *ROLE_NAMES.values(), "Organisations"],
        rows=rows,
        note=(
            "An organisation counts under one role: service provider or campaigning group "
            "when all its initiatives here do that, 'both' when they do both. Dependency is "
            "the largest single funder's share of its income in its latest year."
        ),
    )


def highly_dependent_table(scope: Scope, funding: Funding) -> Table:
    hd = FundingDependency.HIGHLY_DEPENDENT
    rows = [
        [
            text_cell(initiative.name, initiative.get_absolute_url()),
            text_cell(initiative.organisation.name if initiative.organisation else ""),
            text_cell(initiative.get_role_display()),
            percent_cell(whole_percent(initiative.largest_funder_share)),
            percent_cell(whole_percent(initiative.nhs_share)),
        ]
        for initiative in funding.highly_dependent
    ]
    return Table(
        slug="highly-dependent",
        title="Initiatives highly dependent on a single funder",
        columns=["Initiative", "Organisation", "Role", "Largest funder (%)", "NHS share (%)"],
        rows=rows,
        download_url=scope.export_url(funding_dependency=hd),
    )


# --- vanguard sites --------------------------------------------------------------


def vanguard_figures(scope: Scope, tree: AreaTree | None) -> list[VanguardSite]:
    """Vanguard sites with their initiatives here by role (attributes named after the roles).

    Whole register: every site. An area: the sites with an initiative here or whose own
    areas lie in it. A vanguard picked: that site.
    """
    held: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(ROLES, 0))
    counts = (
        scope.initiatives.filter(vanguard__isnull=False)
        .values("vanguard_id", "role")
        .annotate(initiatives=Count("pk"))
        .order_by()
    )
    for row in counts:
        held[row["vanguard_id"]][row["role"]] = row["initiatives"]
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


def vanguard_table(scope: Scope, sites: list[VanguardSite]) -> Table:
    rows = [
        [
            text_cell(site.name, scope.listing_url(vanguard=site.slug)),
            text_cell(site.get_care_model_display()),
            text_cell("yes" if site.social_movement_site else "no"),
            *(
                count_cell(getattr(site, role), scope.listing_url(vanguard=site.slug, role=role))
                for role in ROLES
            ),
            count_cell(site.total, scope.listing_url(vanguard=site.slug)),
        ]
        for site in sites
    ]
    return Table(
        slug="vanguards",
        title="Vanguard sites: care model and initiatives by role",
        columns=[
            "Vanguard site",
            "Care model",
            "Health as a social movement site",
            *ROLE_NAMES.values(),
            "Initiatives",
        ],
        rows=rows,
    )


# --- conditions ------------------------------------------------------------------


def condition_icb_counts() -> dict[int, int]:
    """For each condition, the number of ICBs where a published initiative serves it.

    An initiative is in an ICB when it serves the ICB itself, a district whose parent
    is the ICB, or a split district that names the ICB among its other parents. The
    small area side is one (area, ICB) table; the large side is joined to it once.
    """
    connection = connections[Initiative.objects.db]
    quote = connection.ops.quote_name
    areas = quote(Area._meta.db_table)
    other_parents = quote(Area.other_parents.through._meta.db_table)
    initiatives = quote(Initiative._meta.db_table)
    initiative_conditions = quote(Initiative.conditions.through._meta.db_table)
    initiative_areas = quote(Initiative.areas.through._meta.db_table)
    sql = f"""
        WITH area_icb (area_id, icb_id) AS (
            SELECT a.id, a.id FROM {areas} a WHERE a.kind = %s
            UNION
            SELECT a.id, p.id FROM {areas} a JOIN {areas} p ON p.id = a.parent_id
            WHERE p.kind = %s
            UNION
            SELECT o.from_area_id, o.to_area_id FROM {other_parents} o
            JOIN {areas} t ON t.id = o.to_area_id WHERE t.kind = %s
        )
        SELECT condition_id, COUNT(*) FROM (
            SELECT DISTINCT ic.condition_id, m.icb_id
            FROM {initiative_conditions} ic
            JOIN {initiatives} i ON i.id = ic.initiative_id
            JOIN {initiative_areas} ia ON ia.initiative_id = ic.initiative_id
            JOIN area_icb m ON m.area_id = ia.area_id
            WHERE i.status = %s
        ) AS pairs
        GROUP BY condition_id
    """  # noqa: S608 - table names from the models, values bound as params
    icb = Area.Kind.ICB
    with connection.cursor() as cursor:
        cursor.execute(sql, [icb, icb, icb, Initiative.Status.PUBLISHED])
        return dict(cursor.fetchall())


@dataclass
class Conditions:
    """Conditions with their initiatives here, in the whole register, and ICBs served."""

    rows: list[Condition]

    @property
    def gaps(self) -> list[Condition]:
        """Rare conditions with no initiative here."""
        return [c for c in self.rows if c.is_rare and c.here == 0]

    @property
    def well_covered(self) -> list[Condition]:
        """The conditions with the most initiatives here."""
        covered = sorted((c for c in self.rows if c.here), key=lambda c: (-c.here, c.name))
        return covered[:WELL_COVERED_SHOWN]


def condition_figures(scope: Scope) -> Conditions:
    """Per condition: initiatives here and in the register (one grouped query), ICBs served."""
    published = Q(initiative__status=Initiative.Status.PUBLISHED)
    counts = (
        Initiative.conditions.through.objects.filter(published)
        .values("condition_id")
        .annotate(
            register=Count("initiative_id"),
            here=Count("initiative_id", filter=scope.contains("initiative__")),
        )
        .order_by()
    )
    by_condition = {row["condition_id"]: row for row in counts}
    icbs = condition_icb_counts()
    conditions = list(Condition.objects.order_by("name"))
    for condition in conditions:
        row = by_condition.get(condition.pk, {})
        condition.here = row.get("here", 0)
        condition.register = row.get("register", 0)
        condition.icbs = icbs.get(condition.pk, 0)
    return Conditions(rows=conditions)


def _condition_row(scope: Scope, condition: Condition, *, here: bool = True) -> list[Cell]:
    cells = [text_cell(condition.name)]
    if here:
        cells.append(count_cell(condition.here, scope.listing_url(condition=condition.slug)))
    cells += [
        count_cell(condition.register, register_listing_url(condition=condition.slug)),
        count_cell(condition.icbs, register_listing_url(condition=condition.slug)),
    ]
    return cells


def condition_table(scope: Scope, conditions: Conditions) -> Table:
    return Table(
        slug="conditions",
        title="Conditions: initiatives here and across the register",
        columns=[
            "Condition",
            "Rare",
            "Initiatives here",
            "Initiatives in the whole register",
            "ICBs with one (whole register)",
        ],
        rows=[
            [
                text_cell(c.name),
                text_cell("yes" if c.is_rare else "no"),
                *_condition_row(scope, c)[1:],
            ]
            for c in conditions.rows
        ],
        note=("An initiative counts in an ICB when it serves the ICB or a local authority in it."),
    )


def gaps_table(scope: Scope, conditions: Conditions) -> Table:
    return Table(
        slug="gaps",
        title="Gaps: rare conditions with no initiative here",
        columns=[
            "Condition",
            "Initiatives in the whole register",
            "ICBs with one (whole register)",
        ],
        rows=[_condition_row(scope, c, here=False) for c in conditions.gaps],
    )


def well_covered_table(scope: Scope, conditions: Conditions) -> Table:
    return Table(
        slug="well-covered",
        title="Well covered: the conditions with the most initiatives here",
        columns=["Condition", "Initiatives here", "Initiatives in the whole register", "ICBs"],
        rows=[_condition_row(scope, c) for c in conditions.well_covered],
    )


# --- coverage by area ------------------------------------------------------------


def sub_areas(scope: Scope, tree: AreaTree) -> list[Area]:
    """The areas one level below the scope's area (the nations for the whole register)."""
    if scope.area is None:
        return list(Area.objects.filter(parent__isnull=True).order_by("name"))
    child_ids = tree.children.get(scope.area.pk, ())
    return list(Area.objects.filter(pk__in=child_ids).order_by("name"))


def coverage_figures(scope: Scope, tree: AreaTree) -> list[Area]:
    """Sub-areas with the number of initiatives here that serve each (or an area below it).

    One pass over the initiative-area links: a distinct count per sub-area.
    """
    areas = sub_areas(scope, tree)
    if not areas:
        return []
    through = Initiative.areas.through
    counts = through.objects.filter(scope.contains("initiative__")).aggregate(
        **{
            f"area_{area.pk}": Count(
                "initiative_id", distinct=True, filter=Q(area_id__in=tree.descendant_ids(area.pk))
            )
            for area in areas
        }
    )
    for area in areas:
        area.initiatives_here = counts[f"area_{area.pk}"]
    return areas


def coverage_table(scope: Scope, areas: list[Area]) -> Table:
    rows = [
        [
            text_cell(area.name, scope.insights_url(area=area.slug)),
            text_cell(area.get_kind_display()),
            count_cell(area.initiatives_here, scope.listing_url(area=area.slug)),
        ]
        for area in areas
    ]
    return Table(
        slug="coverage",
        title="Coverage by area",
        columns=["Area", "Kind", "Initiatives"],
        rows=rows,
        note=(
            "Counts, not rates: the register holds no population figures for areas yet. "
            "An initiative serving several of these areas counts in each."
        ),
    )


# --- the whole page --------------------------------------------------------------


class Insights:
    """Every section for one scope, each computed once, on first use."""

    def __init__(self, scope: Scope):
        self.scope = scope

    @cached_property
    def here(self) -> Figures:
        return Figures.of(self.scope.initiatives)

    @cached_property
    def register(self) -> Figures:
        if self.scope.is_whole_register:
            return self.here
        return Figures.of(Initiative.objects.published())

    @cached_property
    def tree(self) -> AreaTree:
        return Area.objects.tree()

    @cached_property
    def funding(self) -> Funding:
        return funding_figures(self.scope)

    @cached_property
    def vanguards(self) -> list[VanguardSite]:
        return vanguard_figures(self.scope, self.tree if self.scope.area else None)

    @cached_property
    def conditions(self) -> Conditions:
        return condition_figures(self.scope)

    @cached_property
    def coverage(self) -> list[Area]:
        return coverage_figures(self.scope, self.tree)

    @property
    def areas_with_none(self) -> list[Area]:
        return [area for area in self.coverage if area.initiatives_here == 0]

    def table(self, slug: str) -> Table:
        return TABLES[slug](self)


TABLES: dict[str, Callable[[Insights], Table]] = {
    "headline": lambda i: headline_table(i.scope, i.here, i.register),
    "roles": lambda i: role_table(i.scope, i.here, i.register),
    "funding": lambda i: funding_table(i.scope, i.funding),
    "highly-dependent": lambda i: highly_dependent_table(i.scope, i.funding),
    "vanguards": lambda i: vanguard_table(i.scope, i.vanguards),
    "conditions": lambda i: condition_table(i.scope, i.conditions),
    "gaps": lambda i: gaps_table(i.scope, i.conditions),
    "well-covered": lambda i: well_covered_table(i.scope, i.conditions),
    "coverage": lambda i: coverage_table(i.scope, i.coverage),
}
