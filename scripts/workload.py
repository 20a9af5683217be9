"""The mixed public workload, defined once for `make loadtest` and `make bench`.

What people ask of the site, by share of requests (WEIGHTS):

    listing   38%  listings with words and filters (role, topic, condition, area, a page)
    place     20%  postcode or town searches (a postcode of a record, or a town by name)
    detail    15%  initiative pages
    area      10%  area pages
    home       5%  the home page
    insights   5%  the insights page (sometimes for one area)
    csv        5%  CSV exports of a filtered list (one area, often a role or topic)
    api        2%  the API's lists (/services with filters)

(The issue's shares sum to 100 before the API: the API's 2 points come from the
listings' 40.)

Real traffic repeats a lot and has a long tail, so every word, area, postcode, town
and record is drawn from a Zipf distribution (weight 1/rank^ZIPF_S) over those that
occur in the data, ranked by how often they occur (words in published names and
summaries, areas by records served, postcodes by records there, towns by population,
records in a shuffled order; CSV exports and API lists by an ICB, board, trust or
district, as commissioners ask). The same seed gives the same URLs.

    python scripts/workload.py urls OUT.json [--seed S] [--per-kind N]
        writes {kind: [path, ...]} for scripts/loadtest_client.py (needs Django set up
        from the environment: DATABASE_URL, DJANGO_SETTINGS_MODULE)
    python scripts/workload.py bench [--seed S] [--per-kind N] [--repeats R]
        times each kind in Django (django.test.Client): cold (figures cache empty) and
        warm, medians in ms, and the 304 path (If-None-Match)
    python scripts/workload.py cold [--seed S] [--first N] [--kind K ...]
        the first N distinct URLs of each kind, each fetched once with the cache
        emptied before it: total seconds, median, p90 and slowest ms, and the slowest
        URL (the figure to compare before and after a change: one process, cold)

WEIGHTS is plain data: scripts/loadtest_client.py imports it without Django.
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import json
import os
import random
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

WEIGHTS = {
    "listing": 38,
    "place": 20,
    "detail": 15,
    "area": 10,
    "home": 5,
    "insights": 5,
    "csv": 5,
    "api": 2,
}
ZIPF_S = 1.1
PER_KIND = 400
# Words too common or too small to be searched for.
STOP = {"with", "from", "that", "this", "their", "into", "about", "they", "people", "group"}


class Zipf:
    """Draws from `ranked` (most frequent first) with weight 1/rank^s."""

    def __init__(self, ranked: list, rng: random.Random, s: float = ZIPF_S):
        if not ranked:
            raise ValueError("nothing to draw from: load the seeds and generate records first")
        self.ranked, self.rng = ranked, rng
        self.cumulative = list(itertools.accumulate(1 / (r**s) for r in range(1, len(ranked) + 1)))

    def __call__(self):
        x = self.rng.random() * self.cumulative[-1]
        return self.ranked[bisect.bisect_left(self.cumulative, x)]


def _setup_django() -> None:
    root = Path(__file__).resolve().parent.parent
    sys.path.insert(0, str(root))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "directory.settings")
    import django

    django.setup()


def ranked_words(limit: int = 3000) -> list[str]:
    from initiatives.models import Initiative

    counts: Counter = Counter()
    rows = Initiative.objects.published().order_by("pk").values_list("name", "summary")
    for name, summary in rows[:20000].iterator(chunk_size=2000):
        words = set(re.findall(r"[a-z]{4,}", f"{name} {summary}".lower()))
        counts.update(words - STOP)
    return [word for word, _ in counts.most_common(limit)]


def ranked_areas(kinds=None) -> list[str]:
    """Area slugs, the areas serving most records first (`kinds`: only these kinds)."""
    from django.db.models import Count

    from initiatives.models import Area, InitiativeAreaClosure

    areas = Area.objects.all() if kinds is None else Area.objects.filter(kind__in=kinds)
    served = (
        InitiativeAreaClosure.objects.filter(area__in=areas)
        .values("area_id")
        .annotate(n=Count("initiative_id"))
        .order_by("-n", "area_id")
    )
    slugs = dict(Area.objects.values_list("pk", "slug"))
    return [slugs[row["area_id"]] for row in served if row["area_id"] in slugs]


def ranked_postcodes(limit: int = 3000) -> list[str]:
    from django.db.models import Count

    from initiatives.models import Initiative

    rows = (
        Initiative.objects.published()
        .exclude(postcode="")
        .values("postcode")
        .annotate(n=Count("pk"))
        .order_by("-n", "postcode")[:limit]
    )
    return [row["postcode"] for row in rows]


def ranked_towns(limit: int = 2000) -> list[str]:
    from places.gazetteer import DATA_FILE

    with open(DATA_FILE, encoding="utf-8") as data:
        header = next(data).rstrip("\n").split("\t")
        name, population = header.index("name"), header.index("population")
        towns = [line.rstrip("\n").split("\t") for line in data]
    towns.sort(key=lambda row: -int(row[population] or 0))
    return [row[name] for row in towns[:limit]]


def build_urls(seed: int = 1, per_kind: int = PER_KIND) -> dict[str, list[str]]:
    """{kind: [path, ...]}, `per_kind` drawn paths per kind (repeats included, as in
    real traffic), the same for the same seed and data."""
    from django.urls import reverse

    from initiatives.models import Condition, Initiative, Topic

    rng = random.Random(seed)
    word = Zipf(ranked_words(), rng)
    area = Zipf(ranked_areas(), rng)
    # A commissioner exports their own patch: an ICB, board, trust or district.
    local = Zipf(ranked_areas(["icb", "health_board", "hsc_trust", "local_authority"]), rng)
    postcode = Zipf(ranked_postcodes() or ["WA7 1AA"], rng)
    town = Zipf(ranked_towns(), rng)
    topic = Zipf(list(Topic.objects.order_by("name").values_list("slug", flat=True)), rng)
    condition = Zipf(list(Condition.objects.order_by("name").values_list("slug", flat=True)), rng)
    slugs = list(Initiative.objects.published().order_by("pk").values_list("slug", flat=True))
    rng.shuffle(slugs)  # popularity unrelated to age
    record = Zipf(slugs, rng)
    roles = [value for value, _ in Initiative.Role.choices]

    def maybe(params, key, draw, chance):
        if rng.random() < chance:
            params[key] = draw()

    listing_url = reverse("initiatives:list")
    urls: dict[str, list[str]] = {kind: [] for kind in WEIGHTS}
    for _ in range(per_kind):
        params: dict = {}
        if rng.random() < 0.8:
            params["q"] = " ".join(word() for _ in range(rng.choice([1, 1, 1, 2])))
        maybe(params, "area", area, 0.35)
        maybe(params, "role", lambda: rng.choice(roles), 0.25)
        maybe(params, "topic", topic, 0.2)
        maybe(params, "condition", condition, 0.2)
        if rng.random() < 0.15:
            params["page"] = rng.choice([2, 2, 3, 5])
        urls["listing"].append(f"{listing_url}?{urlencode(params)}")

        place = {"postcode": postcode()} if rng.random() < 0.5 else {"place": town()}
        if rng.random() < 0.3:
            place["q"] = word()
        urls["place"].append(f"{listing_url}?{urlencode(place)}")

        urls["detail"].append(reverse("initiatives:detail", args=[record()]))
        urls["area"].append(reverse("initiatives:area_detail", args=[area()]))

        insights = {"area": area()} if rng.random() < 0.3 else {}
        urls["insights"].append(reverse("initiatives:insights") + _query(insights))

        export = {"area": local()}
        maybe(export, "role", lambda: rng.choice(roles), 0.5)
        maybe(export, "topic", topic, 0.3)
        urls["csv"].append(reverse("initiatives:export_csv") + _query(export))

        api = {"page": rng.choice([1, 1, 1, 2, 5])}
        maybe(api, "area", local, 0.4)
        maybe(api, "role", lambda: rng.choice(roles), 0.3)
        urls["api"].append(reverse("api:services") + _query(api))
    urls["home"] = ["/"]
    return urls


def _query(params: dict) -> str:
    return "?" + urlencode(params) if params else ""


def bench(seed: int, per_kind: int, repeats: int) -> None:
    """Median ms per kind in Django: cold (figures cache empty), warm, and 304."""
    from django.core.cache import cache
    from django.test import Client

    urls = build_urls(seed, per_kind)
    client = Client()
    header = f"{'kind':<10}{'share':>6}{'cold ms':>9}{'warm ms':>9}{'304 ms':>8}"
    print(f"{header}  (medians of {per_kind} requests each)")
    for kind, paths in urls.items():
        cold, warm, revalidated = [], [], []
        for path in (paths * repeats)[:per_kind]:
            cache.clear()
            started = time.perf_counter()
            response = client.get(path)
            b"".join(response) if response.streaming else response.content
            cold.append(time.perf_counter() - started)
            started = time.perf_counter()
            response = client.get(path)
            b"".join(response) if response.streaming else response.content
            warm.append(time.perf_counter() - started)
            if response.get("ETag"):
                started = time.perf_counter()
                client.get(path, headers={"if-none-match": response["ETag"]})
                revalidated.append(time.perf_counter() - started)
        r304 = f"{statistics.median(revalidated) * 1000:>8.1f}" if revalidated else f"{'-':>8}"
        print(
            f"{kind:<10}{WEIGHTS[kind]:>5}%{statistics.median(cold) * 1000:>9.0f}"
            f"{statistics.median(warm) * 1000:>9.0f}{r304}",
            flush=True,
        )


def cold(seed: int, first: int, kinds: list[str]) -> None:
    """Total, median, p90 and slowest ms of the first `first` distinct URLs per kind,
    each fetched once with the cache (figures and pages) emptied before it."""
    from django.core.cache import cache
    from django.test import Client

    urls = build_urls(seed)
    client = Client(raise_request_exception=False)
    print(f"{'kind':<10}{'urls':>5}{'total s':>9}{'median':>8}{'p90':>7}{'max':>7}  slowest")
    for kind in kinds or list(WEIGHTS):
        paths = list(dict.fromkeys(urls[kind]))[:first]
        timed, failed = [], 0
        for path in paths:
            cache.clear()
            started = time.perf_counter()
            response = client.get(path)
            b"".join(response) if response.streaming else response.content
            timed.append((time.perf_counter() - started, path))
            failed += response.status_code >= 500
        times = sorted(seconds for seconds, _ in timed)
        p90 = times[max(0, round(0.9 * len(times)) - 1)]
        slowest_seconds, slowest = max(timed)
        print(
            f"{kind:<10}{len(times):>5}{sum(times):>9.1f}{statistics.median(times) * 1000:>8.0f}"
            f"{p90 * 1000:>7.0f}{slowest_seconds * 1000:>7.0f}  {slowest}"
            + (f"  ({failed} failed)" if failed else ""),
            flush=True,
        )


def main() -> int:
    parser = argparse.ArgumentParser(description="The mixed public workload.")
    sub = parser.add_subparsers(dest="command", required=True)
    urls = sub.add_parser("urls", help="write the URLs for the load test")
    urls.add_argument("out")
    timing = sub.add_parser("bench", help="time each kind in Django")
    timing.add_argument("--repeats", type=int, default=1)
    for command in (urls, timing):
        command.add_argument("--per-kind", type=int, default=PER_KIND)
    first = sub.add_parser("cold", help="total cold time of each kind's first distinct URLs")
    first.add_argument("--first", type=int, default=40)
    first.add_argument("--kind", action="append", choices=list(WEIGHTS), default=[])
    for command in (urls, timing, first):
        command.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    _setup_django()
    if args.command == "urls":
        chosen = build_urls(args.seed, args.per_kind)
        with open(args.out, "w") as out:
            json.dump(chosen, out)
        print(", ".join(f"{kind}: {len(set(paths))} distinct" for kind, paths in chosen.items()))
    elif args.command == "cold":
        cold(args.seed, args.first, args.kind)
    else:
        bench(args.seed, args.per_kind, args.repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
