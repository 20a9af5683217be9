"""Fill the postcode table from the ONS Postcode Directory shipped in a Python package.

    python manage.py import_postcodes            every UK postcode (production)
    python manage.py import_postcodes --demo     sector and district centres for the
                                                 whole UK, and every postcode in the
                                                 local authorities the seeds use
    python manage.py import_postcodes --local-authorities E06000006,W06000006

Idempotent (rows are upserted by postcode) and resumable: each data file, once
written, is recorded in PostcodeImport, and a re-run skips what is recorded.
"""

import hashlib
import re
import time
from collections import Counter
from itertools import islice
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from places import grid, source
from places.bulk import upsert_postcodes
from places.models import Postcode, PostcodeImport
from places.signals import postcodes_imported

# Places the starter data names (seeds/): Halton, Wrexham, Oldham,
# Erewash, Camden (Royal Free London), Lancaster and Westmorland and Furness (Morecambe
# Bay), Tower Hamlets (Bromley by Bow), Powys and Stockport. About 83,000 postcodes.
DEMO_LOCAL_AUTHORITIES = (
    "E06000006",
    "W06000006",
    "E08000004",
    "E07000036",
    "E09000007",
    "E07000121",
    "E06000064",
    "E09000030",
    "W06000023",
    "E08000007",
)
CENTRES_STEP = "centres"
LOCAL_AUTHORITY_CODE_RE = re.compile(r"[EWSNLM][0-9]{8}")


class Centres:
    """The centre of each sector and district: the mean grid reference of its
    postcodes, and the local authority most of them lie in.

    Summed from the source rows as they stream past, so that a subset import
    still derives centres for the whole UK. The data files list a sector's
    postcodes together, so sums are kept per run of one sector and local
    authority and merged when the run ends (order is not relied on).
    """

    def __init__(self):
        self.sums: dict[str, list[int]] = {}  # sector -> [sum of eastings, of northings, count]
        self.authorities: Counter = Counter()  # (sector, local authority) -> postcodes
        self._run_key = ("", "")
        self._run = [0, 0, 0, 0]  # eastings, northings, located postcodes, all postcodes

    def add(self, sector: str, lad: str, easting: int | None, northing: int | None) -> None:
        if (sector, lad) != self._run_key:
            self._end_run()
            self._run_key = (sector, lad)
        run = self._run
        run[3] += 1
        if easting is not None:
            run[0] += easting
            run[1] += northing
            run[2] += 1

    def _end_run(self) -> None:
        (sector, lad), run = self._run_key, self._run
        if run[3]:
            sums = self.sums.setdefault(sector, [0, 0, 0])
            for i in range(3):
                sums[i] += run[i]
            if lad:
                self.authorities[sector, lad] += run[3]
        self._run = [0, 0, 0, 0]

    def rows(self):
        """Rows (in bulk.COLUMNS order) for every sector ("WA7 1") and district ("WA7")."""
        self._end_run()
        sums, authorities = dict(self.sums), Counter(self.authorities)
        for sector, (total_e, total_n, count) in self.sums.items():
            district = sector.split()[0]
            district_sums = sums.setdefault(district, [0, 0, 0])
            district_sums[0] += total_e
            district_sums[1] += total_n
            district_sums[2] += count
        for (sector, lad), count in self.authorities.items():
            authorities[sector.split()[0], lad] += count
        most: dict[str, tuple[int, str]] = {}
        for (key, lad), count in authorities.items():
            # Most postcodes wins; ties go to the lower code, so that re-runs agree.
            best = most.get(key)
            if best is None or (-count, lad) < (-best[0], best[1]):
                most[key] = (count, lad)
        for key in sorted(sums):
            total_e, total_n, count = sums[key]
            easting = round(total_e / count) if count else None
            northing = round(total_n / count) if count else None
            if count and key.startswith("BT"):
                # Summed on the Irish Grid; over a sector the shift is all but linear.
                easting, northing = _national_grid(easting, northing)
            is_sector = " " in key
            yield (
                key,
                (Postcode.Kind.SECTOR if is_sector else Postcode.Kind.DISTRICT).value,
                key.split()[0],
                key if is_sector else "",
                most.get(key, (0, ""))[1],
                *_location(easting, northing),
                count,
            )


def _national_grid(easting: int, northing: int) -> tuple[int, int]:
    """A Northern Ireland (Irish Grid) reference on the National Grid, one grid for the UK."""
    easting, northing = grid.irish_grid_to_british_grid(easting, northing)
    return round(easting), round(northing)


def _location(easting: int | None, northing: int | None) -> tuple:
    """(easting, northing, latitude, longitude) of a National Grid reference."""
    if easting is None or northing is None:
        return (None, None, None, None)
    latitude, longitude = grid.grid_to_wgs84(easting, northing)
    return (easting, northing, round(latitude, 6), round(longitude, 6))


def _batches(iterable, size):
    iterator = iter(iterable)
    while batch := list(islice(iterator, size)):
        yield batch


