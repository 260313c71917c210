"""The public Python API: geoalloc.plan on GeoDataFrames, geoalloc.run on a scenario, RunResult's
frames and map, the errors, the README's example and what ``import geoalloc`` costs."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import folium
import geopandas as gpd
import pandas as pd
import pytest
from geopandas.testing import assert_geodataframe_equal
from shapely.geometry import Point, box

import geoalloc
from geoalloc.runs import RunFolder
from geoalloc.scenario import FrameSource, input_files, input_frames
from geoalloc.scenario.frames import frame_sha256
from tests.helpers import REPO_ROOT

README = REPO_ROOT / "README.md"

#: 3 × 2 cells of 2 km (EPSG:3067, Helsinki); two hospitals today, two candidates (EPSG:4326)
CELLS = [box(x, y, x + 2000, y + 2000) for x in (382_000, 384_000, 386_000) for y in (6_670_000,)]
CELLS += [box(x, y, x + 2000, y + 2000) for x in (382_000, 384_000, 386_000) for y in (6_672_000,)]
OPTIONS = {
    "area_id": "GEOID",
    "population": "pop",
    "site_id": "site",
    "capacity": {"beds": "beds"},
    "site_name": "label",
    "candidate": "candidate",
    "demand": {"admissions_per_1000": {"all": 120.0}, "los_days": 5.0, "occupancy_target": 0.85},
    "optimize": {"model": "capacitated", "p": 3, "max_minutes": 8, "time_limit_s": 30},
    "network": {"source": "crowfly", "speed_kph": 30},
}
SCENARIO_TOML = """\
name = "plan"

[areas]
path = "areas.gpkg"
id = "GEOID"
population = "pop"

[facilities]
path = "sites.gpkg"
id = "site"
name = "label"
capacity = { beds = "beds" }
candidate = "candidate"

[network]
source = "crowfly"
speed_kph = 30

[demand]
admissions_per_1000 = { all = 120.0 }
los_days = 5.0
occupancy_target = 0.85

