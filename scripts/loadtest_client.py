"""Drives the site on 127.0.0.1 with N concurrent connections for a fixed time.

Used by scripts/loadtest; standard library only, so it runs as its own process
beside the server. Reads a JSON file {request type: [paths]}, picks request
types by the workload's weights (scripts/workload.py), rotates through each type's
paths, and prints requests per second, p50/p95/p99 latency and failed responses
(errors and timeouts; redirects and 304s are served) per request type. With
--revalidate each connection sends back the ETag it was given for a path
(If-None-Match), as a browser or a CDN does. With --once it asks for each distinct
path once and stops: the time every page of the workload takes to be made.

    python scripts/loadtest_client.py URLS.json --port 8765 --connections 50 --duration 60
"""

import argparse
import asyncio
import itertools
import json
import random
import sys
import time
from collections import defaultdict

from workload import WEIGHTS

HOST = "127.0.0.1"  # Only ever this machine.
REQUEST_TIMEOUT = 30.0


class Result:
    """Latencies (seconds), status counts and failures per request type."""

    def __init__(self):
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.failed: dict[str, int] = defaultdict(int)
        self.bytes: dict[str, int] = defaultdict(int)
        self.samples: list[str] = []
        # When each request finished, in seconds after measuring began (the timeline).
        self.finished: list[float] = []

    def record(self, kind: str, status: int, seconds: float, size: int, path: str, at: float = 0.0):
        self.latencies[kind].append(seconds)
        self.finished.append(at)
        self.bytes[kind] += size
        # Served: a page, a redirect (a town typed with words goes to the town search)
        # or a 304; failed: an error, or no answer within REQUEST_TIMEOUT (status 0).
        if not 200 <= status < 400:
            self.failed[kind] += 1
            if len(self.samples) < 10:
                self.samples.append(f"{status} {path}")


async def read_response(reader: asyncio.StreamReader) -> tuple[int, int, bool, str]:
    """Read one HTTP/1.1 response; return status, body size, whether the server closes,
    and its ETag ("" when none)."""
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("connection closed before the response")
    status = int(status_line.split()[1])
    headers = {}
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    size = 0
    closes = headers.get("connection", "").lower() == "close"
    if "content-length" in headers:
        size = int(headers["content-length"])
        await reader.readexactly(size)
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            chunk_size = int((await reader.readline()).split(b";")[0], 16)
            if chunk_size == 0:
                while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                    pass
                break
            size += chunk_size
            await reader.readexactly(chunk_size + 2)
    else:
        size = len(await reader.read())
        closes = True
    if status == 304:
        size = 0
    return status, size, closes, headers.get("etag", "")


async def connection_loop(port, pick, deadline, result, measure_from, revalidate=False):
    """One client connection: request after request until the deadline."""
    reader = writer = None
    etags: dict[str, str] = {}
    while time.monotonic() < deadline:
        picked = pick()
        if picked is None:  # --once: every page asked for
            break
        kind, path = picked
        started = time.monotonic()
        condition = f"If-None-Match: {etags[path]}\r\n" if path in etags else ""
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(HOST, port)
            writer.write(
                f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\n{condition}"
                # As the load balancer that terminates TLS forwards it.
                "X-Forwarded-Proto: https\r\nAccept-Encoding: identity\r\n\r\n".encode()
            )
            await writer.drain()
            status, size, closes, etag = await asyncio.wait_for(
                read_response(reader), timeout=REQUEST_TIMEOUT
            )
            if revalidate and etag:
                etags[path] = etag
        except (TimeoutError, OSError, ConnectionError, asyncio.IncompleteReadError, ValueError):
            status, size, closes = 0, 0, True
        finished = time.monotonic()
        if started >= measure_from:
            result.record(kind, status, finished - started, size, path, finished - measure_from)
        if closes and writer is not None:
            writer.close()
            reader = writer = None
    if writer is not None:
        writer.close()


def each_once(urls: dict[str, list[str]]):
    """A function returning every distinct (request type, path) once, then None: the
    workload's pages, each made once (--once)."""
    seen: set[str] = set()
    every = []
    for kind, paths in urls.items():
        for path in paths:
            if path not in seen:
                seen.add(path)
                every.append((kind, path))
    remaining = iter(every)
    return lambda: next(remaining, None)


