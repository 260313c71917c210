"""Nonsense geography is refused before routing, naming the culprit (geoalloc.runs.geography).

Each case is a real input made wrong in tmp_path the way it happens: areas tagged EPSG:3857 while in
degrees, latitude and longitude swapped, hospitals moved thousands of km, another region's OSM
extract, files without a CRS. Each is run through the CLI and asserts the exit code, the culprit on
stderr and no traceback; the real examples must pass untouched.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner

from geoalloc.cli import cli
from geoalloc.inputs.osm_layers import parse_layer_spec, read_osm_layer
from geoalloc.travel.geodesy import haversine_m
from tests.helpers import REPO_ROOT, toml_text, write_chicago_scenario

LIECHTENSTEIN = REPO_ROOT / "examples" / "liechtenstein_telemedicine"
REFUSED = "the inputs do not lie where the network can route them"


def _geoalloc(*args: object) -> tuple[int, str]:
    """Exit code and stderr of ``geoalloc ARGS`` (stderr holds the errors and the warnings)."""
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert "Traceback" not in result.output
    assert result.exit_code in (0, 3), result.output
    return result.exit_code, result.stderr


def _swap(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``frame`` with x and y swapped (latitude read as longitude and back)."""
    return frame.set_geometry(shapely.transform(frame.geometry.values, lambda xy: xy[:, ::-1]))


@pytest.fixture(scope="module")
def chicago(shared_data: Path) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    folder = shared_data / "chicago_kang2020"
    return (
        gpd.read_file(folder / "chicago_tracts_pop.gpkg"),
        gpd.read_file(folder / "chicago_hospitals.gpkg"),
    )


def _liechtenstein(folder: Path, **sections: dict) -> Path:
    """The telemedicine example with absolute paths, its sections updated (None drops a key)."""
    document = tomllib.loads((LIECHTENSTEIN / "telemedicine.toml").read_text(encoding="utf-8"))
    for section in ("areas", "facilities", "network"):
        keys = document[section]
        for key in ("path", "source"):
            if key in keys:
                keys[key] = (LIECHTENSTEIN / keys[key]).resolve()
        for key in ("join", "origins"):
            if key in keys:
                keys[key]["path"] = (LIECHTENSTEIN / keys[key]["path"]).resolve()
    for section, keys in sections.items():
        document[section] = {
            k: v for k, v in {**document[section], **keys}.items() if v is not None
        }
    path = folder / "scenario.toml"
    path.write_text(toml_text(document), encoding="utf-8")
    return path


def _liechtenstein_layer(shared_data: Path, section: str) -> gpd.GeoDataFrame:
    """The example's municipalities or sites, read from the OSM extract as it reads them."""
    document = tomllib.loads((LIECHTENSTEIN / "telemedicine.toml").read_text(encoding="utf-8"))
    pbf = shared_data / "osm_small_regions" / "liechtenstein_2015-07.osm.pbf"
    return read_osm_layer(pbf, parse_layer_spec(document[section]["layer"]))


# --- must not trigger --------------------------------------------------------------------------


def test_chicago_example_passes_without_a_word(tmp_path: Path, shared_data: Path) -> None:
    code, stderr = _geoalloc("validate", REPO_ROOT / "examples" / "chicago" / "beds.toml")
    assert code == 0, stderr
    assert "WARNING" not in stderr


@pytest.mark.slow  # routes the real graph: ≈ 6 s
def test_liechtenstein_example_runs_and_names_only_balzers(
    tmp_path: Path, shared_data: Path
) -> None:
    code, stderr = _geoalloc("run", LIECHTENSTEIN / "telemedicine.toml", "--out", tmp_path / "run")
    assert code == 0, stderr
    assert (tmp_path / "run" / "map.html").is_file()
    # the example's README: Balzers' roads are cut off in this 2015 extract (far_from_network)
    warnings = [line for line in stderr.splitlines() if line.startswith("WARNING")]
    assert len(warnings) == 1, stderr
    assert "1 of 11 areas farther than 2,000 m ([network] max_snap_m)" in warnings[0]
    assert "Balzers (3,320 m)" in warnings[0]


