"""`python manage.py bench_listing`: the listing's time in Django and in SQL (for `make bench`).

Not a test. For each of a fixed set of listing requests it reports the median time
of the whole view (through django.test.Client) and the median time of the same SQL
statements re-run directly through psycopg or sqlite3 on a connection of their own,
and their ratio: what Django adds on top of the database. Each request is timed
warm (its counts in the figures cache, as most visitors get it) and cold (the cache
emptied first, as the first visitor after a change gets it), each with its own SQL.
It also times the postcode lookup a postcode search starts with. `--report` prints the
table for several saved runs, with the growth between the first two.
"""

import contextlib
import json
import math
import sqlite3
import statistics
import time
from pathlib import Path
from urllib.parse import urlencode

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from initiatives.models import Area, Condition, Initiative
from initiatives.search import add_sqlite_functions
from places.lookup import find_place
from places.models import Postcode

LISTING = "/initiatives/"
PER_PAGE = 20
# Requests, by name; the deep page is filled in from the number of published records.
REQUESTS = {
    "no filters": {},
    "q=dementia": {"q": "dementia"},
    "q=mental health": {"q": "mental health"},
    "q=demntia (misspelt)": {"q": "demntia"},
    "q + area + role + condition": {
        "q": "support",
        "area": "north-west",
        "role": "service_provider",
        "condition": "mental-health",
    },
    "deep page (90% through)": {"page": None},
    "postcode, 10 km": {"postcode": None, "distance_km": 10},
    # What serves a place, tier by tier (here, covering it, its nation or the UK).
    "tiers: district (area=halton)": {"area": "halton"},
    "tiers: town (place=Runcorn)": {"place": "Runcorn"},
    "tiers: full postcode (WA7)": {"postcode": None, "tiered": True},
}
# The postcode searched for (a Halton postcode in `import_postcodes --demo`); when the
# database lacks it, the first full postcode there is used instead.
POSTCODE = "WA8 7QF"
# The full postcode of the tiered place search (Runcorn, Halton), with the same fallback.
TIERED_POSTCODE = "WA7 1AB"
LOOKUPS = 200
FILTERED = "q + area + role + condition"