[optimize]
model = "capacitated"
p = 3
max_minutes = 8
time_limit_s = 30
"""


def _areas() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"GEOID": [f"0{i}01" for i in range(6)], "pop": [5200, 3100, 4400, 6100, 2500, 3900]},
        geometry=CELLS,
        crs=3067,
    )


def _sites() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "site": ["H1", "H2", "C1", "C2"],
            "label": ["Hospital west", "Hospital east", "School", "Library"],
            "beds": [20.0, 15.0, 12.0, 12.0],
            "candidate": [False, False, True, True],
        },
        geometry=[
            Point(24.89, 60.165),
            Point(24.965, 60.165),
            Point(24.93, 60.17),
            Point(24.93, 60.15),
        ],
        crs=4326,
    )


@pytest.fixture(scope="module")
def planned() -> geoalloc.RunResult:
    return geoalloc.plan(_areas(), _sites(), **OPTIONS)


def _flat(figures: object, prefix: str = "") -> dict[str, object]:
    """Nested summary figures as one flat dict (dotted keys, ``[i]`` for list items, e.g. the
    records of ``plan.over_capacity``), for pytest.approx."""
    if isinstance(figures, list):
        flat_list: dict[str, object] = {}
        for i, value in enumerate(figures):
            flat_list |= _flat(value, f"{prefix}[{i}]")
        return flat_list
    if not isinstance(figures, dict):
        return {prefix: figures}
    flat: dict[str, object] = {}
    for key, value in figures.items():
        flat |= _flat(value, f"{prefix}.{key}" if prefix else str(key))
    return flat


# --- plan() equals run() of the same data as files ----------------------------------------------


def test_plan_gives_what_run_gives_on_the_same_data_as_files(
    planned: geoalloc.RunResult, tmp_path: Path
) -> None:
    _areas().to_file(tmp_path / "areas.gpkg")
    _sites().to_file(tmp_path / "sites.gpkg")
    (tmp_path / "scenario.toml").write_text(SCENARIO_TOML, encoding="utf-8")
    from_files = geoalloc.run(str(tmp_path / "scenario.toml"))

    for key in ("demand", "served", "unmet", "baseline", "plan", "area_status", "site_status"):
        assert _flat(planned.summary[key]) == pytest.approx(_flat(from_files.summary[key])), key
    assert planned.summary["solver"]["objective"] == pytest.approx(
        from_files.summary["solver"]["objective"]
    )
    assert planned.summary["unmet"]["beds"] > 0  # the example is short of beds: shortfall is real
    for name in ("areas", "facilities", "assignments"):
        assert_geodataframe_equal(getattr(planned, name), getattr(from_files, name))
    assert set(planned.layers) == set(from_files.layers)


def test_run_takes_a_loaded_scenario_too(tmp_path: Path) -> None:
    _areas().to_file(tmp_path / "areas.gpkg")
    _sites().to_file(tmp_path / "sites.gpkg")
    (tmp_path / "scenario.toml").write_text(SCENARIO_TOML, encoding="utf-8")
    scenario = geoalloc.load_scenario(tmp_path / "scenario.toml")
    assert isinstance(scenario, geoalloc.Scenario)
    optimize = scenario.optimize.model_copy(update={"p": 2})
    result = geoalloc.run(scenario.model_copy(update={"optimize": optimize}))
    assert result.summary["plan"]["sites_open"] == 2


def test_a_frame_indexed_by_its_ids_gives_the_same_plan(planned: geoalloc.RunResult) -> None:
    indexed = geoalloc.plan(_areas().set_index("GEOID"), _sites().set_index("site"), **OPTIONS)
    assert _flat(indexed.summary["plan"]) == pytest.approx(_flat(planned.summary["plan"]))
    assert_geodataframe_equal(indexed.areas, planned.areas)


def test_the_callers_frames_are_not_changed() -> None:
    areas, sites = _areas(), _sites()
    geoalloc.plan(areas, sites, **OPTIONS)
    assert_geodataframe_equal(areas, _areas())
    assert_geodataframe_equal(sites, _sites())


# --- what the result exposes ---------------------------------------------------------------------


def test_result_frames_are_indexed_by_id(planned: geoalloc.RunResult) -> None:
    areas, facilities, assignments = planned.areas, planned.facilities, planned.assignments
    assert areas.index.name == "area_id" and sorted(areas.index) == sorted(_areas()["GEOID"])
    assert facilities.index.name == "site_id" and sorted(facilities.index) == [
        "C1",
        "C2",
        "H1",
        "H2",
    ]
    assert {"area", "site", "resource", "quantity", "minutes"} <= set(assignments.columns)
    assert set(assignments["area"]) <= set(areas.index)
    assert set(assignments["site"]) <= set(facilities.index)
    for frame in (areas, facilities, assignments):
        assert frame.crs.to_epsg() == 4326
    # allocated + unmet = demand, per area, in the frame
    assert (areas["served_beds"] + areas["unmet_beds"]).to_numpy() == pytest.approx(
        areas["demand_beds"].to_numpy()
    )
    # copies: changing them leaves the layers that are written alone
    areas["population"] = -1.0
    assert (planned.layers["areas"]["population"] > 0).all()


def test_explore_returns_the_runs_folium_map(planned: geoalloc.RunResult) -> None:
    fmap = planned.explore()
    assert isinstance(fmap, folium.Map)
    page = fmap.get_root().render()
    for area_id in _areas()["GEOID"]:
        assert f"area {area_id}" in page  # each area's tooltip
    assert "Hospital west" in page
    assert "L.map(" in page and "Leaflet" in page  # Leaflet is inside the page: shows offline
    assert not re.search(r"<script[^>]*\bsrc=[\"']?(https?:)?//", page)
    assert "Leaflet" in fmap._repr_html_()  # what a notebook shows


def test_explore_is_the_map_the_run_folder_holds(
    planned: geoalloc.RunResult, tmp_path: Path
) -> None:
    folder = planned.write(tmp_path / "run")
    written = (folder / "map.html").read_text(encoding="utf-8")
    rebuilt = RunFolder(folder).read()
    assert isinstance(rebuilt.kind.build_map(rebuilt.layers, rebuilt.summary), folium.Map)
    for area_id in _areas()["GEOID"]:
        assert f"area {area_id}" in written


def test_the_manifest_records_frames_by_content_not_by_file(
    planned: geoalloc.RunResult, tmp_path: Path
) -> None:
    assert input_files(planned.scenario) == []  # no file to hash: crowfly, frames only
    assert [f.label for f in input_frames(planned.scenario)] == [
        "<areas GeoDataFrame>",
        "<facilities GeoDataFrame>",
    ]
    inputs = planned.manifest["inputs"]
    assert inputs == {
        "<areas GeoDataFrame>": {"sha256": frame_sha256(_areas()), "rows": 6},
        "<facilities GeoDataFrame>": {"sha256": frame_sha256(_sites()), "rows": 4},
    }
    recorded = planned.manifest["scenario"]["areas"]["path"]
    assert recorded == {
        "frame": "<areas GeoDataFrame>",
        "rows": 6,
        "sha256": frame_sha256(_areas()),
    }
    folder = planned.write(tmp_path / "run")
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["inputs"] == inputs
    assert frame_sha256(_areas()) in (folder / "report.html").read_text(encoding="utf-8")


def test_the_frame_hash_follows_the_content() -> None:
    areas = _areas()
    assert frame_sha256(areas) == frame_sha256(_areas())
    changed = _areas()
    changed.loc[0, "pop"] = 5201
    moved = _areas()
    moved.geometry = moved.geometry.translate(1.0)
    for other in (changed, moved, areas.iloc[::-1], areas.to_crs(4326), areas.drop(columns="pop")):
        assert frame_sha256(other) != frame_sha256(areas)
    assert FrameSource("areas", areas) == FrameSource("areas", _areas())


# --- bad frames ----------------------------------------------------------------------------------


def _problems(areas: object, sites: object, **changes: object) -> str:
    with pytest.raises(geoalloc.InputError) as info:
        geoalloc.plan(areas, sites, **(OPTIONS | changes))
    assert isinstance(info.value, ValueError)
    return str(info.value)


def test_duplicate_ids_name_the_frame_and_column() -> None:
    areas = _areas()
    areas.loc[1, "GEOID"] = "0001"
    text = _problems(areas, _sites())
    assert "areas GeoDataFrame: duplicate ids in column 'GEOID' (ids: 0001)" in text


def test_negative_population_is_reported_as_the_readme_says() -> None:
    areas = _areas()
    areas.loc[3, "pop"] = -10
    text = _problems(areas, _sites())
    line = "areas GeoDataFrame: population column 'pop' is negative (ids: 0301) — fix these rows"
    assert line in text
    # the README quotes this wording, on its example's ids
    assert "\n- " + line.replace("0301", "cell-3") + "\n" in README.read_text(encoding="utf-8")


def test_a_frame_without_crs_is_refused() -> None:
    sites = _sites().set_crs(None, allow_override=True)
    text = _problems(_areas(), sites)
    assert "facilities GeoDataFrame: has no CRS — set one with gdf.set_crs(" in text


def test_missing_columns_name_the_frame_and_column() -> None:
    text = _problems(_areas(), _sites(), population="people", capacity={"beds": "cots"})
    assert "areas GeoDataFrame: column 'people' (from population) not found" in text
    assert "facilities GeoDataFrame: column 'cots' (from capacity.beds) not found" in text


def test_every_problem_of_both_frames_at_once() -> None:
    areas = _areas()
    areas.loc[1, "GEOID"] = "0001"
    areas.loc[2, "pop"] = -1
    sites = _sites()
    sites.loc[0, "beds"] = -5
    sites.loc[1, "geometry"] = None
    with pytest.raises(geoalloc.InputError) as info:
        geoalloc.plan(areas, sites, **OPTIONS)
    problems = info.value.problems
    assert any("areas GeoDataFrame: duplicate ids" in p for p in problems)
    assert any("areas GeoDataFrame: population column 'pop' is negative" in p for p in problems)
    assert any("facilities GeoDataFrame: capacity of 'beds' column 'beds'" in p for p in problems)
    assert any(
        "facilities GeoDataFrame: empty or missing geometry (ids: H2)" in p for p in problems
    )


def test_a_plain_dataframe_is_refused_as_such() -> None:
    text = _problems(pd.DataFrame(_areas().drop(columns="geometry")), _sites())
    assert "areas GeoDataFrame: a DataFrame, not a GeoDataFrame" in text


def test_bad_arguments_are_input_errors_naming_the_key() -> None:
    text = _problems(_areas(), _sites(), optimize={"model": "best"})
    assert "geoalloc.plan(): 'optimize.model'" in text
    text = _problems(_areas(), _sites(), demand={"los_day": 5})
    assert "geoalloc.plan(): unknown key 'demand.los_day'" in text


def test_neither_frame_nor_path_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="areas must be a GeoDataFrame or the path"):
        geoalloc.plan([1, 2], _sites(), **OPTIONS)


# --- another kind of run -------------------------------------------------------------------------


def test_plan_runs_a_telemedicine_scenario_with_its_own_map(tmp_path: Path) -> None:
    areas = _areas()
    areas["connected"] = [True, True, False, True, True, True]
    sites = _sites()
    sites["physician_hours"] = [40.0, 0.0, 0.0, 0.0]
    sites["hub"] = [False, False, True, True]
    result = geoalloc.plan(
        areas,
        sites,
        area_id="GEOID",
        population="pop",
        site_id="site",
        optimize={"max_minutes": 4},
        network={"source": "crowfly", "speed_kph": 30},
        telemedicine={
            "connected": "connected",
            "divertible_share": 0.3,
            "visits_per_1000": {"all": 2000.0},
            "minutes_per_visit": 20.0,
            "site_hours": "physician_hours",
            "hub": "hub",
            "hub_max_hours": 20.0,
            "hub_opening_cost": 1000.0,
            "cost_per_hour": 100.0,
        },
    )
    assert result.kind.name == "telemedicine"
    assert result.areas.index.name == "area_id" and len(result.areas) == 6
    figures = result.summary["telemedicine"]
    assert figures["people_beyond_t_physical_only"] > 0
    assert figures["people_gaining_access_through_telemedicine"] > 0
    fmap = result.explore()
    assert isinstance(fmap, folium.Map)
    assert "Leaflet" in fmap.get_root().render()
    folder = result.write(tmp_path / "tele")
    assert (folder / "map.html").is_file() and (folder / "report.html").is_file()
    assert RunFolder(folder).read().kind.name == "telemedicine"


# --- the public surface --------------------------------------------------------------------------


def _readme_section() -> str:
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Python API\n", 1)[1]
    return section.split("\n## ", 1)[0]


def _python_blocks(section: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


def test_all_is_what_the_readme_documents() -> None:
    rows = [line for line in _readme_section().splitlines() if line.startswith("| `")]
    documented = set()
    for row in rows:
        first_cell = row.split("|")[1]
        documented |= {
            re.match(r"\w+", name).group(0) for name in re.findall(r"`([^`]+)`", first_cell)
        }
    assert documented == set(geoalloc.__all__)
    for name in geoalloc.__all__:
        assert getattr(geoalloc, name) is not None
        doc = getattr(geoalloc, name).__doc__ if name != "__version__" else "x"
        assert doc, name


def test_public_functions_have_numpy_docstrings() -> None:
    for name in ("plan", "run", "load_scenario"):
        doc = getattr(geoalloc, name).__doc__
        for heading in ("Parameters", "Returns", "Raises", "Examples"):
            assert f"\n    {heading}\n    ----" in doc, (name, heading)
    for member in ("areas", "facilities", "assignments", "explore", "write"):
        doc = getattr(geoalloc.RunResult, member).__doc__
        assert "Returns\n        -------" in doc, member


def test_the_readme_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = _python_blocks(_readme_section())
    assert blocks and "geoalloc.plan(" in blocks[0]
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "__readme__"}
    exec(compile(blocks[0], "README.md (Python API)", "exec"), namespace)
    result = namespace["result"]
    assert isinstance(result, geoalloc.RunResult)
    assert isinstance(namespace["fmap"], folium.Map)
    assert (tmp_path / "maps" / "notebook-plan" / "map.html").is_file()
    assert result.summary["unmet"]["beds"] > 0  # as the example says: beds are left short
    # the other blocks use only what geoalloc exports
    for block in blocks[1:]:
        compile(block, "README.md (Python API)", "exec")
        for name in re.findall(r"\bgeoalloc\.(\w+)", block):
            assert name in geoalloc.__all__, name


def test_import_geoalloc_loads_no_heavy_dependency() -> None:
    code = (
        "import sys, geoalloc\n"
        "heavy = {'geopandas', 'pandas', 'numpy', 'pulp', 'folium', 'pydantic', 'shapely'}\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
        "print(geoalloc.__file__)\n"
        "geoalloc.InputError, geoalloc.GeoallocError, geoalloc.__version__\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    loaded, path = result.stdout.splitlines()
    assert loaded == "[]"
    assert Path(path).resolve() == (REPO_ROOT / "geoalloc" / "__init__.py").resolve()


def test_unknown_attributes_are_attribute_errors() -> None:
    with pytest.raises(AttributeError, match="no attribute 'plann'"):
        geoalloc.plann  # noqa: B018
    assert "plan" in dir(geoalloc)
