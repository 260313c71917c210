"""Run folders for the map/report/browser tests, made by running the real pipeline on Chicago, and the
map-size check on it. Other test modules import :func:`chicago_escaped_run` from here."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pytest

from tests.helpers import write_chicago_scenario

EVIL_NAME = "<script>alert(1)</script>"
#: a hospital kept open in the Chicago plan (p = 40), renamed to EVIL_NAME in the test copy
RENAMED = "Methodist Hospital of Chicago"
_RUNS: dict[str, Path] = {}


def chicago_escaped_run(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    """A run folder of the real Chicago scenario in which one hospital is named EVIL_NAME.

    Made once per test session (the pipeline takes a few seconds) by ``geoalloc run`` in a
    subprocess.
    """
    if "chicago" not in _RUNS:
        folder = tmp_path_factory.mktemp("chicago_escaped")
        hospitals = gpd.read_file(shared_data / "chicago_kang2020" / "chicago_hospitals.gpkg")
        assert (hospitals["Hospital"] == RENAMED).sum() == 1
        hospitals.loc[hospitals["Hospital"] == RENAMED, "Hospital"] = EVIL_NAME
        facilities = folder / "hospitals_escaped.gpkg"
        hospitals.to_file(facilities, driver="GPKG")
        scenario_path = write_chicago_scenario(
            folder, shared_data, name="chicago-escaped", facilities=facilities
        )
        out = folder / "run"
        done = subprocess.run(
            [sys.executable, "-m", "geoalloc", "-q", "run", str(scenario_path), "--out", str(out)],
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stderr
        _RUNS["chicago"] = out
    return _RUNS["chicago"]


@pytest.fixture
def chicago_run(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    return chicago_escaped_run(tmp_path_factory, shared_data)


@pytest.mark.slow
def test_chicago_map_is_self_contained_small_and_escaped(chicago_run: Path) -> None:
    page = (chicago_run / "map.html").read_text(encoding="utf-8")
    size_mb = (chicago_run / "map.html").stat().st_size / 1e6
    areas = gpd.read_file(chicago_run / "results.gpkg", layer="areas")
    assert len(areas) == 878
    # 878 areas: well under the 5 MB budget for 1,000 areas, Leaflet included
    assert size_mb < 5.0 * len(areas) / 1000
    # Leaflet itself is inlined, nothing is loaded from a CDN
    assert "Leaflet 1.9.3" in page
    assert not re.search(r"<(script|link)[^>]+(src|href)=[\"']?(https?:)?//", page)
    assert "cdn.jsdelivr.net" not in page and "code.jquery.com" not in page
    # the evil name and the scenario's markup never appear raw
    assert EVIL_NAME not in page
    assert "alert(1)" in page  # it is there, escaped (JSON \u003c… or &lt;…)


@pytest.mark.slow
def test_chicago_report_written_by_run(chicago_run: Path) -> None:
    page = (chicago_run / "report.html").read_text(encoding="utf-8")
    summary = json.loads((chicago_run / "summary.json").read_text())
    assert EVIL_NAME not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<h1>chicago-escaped</h1>" in page
    assert page.count("data:image/svg+xml;base64,") == 2  # coverage curve + beds utilisation
    assert f"{summary['plan']['covered_pct']:.1f} %" in page
    assert not re.search(r"(src|href)=[\"']?(https?:)?//", page)
    manifest = json.loads((chicago_run / "manifest.json").read_text())
    for info in manifest["inputs"].values():
        assert info["sha256"] in page


@pytest.mark.slow
def test_chicago_map_names_its_tracts(chicago_run: Path) -> None:
    import pyogrio

    areas = gpd.read_file(chicago_run / "results.gpkg", layer="areas")
    # the tracts' NAME column names them ("Census Tract 104, Cook County, Illinois")
    assert areas["name"].str.match(r"Census Tract [\d.]+, Cook County, Illinois").all()
    layers = {name for name, _ in pyogrio.list_layers(chicago_run / "results.gpkg")}
    assert "roads" not in layers  # crow-fly: no road network, no base map
    page = (chicago_run / "map.html").read_text(encoding="utf-8")
    first = areas.iloc[0]
    assert f"{first['name']} (area {first['area_id']})" in page
    assert "Background: roads and places" not in page
    assert "Background tiles need internet; the data layers work offline." in page
