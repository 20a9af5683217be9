#!/usr/bin/env python
"""Cold and warm ms for the pages of the cold targets (for `make bench`; not a test).

The unfiltered listing, the listing with each filter alone and with every filter at
once, a place search (a postcode of the records and a town), an area page (an ICB
and a district), and the insights page, through Django (django.test.Client, DEBUG
off) against the database DATABASE_URL names, at any size:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/directory_bench \\
        .venv/bin/python scripts/bench_pages.py [--repeats 5] [--json out.json]

Cold: the figures cache emptied before each request, as the first visitor after a
change to the register finds it (the database's own cache stays warm). Warm: the
same request again. A listing whose facet counts took longer than the budget
(DJANGO_DB_COUNT_BUDGET, or --budget) goes out without them: "later ms" is then the
time the background thread took to count them (run here, between the two requests),
and "left out" how many of the cold requests went without them. Prints the median
and the slowest ms of each, the cold request's number of queries, and any status
other than 200 (a 503: a statement ran past the database's time limit). The values
(words, areas, vocabularies) are the commonest in the data, so the figures are the
heaviest of their kind.
"""

import argparse
import json
import os
import statistics
import time
from pathlib import Path
from urllib.parse import urlencode

import benchenv  # noqa: E402,F401  (the path and a production-like environment)

# Warm figures are the ones a request finds; no background recount between requests.
os.environ.setdefault("DJANGO_FIGURES_WARM", "false")


def commonest(model, through_field: str):
    """The slug of the `model` row linked to the most initiatives (None: no links)."""
    from django.db.models import Count

    row = (
        model.objects.annotate(n=Count(through_field))
        .filter(n__gt=0)
        .order_by("-n", "pk")
        .values_list("slug", flat=True)
        .first()
    )
    return row


def pages(word: str, town: str) -> list[tuple[str, str]]:
    """(label, path) for every page timed, with values drawn from the data."""
    from django.db.models import Count

    from initiatives.models import (
        Condition,
        Initiative,
        InitiativeAreaClosure,
        PopulationGroup,
        Topic,
        VanguardSite,
    )

    def most_served(kind: str):
        area = (
            InitiativeAreaClosure.objects.filter(area__kind=kind)
            .values("area__slug")
            .annotate(n=Count("initiative_id"))
            .order_by("-n", "area__slug")
            .first()
        )
        return area["area__slug"] if area else None

    icb = most_served("icb")
    district = most_served("local_authority")
    postcode = (
        Initiative.objects.published()
        .exclude(postcode="")
        .values("postcode")
        .annotate(n=Count("pk"))
        .order_by("-n", "postcode")
        .values_list("postcode", flat=True)
        .first()
    )
    legal_form = (
        Initiative.objects.published()
        .exclude(organisation__legal_form="")
        .values("organisation__legal_form")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .values_list("organisation__legal_form", flat=True)
        .first()
    )
    filters = {
        "q": word,
        "area": icb,
        "role": "service_provider",
        "topic": commonest(Topic, "initiatives"),
        "condition": commonest(Condition, "initiatives"),
        "population": commonest(PopulationGroup, "initiatives"),
        "funding_dependency": "dependent",
        "legal_form": legal_form,
        "vanguard": commonest(VanguardSite, "initiatives"),
        "include_ended": "1",
    }
    filters = {key: value for key, value in filters.items() if value}
    listed = [("listing, no filters", "/initiatives/")]
    listed += [
        (f"listing, {key}={value}", "/initiatives/?" + urlencode({key: value}))
        for key, value in filters.items()
    ]
    listed.append(("listing, every filter", "/initiatives/?" + urlencode(filters)))
    listed.append(("listing, page 50", "/initiatives/?page=50"))
    listed += deep_pages()
    listed.append((f"listing, q={word}, {ESTIMATED}", "/initiatives/?" + urlencode({"q": word})))
    listed.append((f"listing, no filters, {ESTIMATED}", "/initiatives/"))
    if postcode:
        listed.append(
            (f"place: postcode {postcode}", "/initiatives/?" + urlencode({"postcode": postcode}))
        )
    listed.append((f"place: town {town}", "/initiatives/?" + urlencode({"place": town})))
    if district:
        listed.append(
            (f"place: district {district}", "/initiatives/?" + urlencode({"area": district}))
        )
    if icb:
        listed.append((f"area page: ICB {icb}", f"/areas/{icb}/"))
    if district:
        listed.append((f"area page: district {district}", f"/areas/{district}/"))
    listed.append(("areas index", "/areas/"))
    listed.append(("insights", "/insights/"))
    if icb:
        listed.append(("insights, one ICB", "/insights/?" + urlencode({"area": icb})))
    return listed


