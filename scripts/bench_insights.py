#!/usr/bin/env python
"""Figures for the insights page (for `make bench`; not a test).

Median time of the whole Django view (django.test.Client, DEBUG off) and its
number of queries, for the whole register and for one ICB, against the database
DATABASE_URL names:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench .venv/bin/python scripts/bench_insights.py

With --explain it also prints EXPLAIN ANALYZE for the slowest statement of each page.
"""

import argparse
import json
import statistics
import time
from pathlib import Path

import benchenv  # noqa: E402,F401  (the path and a production-like environment)

# The ICB of the seeds' Halton examples; any ICB in the database will do.
DEFAULT_ICB = "nhs-cheshire-and-merseyside-icb"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--icb", default=DEFAULT_ICB, help="slug of the ICB to time")
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from initiatives.models import Area, Initiative

    icb = Area.objects.filter(slug=args.icb).first() or Area.objects.filter(kind="icb").first()
    pages = [("whole register", {})]
    if icb is not None:
        pages.append((f"one ICB ({icb.name})", {"area": icb.slug}))
    client = Client()
    published = Initiative.objects.published().count()
    print(f"Insights page, {published:,} published initiatives, {connection.vendor}:")
    figures = {}
    for label, params in pages:
        client.get("/insights/", params)  # warm: connections, templates, caches
        figures[label] = {"runs": args.repeats}
        # Warm: the page as the figures cache keeps it; cold: counted afresh, as the
        # first visitor after a change to the register gets it.
        for kind, before in (("warm", None), ("cold", cache.clear)):
            times = []
            for _ in range(args.repeats):
                if before is not None:
                    before()
                start = time.perf_counter()
                response = client.get("/insights/", params)
                times.append(time.perf_counter() - start)
                assert response.status_code == 200, response.status_code
            if before is not None:
                before()
            with CaptureQueriesContext(connection) as queries:
                client.get("/insights/", params)
            median_ms = round(statistics.median(times) * 1000, 1)
            figures[label][kind] = {"median_ms": median_ms, "queries": len(queries)}
            print(
                f"  {label}, {kind}: median {median_ms} ms over {args.repeats} runs,"
                f" {len(queries)} queries"
            )
        if args.explain and connection.vendor == "postgresql":
            slowest = max(queries.captured_queries, key=lambda query: float(query["time"]))
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN ANALYZE " + slowest["sql"])
                print("\n".join("    " + row[0] for row in cursor.fetchall()))
    if args.json:
        Path(args.json).write_text(json.dumps({"published": published, "pages": figures}))


if __name__ == "__main__":
    main()
