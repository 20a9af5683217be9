#!/usr/bin/env python
"""Figures for the CSV and XLSX exports and the API list endpoint (for `make bench`; not a test).

Against the database DATABASE_URL names (PostgreSQL for the figures that count):

- the full CSV export, served through the WSGI application in a fresh process
  as a production worker would serve it: time, rows per second, bytes, and the
  process's peak memory (ru_maxrss) before and after the request;
- the full XLSX export, the same way in another fresh process: time and peak memory
  (openpyxl's write-only mode: the peak must not grow with the row count);
- PostgreSQL's own `COPY (the same columns) TO STDOUT`, in the same run;
- the API list endpoints (services, organizations, and syncs with modified_after) and
  details: median time and query count.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench .venv/bin/python scripts/bench_export.py

With `--databases URL,URL` it measures each database in turn (for example the
10,000- and 100,000-initiative ones `scripts/bench` prepares), so the memory
figures can be compared across sizes: they must not grow with the row count.
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import wsgiref.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# A production-like process: DEBUG off (no query log), plain HTTP to the WSGI app.
SERVING_ENV = {
    "DJANGO_SETTINGS_MODULE": "directory.settings",
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
    "DJANGO_ALLOWED_HOSTS": "localhost",
    "DJANGO_SECURE_SSL_REDIRECT": "false",
    "DJANGO_LOG_LEVEL": "WARNING",
}
EXPORT_PATHS = {"export": "/initiatives/export.csv", "xlsx": "/initiatives/export.xlsx"}
API_REPEATS = int(os.environ.get("BENCH_API_REPEATS", "30"))


def peak_rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def wsgi_get(app, path: str, query: str = "") -> tuple[str, int]:
    """Serve one GET through the WSGI app and read the whole body; (status, bytes)."""
    environ: dict = {}
    wsgiref.util.setup_testing_defaults(environ)
    environ.update(
        PATH_INFO=path, QUERY_STRING=query, HTTP_HOST="localhost", SERVER_NAME="localhost"
    )
    statuses = []

    def start_response(status, headers, exc_info=None):
        statuses.append(status)

    result = app(environ, start_response)
    size = 0
    try:
        for chunk in result:
            size += len(chunk)
    finally:
        if hasattr(result, "close"):
            result.close()
    return statuses[0], size


def serve_export(path: str) -> dict:
    """In a fresh process: serve the full export once and report time and memory."""
    import django

    django.setup()
    from django.core.wsgi import get_wsgi_application

    from initiatives.models import Initiative

    app = get_wsgi_application()
    wsgi_get(app, "/api/v1/")  # loads the URLconf and views before the baseline
    baseline = peak_rss_mb()
    started = time.perf_counter()
    status, size = wsgi_get(app, path)
    seconds = time.perf_counter() - started
    rows = Initiative.objects.published().count()
    return {
        "status": status,
        "rows": rows,
        "bytes": size,
        "seconds": round(seconds, 2),
        "rows_per_second": round(rows / seconds) if seconds else None,
        "rss_before_mb": round(baseline, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


COPY_SQL = """
COPY (
  SELECT i.uuid, i.name, 'http://localhost/initiatives/' || i.slug || '/', i.summary,
    o.name, o.legal_form, o.charity_number, o.company_number, i.role,
    (SELECT string_agg(t.name, '; ' ORDER BY t.name) FROM initiatives_initiative_topics x
       JOIN initiatives_topic t ON t.id = x.topic_id WHERE x.initiative_id = i.id),
    (SELECT string_agg(c.name, '; ' ORDER BY c.name) FROM initiatives_initiative_conditions x
       JOIN initiatives_condition c ON c.id = x.condition_id WHERE x.initiative_id = i.id),
    (SELECT string_agg(c.name, '; ' ORDER BY c.name) FROM initiatives_initiative_conditions x
       JOIN initiatives_condition c ON c.id = x.condition_id
       WHERE x.initiative_id = i.id AND c.is_rare),
    (SELECT string_agg(p.name, '; ' ORDER BY p.name)
       FROM initiatives_initiative_population_groups x
       JOIN initiatives_populationgroup p ON p.id = x.populationgroup_id
       WHERE x.initiative_id = i.id),
    (SELECT string_agg(a.name, '; ' ORDER BY a.name) FROM initiatives_initiative_areas x
       JOIN initiatives_area a ON a.id = x.area_id WHERE x.initiative_id = i.id),
    (SELECT string_agg(COALESCE(NULLIF(a.code, ''), a.slug), '; ' ORDER BY a.name)
       FROM initiatives_initiative_areas x
       JOIN initiatives_area a ON a.id = x.area_id WHERE x.initiative_id = i.id),
    i.national, v.name, v.care_model,
    concat_ws('; ', CASE WHEN i.self_referral THEN 'Self-referral' END,
      CASE WHEN i.professional_referral THEN 'Professional referral' END,
      CASE WHEN i.drop_in THEN 'Drop-in' END, CASE WHEN i.membership THEN 'Membership' END),
    i.cost, i.min_age, i.max_age, i.funding_dependency, i.largest_funder_share, i.nhs_share,
    o.members, o.volunteers, i.website, i.email, i.phone, i.address, i.postcode,
    i.last_verified_on, i.updated_at
  FROM initiatives_initiative i
  LEFT JOIN initiatives_organisation o ON o.id = i.organisation_id
  LEFT JOIN initiatives_vanguardsite v ON v.id = i.vanguard_id
  WHERE i.status = 'published'
  ORDER BY i.name, i.id
) TO STDOUT WITH (FORMAT csv, HEADER)
"""


def copy_export() -> dict:
    """PostgreSQL's own CSV of the same columns, for comparison."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return {"skipped": "COPY needs PostgreSQL"}
    started = time.perf_counter()
    size = 0
    with connection.cursor() as cursor, cursor.cursor.copy(COPY_SQL) as copy:
        for data in copy:
            size += len(data)
    return {"bytes": size, "seconds": round(time.perf_counter() - started, 2)}


