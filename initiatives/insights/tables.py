"""The tables of the insights page: as the page shows them and the CSV downloads write them.

A Table is rows of Cells; a cell holds the value the CSV writes, the text the page
shows and the listing behind the figure. Each builder here turns one section's
figures (the figures module) into its table, so the page, its charts and the CSV
downloads all show the same numbers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from initiatives.models import Area, Condition, FundingDependency, VanguardSite

from .figures import BANDS, ROLES, Conditions, Figures, Funding, Role, whole_percent
from .scope import Scope, register_listing_url

BAND_NAMES = {
    FundingDependency.HIGHLY_DEPENDENT: "Highly dependent (75% or more from one funder)",
    FundingDependency.DEPENDENT: "Dependent (50-74%)",
    FundingDependency.MODERATE: "Moderate (25-49%)",
    FundingDependency.DIVERSE: "Diverse (no funder 25% or more)",
    FundingDependency.UNKNOWN: "Not known (no share of income recorded)",
}
ROLE_NAMES = {
    Role.SERVICE_PROVIDER: "Service providers",
    Role.CAMPAIGNING: "Campaigning groups",
    Role.BOTH: "Both",
}


# --- cells and tables ------------------------------------------------------------


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


# --- one table per section -------------------------------------------------------


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
            "Ended initiatives (kept on the register, not counted in these figures)",
            count_cell(here.ended, scope.ended_listing_url()),
            count_cell(register.ended, register_listing_url(include_ended="only")),
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
        note=(
            "An initiative counts in an ICB when it serves the ICB or a local authority in "
            "it; being based there is not enough."
        ),
    )


def gaps_table(scope: Scope, conditions: Conditions) -> Table:
    return Table(
        slug="gaps",
        title="Gaps: rare conditions with no initiative here",
        columns=[
            "Condition",
            *(["Initiatives serving its nation or the whole UK"] if scope.area else []),
            "Initiatives in the whole register",
            "ICBs with one (whole register)",
        ],
        rows=[
            [
                *_condition_row(scope, c, here=False)[:1],
                *([count_cell(c.nationwide)] if scope.area else []),
                *_condition_row(scope, c, here=False)[1:],
            ]
            for c in conditions.gaps
        ],
    )


def well_covered_table(scope: Scope, conditions: Conditions) -> Table:
    return Table(
        slug="well-covered",
        title="Well covered: the conditions with the most initiatives here",
        columns=["Condition", "Initiatives here", "Initiatives in the whole register", "ICBs"],
        rows=[_condition_row(scope, c) for c in conditions.well_covered],
    )


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
            "Each area counts what serves it or a place within it, or is based there, "
            "as its listing does. An initiative serving several of these areas counts in each."
        ),
    )