# --- a wrong CRS -------------------------------------------------------------------------------


def test_areas_in_degrees_tagged_epsg3857(tmp_path: Path, shared_data: Path, chicago) -> None:
    tracts, _ = chicago
    tracts.set_crs(3857, allow_override=True).to_file(tmp_path / "tracts.gpkg")
    scenario = write_chicago_scenario(tmp_path, shared_data, areas=tmp_path / "tracts.gpkg")
    code, stderr = _geoalloc("run", scenario, "--out", tmp_path / "run")
    assert code == 3
    assert REFUSED in stderr
    assert "[areas] tracts.gpkg: its coordinates (x -87.960…-87.525, y 41.645…42.025)" in stderr
    assert "tagged EPSG:3857 (WGS 84 / Pseudo-Mercator), a projected CRS" in stderr
    assert "ogr2ogr -a_srs EPSG:4326 fixed.gpkg tracts.gpkg" in stderr
    assert not (tmp_path / "run").exists()


def test_sites_in_degrees_tagged_epsg3857_on_a_road_network(tmp_path: Path, shared_data) -> None:
    sites = _liechtenstein_layer(shared_data, "facilities")
    sites.set_crs(3857, allow_override=True).to_file(tmp_path / "sites.gpkg")
    scenario = _liechtenstein(tmp_path, facilities={"path": tmp_path / "sites.gpkg", "layer": None})
    code, stderr = _geoalloc("validate", scenario)
    assert code == 3
    assert "[facilities] sites.gpkg: its coordinates (x 9.5" in stderr
    # the two extents: where they lie as tagged, and on the network read as degrees
    assert "read as degrees they lie on the road network ([network] liechtenstein_2015-07" in stderr
    assert "lon 9.489…9.617, lat 47.091…47.255" in stderr


def test_geojson_in_metres_without_crs(tmp_path: Path, shared_data: Path, chicago) -> None:
    tracts, _ = chicago
    path = tmp_path / "tracts.geojson"
    tracts.to_crs(3857).to_file(path, driver="GeoJSON", WRITE_NAME=False)
    text = path.read_text(encoding="utf-8")
    assert '"crs"' in text  # GDAL writes the member: drop it, as many tools do
    path.write_text(
        text.replace(
            '"crs": { "type": "name", "properties": { "name": "urn:ogc:def:crs:EPSG::3857" } },', ""
        ),
        encoding="utf-8",
    )
    assert '"crs"' not in path.read_text(encoding="utf-8")
    code, stderr = _geoalloc("validate", write_chicago_scenario(tmp_path, shared_data, areas=path))
    assert code == 3
    assert "[areas] tracts.geojson: tracts.geojson is in EPSG:4326" in stderr
    assert "878 of its 878 features have coordinates beyond ±180°/±90°" in stderr
    assert "read as EPSG:3857, web maps' metres, they would lie at lon -87.960…-87.524" in stderr
    assert "ogr2ogr -s_srs EPSG:<code> -t_srs EPSG:4326" in stderr


def test_shapefile_without_prj_in_degrees_is_taken_as_4326(tmp_path: Path, shared_data) -> None:
    municipalities = _liechtenstein_layer(shared_data, "areas")
    shp = tmp_path / "municipalities.shp"
    with pytest.warns(UserWarning, match="'crs' was not provided"):
        municipalities[["name", "geometry"]].set_crs(None, allow_override=True).to_file(shp)
    areas = {"path": shp, "layer": None, "origins": None}
    code, stderr = _geoalloc("validate", _liechtenstein(tmp_path, areas=areas))
    assert code == 0, stderr
    assert "[areas] municipalities.shp: municipalities.shp has no CRS; its coordinates" in stderr
    assert "taken as longitude/latitude (EPSG:4326)" in stderr


