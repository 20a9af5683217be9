"""The browser libraries in static/vendor/ are the ones package-lock.json pins, unedited.

`make vendor` copies them from npm and writes static/vendor/manifest.json; the copies are
committed so that CI and the image build need no npm. These tests fail when package.json
moves on without `make vendor`, or when a vendored file is changed by hand.
"""

import hashlib
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VENDOR = ROOT / "static" / "vendor"


def read_json(path: Path) -> dict:
    return json.loads(path.read_text())


@pytest.fixture(scope="module")
def manifest():
    return read_json(VENDOR / "manifest.json")


@pytest.fixture(scope="module")
def locked():
    return read_json(ROOT / "package-lock.json")["packages"]


def test_package_json_pins_exact_versions_that_the_lock_file_holds(locked):
    wanted = read_json(ROOT / "package.json")["dependencies"]
    assert set(wanted) == {"leaflet", "leaflet.markercluster"}
    for package, version in wanted.items():
        assert version[0].isdigit(), f"{package}: pin an exact version, not {version!r}"
        assert locked[f"node_modules/{package}"]["version"] == version, package


def test_vendored_packages_are_the_locked_versions(manifest, locked):
    assert set(manifest) == {"leaflet", "leaflet.markercluster"}
    for package, entry in manifest.items():
        lock = locked[f"node_modules/{package}"]
        assert entry["version"] == lock["version"], f"run `make vendor` for {package}"
        assert entry["integrity"] == lock["integrity"], f"run `make vendor` for {package}"


def test_vendored_files_are_unedited_and_nothing_else_is_there(manifest):
    listed = set()
    for package, entry in manifest.items():
        for name, digest in entry["files"].items():
            path = VENDOR / package / name
            listed.add(path)
            assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, path
    present = {p for p in VENDOR.rglob("*") if p.is_file() and p.name != "manifest.json"}
    assert present == listed


def test_leaflet_says_its_own_version_and_licences_ship_with_the_code(manifest):
    banner = (VENDOR / "leaflet" / "leaflet.js").read_text()[:200]
    assert f"Leaflet {manifest['leaflet']['version']}," in banner
    assert (VENDOR / "leaflet" / "LICENSE").read_text().startswith("BSD 2-Clause License")
    licence = (VENDOR / "leaflet.markercluster" / "MIT-LICENCE.txt").read_text()
    assert "Permission is hereby granted, free of charge" in licence
