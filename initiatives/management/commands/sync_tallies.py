"""`python manage.py sync_tallies [--check] [--if-unbuilt]`: the facet tally, built or
brought in line with the register (services.tally)."""

import time

from django.core.management.base import BaseCommand, CommandError

from initiatives.services.tally import is_built, tally_check, tally_sync


class Command(BaseCommand):
    help = (
        "Build the facet tally (how many initiatives carry each pair of facet values), or "
        "bring it in line with the register. Every write keeps it in step; run this once "
        "after migrating a database that holds initiatives, and the listing reads its "
        "counts from the tally from then on."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--check",
            action="store_true",
            help="Compare the tally with a fresh count and change nothing; exit 1 if they differ.",
        )
        parser.add_argument(
            "--if-unbuilt",
            action="store_true",
            help="Only build a tally that is not built yet (what `make run` uses).",
        )

    def handle(self, *args, check=False, if_unbuilt=False, **options):
        if check:
            if not is_built():
                raise CommandError("The facet tally is not built: run `manage.py sync_tallies`.")
            problems = tally_check()
            for problem in problems[:20]:
                self.stdout.write(problem)
            if problems:
                raise CommandError(
                    f"The facet tally differs from a fresh count in {len(problems)} pairs."
                )
            self.stdout.write("The facet tally agrees with a fresh count.")
            return
        if if_unbuilt and is_built():
            self.stdout.write("The facet tally is built: nothing to do.")
            return
        started = time.monotonic()
        changed = tally_sync()
        self.stdout.write(
            f"Facet tally in step: {changed:,} initiatives counted anew "
            f"in {time.monotonic() - started:.1f} s."
        )