def test_shapefile_without_prj_off_the_network_is_refused(tmp_path: Path, shared_data) -> None:
    municipalities = _liechtenstein_layer(shared_data, "areas")
    shp = tmp_path / "municipalities.shp"
    moved = municipalities[["name", "geometry"]]
    moved = moved.set_geometry(moved.geometry.translate(-20.0, 0.0))
    with pytest.warns(UserWarning, match="'crs' was not provided"):
        moved.set_crs(None, allow_override=True).to_file(shp)
    areas = {"path": shp, "layer": None, "origins": None}
    code, stderr = _geoalloc("validate", _liechtenstein(tmp_path, areas=areas))
    assert code == 3
    assert "[areas] municipalities.shp: only 0 of its 11 areas (0% of the population)" in stderr
    assert "municipalities.shp declares no CRS" in stderr
    assert "ogr2ogr -a_srs EPSG:<code> fixed.gpkg municipalities.shp" in stderr


# --- swapped axes ------------------------------------------------------------------------------


def test_swapped_areas_on_a_road_network(tmp_path: Path, shared_data: Path) -> None:
    _swap(_liechtenstein_layer(shared_data, "areas")).to_file(tmp_path / "municipalities.gpkg")
    areas = {"path": tmp_path / "municipalities.gpkg", "layer": None, "origins": None}
    code, stderr = _geoalloc("run", _liechtenstein(tmp_path, areas=areas), "--out", tmp_path / "r")
    assert code == 3
    assert "[areas] municipalities.gpkg: only 0 of its 11 areas (0% of the population)" in stderr
    assert "areas: lon 47.0" in stderr and "the road network: lon 9.489…9.617" in stderr
    assert "likely cause: latitude and longitude (or y and x) are swapped" in stderr
    assert "swap the coordinates of municipalities.gpkg" in stderr


def test_swapped_areas_against_crowfly_sites(tmp_path: Path, shared_data: Path, chicago) -> None:
    tracts, _ = chicago
    _swap(tracts).to_file(tmp_path / "tracts.gpkg")  # at latitude −88: beyond the UTM zones
    scenario = write_chicago_scenario(tmp_path, shared_data, areas=tmp_path / "tracts.gpkg")
    code, stderr = _geoalloc("validate", scenario)
    assert code == 3
    assert "latitude and longitude are swapped in one of the two files" in stderr
    assert "(tracts.gpkg or chicago_hospitals.gpkg)" in stderr
    assert "areas: lon 41.645…42.025, lat -87.960…-87.530" in stderr


# --- far away ----------------------------------------------------------------------------------


def _moved_hospitals(hospitals: gpd.GeoDataFrame, rows: slice | list) -> gpd.GeoDataFrame:
    """The hospitals with ``rows`` moved 100° of longitude east (Chicago → central Italy)."""
    moved = hospitals.copy()
    index = moved.index[rows]
    moved.loc[index, "geometry"] = moved.loc[index].geometry.translate(100.0, 0.0)
    return moved


def test_hospitals_7900_km_away(tmp_path: Path, shared_data: Path, chicago) -> None:
    tracts, hospitals = chicago
    moved = _moved_hospitals(hospitals, slice(None))
    moved.to_file(tmp_path / "hospitals.gpkg")
    areas = tracts.to_crs(3857).representative_point().to_crs(4326)
    sites = moved.to_crs(3857).representative_point().to_crs(4326)
    nearest_km = (
        haversine_m(
            sites.x.to_numpy()[:, None],
            sites.y.to_numpy()[:, None],
            areas.x.to_numpy(),
            areas.y.to_numpy(),
        ).min()
        / 1000
    )
    assert 7_500 < nearest_km < 8_000
    scenario = write_chicago_scenario(tmp_path, shared_data, facilities=tmp_path / "hospitals.gpkg")
    code, stderr = _geoalloc("run", scenario, "--out", tmp_path / "run")
    assert code == 3
    assert "[facilities] hospitals.gpkg: only 0 of its 66 sites lie within 34.6 km" in stderr
    assert "sites: lon 11.864…12.433, lat 41.566…42.189" in stderr
    assert "the areas: lon -87.960…-87.5" in stderr
    assert f"the sites lie {nearest_km:,.0f} km from the areas (the nearest one)" in stderr


