"""`python manage.py bench_listing`: the listing's time in Django and in SQL (for `make bench`).

Not a test. For each of a fixed set of listing requests it reports the median time
of the whole view (through django.test.Client) and the median time of the same SQL
statements re-run directly through psycopg or sqlite3 on a connection of their own,
and their ratio: what Django adds on top of the database. `--report` prints the
table for several saved runs, with the growth between the first two.
"""

import json
import math
import sqlite3
import statistics
import time
from pathlib import Path
from urllib.parse import urlencode

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from initiatives.models import Area, Condition, Initiative
from initiatives.search import add_sqlite_functions

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
}
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

    def handle(self, *args, repeats, label, json_path, explain, report, **options):
        if report:
            self.report([load(path) for path in report])
            return
        if repeats < 1:
            raise CommandError("--repeats must be at least 1.")
        run = self.measure(repeats=repeats, label=label or connection.vendor, explain=explain)
        self.report([run])
        if json_path:
            Path(json_path).write_text(json.dumps(run, indent=1))

    # Measuring ---------------------------------------------------------------

    def measure(self, *, repeats: int, label: str, explain: bool) -> dict:
        published = Initiative.objects.published().count()
        for slug, model in (("north-west", Area), ("mental-health", Condition)):
            if not model.objects.filter(slug=slug).exists():
                raise CommandError(f"No {model.__name__} {slug!r}: run `manage.py load_seeds`.")
        client = Client()
        raw = RawConnection()
        rows = []
        for name, params in REQUESTS.items():
            if "page" in params:
                params = {"page": max(1, math.ceil(published * 0.9 / PER_PAGE))}
            url = LISTING + ("?" + urlencode(params, doseq=True) if params else "")
            for _ in range(2):  # warm caches and connections
                check(client.get(url), url)
            view = []
            for _ in range(repeats):
                started = time.perf_counter()
                check(client.get(url), url)
                view.append(time.perf_counter() - started)
            with CaptureQueriesContext(connection) as captured:
                check(client.get(url), url)
            statements = [query["sql"] for query in captured.captured_queries]
            sql, slowest = raw.median_time(statements, repeats)
            self.stderr.write(f"  {label}: {name} done")
            rows.append(
                {
                    "request": name,
                    "url": url,
                    "queries": len(statements),
                    "view_ms": statistics.median(view) * 1000,
                    "sql_ms": sql * 1000,
                    "slowest": slowest,
                }
            )
            if explain and name == FILTERED:
                self.stdout.write(f"\n{label}: plan of the slowest statement of {url}\n")
                self.stdout.write(raw.explain(statements[slowest]) + "\n")
        raw.close()
        return {"label": label, "published": published, "repeats": repeats, "rows": rows}

    # Reporting ---------------------------------------------------------------

    def report(self, runs: list[dict]) -> None:
        for run in runs:
            self.stdout.write(
                f"\n{run['label']}: {run['published']:,} published initiatives, "
                f"median of {run['repeats']} (ms)\n"
            )
            self.stdout.write(
                f"  {'request':<30} {'queries':>7} {'view':>9} {'SQL':>9} {'view/SQL':>9}\n"
            )
            for row in run["rows"]:
                ratio = row["view_ms"] / row["sql_ms"] if row["sql_ms"] else float("nan")
                self.stdout.write(
                    f"  {row['request']:<30} {row['queries']:>7} {row['view_ms']:>9.1f}"
                    f" {row['sql_ms']:>9.1f} {ratio:>9.2f}\n"
                )
        if len(runs) >= 2:
            small, large = runs[0], runs[1]
            growth = large["published"] / max(small["published"], 1)
            self.stdout.write(
                f"\nGrowth from {small['label']} to {large['label']} ({growth:.1f}x the records)\n"
            )
            self.stdout.write(f"  {'request':<30} {'view':>9} {'SQL':>9}\n")
            by_name = {row["request"]: row for row in small["rows"]}
            for row in large["rows"]:
                before = by_name.get(row["request"])
                if before:
                    self.stdout.write(
                        f"  {row['request']:<30} {row['view_ms'] / before['view_ms']:>8.2f}x"
                        f" {row['sql_ms'] / before['sql_ms']:>8.2f}x\n"
                    )


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
