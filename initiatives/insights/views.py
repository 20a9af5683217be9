"""/insights/: the landscape for commissioners, its charts, and a CSV of each table.

Takes the listing's `area` and `vanguard` params. A param that names nothing in the
register is reported on the page, and the figures fall back to the whole register.
The views only read the params, cache and answer; the figures, tables and charts
come from Insights (the page module).
"""

from django.http import Http404, HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe

from initiatives.caching import cached, revalidated
from initiatives.exports import rows_csv_response
from initiatives.models import Area, VanguardSite

from .page import TABLES, insights_for, page_charts
from .scope import Scope, register_listing_url, scope_from_params, url_with
from .tables import Table

# The order areas are offered in: the ones commissioners look at most first.
AREA_GROUPS = [
    (Area.Kind.ICB, "Integrated care boards"),
    (Area.Kind.HEALTH_BOARD, "Health boards (Scotland and Wales)"),
    (Area.Kind.HSC_TRUST, "Health and social care trusts (Northern Ireland)"),
    (Area.Kind.LOCAL_AUTHORITY, "Local authorities"),
    (Area.Kind.NHS_REGION, "NHS England regions"),
    (Area.Kind.NATION, "Nations"),
]


def _csv_url(scope: Scope, table: Table) -> str:
    if table.download_url:
        return table.download_url
    return url_with(reverse("initiatives:insights_csv", args=[table.slug]), scope.params())


@revalidated
def insights(request):
    """The insights page for the area and vanguard site in the params (or the whole register).

    The figures, and the page's content rendered from them (insights/body.html, the
    same for every visitor of one scope), are kept in the figures cache
    (initiatives/caching.py) per register version and scope. The page around them is
    rendered for each request, as its header is the visitor's own (their shortlist's
    count). A param that names nothing is answered afresh, not kept.
    """
    # One lookup per param given (none for the whole register); the lists of areas and
    # vanguard sites to choose from are read only when the content is rendered.
    scope, errors = scope_from_params(request.GET)

    def body() -> str:
        return render_to_string("insights/body.html", body_context(scope, errors))

    content = body() if errors else cached("insights-body", scope.params(), body)
    # Rendered by the template engine, which escaped it there.
    page = {"scope": scope, "body": mark_safe(content)}  # noqa: S308
    return HttpResponse(render_to_string("insights/page.html", page, request))


def body_context(scope: Scope, errors: list[str]) -> dict:
    """Everything insights/body.html shows for one scope."""
    areas = list(Area.objects.only("pk", "name", "slug", "kind", "parent_id").order_by("name"))
    vanguards = list(VanguardSite.objects.order_by("name"))
    page = insights_for(scope)
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
        "charts": page_charts(page),
        "area_groups": [(label, group) for label, group in area_groups if group],
        "vanguards": vanguards,
        "highly_dependent_url": scope.listing_url(funding_dependency="highly_dependent"),
        "verified_url": scope.listing_url(sort="-last_verified_on"),
        "ended_url": scope.ended_listing_url(),
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
    rows = [list(row) for row in insights_for(scope).table(table).csv_rows()]
    return rows_csv_response(rows, filename=insights_filename(table, scope))
