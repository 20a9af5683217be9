"""The insights page for one scope: every section counted once, its tables and its charts.

Insights holds the figures of each section, each computed on first use, so the
page, a single CSV download and the charts share them. TABLES lists the tables by
the slug their CSV is downloaded under.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from functools import cached_property

from django.conf import settings

from initiatives.areas import AreaTree
from initiatives.caching import cached_once
from initiatives.models import Area, VanguardSite
from initiatives.services.locking import statement_time_limit

from . import charts
from .figures import (
    BANDS,
    ROLES,
    Conditions,
    Figures,
    Funding,
    Tallied,
    condition_figures,
    coverage_figures,
    funding_figures,
    register_figures,
    scope_tally,
    vanguard_figures,
)
from .scope import Scope
from .tables import (
    BAND_NAMES,
    ROLE_NAMES,
    Table,
    condition_table,
    coverage_table,
    funding_table,
    gaps_table,
    headline_table,
    highly_dependent_table,
    role_table,
    vanguard_table,
    well_covered_table,
)


@dataclass
class Sections:
    """The figures of every section of one scope, and nothing else: what the figures
    cache keeps (never a rendered page, which carries the visitor's own header)."""

    here: Figures
    register: Figures
    funding: Funding
    vanguards: list[VanguardSite]
    conditions: Conditions
    coverage: list[Area]


class Insights:
    """Every section for one scope, each computed once, on first use (or given, as
    `Sections` counted before)."""

    def __init__(self, scope: Scope, sections: Sections | None = None):
        self.scope = scope
        if sections is not None:
            # The cached properties below read these instead of counting.
            self.__dict__.update({f.name: getattr(sections, f.name) for f in fields(sections)})

    def sections(self) -> Sections:
        """Every section's figures, counting those not counted yet."""
        return Sections(**{f.name: getattr(self, f.name) for f in fields(Sections)})

    @cached_property
    def here(self) -> Figures:
        if self.scope.is_whole_register:
            return self.register
        return Figures.of(self.scope.initiatives, ended=self.scope.ended, tallied=self.tallied)

    @cached_property
    def register(self) -> Figures:
        return register_figures()

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
    def tallied(self) -> Tallied | None:
        return scope_tally(self.scope)

    @cached_property
    def conditions(self) -> Conditions:
        return condition_figures(self.scope, self.tree, self.tallied)

    @cached_property
    def coverage(self) -> list[Area]:
        return coverage_figures(self.scope, self.tree, self.tallied)

    @property
    def areas_with_none(self) -> list[Area]:
        return [area for area in self.coverage if area.initiatives_here == 0]

    def table(self, slug: str) -> Table:
        return TABLES[slug](self)


def insights_for(scope: Scope) -> Insights:
    """The insights of one scope, its figures from the figures cache (counted by one
    worker at a time after a change, see `caching.cached_once`)."""

    def count():
        with statement_time_limit(settings.DB_FIGURES_STATEMENT_TIMEOUT):
            return Insights(scope).sections()

    sections = cached_once("insights-figures", scope.params(), count)
    return Insights(scope, sections)


def warm_insights() -> None:
    """Count the whole register's insights under the current version before a visitor
    asks (called by initiatives.caching after a change commits, `caching.on_new_version`)."""
    insights_for(Scope())


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


def page_charts(insights: Insights) -> dict[str, str]:
    """The page's charts by section, drawn from the same figures as its tables."""
    scope = insights.scope
    here, register = insights.here, insights.register
    if scope.is_whole_register:
        role_series = ["Whole register"]
        role_bars = [
            charts.Bar(ROLE_NAMES[role], [register.role_share(role) or 0]) for role in ROLES
        ]
    else:
        role_series = ["Here", "Whole register"]
        role_bars = [
            charts.Bar(
                ROLE_NAMES[role], [here.role_share(role) or 0, register.role_share(role) or 0]
            )
            for role in ROLES
        ]
    funding = insights.funding
    held = [site for site in insights.vanguards if site.total]
    covered = insights.conditions.well_covered
    by_count = sorted(insights.coverage, key=lambda area: -area.initiatives_here)
    role_names = list(ROLE_NAMES.values())
    return {
        "roles": charts.bar_chart(
            chart_id="chart-roles",
            title=f"Share of initiatives by role: {scope.name}"
            + ("" if scope.is_whole_register else " and the whole register"),
            summary="Percentage of published initiatives that provide services, "
            "campaign, or do both.",
            bars=role_bars,
            series=role_series,
            unit="%",
        ),
        "funding": charts.stacked_bar_chart(
            chart_id="chart-funding",
            title=f"Organisations by funding dependency and role: {scope.name}",
            summary="Organisations in each funding dependency band, split by role.",
            bars=[
                charts.Bar(BAND_NAMES[band], [funding.bands[band][role] for role in ROLES])
                for band in BANDS
            ],
            series=role_names,
        ),
        "vanguards": charts.stacked_bar_chart(
            chart_id="chart-vanguards",
            title=f"Initiatives by vanguard site and role: {scope.name}",
            summary="Vanguard sites holding initiatives here, with their initiatives by role.",
            bars=[charts.Bar(site.name, [getattr(site, role) for role in ROLES]) for site in held],
            series=role_names,
        )
        if held
        else "",
        "conditions": count_chart(
            chart_id="chart-conditions",
            title=f"Conditions with the most initiatives: {scope.name}",
            summary="Number of initiatives here for each of the best covered conditions.",
            counts=[(c.name, c.here) for c in covered],
        ),
        "coverage": count_chart(
            chart_id="chart-coverage",
            title=f"Initiatives by area: {scope.name}",
            summary="Number of initiatives here serving each area or a place within it, "
            "or based there.",
            counts=[(area.name, area.initiatives_here) for area in by_count],
        ),
    }


def count_chart(*, chart_id: str, title: str, summary: str, counts: list[tuple[str, int]]) -> str:
    """A bar chart of the number of initiatives for each name; nothing when there are none."""
    if not counts:
        return ""
    return charts.bar_chart(
        chart_id=chart_id,
        title=title,
        summary=summary,
        bars=[charts.Bar(name, [count]) for name, count in counts],
        series=["Initiatives"],
    )