class Command(BaseCommand):
    help = (
        "Import UK postcodes with their local authority and location from the ONS Postcode "
        "Directory (November 2025), and derive sector and district centres."
    )

    def add_arguments(self, parser):
        scope = parser.add_mutually_exclusive_group()
        scope.add_argument(
            "--demo",
            action="store_true",
            help="Only what a local demo needs: sector and district centres, and the "
            "postcodes of the local authorities the seeds use.",
        )
        scope.add_argument(
            "--local-authorities",
            metavar="CODE,...",
            help="Only the postcodes of these local authorities (ONS codes such as "
            "E06000006); sector and district centres are always imported for the whole UK.",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=20000,
            metavar="N",
            help="Rows written per transaction (default 20000).",
        )
        parser.add_argument(
            "--data-dir",
            metavar="PATH",
            help="Read postcodes_*.msgpack.br files from this folder instead of the package.",
        )
        parser.add_argument(
            "--restart",
            action="store_true",
            help="Import every file again, even those a previous run finished.",
        )

    def handle(self, *args, **options):
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be a whole number of 1 or more.")
        authorities = self._authorities(options)
        scope = self._scope_key(authorities)
        try:
            if options["data_dir"]:
                directory = Path(options["data_dir"]).resolve()
                dataset = f"files in {directory}"[:200]
                files = source.data_files(directory)
            else:
                dataset = source.dataset_version()
                files = source.data_files()
        except source.SourceError as exc:
            raise CommandError(str(exc)) from exc

        done = set(
            PostcodeImport.objects.filter(dataset=dataset, scope__in={scope, "all"}).values_list(
                "step", flat=True
            )
        )
        if options["restart"]:
            PostcodeImport.objects.filter(dataset=dataset, scope=scope).delete()
            done = set()
        steps = {path.name for path in files} | {CENTRES_STEP}
        if steps <= done:
            self.stdout.write(f"Postcodes already imported from {dataset} ({scope}).")
        else:
            self._import(dataset, scope, files, authorities, done, options["batch_size"])

        for _receiver, line in postcodes_imported.send(sender=self.__class__):
            if line:
                self.stdout.write(line)
        if authorities is not None:
            self.stdout.write(
                "This is a subset. For every UK postcode (about 2.7 million, a few minutes) run: "
                "python manage.py import_postcodes"
            )

    def _authorities(self, options) -> frozenset[str] | None:
        if options["demo"]:
            return frozenset(DEMO_LOCAL_AUTHORITIES)
        if not options["local_authorities"]:
            return None
        codes = {code.strip().upper() for code in options["local_authorities"].split(",")}
        codes.discard("")
        bad = sorted(code for code in codes if not LOCAL_AUTHORITY_CODE_RE.fullmatch(code))
        if bad or not codes:
            raise CommandError(
                f"Not local authority codes: {', '.join(bad) or '(none given)'}. "
                "Give ONS codes separated by commas, like E06000006,W06000006."
            )
        return frozenset(codes)

    @staticmethod
    def _scope_key(authorities: frozenset[str] | None) -> str:
        if authorities is None:
            return "all"
        key = ",".join(sorted(authorities))
        if len(key) > 200:
            key = "some:" + hashlib.sha256(key.encode()).hexdigest()[:32]
        return key

    def _import(self, dataset, scope, files, authorities, done, batch_size):
        started = time.monotonic()
        centres = Centres()
        total = 0
        for path in files:
            file_started = time.monotonic()
            skip = path.name in done
            try:
                rows = list(source.read_file(path))
            except source.SourceError as exc:
                raise CommandError(str(exc)) from exc
            wanted = []
            for postcode, lad, easting, northing in rows:
                centres.add(postcode[:-2], lad, easting, northing)
                if skip or (authorities is not None and lad not in authorities):
                    continue
                if easting is not None and postcode.startswith("BT"):
                    easting, northing = _national_grid(easting, northing)
                wanted.append((postcode, lad, easting, northing))
            if skip:
                self.stdout.write(f"{path.name}: already imported, skipped.")
                continue
            written = 0
            for batch in _batches(wanted, batch_size):
                upsert_postcodes(
                    [
                        (
                            postcode,
                            Postcode.Kind.UNIT.value,
                            postcode[:-4],
                            postcode[:-2],
                            lad,
                            *_location(easting, northing),
                            None,
                        )
                        for postcode, lad, easting, northing in batch
                    ]
                )
                written += len(batch)
            self._finish(dataset, scope, path.name, written)
            total += written
            self.stdout.write(
                f"{path.name}: {written:,} of {len(rows):,} postcodes "
                f"in {time.monotonic() - file_started:.1f} s."
            )
        if CENTRES_STEP not in done:
            rows = list(centres.rows())
            for batch in _batches(rows, batch_size):
                upsert_postcodes(batch)
            self._finish(dataset, scope, CENTRES_STEP, len(rows))
            self.stdout.write(f"{len(rows):,} sector and district centres.")
        self.stdout.write(
            f"Imported {total:,} postcodes from {dataset} in "
            f"{time.monotonic() - started:.0f} s. {source.ATTRIBUTION}"
        )

    @staticmethod
    def _finish(dataset, scope, step, rows):
        PostcodeImport.objects.update_or_create(
            dataset=dataset, scope=scope, step=step, defaults={"rows": rows}
        )
