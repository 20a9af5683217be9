"""`python manage.py generate_initiatives --count N --seed S [--replace]`: benchmark data."""

import time
from argparse import ArgumentTypeError

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from initiatives.loading.generation import BULK_FROM, GenerationError, delete_generated, generate

MAX_COUNT = 2_000_000


def positive_count(value: str) -> int:
    try:
        count = int(value)
    except ValueError:
        raise ArgumentTypeError(f"must be a whole number, not {value!r}") from None
    if not 1 <= count <= MAX_COUNT:
        raise ArgumentTypeError(f"must be between 1 and {MAX_COUNT:,}, not {count:,}")
    return count


def seed_number(value: str) -> int:
    try:
        seed = int(value)
    except ValueError:
        raise ArgumentTypeError(f"must be a whole number, not {value!r}") from None
    if seed < 0:
        raise ArgumentTypeError(f"must be 0 or more, not {seed}")
    return seed


class Command(BaseCommand):
    help = (
        "Write realistic synthetic initiatives, organisations and funding lines for benchmarks. "
        "The same --seed gives the same records. Generated slugs start with 'gen-'; --replace "
        "removes all generated records first. Uses the areas and vocabularies in the database "
        "(run load_seeds first for the real ones) and creates a small set of its own if empty."
    )

    def add_arguments(self, parser):
        parser.add_argument("--count", type=positive_count, default=1000, help="initiatives")
        parser.add_argument("--seed", type=seed_number, default=1, help="random seed")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Remove every previously generated record (slug starting 'gen-') first.",
        )

        parser.add_argument(
            "--bulk-from",
            type=positive_count,
            default=BULK_FROM,
            help=(
                "On PostgreSQL, from this many initiatives on, drop the written tables' "
                "secondary indexes and foreign keys for the load and build them again at the "
                f"end (default {BULK_FROM:,})."
            ),
        )

    def handle(self, *args, count, seed, replace, bulk_from, **options):
        started = time.perf_counter()
        try:
            with transaction.atomic():
                if replace:
                    deleted = sum(delete_generated().values())
                    removed = time.perf_counter()
                    self.stdout.write(
                        f"Removed {deleted:,} generated rows in {removed - started:.1f} s."
                    )
                    started = removed
                counts = generate(
                    count=count, seed=seed, progress=self.progress(count), bulk_from=bulk_from
                )
        except GenerationError as exc:
            raise CommandError(str(exc)) from exc
        # Timed to the commit, which checks the foreign keys of every row written.
        seconds = time.perf_counter() - started
        rows = sum(n for label, n in counts.items() if not label.startswith("fallback"))
        self.stdout.write(
            self.style.SUCCESS(
                f"Generated {count:,} initiatives (seed {seed}) in {seconds:.1f} s: "
                f"{rows:,} rows, {rows / max(seconds, 0.001):,.0f} rows per second."
            )
        )
        width = max(len(label) for label in counts)
        for label, n in counts.items():
            self.stdout.write(f"  {label:<{width}}  {n:>10,}")
        if any(label.startswith("fallback") for label in counts):
            self.stdout.write(
                "Some tables were empty, so a small fallback set was created (slugs 'gen-'). "
                "Run `manage.py load_seeds` first to generate against the real areas and terms."
            )

    def progress(self, count: int):
        """Report every 10% on large runs, when the output is a terminal."""
        if count < 20_000 or not self.stdout.isatty():
            return None
        step = count // 10

        def report(done: int) -> None:
            if done % step < 2000 or done == count:
                self.stdout.write(f"  ... {done:,} of {count:,}")

        return report
