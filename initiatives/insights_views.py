"""/insights/: the landscape for commissioners, its charts, and a CSV of each table.

Takes the listing's `area` and `vanguard` params. A param that names nothing in the
register is reported on the page, and the figures fall back to the whole register.
"""

import csv
import io

from django.http import Http404, HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from . import charts
from .caching import cached, query_params
from .exports import BYTE_ORDER_MARK, neutralise, to_text
from .insights import (
    BAND_NAMES,
    BANDS,
    ROLE_NAMES,
    ROLES,
    TABLES,
    Insights,
    Scope,
    Table,
    register_listing_url,
    url_with,
)
from .listing.filters import clean_query_dict
from .models import Area, VanguardSite

# The order areas are offered in: the ones commissioners look at most first.
AREA_GROUPS = [
    (Area.Kind.ICB, "Integrated care boards"),
    (Area.Kind.LOCAL_AUTHORITY, "Local authorities"),
    (Area.Kind.NHS_REGION, "NHS England regions"),
    (Area.Kind.NATION, "Nations"),
]


def scope_from_params(querydict, *, areas=None, vanguards=None) -> tuple[Scope, list[str]]:
    """The scope the params ask for, and a message for each param that names nothing.

    `areas` and `vanguards` map slugs to objects already loaded; without them each
    param is looked up on its own.
    """
    params = clean_query_dict(querydict)
    scope, errors = Scope(), []
    lookups = (
        ("area", Area, areas, "area", "cover every area"),
        ("vanguard", VanguardSite, vanguards, "vanguard site", "are not limited to one"),
    )
    for name, model, known, what, fallback in lookups:
        slug = (params.get(name) or "").strip()
        if not slug:
            continue
        found = known.get(slug) if known is not None else model.objects.filter(slug=slug).first()
        if found is None:
            errors.append(
                f"There is no {what} \u201c{slug[:80]}\u201d in the register, so these figures "
                f"{fallback}. Choose a {what} from the list."
            )
        else:
            setattr(scope, name, found)
    return scope, errors


def _csv_url(scope: Scope, table: Table) -> str:
    if table.download_url:
        return table.download_url
    return url_with(reverse("initiatives:insights_csv", args=[table.slug]), scope.params())


def _charts(insights: Insights) -> dict[str, str]:
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
        "conditions": _count_chart(
            chart_id="chart-conditions",
            title=f"Conditions with the most initiatives: {scope.name}",
            summary="Number of initiatives here for each of the best covered conditions.",
            counts=[(c.name, c.here) for c in covered],
        ),
        "coverage": _count_chart(
            chart_id="chart-coverage",
            title=f"Initiatives by area: {scope.name}",
            summary="Number of initiatives here serving each area (or an area within it).",
            counts=[(area.name, area.initiatives_here) for area in by_count],
        ),
    }


def _count_chart(*, chart_id: str, title: str, summary: str, counts: list[tuple[str, int]]) -> str:
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


def insights(request):
    """The insights page for the area and vanguard site in the params (or the whole register).

    Every figure counts the whole register, so the page is kept in the figures cache
    (initiatives/caching.py) per register version and params; it holds nothing personal.
    """
    html = cached(
        "insights-page",
        query_params(request.GET),
        lambda: render_to_string("initiatives/insights.html", insights_context(request), request),
    )
    return HttpResponse(html)


def insights_context(request) -> dict:
    areas = list(Area.objects.only("pk", "name", "slug", "kind", "parent_id").order_by("name"))
    vanguards = list(VanguardSite.objects.order_by("name"))
    scope, errors = scope_from_params(
        request.GET,
        areas={area.slug: area for area in areas},
        vanguards={site.slug: site for site in vanguards},
    )
    page = Insights(scope)
    # Keyed with underscores for the template ("highly-dependent" -> "highly_dependent").
    tables = {slug.replace("-", "_"): page.table(slug) for slug in TABLES}
    for table in tables.values():
        table.csv_url = _csv_url(scope, table)
    area_groups = [
        (label, [area for area in areas if area.kind == kind]) for kind, label in AREA_GROUPS
    ]
    context = {
        "scope": scope,
        "errors": errors,
        "page": page,
        "here": page.here,
        "register": page.register,
        "funding": page.funding,
        "tables": tables,
        "charts": _charts(page),
        "area_groups": [(label, group) for label, group in area_groups if group],
        "vanguards": vanguards,
        "highly_dependent_url": scope.listing_url(funding_dependency="highly_dependent"),
        "verified_url": scope.listing_url(sort="-last_verified_on"),
        "register_url": register_listing_url(),
        "areas_with_none": [
            (area, scope.listing_url(area=area.slug)) for area in page.areas_with_none
        ],
    }
    return context


def insights_filename(slug: str, scope: Scope) -> str:
    parts = ["insights", slug, timezone.localdate().isoformat()]
    for name, value in scope.params().items():
        parts += [name, value]
    return "-".join(parts) + ".csv"


def insights_csv(request, table):
    """One table of the insights page as CSV: UTF-8 with a byte-order mark, formula-safe."""
    if table not in TABLES:
        raise Http404("No such table")
    scope, _errors = scope_from_params(request.GET)
    rows = cached(
        "insights-csv",
        {"table": table, **scope.params()},
        lambda: [list(row) for row in Insights(scope).table(table).csv_rows()],
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer)  # the "excel" dialect, as the listing export
    for row in rows:
        writer.writerow([neutralise(to_text(value)) for value in row])
    response = HttpResponse(
        BYTE_ORDER_MARK + buffer.getvalue(), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{insights_filename(table, scope)}"'
    return response
