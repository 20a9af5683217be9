#!/usr/bin/env python
"""The CSV exports of areas with their rows kept in Redis, against the same exports made
afresh (for `make bench`; not a test).

Commissioners export many places, and exports of different places share most of their
rows (the records serving the whole UK are in every English ICB's file). With Redis the
export keeps each row's text under the register's version (exports.kept_row_lines).
For the ICBs with the most records, this prints, in ms: each file made afresh (no rows
kept), the first ICB's file keeping its rows, the same file again (every row kept),
then each other ICB's file after the ones before it, and whether each file is the same,
byte for byte, as the one made afresh. The whole file is not kept (DJANGO_PAGE_CACHE is
off), so every figure is a file made.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/directory_bench \\
      DJANGO_REDIS_URL=redis://127.0.0.1:6379/3 .venv/bin/python scripts/bench_kept_rows.py

Empties that Redis database first: give it one of its own.
"""

import argparse
import hashlib
import os
import sys
import time
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--icbs", type=int, default=3, help="how many ICBs (most records first)")
    args = parser.parse_args()
    if not os.environ.get("DJANGO_REDIS_URL"):
        print("DJANGO_REDIS_URL is not set: the rows are kept in Redis only.")
        return 2
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "directory.settings")
    os.environ["DJANGO_PAGE_CACHE"] = "false"
    import django

    django.setup()
    from django.core.cache import cache
    from django.test import Client
    from workload import ranked_areas  # scripts/ is on the path: this script is there

    from initiatives import caching

    icbs = ranked_areas(["icb"])[: args.icbs]
    if not icbs:
        print("No ICB serves any record: load the seeds and generate records first.")
        return 2
    cache.clear()
    client = Client()

    def export(slug: str) -> tuple[str, int, float]:
        started = time.perf_counter()
        response = client.get(f"/initiatives/export.csv?area={slug}")
        digest, size = hashlib.sha256(), 0
        for piece in response.streaming_content:
            digest.update(piece)
            size += len(piece)
        return digest.hexdigest(), size, (time.perf_counter() - started) * 1000

    afresh = {}
    with mock.patch.object(caching, "keeps_many_small", lambda: False):
        for slug in icbs:
            afresh[slug] = export(slug)
    print(f"{'ICB':<48}{'bytes':>12}{'afresh ms':>11}{'kept ms':>10}  same file")
    for index, slug in enumerate(icbs):
        digest, size, ms = export(slug)
        label = slug if index else f"{slug} (first: keeps its rows)"
        same = digest == afresh[slug][0]
        print(f"{label:<48}{size:>12,}{afresh[slug][2]:>11.0f}{ms:>10.0f}  {same}")
        if index == 0:
            digest, size, ms = export(slug)
            same = digest == afresh[slug][0]
            again = "  again: every row kept"
            print(f"{again:<48}{size:>12,}{afresh[slug][2]:>11.0f}{ms:>10.0f}  {same}")
    cache.clear()
    return 0


if __name__ == "__main__":
    sys.exit(main())