class Command(BaseCommand):
    help = "Time the listing view and its SQL (for `make bench`; not a test)."

    def add_arguments(self, parser):
        parser.add_argument("--repeats", type=int, default=15)
        parser.add_argument("--label", default="")
        parser.add_argument("--json", dest="json_path", help="Write the figures to this file.")
        parser.add_argument(
            "--explain", action="store_true", help="Show the plan of the filtered request."
        )
        parser.add_argument(
            "--report", nargs="+", metavar="JSON", help="Print saved runs instead of measuring."
        )
        parser.add_argument(
            "--only", default="", help="Time only the requests whose names contain this."
        )

    def handle(self, *args, repeats, label, json_path, explain, report, only, **options):
        if report:
            self.report([load(path) for path in report])
            return
        if repeats < 1:
            raise CommandError("--repeats must be at least 1.")
        run = self.measure(
            repeats=repeats, label=label or connection.vendor, explain=explain, only=only
        )
        self.report([run])
        if json_path:
            Path(json_path).write_text(json.dumps(run, indent=1))

    # Measuring ---------------------------------------------------------------

    def measure(self, *, repeats: int, label: str, explain: bool, only: str = "") -> dict:
        published = Initiative.objects.published().count()
        for slug, model in (("north-west", Area), ("mental-health", Condition)):
            if not model.objects.filter(slug=slug).exists():
                raise CommandError(f"No {model.__name__} {slug!r}: run `manage.py load_seeds`.")
        client = Client()
        raw = RawConnection()
        postcode, tiered_postcode = bench_postcode(), bench_postcode(TIERED_POSTCODE)
        rows = []
        for name, params in REQUESTS.items():
            if only and only not in name:
                continue
            if "page" in params:
                params = {"page": max(1, math.ceil(published * 0.9 / PER_PAGE))}
            if "postcode" in params:
                if postcode is None:
                    self.stderr.write(f"  {label}: {name} skipped (no postcodes imported)")
                    continue
                tiered = params.pop("tiered", False)
                params = {**params, "postcode": tiered_postcode if tiered else postcode}
            url = LISTING + ("?" + urlencode(params, doseq=True) if params else "")
            for _ in range(2):  # warm caches and connections
                check(client.get(url), url)
            view = timed(client, url, repeats)
            cold = timed(client, url, repeats, before=cache.clear)
            with CaptureQueriesContext(connection) as captured:
                check(client.get(url), url)
            statements = [query["sql"] for query in captured.captured_queries]
            cache.clear()
            with CaptureQueriesContext(connection) as captured:
                check(client.get(url), url)
            cold_statements = [query["sql"] for query in captured.captured_queries]
            sql, _ = raw.median_time(statements, repeats)
            cold_sql, slowest = raw.median_time(cold_statements, repeats)
            self.stderr.write(f"  {label}: {name} done")
            rows.append(
                {
                    "request": name,
                    "url": url,
                    "queries": len(statements),
                    "view_ms": view * 1000,
                    "sql_ms": sql * 1000,
                    "cold_queries": len(cold_statements),
                    "cold_view_ms": cold * 1000,
                    "cold_sql_ms": cold_sql * 1000,
                    "slowest": slowest,
                }
            )
            statements = cold_statements
            if explain and name == FILTERED:
                self.stdout.write(f"\n{label}: plan of the slowest statement of {url}\n")
                self.stdout.write(raw.explain(statements[slowest]) + "\n")
        raw.close()
        lookup = None
        if postcode is not None:
            lookup = postcode_lookup_ms(repeats)
        return {
            "label": label,
            "published": published,
            "repeats": repeats,
            "rows": rows,
            "postcode_lookup": lookup,
        }

    # Reporting ---------------------------------------------------------------

    def report(self, runs: list[dict]) -> None:
        for run in runs:
            self.stdout.write(
                f"\n{run['label']}: {run['published']:,} published initiatives, "
                f"median of {run['repeats']} (ms)\n"
            )
            self.stdout.write(
                f"  {'':<30} {'warm (counts cached)':^37} | {'cold (cache emptied)':^37}\n"
                f"  {'request':<30} {'queries':>7} {'view':>9} {'SQL':>9} {'view/SQL':>9}"
                f" | {'queries':>7} {'view':>9} {'SQL':>9} {'view/SQL':>9}\n"
            )
            for row in run["rows"]:
                self.stdout.write(
                    f"  {row['request']:<30} {row['queries']:>7} {row['view_ms']:>9.1f}"
                    f" {row['sql_ms']:>9.1f} {ratio(row['view_ms'], row['sql_ms']):>9.2f}"
                    f" | {row.get('cold_queries', 0):>7} {row.get('cold_view_ms', 0):>9.1f}"
                    f" {row.get('cold_sql_ms', 0):>9.1f}"
                    f" {ratio(row.get('cold_view_ms', 0), row.get('cold_sql_ms', 0)):>9.2f}\n"
                )
            lookup = run.get("postcode_lookup")
            if lookup:
                self.stdout.write(
                    f"  postcode lookup (find_place, {lookup['count']} postcodes, sectors and"
                    f" districts): median {lookup['median_ms']:.2f} ms,"
                    f" p99 {lookup['p99_ms']:.2f} ms\n"
                )
        if len(runs) >= 2:
            small, large = runs[0], runs[1]
            growth = large["published"] / max(small["published"], 1)
            self.stdout.write(
                f"\nGrowth from {small['label']} to {large['label']} ({growth:.1f}x the records)\n"
            )
            self.stdout.write(
                f"  {'request':<30} {'view':>9} {'SQL':>9} {'cold view':>10} {'cold SQL':>9}\n"
            )
            by_name = {row["request"]: row for row in small["rows"]}
            for row in large["rows"]:
                before = by_name.get(row["request"])
                if before:
                    self.stdout.write(
                        f"  {row['request']:<30} {ratio(row['view_ms'], before['view_ms']):>8.2f}x"
                        f" {ratio(row['sql_ms'], before['sql_ms']):>8.2f}x"
                        f" {ratio(row.get('cold_view_ms'), before.get('cold_view_ms')):>9.2f}x"
                        f" {ratio(row.get('cold_sql_ms'), before.get('cold_sql_ms')):>8.2f}x\n"
                    )


