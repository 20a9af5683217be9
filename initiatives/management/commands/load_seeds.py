"""`python manage.py load_seeds [--dir seeds]`: load the starter data, safely and repeatably."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from initiatives.loading.seeds import SeedError, seeds_load
from initiatives.models import Initiative


class Command(BaseCommand):
    help = (
        "Load the seed data (areas, vocabularies, vanguard sites, organisations, funding lines "
        "and initiatives) from the CSV files in seeds/. All or nothing; running it again "
        "writes only rows whose values differ."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dir",
            dest="directory",
            default=None,
            help="The folder that holds the seed CSV files (default: seeds/ in the project).",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help=(
                "Load only into a register with no initiatives yet, so that curators' edits "
                "to seeded records are never overwritten (what `make run` uses)."
            ),
        )

    def handle(self, *args, directory=None, if_empty=False, **options):
        if if_empty and Initiative.objects.exists():
            self.stdout.write(
                "The register already has initiatives: seeds not loaded. "
                "Run `python manage.py load_seeds` to bring seeded records back to the files."
            )
            return
        path = Path(directory) if directory else Path(settings.BASE_DIR) / "seeds"
        if not path.is_dir():
            raise CommandError(f"{path} is not a folder. Pass --dir with the seed files' folder.")
        warnings = []
        try:
            tallies = seeds_load(directory=path, warnings=warnings)
        except SeedError as exc:
            raise CommandError(
                f"Nothing was loaded. Fix these problems in the seed files and run again:\n{exc}"
            ) from exc
        for label, tally in tallies.items():
            self.stdout.write(f"{label}: {tally}")
        for warning in warnings:
            self.stderr.write(f"Warning: {warning}")
