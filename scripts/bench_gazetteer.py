"""Gazetteer lookup time, for `make bench`: prints figures, asserts nothing.

Loads the gazetteer once (timed on its own), then looks up the names of its 200
largest places, each typed three ways (as written, lower case, with "in " before it),
plus names it does not know, many times over, and prints the median and the 99th
percentile of one lookup. Needs no database.
"""

import contextlib
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from django.core.exceptions import ValidationError  # noqa: E402

from places import gazetteer  # noqa: E402


def main(rounds: int = 20) -> None:
    started = time.perf_counter()
    places = gazetteer.all_places()
    loaded_ms = (time.perf_counter() - started) * 1000
    largest = sorted(places, key=lambda p: -p.population)[:200]
    names = [p.name for p in largest] + [p.name.lower() for p in largest]
    names += ["Atlantis", "Saint Helens", "stoke on trent", "Wrecsam", "Newport"]
    times = []
    for _ in range(rounds):
        for name in names:
            t = time.perf_counter()
            with contextlib.suppress(ValidationError):  # an unknown name; its time counts
                gazetteer.resolve(name)
            times.append(time.perf_counter() - t)
    times.sort()
    print(
        f"gazetteer: {len(places)} places loaded in {loaded_ms:.0f} ms; "
        f"{len(times)} lookups, median {statistics.median(times) * 1e3:.4f} ms, "
        f"p99 {times[int(len(times) * 0.99)] * 1e3:.4f} ms"
    )


if __name__ == "__main__":
    main()