def api_figures() -> dict:
    """Median time and query count of the API list endpoints and details."""
    from datetime import timedelta

    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from initiatives.models import Initiative, Organisation

    client = Client(HTTP_HOST="localhost")
    published = Initiative.objects.published()
    total = published.count()
    middle = published.order_by("name", "pk").values_list("uuid", flat=True)[total // 2]
    organisations = Organisation.objects.filter(initiatives__status="published").distinct().count()
    largest = (
        Organisation.objects.filter(initiatives__status="published")
        .annotate(services=Count("initiatives"))
        .order_by("-services")
        .values_list("uuid", flat=True)[0]
    )
    day = (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    cases = {
        "services, page 1 of 100": "/api/v1/services?per_page=100",
        "services, middle page of 100": (
            f"/api/v1/services?per_page=100&page={max(1, total // 200)}"
        ),
        "services, role filter": "/api/v1/services?per_page=100&role=campaigning",
        "one service, fully nested": f"/api/v1/services/{middle}",
        "organizations, page 1 of 100": "/api/v1/organizations?per_page=100",
        "organizations, middle page of 100": (
            f"/api/v1/organizations?per_page=100&page={max(1, organisations // 200)}"
        ),
        "the organisation with most services, fully nested": f"/api/v1/organizations/{largest}",
        "sync of everything, services page 1 of 100": (
            "/api/v1/services?per_page=100&modified_after=2000-01-01"
        ),
        "sync of everything, services middle page of 100": (
            f"/api/v1/services?per_page=100&modified_after=2000-01-01&page={max(1, total // 200)}"
        ),
        "sync of everything, organizations page 1 of 100": (
            "/api/v1/organizations?per_page=100&modified_after=2000-01-01"
        ),
        "sync of the last day, services": f"/api/v1/services?per_page=100&modified_after={day}",
        "sync of the last day, organizations": (
            f"/api/v1/organizations?per_page=100&modified_after={day}"
        ),
    }
    figures = {}
    for label, url in cases.items():
        client.get(url)  # warm
        times = []
        for _ in range(API_REPEATS):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get(url)
                times.append(time.perf_counter() - started)
            assert response.status_code == 200, (url, response.status_code)
        figures[label] = {
            "median_ms": round(statistics.median(times) * 1000, 1),
            "queries": len(queries),
        }
    return figures


def run_child(mode: str, database_url: str) -> dict:
    env = {**os.environ, **SERVING_ENV, "DATABASE_URL": database_url}
    result = subprocess.run(  # noqa: S603 - our own script, fixed arguments
        [sys.executable, __file__, "--child", mode],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"{mode} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def child(mode: str) -> None:
    if mode in EXPORT_PATHS:
        print(json.dumps(serve_export(EXPORT_PATHS[mode])))
        return
    import django

    django.setup()
    if mode == "copy":
        print(json.dumps(copy_export()))
    elif mode == "api":
        print(json.dumps(api_figures()))


def report(database_url: str) -> dict:
    export = run_child("export", database_url)
    xlsx = run_child("xlsx", database_url)
    copy = run_child("copy", database_url)
    api = run_child("api", database_url)
    size_label = f"database {database_url.rsplit('/', 1)[-1]}"
    print(f"\n== {size_label}: {export['rows']} published initiatives ==")
    print(
        f"CSV export (WSGI, fresh process): {export['seconds']} s, "
        f"{export['rows_per_second']} rows/s, {export['bytes'] / 1e6:.1f} MB, "
        f"status {export['status']}"
    )
    print(
        f"  serving process memory: {export['rss_before_mb']} MB before the request, "
        f"peak {export['peak_rss_mb']} MB"
    )
    print(
        f"XLSX export (WSGI, fresh process): {xlsx['seconds']} s, "
        f"{xlsx['rows_per_second']} rows/s, {xlsx['bytes'] / 1e6:.1f} MB, "
        f"status {xlsx['status']}; memory {xlsx['rss_before_mb']} MB before, "
        f"peak {xlsx['peak_rss_mb']} MB"
    )
    if "skipped" in copy:
        print(f"PostgreSQL COPY: skipped ({copy['skipped']})")
    else:
        print(
            f"PostgreSQL COPY (same columns) TO STDOUT: {copy['seconds']} s, "
            f"{copy['bytes'] / 1e6:.1f} MB"
        )
    for label, figures in api.items():
        print(f"API {label}: median {figures['median_ms']} ms, {figures['queries']} queries")
    return {"export": export, "xlsx": xlsx, "copy": copy, "api": api}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument(
        "--databases",
        default=os.environ.get("DATABASE_URL", ""),
        help="comma-separated database URLs to measure in turn (default: DATABASE_URL)",
    )
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    urls = [url.strip() for url in args.databases.split(",") if url.strip()]
    if not urls:
        raise SystemExit("Give --databases or set DATABASE_URL (PostgreSQL for real figures).")
    figures = {}
    for url in urls:
        if not url.startswith("postgres"):
            print(f"Note: {url} is not PostgreSQL; the COPY comparison is skipped there.")
        figures[url.rsplit("/", 1)[-1]] = report(url)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