def test_a_crowfly_reach_too_short_names_the_keys(tmp_path: Path, shared_data: Path) -> None:
    """The real hospitals among the real tracts, but a travel standard of 0.01 minutes (or a
    circuity of 1e16): nothing is in reach, and the likely cause is the reach, not "check the
    coordinates of chicago_hospitals.gpkg and their CRS" as the message said."""
    for name, sections in (
        ("standard", {"optimize": {"max_minutes": 0.01}}),
        ("circuity", {"network": {"circuity": 1e16}}),
    ):
        folder = tmp_path / name
        folder.mkdir()
        scenario = write_chicago_scenario(folder, shared_data, **sections)
        code, stderr = _geoalloc("run", scenario, "--out", folder / "run")
        assert code == 3, stderr
        assert REFUSED in stderr
        assert "likely cause: the reach is shorter than the distances" in stderr
        assert "check [optimize] max_minutes" in stderr and "speed_kph and circuity" in stderr
        assert "and their CRS" not in stderr
    assert (
        "check [optimize] max_minutes (0.01; the horizon is 3 times it)"
        in (_geoalloc("validate", tmp_path / "standard" / "scenario.toml")[1])
    )


def test_some_hospitals_far_away_is_a_warning(tmp_path: Path, shared_data: Path, chicago) -> None:
    _, hospitals = chicago
    _moved_hospitals(hospitals, [0, 1, 2]).to_file(tmp_path / "hospitals.gpkg")
    scenario = write_chicago_scenario(tmp_path, shared_data, facilities=tmp_path / "hospitals.gpkg")
    code, stderr = _geoalloc("validate", scenario)
    assert code == 0, stderr
    line = next(line for line in stderr.splitlines() if line.startswith("WARNING"))
    assert "[facilities] hospitals.gpkg: 3 of 66 sites farther than 34.6 km" in line
    for name in hospitals["Hospital"].iloc[:3]:
        assert f"{name} (7," in line


def test_physical_site_far_from_the_road_network(tmp_path: Path, shared_data: Path) -> None:
    sites = _liechtenstein_layer(shared_data, "facilities")
    table = pd.read_csv(LIECHTENSTEIN / "sites.csv", dtype={"id": str})
    hospital = table.loc[table["physician_hours"] > 0, "id"]
    assert len(hospital) == 1  # the Landesspital: the only site with in-person hours
    moved = sites["id"].astype(str).isin(hospital).to_numpy()
    sites.loc[moved, "geometry"] = (
        sites.loc[moved].geometry.representative_point().translate(-71.0, 0.0)
    )
    sites.to_file(tmp_path / "sites.gpkg")
    scenario = _liechtenstein(tmp_path, facilities={"path": tmp_path / "sites.gpkg", "layer": None})
    code, stderr = _geoalloc("validate", scenario)
    assert code == 3
    assert "[facilities] sites.gpkg: only 0 of its 1 sites lie within 2,000 m" in stderr
    assert "the sites lie 5,169 km from the road network (the nearest one)" in stderr


# --- the wrong extract -------------------------------------------------------------------------


def test_another_regions_extract(tmp_path: Path, shared_data: Path) -> None:
    andorra = shared_data / "osm_small_regions" / "andorra_2013-05.osm.pbf"
    scenario = _liechtenstein(tmp_path, network={"source": andorra})
    code, stderr = _geoalloc("run", scenario, "--out", tmp_path / "run")
    assert code == 3
    assert (
        "[network] andorra_2013-05.osm.pbf: the road network covers lon 1.419…1.734, lat 42.436…42.634"
        in stderr
    )
    assert "the areas ([areas] liechtenstein_2015-07.osm.pbf: lon 9.500…9.546" in stderr
    assert "likely cause: the wrong extract (andorra_2013-05.osm.pbf)" in stderr
    assert "osmium extract -b 9.45,47.02,9.60,47.29" in stderr
    assert not (tmp_path / "run").exists()


