"""Site-wide views: home page, health check, error pages (JSON for the API: see errors.py)."""

import sys

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import OuterRef, Subquery
from django.http import JsonResponse
from django.shortcuts import render
from django.views import csrf, defaults
from django.views.decorators.cache import never_cache

from initiatives.api.errors import error_response
from initiatives.caching import cached, revalidated
from initiatives.listing.facets import register_counts
from initiatives.models import Area, Initiative
from initiatives.services import database_busy

from .errors import CSRF_MESSAGE, api_error, is_api


def role_shares(counts: dict[str, int], total: int) -> list[dict]:
    """Each role's share of the published initiatives, in whole percent."""
    return [
        {
            "value": value,
            "label": label,
            "count": counts.get(value, 0),
            "percent": round(100 * counts.get(value, 0) / total) if total else 0,
        }
        for value, label in Initiative.Role.choices
    ]


def browse_areas() -> list[dict]:
    """Nations, with England's NHS regions under it, for browsing by area."""
    areas = list(
        Area.objects.filter(kind__in=[Area.Kind.NATION, Area.Kind.NHS_REGION])
        .only("pk", "name", "slug", "kind", "parent_id")
        .order_by("name")
    )
    nations = [area for area in areas if area.kind == Area.Kind.NATION]
    nation_ids = {nation.pk for nation in nations}
    regions = [area for area in areas if area.kind == Area.Kind.NHS_REGION]
    browse = [
        {"area": nation, "regions": [r for r in regions if r.parent_id == nation.pk]}
        for nation in nations
    ]
    # Regions recorded without a nation still get listed.
    browse += [{"area": r, "regions": []} for r in regions if r.parent_id not in nation_ids]
    return browse


@revalidated
def home(request):
    """Search box, browse by nation and NHS region, and headline figures."""
    return render(request, "home.html", kept_home_figures())


def kept_home_figures() -> dict:
    """The home page's figures, from the figures cache (counted once per version)."""
    return cached("home", {}, home_figures)


def home_figures() -> dict:
    """The home page's figures: counted once per register version (initiatives/caching.py)."""
    # Ended initiatives stay on the register but are not counted as current provision.
    # The roles' counts are the register's facet counts (the facet tally's, counted
    # ahead after a change), where counting them here read every current record (0.4 s
    # at a million).
    counts = register_counts()["role"]
    total = sum(counts.values())
    return {
        "published_count": total,
        "role_shares": role_shares(counts, total),
        "areas_covered": areas_covered(),
        "browse": browse_areas(),
    }


def areas_covered() -> int:
    """How many areas a current published initiative is linked to: for each area, its
    first such link (a scalar subquery, LIMIT 1, through the link table's area index), a
    few milliseconds for the 440 areas, where the DISTINCT over every link of the
    register took 0.5 to 0.8 s at a million records."""
    links = Initiative.areas.through.objects.filter(
        Initiative.objects.current_condition("initiative__"),
        area_id=OuterRef("pk"),
        initiative__status=Initiative.Status.PUBLISHED,
    )
    first_link = Subquery(links.order_by().values("pk")[:1])
    return Area.objects.annotate(first_link=first_link).filter(first_link__isnull=False).count()


def warm_home_figures() -> None:
    """Count the home page's figures under the current version before a visitor asks
    (initiatives.caching.on_new_version, registered by DirectoryConfig)."""
    kept_home_figures()


@never_cache
def healthz(request):
    """200 when the database answers in time, 503 otherwise (for load balancers and the
    container).

    The probe reads the register's main table within HEALTHZ_PROBE_TIMEOUT on
    PostgreSQL, so a worker whose pages would hang (the table locked by a migration,
    the server overloaded) reports "degraded" and is taken out of rotation.
    """
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                limit = str(max(1, round(settings.HEALTHZ_PROBE_TIMEOUT * 1000)))
                cursor.execute(
                    "SELECT set_config('statement_timeout', %s, true), "
                    "set_config('lock_timeout', %s, true)",
                    [limit, limit],
                )
            table = connection.ops.quote_name(Initiative._meta.db_table)
            cursor.execute(f"SELECT 1 FROM {table} LIMIT 1")  # noqa: S608 - a model's table
            cursor.fetchone()
    except DatabaseError as exc:
        if database_busy(exc):
            return JsonResponse({"status": "degraded", "database": "slow"}, status=503)
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


def page_not_found(request, exception):
    if is_api(request):
        return api_error(404, exception)
    return render(request, "404.html", status=404)


def server_error(request):
    """500, or for the API a JSON 500 (503 when the database is not answering).

    Django calls this while it handles the exception, after logging it, so
    sys.exc_info() still names it."""
    if is_api(request):
        return api_error(500, sys.exc_info()[1])
    return render(request, "500.html", status=500)


def bad_request(request, exception):
    if is_api(request):
        return api_error(400, exception)
    return defaults.bad_request(request, exception)


def permission_denied(request, exception):
    if is_api(request):
        return api_error(403, exception)
    return defaults.permission_denied(request, exception)


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: JSON for the API (which takes no writes), Django's page elsewhere."""
    if is_api(request):
        return error_response(403, CSRF_MESSAGE)
    return csrf.csrf_failure(request, reason)
