#!/usr/bin/env python
"""The first request after a change (for `make bench`; not a test).

For each page of the issue's cold targets, saves one generated initiative (as a
curator's save does: a new register version), waits --wait seconds (a visitor
rarely arrives in the same instant), then times the page, --repeats times; prints the
medians. With DJANGO_FIGURES_WARM on (the default) the register's counts are counted
again in the background after the save; run again with DJANGO_FIGURES_WARM=false to
compare. Uses DATABASE_URL, like the other bench scripts:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/directory_bench \
        .venv/bin/python scripts/bench_after_write.py
"""

import argparse
import statistics
import sys
import time

import benchenv  # noqa: E402,F401  (the path and a production-like environment)
import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.test import Client  # noqa: E402

from initiatives.models import Initiative  # noqa: E402

PAGES = {
    "listing, no filters": "/initiatives/",
    "listing, one area (ICB)": "/initiatives/?area=cheshire-merseyside",
    "listing, every filter": "/initiatives/?q=support&area=north-west&role=service_provider"
    "&condition=mental-health&topic=peer-support&population=carers",
    "place search: district": "/initiatives/?area=halton",
    "place search: town": "/initiatives/?place=Runcorn",
    "area page (district)": "/areas/halton/",
    "areas index": "/areas/",
    "insights": "/insights/",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--wait", type=float, default=1.0)
    args = parser.parse_args()
    client = Client()
    record = Initiative.objects.filter(slug__startswith="gen-").order_by("pk").first()
    if record is None:
        sys.exit("No generated initiatives: run generate_initiatives first.")
    warm = getattr(settings, "FIGURES_WARM", False)
    print(f"first request {args.wait:.1f} s after a save, warming {'on' if warm else 'off'}")
    print(f"  {'page':<28} {'median ms':>10} {'min ms':>8}")
    for name, url in PAGES.items():
        times = []
        for _ in range(args.repeats):
            record.refresh_from_db()
            record.save()
            time.sleep(args.wait)
            start = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - start) * 1000)
            if response.status_code != 200:
                sys.exit(f"{url} gave {response.status_code}")
        print(f"  {name:<28} {statistics.median(times):>10.1f} {min(times):>8.1f}")


if __name__ == "__main__":
    main()
