"""Site-wide views: home page, health check, error pages."""

from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from initiatives.models import Initiative


def home(request):
    published = Initiative.objects.published()
    return render(request, "home.html", {"published_count": published.count()})


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