def test_matrix_tables_have_no_extent(tmp_path: Path) -> None:
    """A travel table has no extent: the check leaves it alone (its ids are checked instead)."""
    from geoalloc.runs.geography import check_geography
    from geoalloc.scenario import load_scenario

    scenario = load_scenario(LIECHTENSTEIN / "telemedicine.toml")
    table = scenario.model_copy(
        update={
            "network": scenario.network.model_copy(
                update={"source": "matrix", "path": tmp_path / "od.csv"}
            )
        }
    )
    far = gpd.GeoDataFrame(geometry=gpd.points_from_xy([-150.0], [-60.0]), index=["x"], crs=4326)
    assert check_geography(table, far, pd.Series([1.0], index=["x"]), far) == []


@pytest.mark.parametrize(
    ("kept", "code"),
    [(["Schaan", "Vaduz"], 0), (["Planken"], 3)],  # 30 % of the people stay, or 1 %
)
def test_the_routable_share_decides(tmp_path: Path, shared_data: Path, kept, code) -> None:
    """Areas moved 1° east (≈ 76 km), all but ``kept``: above MIN_ROUTABLE_SHARE of the population
    on the network it is a warning naming the others, below it an input error."""
    from geoalloc.runs.geography import MIN_ROUTABLE_SHARE

    people = pd.read_csv(LIECHTENSTEIN / "municipalities.csv").set_index("name")["population"]
    share = people[kept].sum() / people.sum()
    assert (share >= MIN_ROUTABLE_SHARE) == (code == 0)
    municipalities = _liechtenstein_layer(shared_data, "areas")[["name", "geometry"]]
    away = ~municipalities["name"].isin(kept).to_numpy()
    municipalities.loc[away, "geometry"] = municipalities.loc[away].geometry.translate(1.0, 0.0)
    municipalities.to_file(tmp_path / "municipalities.gpkg")
    areas = {"path": tmp_path / "municipalities.gpkg", "layer": None, "origins": None}
    exit_code, stderr = _geoalloc("validate", _liechtenstein(tmp_path, areas=areas))
    assert exit_code == code, stderr
    if code == 0:
        assert "WARNING" in stderr and "9 of 11 areas farther than 2,000 m" in stderr
        assert "Vaduz" not in stderr and "Ruggell (" in stderr
    else:
        assert "only 1 of its 11 areas (1% of the population) lie within 2,000 m" in stderr
        assert "likely cause: the areas lie 67 km from the road network (the nearest one)" in stderr


@pytest.mark.slow  # a fresh interpreter: imports the geo stack and loads the graph
def test_refused_as_a_subprocess_too(tmp_path: Path, shared_data: Path) -> None:
    """The real command line: exit 3, one message on stderr, no traceback."""
    andorra = shared_data / "osm_small_regions" / "andorra_2013-05.osm.pbf"
    scenario = _liechtenstein(tmp_path, network={"source": andorra})
    done = subprocess.run(
        [sys.executable, "-m", "geoalloc", "validate", str(scenario)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 3, done.stderr
    assert "likely cause: the wrong extract (andorra_2013-05.osm.pbf)" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_nearest_distances_by_all_pairs_equal_the_kd_tree(
    shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Small inputs skip the k-d tree (and importing scipy.spatial): the same metres, exactly."""
    from geoalloc.runs import geography

    tracts = gpd.read_file(shared_data / "chicago_kang2020" / "chicago_tracts_pop.gpkg")
    points = tracts.representative_point().to_crs(4326)
    sites = gpd.read_file(shared_data / "chicago_kang2020" / "chicago_hospitals.gpkg")
    sites = sites.representative_point().to_crs(4326)
    args = (points.x.to_numpy(), points.y.to_numpy(), sites.x.to_numpy(), sites.y.to_numpy())
    all_pairs = geography._nearest_m(*args)
    monkeypatch.setattr(geography, "BRUTE_FORCE_PAIRS", 0)
    tree = geography._nearest_m(*args)
    assert len(all_pairs) == len(tracts) and np.isfinite(all_pairs).all()
    assert all_pairs.tolist() == tree.tolist()
