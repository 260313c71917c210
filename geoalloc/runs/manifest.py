"""``manifest.json``: versions, input hashes, the resolved scenario and timings — enough to rerun."""

from __future__ import annotations

import hashlib
import platform
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from geoalloc import __version__
from geoalloc.scenario import Scenario, input_files, input_frames

#: the seed of every random step (LOS sampling, queue simulation), recorded in the manifest
SEED = 0
DEPENDENCIES = (
    "geopandas",
    "shapely",
    "pyproj",
    "pandas",
    "numpy",
    "scipy",
    "networkx",
    "osmnx",
    "pyrosm",
    "pulp",
    "highspy",
    "folium",
    "pydantic",
    "click",
)


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file's bytes, as hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def build_manifest(scenario: Scenario, timings: dict[str, float]) -> dict:
    """Versions, input hashes, the resolved scenario, solver options and timings: enough to rerun.

    ``inputs`` has the SHA-256 and size in bytes of every input file, and the SHA-256 of the content
    and the row count of every layer given as a GeoDataFrame (keyed ``"<areas GeoDataFrame>"``).
    """
    versions: dict[str, str | None] = {}
    for name in DEPENDENCIES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = None
    return {
        "geoalloc": __version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "dependencies": versions,
        "inputs": {
            str(p): {"sha256": sha256_file(p), "bytes": p.stat().st_size}
            for p in input_files(scenario)
        }
        | {f.label: {"sha256": f.sha256, "rows": f.rows} for f in input_frames(scenario)},
        "scenario": scenario.model_dump(mode="json"),
        "solver_options": scenario.optimize.model_dump(mode="json"),
        "seed": SEED,
        "timings_s": timings,
    }
