"""Site-wide views: home page, health check, error pages."""

from django.db import DatabaseError, connection
from django.db.models import Count
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from initiatives.caching import cached
from initiatives.models import Area, Initiative


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


def home(request):
    """Search box, browse by nation and NHS region, and headline figures."""
    return render(request, "home.html", cached("home", {}, home_figures))


def home_figures() -> dict:
    """The home page's figures: counted once per register version (initiatives/caching.py)."""
    # Ended initiatives stay on the register but are not counted as current provision.
    published = Initiative.objects.published().current()
    counts = {
        row["role"]: row["n"] for row in published.order_by().values("role").annotate(n=Count("pk"))
    }
    total = sum(counts.values())
    areas_covered = (
        Initiative.areas.through.objects.filter(initiative__in=published.values("pk"))
        .values("area_id")
        .distinct()
        .count()
    )
    return {
        "published_count": total,
        "role_shares": role_shares(counts, total),
        "areas_covered": areas_covered,
        "browse": browse_areas(),
    }


@never_cache
def healthz(request):
    """200 when the database answers, 503 otherwise (for load balancers and the container)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


def page_not_found(request, exception):
    return render(request, "404.html", status=404)


def server_error(request):
    return render(request, "500.html", status=500)