def ratio(part, whole) -> float:
    return part / whole if part and whole else float("nan")


def timed(client, url: str, repeats: int, before=None) -> float:
    """Median seconds of GET `url` over `repeats` runs, `before()` untimed ahead of each."""
    times = []
    for _ in range(repeats):
        if before is not None:
            before()
        started = time.perf_counter()
        check(client.get(url), url)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def bench_postcode(wanted: str = POSTCODE) -> str | None:
    """The full postcode a postcode search is timed with (None: no postcodes imported)."""
    if Postcode.objects.filter(postcode=wanted).exists():
        return wanted
    return (
        Postcode.objects.filter(kind=Postcode.Kind.UNIT)
        .order_by("postcode")
        .values_list("postcode", flat=True)
        .first()
    )


def postcode_lookup_ms(repeats: int) -> dict:
    """find_place's time for a spread of postcodes, sectors and districts (and one unknown)."""
    total = Postcode.objects.count()
    step = max(1, total // LOOKUPS)
    codes = list(
        Postcode.objects.order_by("pk").values_list("postcode", flat=True)[::step][:LOOKUPS]
    )
    times = []
    for _ in range(repeats):
        for code in codes:
            started = time.perf_counter()
            with contextlib.suppress(ValidationError):
                find_place(code)
            times.append(time.perf_counter() - started)
    times.sort()
    return {
        "count": len(codes),
        "median_ms": statistics.median(times) * 1000,
        "p99_ms": times[min(len(times) - 1, int(len(times) * 0.99))] * 1000,
    }


class RawConnection:
    """A DB-API connection of its own, outside Django, to the database Django uses."""

    def __init__(self):
        settings = connection.settings_dict
        self.vendor = connection.vendor
        if self.vendor == "postgresql":
            import psycopg

            self.conn = psycopg.connect(
                dbname=settings["NAME"],
                user=settings["USER"] or None,
                password=settings["PASSWORD"] or None,
                host=settings["HOST"] or None,
                port=settings["PORT"] or None,
                autocommit=True,
            )
        elif self.vendor == "sqlite":
            self.conn = sqlite3.connect(settings["NAME"])
            add_sqlite_functions(self.conn)
        else:
            raise CommandError(f"No raw timing for {self.vendor}.")

    def run(self, sql: str) -> None:
        cursor = self.conn.cursor()
        cursor.execute(sql)
        if cursor.description is not None:
            cursor.fetchall()
        cursor.close()

    def median_time(self, statements: list[str], repeats: int) -> tuple[float, int]:
        """Median time of running every statement once, and the index of the slowest."""
        for sql in statements:  # warm up
            self.run(sql)
        totals = []
        per_statement = [0.0] * len(statements)
        for _ in range(repeats):
            total = 0.0
            for index, sql in enumerate(statements):
                started = time.perf_counter()
                self.run(sql)
                elapsed = time.perf_counter() - started
                per_statement[index] += elapsed
                total += elapsed
            totals.append(total)
        slowest = max(range(len(statements)), key=per_statement.__getitem__) if statements else 0
        return statistics.median(totals) if totals else 0.0, slowest

    def explain(self, sql: str) -> str:
        cursor = self.conn.cursor()
        if self.vendor == "postgresql":
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            lines = [row[0] for row in cursor.fetchall()]
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
            depth = {0: -1}
            lines = []
            for node, parent, _, detail in cursor.fetchall():
                depth[node] = depth.get(parent, -1) + 1
                lines.append("  " * depth[node] + detail)
        cursor.close()
        return "\n".join(lines)

    def close(self):
        self.conn.close()


def check(response, url: str) -> None:
    if response.status_code != 200:
        raise CommandError(f"GET {url} answered {response.status_code}.")


def load(path: str) -> dict:
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise CommandError(f"Cannot read {path}: {exc}") from exc
