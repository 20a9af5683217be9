"""Copy the browser libraries npm installed (package.json, package-lock.json) into
static/vendor/, where WhiteNoise serves them, and write static/vendor/manifest.json:
each package's version and npm integrity, and the SHA-256 of every file copied.

`make vendor` runs `npm ci` and then this. The copies are committed, so that neither
CI nor the image build needs npm; tests/directory/test_vendor.py checks that they are
the versions package-lock.json pins and that nobody edited them by hand.
"""

import hashlib
import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "node_modules"
VENDOR = ROOT / "static" / "vendor"

# package: the files it serves (from its npm folder) and its licence.
FILES = {
    "leaflet": [
        "dist/leaflet.js",
        "dist/leaflet.js.map",
        "dist/leaflet.css",
        "dist/images/layers.png",
        "dist/images/layers-2x.png",
        "dist/images/marker-icon.png",
        "dist/images/marker-icon-2x.png",
        "dist/images/marker-shadow.png",
        "LICENSE",
    ],
    "leaflet.markercluster": [
        "dist/leaflet.markercluster.js",
        "dist/leaflet.markercluster.js.map",
        "dist/MarkerCluster.css",
        "dist/MarkerCluster.Default.css",
        "MIT-LICENCE.txt",
    ],
}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> int:
    lock = json.loads((ROOT / "package-lock.json").read_text())["packages"]
    manifest = {}
    for package, files in FILES.items():
        source = NODE_MODULES / package
        installed = json.loads((source / "package.json").read_text())["version"]
        pinned = lock[f"node_modules/{package}"]
        if installed != pinned["version"]:
            print(f"{package} {installed} is installed, {pinned['version']} pinned: run npm ci")
            return 1
        target = VENDOR / package
        if target.exists():
            shutil.rmtree(target)
        hashes = {}
        for name in files:
            # dist/ is dropped: static/vendor/leaflet/leaflet.js, .../images/marker-icon.png
            relative = Path(name).relative_to("dist") if name.startswith("dist/") else Path(name)
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source / name, target / relative)
            hashes[relative.as_posix()] = sha256(target / relative)
        manifest[package] = {
            "version": installed,
            "integrity": pinned["integrity"],
            "files": hashes,
        }
        print(f"{package} {installed}: {len(files)} files in {target.relative_to(ROOT)}")
    (VENDOR / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
