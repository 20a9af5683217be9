"""`python manage.py import_initiatives FILE.csv [--dry-run]`: the export's CSV, back in."""

import os
import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from initiatives.loading.import_rows import size_problem
from initiatives.loading.imports import import_initiatives
from initiatives.loading.problems import ImportRefused


class Command(BaseCommand):
    help = (
        "Import initiatives from a CSV file in the format of the register's CSV export. "
        "Rows with the UUID of a record update it; other rows create drafts. Every row is "
        "checked first and every problem is listed by row and column; nothing is imported "
        "unless every row is valid."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the CSV file (UTF-8, the export's column headers)")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="check every row and report what would change, without writing anything",
        )
        parser.add_argument(
            "--user",
            help="username to record as the one who made the changes (history, verified by)",
        )

    def handle(self, *args, file, dry_run, user, **options):
        account = None
        if user:
            account = get_user_model().objects.filter(username=user).first()
            if account is None:
                raise CommandError(f"No user is called {user!r}.")
        try:
            size = os.path.getsize(file)
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}.") from None
        problem = size_problem(size)
        if problem:
            raise CommandError(str(problem))
        with open(file, "rb") as handle:
            data = handle.read()
        started = time.perf_counter()
        try:
            result = import_initiatives(
                data, filename=os.path.basename(file), dry_run=dry_run, user=account
            )
        except ImportRefused as refused:
            for problem in refused.problems:
                self.stderr.write(str(problem))
            count = len(refused.problems)
            raise CommandError(
                f"Nothing was imported: {count:,} problem{'s' * (count != 1)} in {file}."
            ) from None
        seconds = time.perf_counter() - started
        self.stdout.write(f"{result} ({seconds:.1f} s)")