def picker(urls: dict[str, list[str]], seed: int):
    """A function returning the next (request type, path): types by weight, paths in rotation."""
    rng = random.Random(seed)
    kinds = [kind for kind in urls if urls[kind]]
    weights = [WEIGHTS.get(kind, 10) for kind in kinds]
    cycles = {kind: itertools.cycle(urls[kind]) for kind in kinds}

    def pick():
        kind = rng.choices(kinds, weights)[0]
        return kind, next(cycles[kind])

    return pick


async def run(urls, port, connections, duration, warmup, seed, revalidate=False, once=False):
    result = Result()
    pick = each_once(urls) if once else picker(urls, seed)
    start = time.monotonic()
    measure_from = start + (0 if once else warmup)
    deadline = measure_from + duration
    await asyncio.gather(
        *(
            connection_loop(port, pick, deadline, result, measure_from, revalidate)
            for _ in range(connections)
        )
    )
    # Requests still in flight at the deadline finish after it; count the time they took.
    # With --once the run ends when every page has been asked for.
    elapsed = (time.monotonic() if once else max(time.monotonic(), deadline)) - measure_from
    return result, elapsed


def percentile(sorted_values: list[float], fraction: float) -> float:
    index = min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


def report(title: str, result: Result, elapsed: float) -> int:
    """Print the table; return the number of non-2xx responses."""
    print(f"\n{title} ({elapsed:.0f} s measured)")
    header = f"{'request type':<14}{'requests':>10}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}"
    header += f"{'p99 ms':>9}"
    print(header + f"{'failed':>9}{'KiB/resp':>10}")
    print("-" * (len(header) + 19))
    total_requests = total_failed = 0
    everything: list[float] = []
    for kind in sorted(
        result.latencies, key=lambda k: list(WEIGHTS).index(k) if k in WEIGHTS else 99
    ):
        values = sorted(result.latencies[kind])
        everything.extend(values)
        total_requests += len(values)
        total_failed += result.failed[kind]
        print(
            f"{kind:<14}{len(values):>10}{len(values) / elapsed:>9.1f}"
            f"{percentile(values, 0.5) * 1000:>9.1f}{percentile(values, 0.95) * 1000:>9.1f}"
            f"{percentile(values, 0.99) * 1000:>9.1f}"
            f"{result.failed[kind]:>9}{result.bytes[kind] / len(values) / 1024:>10.1f}"
        )
    everything.sort()
    if everything:
        print("-" * (len(header) + 19))
        print(
            f"{'all':<14}{total_requests:>10}{total_requests / elapsed:>9.1f}"
            f"{percentile(everything, 0.5) * 1000:>9.1f}{percentile(everything, 0.95) * 1000:>9.1f}"
            f"{percentile(everything, 0.99) * 1000:>9.1f}{total_failed:>9}"
        )
    for sample in result.samples:
        print(f"  failed: {sample}")
    timeline(result, elapsed)
    return total_failed


def timeline(result: Result, elapsed: float, windows: int = 6) -> None:
    """Requests/s in each of `windows` equal slices of the run: a cache filling shows as
    a rate that climbs, a queue as one that stays flat."""
    if not result.finished or elapsed <= 0:
        return
    width = elapsed / windows
    counts = [0] * windows
    for at in result.finished:
        counts[min(windows - 1, max(0, int(at / width)))] += 1
    rates = "  ".join(f"{n / width:.1f}" for n in counts)
    print(f"req/s by {width:.0f} s slice: {rates}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("urls", help="JSON file: {request type: [path, ...]}")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--warmup", type=float, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--title", default="Mixed traffic")
    parser.add_argument("--revalidate", action="store_true", help="send back ETags (If-None-Match)")
    parser.add_argument(
        "--once",
        action="store_true",
        help="ask for each distinct path once (no warm-up), ending then or at --duration",
    )
    args = parser.parse_args()
    with open(args.urls) as f:
        urls = json.load(f)
    result, elapsed = asyncio.run(
        run(
            urls,
            args.port,
            args.connections,
            args.duration,
            args.warmup,
            args.seed,
            args.revalidate,
            args.once,
        )
    )
    failed = report(f"{args.title}: {args.connections} connections", result, elapsed)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
