"""A damaged travel cache heals itself: the next run discards the bad entry, says so and rebuilds it.

Central Helsinki on the real OSM network and the HSY population grid (as in test_run_helsinki):
a cold run fills the cache with both entry types (the road graph and the travel matrix); then one
entry is truncated, emptied, bit-flipped, replaced by a folder, or edited (minutes or edge times
halved) and rewritten as an editor would — keeping its first line, or as a bare ``.npz`` as an
older geoalloc wrote it. The next `geoalloc run` must exit 0, log the discard naming the entry and
why, give the cold run's results, and leave a verified entry behind.
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from click.testing import CliRunner

from geoalloc.cli import cli
from geoalloc.travel.cache import HEADER_BYTES, read_entry

pytestmark = pytest.mark.slow

#: the arrays an edit changes: the matrix's minutes, the graph's edge seconds
EDITED_ARRAY = {"matrices": ("data", "dense"), "graphs": ("data",)}
WHAT = {"matrices": "travel matrix", "graphs": "road graph"}


def _scenario(folder: Path, shared_data: Path, write_scenario) -> Path:
    helsinki = shared_data / "helsinki_central"
    grid = gpd.read_file(helsinki / "helsinki_population_grid_2020.gpkg")
    top = grid.sort_values("population", ascending=False).head(8)
    sites = gpd.GeoDataFrame(
        {
            "site_id": [f"S{i:02d}" for i in range(len(top))],
            "beds": [25.0] * len(top),
            "candidate": [i >= 3 for i in range(len(top))],
        },
        geometry=top.to_crs(3067).centroid.to_crs(4326).to_numpy(),
        crs=4326,
    )
    sites.to_file(folder / "sites.gpkg")
    return write_scenario(
        folder,
        name="helsinki-cache",
        areas={
            "path": helsinki / "helsinki_population_grid_2020.gpkg",
            "id": "id",
            "population": "population",
        },
        facilities={
            "path": "sites.gpkg",
            "id": "site_id",
            "capacity": {"beds": "beds"},
            "candidate": "candidate",
        },
        network={"source": helsinki / "helsinki_centre_2020.osm.pbf", "mode": "drive"},
        demand={
            "resource": "beds",
            "admissions_per_1000": {"all": 120.0},
            "los_days": 5.0,
            "occupancy_target": 0.85,
        },
        optimize={"model": "capacitated", "p": 4, "max_minutes": 5, "time_limit_s": 60},
    )


def _run(scenario: Path, out: Path, cache: Path, monkeypatch) -> tuple[int, str, dict]:
    monkeypatch.setenv("GEOALLOC_CACHE_DIR", str(cache))
    result = CliRunner().invoke(cli, ["-v", "run", str(scenario), "--out", str(out), "--json"])
    summary = json.loads(result.stdout) if result.exit_code == 0 else {}
    return result.exit_code, result.stderr, summary


def _comparable(summary: dict, out: Path) -> dict:
    """What must equal the cold run's: the summary without times and paths, and every area's
    minutes and status."""
    kept = {k: v for k, v in summary.items() if k not in ("timings_s", "out_dir")}
    kept["solver"] = {k: v for k, v in summary["solver"].items() if not k.endswith("_s")}
    areas = gpd.read_file(out / "results.gpkg", layer="areas").set_index("area_id")
    columns = areas[["minutes", "status", "site"]].astype(object)
    kept["areas"] = columns.where(columns.notna(), None).to_dict()
    return kept


@pytest.fixture(scope="module")
def cold(tmp_path_factory, shared_data):
    """The scenario, the cache a cold run filled and the cold run's results."""
    from tests.helpers import write_scenario

    folder = tmp_path_factory.mktemp("cache-heals")
    scenario = _scenario(folder, shared_data, write_scenario)
    cache = folder / "cold-cache"
    with pytest.MonkeyPatch.context() as monkeypatch:
        code, stderr, summary = _run(scenario, folder / "cold", cache, monkeypatch)
    assert code == 0, stderr
    assert "discarded" not in stderr
    for kind in ("graphs", "matrices"):
        assert len(list((cache / kind).glob("*.npz"))) == 1, kind
    return scenario, cache, _comparable(summary, folder / "cold")


def _edited_npz(path: Path, kind: str) -> bytes:
    """The entry's arrays with one array's values halved, as a bare ``.npz`` archive."""
    with path.open("rb") as handle:
        handle.seek(HEADER_BYTES)
        with np.load(handle, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
    name = next(n for n in EDITED_ARRAY[kind] if n in arrays)
    arrays[name] = arrays[name] / 2
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _corrupt(path: Path, kind: str, how: str) -> None:
    data = path.read_bytes()
    if how == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif how == "empty":
        path.write_bytes(b"")
    elif how == "bit_flipped":
        at = HEADER_BYTES + (len(data) - HEADER_BYTES) // 2
        path.write_bytes(data[:at] + bytes([data[at] ^ 0x10]) + data[at + 1 :])
    elif how == "folder":
        path.unlink()
        path.mkdir()
        (path / "notes.txt").write_text("not a cache entry")
    elif how == "edited":  # an editor keeps the first line and rewrites the rest
        path.write_bytes(data[:HEADER_BYTES] + _edited_npz(path, kind))
    elif how == "bare_npz":  # rewritten as an older geoalloc wrote entries: no checksum at all
        path.write_bytes(_edited_npz(path, kind))
    else:  # pragma: no cover - a typo in the parameters
        raise AssertionError(how)


WHY = {
    "truncated": "checksum does not match",
    "empty": "the file is empty",
    "bit_flipped": "checksum does not match",
    "folder": "a folder is where the file should be",
    "edited": "checksum does not match",
    "bare_npz": "written by an older geoalloc, without a checksum",
}


#: every damage to the matrix; three to the graph, whose rebuild routes anew (each damage to either
#: entry type is read and refused at unit level too, in tests/travel/test_travel_cache.py)
CASES = [("matrices", how) for how in WHY] + [
    ("graphs", how) for how in ("truncated", "folder", "edited")
]


@pytest.mark.parametrize(("kind", "how"), CASES)
def test_a_damaged_entry_is_discarded_logged_and_rebuilt(cold, tmp_path, monkeypatch, kind, how):
    scenario, cold_cache, expected = cold
    cache = tmp_path / "cache"
    shutil.copytree(cold_cache, cache)
    (entry,) = (cache / kind).glob("*.npz")
    _corrupt(entry, kind, how)

    code, stderr, summary = _run(scenario, tmp_path / "out", cache, monkeypatch)

    assert code == 0, stderr
    level = "INFO" if how == "bare_npz" else "WARNING"
    logged = [line for line in stderr.splitlines() if "discarded" in line]
    assert len(logged) == 1, stderr
    assert logged[0].startswith(f"{level} geoalloc.travel.cache: cached {WHAT[kind]} {entry}")
    assert WHY[how] in logged[0]
    assert "rebuilding it" in logged[0]
    assert _comparable(summary, tmp_path / "out") == expected
    # the rebuilt entry is whole again: the next run takes it without a word (one run per kind)
    assert entry.is_file() and read_entry(entry, WHAT[kind]) is not None
    if how != "truncated":
        return
    code, stderr, _ = _run(scenario, tmp_path / "again", cache, monkeypatch)
    assert code == 0 and "discarded" not in stderr, stderr
    assert "from cache" in stderr