# Pages timed with DJANGO_ESTIMATE_TOTAL_OVER at this: "about N" past it.
ESTIMATE_OVER = 10_000
ESTIMATED = f"total estimated past {ESTIMATE_OVER:,}"


def deep_pages(number: int = 2000) -> list[tuple[str, str]]:
    """Page 2,000 of the unfiltered listing (or its last page, if fewer) by number, and
    the same page by the cursor its previous page's "Next" carries."""
    from django.http import QueryDict

    from initiatives.listing import PER_PAGE, Listing
    from initiatives.listing.pages import keyset_order, make_cursor

    results = Listing(QueryDict()).results()
    total = results.count()
    number = max(1, min(number, -(-total // PER_PAGE)))
    listed = [(f"listing, page {number:,} by number", f"/initiatives/?page={number}")]
    order = keyset_order(results)
    if number > 1 and order:
        before = results.values_list("pk", flat=True)[(number - 1) * PER_PAGE - 1]
        cursor = make_cursor(order, before, after=True, number=number)
        listed.append(
            (
                f"listing, page {number:,} by cursor",
                "/initiatives/?" + urlencode({"cursor": cursor}),
            )
        )
    return listed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="requests per page and kind")
    parser.add_argument("--word", default="community", help="the listing's word (q)")
    parser.add_argument("--town", default="Runcorn", help="the place search's town")
    parser.add_argument("--only", help="time only the pages whose label contains this")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument(
        "--budget", type=float, help="seconds for the facet counts (default: the setting)"
    )
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings

    from initiatives import caching
    from initiatives.models import Initiative

    if args.budget is not None:
        override_settings(DB_COUNT_BUDGET=args.budget).enable()
    client = Client()
    client.get("/initiatives/")  # connections, templates, the area tree
    published = Initiative.objects.published().count()
    load = ", ".join(f"{n:.2f}" for n in os.getloadavg())
    print(
        f"{published:,} published initiatives, {connection.vendor}, {args.repeats} runs each,"
        f" load average {load} (figures from a loaded machine mean little)"
    )
    print(f"count budget {settings.DB_COUNT_BUDGET} s")
    print(
        f"  {'page':<58}{'cold ms':>9}{'max':>7}{'queries':>8}{'warm ms':>9}{'max':>7}"
        f"{'later ms':>9}{'left out':>9}"
    )
    figures = {}
    for label, path in pages(args.word, args.town):
        if args.only and args.only not in label:
            continue
        cold, warm, later, queries, failed = [], [], [], 0, set()
        estimating = override_settings(
            ESTIMATE_TOTAL_OVER=ESTIMATE_OVER if ESTIMATED in label else 0
        )
        estimating.enable()
        for _ in range(args.repeats):
            cache.clear()
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.get(path)
                cold.append((time.perf_counter() - started) * 1000)
            queries = len(captured)
            if getattr(response, "incomplete", False):  # its counts are left for later
                started = time.perf_counter()
                caching.run_waiting()
                later.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            again = client.get(path)
            warm.append((time.perf_counter() - started) * 1000)
            # A 503 (a statement past the database's time limit) is a figure too.
            failed |= {r.status_code for r in (response, again) if r.status_code != 200}
        estimating.disable()
        figures[label] = {
            "path": path,
            "cold_ms": statistics.median(cold),
            "cold_max_ms": max(cold),
            "warm_ms": statistics.median(warm),
            "warm_max_ms": max(warm),
            "queries": queries,
            "later_ms": statistics.median(later) if later else None,
            "left_out": len(later),
            "failed_statuses": sorted(failed),
        }
        row = figures[label]
        print(
            f"  {label[:58]:<58}{row['cold_ms']:>9.0f}{row['cold_max_ms']:>7.0f}"
            f"{queries:>8}{row['warm_ms']:>9.0f}{row['warm_max_ms']:>7.0f}"
            + (f"{row['later_ms']:>9.0f}{len(later):>9}" if later else f"{'':>9}{0:>9}")
            + (f"  status {', '.join(map(str, sorted(failed)))}" if failed else "")
        )
    print(f"load average at the end: {', '.join(f'{n:.2f}' for n in os.getloadavg())}")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
