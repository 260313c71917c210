"""Population per area from a raster of counts (WorldPop, GHSL, Kontur, national grids), by exact
fractional-coverage zonal sums.

Each area gets the sum over the pixels it covers of *pixel value × the fraction of the pixel inside
the area* (exactextract, which computes those fractions exactly from the polygon's edges): a pixel
split between two areas is split between them, so the areas' sums add up to the raster's sum over
the same extent. The areas are reprojected to the raster's CRS; the raster is never resampled (a
nearest-neighbour resampling keeps one source pixel per target pixel and drops or repeats the
others: a raster of counts loses or doubles up to half its population that way).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from exactextract.feature import FeatureSource, JSONFeature
from pyproj import CRS

from geoalloc._errors import InputError
from geoalloc._validate import file_problem, format_ids
from geoalloc.inputs.population_estimate import (
    PopulationEstimate,
    area_labels,
    check_areas,
    no_bands,
    polygonal_parts,
    repaired_polygons,
)

log = logging.getLogger(__name__)

#: exactextract's warning when the areas' CRS is not textually the raster's (silenced only after
#: the areas were reprojected to the raster's CRS and the two CRSs compared equal)
_CRS_WARNING = "Spatial reference system of input features does not exactly match"
#: nodata (in pixels' worth of coverage) below this is float noise, not worth a note
_NODATA_PIXELS_NOTED = 0.01
#: an area's part outside the raster below this share of a pixel is float noise, not noted
_OUTSIDE_PIXELS_NOTED = 0.001
#: colour interpretations of an image, not of counts
_IMAGE_BANDS = {"red", "green", "blue", "alpha", "palette", "hue", "saturation", "lightness"}
#: what a band's unit says when it holds a density (persons per km²), not counts
_DENSITY_UNITS = ("/", " per ", "per_", "km2", "km²", "density")
_HOW_TO_SET_CRS = "gdal_edit.py -a_srs EPSG:<code> {name}"


def raster_population(
    path: Path,
    areas: gpd.GeoDataFrame,
    *,
    band: int = 1,
    band_paths: dict[str, Path] | None = None,
    outside_ok: bool = False,
) -> PopulationEstimate:
    """Persons per area from a GeoTIFF (or any raster GDAL reads) of counts per pixel.

    Exact fractional-coverage zonal sums (exactextract): each pixel counts in an area by the
    share of the pixel the area covers, computed from the polygon's edges, so no pixel is counted
    twice or dropped at the areas' borders. The areas (any CRS) are reprojected to the raster's
    CRS; the raster itself is never resampled — a nearest-neighbour resampling of a raster of
    counts loses or doubles up to half of its population.

    Parameters
    ----------
    path
        The raster: persons per pixel (WorldPop "ppp", GHSL POP, Kontur, a national grid).
    areas
        Area polygons (valid, non-empty), any CRS, indexed by id (``area_id`` names them in
        messages when present).
    band
        The band of ``path`` that holds the counts (1-based).
    band_paths
        Age bands: ``{column: raster}``, one raster of counts per band (band 1 of each), each
        summed the same way into ``bands[column]``.
    outside_ok
        Areas entirely outside the raster get 0 persons (with a note) instead of an error.

    Returns
    -------
    PopulationEstimate
        ``method="raster"``; ``source_total`` is the raster's sum inside the union of the areas
        (the same exact coverage of the dissolved areas), equal to the areas' sum when they do not
        overlap. Nodata pixels (the raster's nodata value, or NaN) count as 0 persons and are
        noted, and so are areas partly outside the raster.

    Raises
    ------
    InputError
        What is checked: the file exists and GDAL reads it as a raster with that band; it has a
        CRS and no rotation; the band holds counts — not an image's colour band (RGB, palette),
        not complex numbers, not a unit that says density (``persons/km2``), and no negative value
        under the areas; some pixel under the areas is not nodata; no area lies entirely outside
        the raster (unless ``outside_ok``). Every message names the file, the band and the areas.
    """
    areas = check_areas(areas)
    labels = area_labels(areas)
    path = Path(path)
    with _open_raster(path, band) as ds:
        totals, source_total, notes = _sum_into(ds, path, band, areas, labels, outside_ok, True)
        crs_text = _crs_name(ds)
    bands = no_bands(areas.index)
    for column, band_path in (band_paths or {}).items():
        band_path = Path(band_path)
        with _open_raster(band_path, 1) as ds:
            values, _, band_notes = _sum_into(ds, band_path, 1, areas, labels, outside_ok, False)
        bands[column] = values
        notes += tuple(f"age band {column!r} ({band_path.name}): {n}" for n in band_notes)
    if len(bands.columns):
        over = bands.sum(axis=1).to_numpy() > totals.to_numpy() * (1 + 1e-6) + 1e-6
        if over.any():
            notes += (
                f"the age bands ({', '.join(bands.columns)}) add up to more than the total in "
                f"{int(over.sum())} area(s): {format_ids(labels[over])} — check that the band "
                "rasters and the total raster are of the same year and source",
            )
    source = (
        f"{path.name} band {band}, exact fractional-coverage zonal sums (exactextract) of the "
        f"pixels under each area, the areas reprojected to the raster's CRS ({crs_text}), the "
        "raster not resampled"
    )
    if band_paths:
        source += "; age bands " + ", ".join(
            f"{c} from {Path(p).name}" for c, p in band_paths.items()
        )
    log.info("raster %s: %.0f persons in %d areas", path.name, totals.sum(), len(totals))
    return PopulationEstimate(
        totals=totals,
        bands=bands,
        method="raster",
        source=source,
        measured=True,
        source_total=source_total,
        notes=notes,
    )


@contextmanager
def _open_raster(path: Path, band: int) -> Iterator:
    """The raster open for reading, checked (readable, the band, a CRS, no rotation, counts)."""
    import rasterio
    from rasterio.errors import RasterioIOError

    why = file_problem(path)
    if why is not None:
        what = "population raster not found" if why == "not found" else f"the raster path is {why}"
        raise InputError(f"{path}: {what} — check the path")
    try:
        ds = rasterio.open(path)
    except RasterioIOError as exc:
        msg = (
            f"{path}: not a raster GDAL can read ({exc}) — give a GeoTIFF (or another raster "
            "format) of persons per pixel"
        )
        raise InputError(msg) from None
    with ds:
        _check_raster(ds, path, band)
        yield ds


def _check_raster(ds, path: Path, band: int) -> None:
    name = path.name
    if ds.count == 0:
        raise InputError(
            f"{path}: the file has no raster band — give a raster of persons per pixel"
        )
    if not 1 <= band <= ds.count:
        msg = (
            f"{path}: no band {band}: the raster has {ds.count} band(s) — choose band 1…{ds.count}"
        )
        raise InputError(msg)
    if ds.crs is None:
        msg = (
            f"{path}: the raster has no CRS, so its pixels cannot be placed — set the CRS its "
            f"coordinates are in (its source names it; WorldPop and GHSL-WGS84 are EPSG:4326): "
            + _HOW_TO_SET_CRS.format(name=name)
        )
        raise InputError(msg)
    a, b, _, d, e, _ = tuple(ds.transform)[:6]
    if b != 0 or d != 0:
        msg = (
            f"{path}: the raster is rotated (its geotransform has rotation terms) — warp it to a "
            f"north-up grid with gdalwarp (sum resampling keeps the counts: gdalwarp -r sum {name} "
            "north_up.tif)"
        )
        raise InputError(msg)
    if a == 0 or e == 0:
        raise InputError(f"{path}: the raster has zero-sized pixels — check its geotransform")
    interpretation = ds.colorinterp[band - 1].name
    if interpretation in _IMAGE_BANDS:
        msg = (
            f"{path} band {band}: a {interpretation} band of an image, not counts of persons — "
            "give a raster whose pixels hold persons (WorldPop 'ppp', GHSL POP, Kontur)"
        )
        raise InputError(msg)
    dtype = ds.dtypes[band - 1]
    if dtype.startswith("complex"):
        msg = f"{path} band {band}: complex numbers ({dtype}), not counts of persons — give a raster of persons per pixel"
        raise InputError(msg)
    unit = (ds.units[band - 1] or "").strip()
    if unit and any(word in f" {unit.lower()} " for word in _DENSITY_UNITS):
        msg = (
            f"{path} band {band}: its unit is {unit!r}, a density, not persons per pixel — give a "
            "raster of counts, or multiply the density by each pixel's area first"
        )
        raise InputError(msg)


def _raster_crs(ds) -> CRS:
    return CRS.from_wkt(ds.crs.to_wkt())


def _crs_name(ds) -> str:
    """The raster's CRS as ``EPSG:<code>`` when GDAL identifies one, else its name."""
    code = ds.crs.to_epsg()
    return f"EPSG:{code}" if code is not None else _raster_crs(ds).name


def _sum_into(
    ds,
    path: Path,
    band: int,
    areas: gpd.GeoDataFrame,
    labels: pd.Index,
    outside_ok: bool,
    with_source_total: bool,
) -> tuple[pd.Series, float, tuple[str, ...]]:
    """Per-area exact sums of ``band`` (nodata as 0), the raster's sum inside the areas' union
    (NaN unless ``with_source_total``) and the notes."""
    crs = _raster_crs(ds)
    projected = areas.geometry.to_crs(crs)
    if not CRS(projected.crs).equals(crs):  # pragma: no cover - to_crs gives the CRS asked for
        raise InputError(f"{path}: the areas could not be reprojected to the raster's CRS")
    # valid areas can self-touch by rounding once reprojected: repaired for the union
    shapes = gpd.GeoSeries(repaired_polygons(projected.to_numpy())[0], crs=crs)
    notes: list[str] = []
    notes += _check_extent(ds, path, shapes, labels, outside_ok)
    stats = _zonal_stats(ds, band, shapes)
    where = f"{path.name} band {band}" if ds.count > 1 else path.name
    valid = stats["count"].to_numpy()
    covered = stats["covered"].to_numpy()
    if valid.sum() <= 0:
        nodata = "NaN" if ds.nodata is None else f"{ds.nodata:g}"
        msg = (
            f"{where}: every pixel under the {len(shapes)} areas is nodata (nodata value {nodata}) "
            "— the raster holds no population there: check that it covers the areas and that "
            "its nodata value is right (gdalinfo -stats shows both)"
        )
        raise InputError(msg)
    minimum = stats["min"].to_numpy()
    negative = np.nan_to_num(minimum, nan=0.0) < 0
    if negative.any():
        msg = (
            f"{where}: negative pixel values under {int(negative.sum())} area(s) (lowest "
            f"{np.nanmin(minimum):g}; {format_ids(labels[negative])}), so the band does not hold "
            "counts of persons — if it is a nodata value, declare it (gdal_edit.py -a_nodata "
            f"<value> {path.name}); else give a raster of persons per pixel"
        )
        raise InputError(msg)
    missing = covered - valid
    if missing.sum() > _NODATA_PIXELS_NOTED:
        holes = missing > _NODATA_PIXELS_NOTED
        empty = (valid <= 0) & (covered > 0)
        text = (
            f"{missing.sum():,.1f} pixels' worth of nodata under {int(holes.sum())} area(s) "
            f"counted as 0 persons: {format_ids(labels[holes])}"
        )
        if empty.any():
            text += f"; {int(empty.sum())} of them lie on nodata only: {format_ids(labels[empty])}"
        notes.append(text)
    totals = pd.Series(stats["sum"].to_numpy(dtype=float), index=areas.index, name="population")
    source_total = float("nan")
    if with_source_total:
        source_total = _sum_inside(ds, band, shapely.union_all(shapes.to_numpy()), crs)
    return totals, source_total, tuple(notes)


def _check_extent(ds, path: Path, shapes: gpd.GeoSeries, labels: pd.Index, outside_ok: bool):
    """Areas entirely outside the raster are an error (or 0, noted, with ``outside_ok``); areas
    partly outside are noted."""
    left, bottom, right, top = ds.bounds
    frame = shapely.box(left, bottom, right, top)
    geoms = shapes.to_numpy()
    inside = shapely.intersects(geoms, frame)
    outside = ~inside
    notes = []
    if outside.all():
        minx, miny, maxx, maxy = shapes.total_bounds
        msg = (
            f"{path}: all {len(shapes)} areas lie outside the raster (raster x {left:,.6g}…"
            f"{right:,.6g}, y {bottom:,.6g}…{top:,.6g}; areas x {minx:,.6g}…{maxx:,.6g}, y "
            f"{miny:,.6g}…{maxy:,.6g} in {_crs_name(ds)}) — give the raster of "
            "the areas' region, or check both CRSs"
        )
        raise InputError(msg)
    if outside.any():
        text = (
            f"{int(outside.sum())} area(s) lie entirely outside the raster: "
            f"{format_ids(labels[outside])}"
        )
        if not outside_ok:
            msg = (
                f"{path}: {text}, so their population is unknown — give a raster that covers "
                "them, or drop those areas (or clip them to the raster)"
            )
            raise InputError(msg)
        notes.append(text + " — counted as 0 persons")
    partly = inside & ~shapely.covered_by(geoms, frame)
    if partly.any():
        # the part outside, less float noise (a thousandth of a pixel) from the reprojection
        beyond = shapely.area(shapely.difference(geoms[partly], frame))
        partly[np.flatnonzero(partly)] = beyond > _OUTSIDE_PIXELS_NOTED * abs(ds.res[0] * ds.res[1])
    if partly.any():
        share = shapely.area(shapely.difference(geoms[partly], frame)) / shapely.area(geoms[partly])
        notes.append(
            f"{int(partly.sum())} area(s) lie partly outside the raster (up to "
            f"{100 * share.max():.0f} % of an area): their parts outside count 0 persons: "
            f"{format_ids(labels[partly])}"
        )
    return notes


def _zonal_stats(ds, band: int, shapes: gpd.GeoSeries) -> pd.DataFrame:
    """exactextract over ``shapes`` (in the raster's CRS): ``sum`` and ``min`` of the valid pixels,
    ``count`` (valid pixels weighted by coverage) and ``covered`` (all pixels, nodata included,
    weighted by coverage), one row per shape in order."""
    return _exact(ds, band, shapes, ["sum", "count", "min", "covered=count(default_value=0)"])


def _exact(ds, band: int, shapes: gpd.GeoSeries, ops: list[str]) -> pd.DataFrame:
    from exactextract import exact_extract
    from exactextract.raster import RasterioRasterSource

    if not CRS(shapes.crs).equals(_raster_crs(ds)):  # pragma: no cover - callers reproject first
        raise ValueError("the shapes must be in the raster's CRS")
    many = len(shapes) >= RASTER_SEQUENTIAL_FROM
    with warnings.catch_warnings():
        # exactextract compares the CRSs' WKT text, which differs between GDAL's and PROJ's
        # spelling of the same CRS: the caller reprojected the shapes to the raster's CRS and
        # the two were compared equal just above
        warnings.filterwarnings("ignore", message=_CRS_WARNING, category=RuntimeWarning)
        stats = exact_extract(
            RasterioRasterSource(ds, band),
            _WkbFeatures(shapes.to_numpy(), ds.crs.to_wkt()),
            ops,
            include_cols=["pos"],
            strategy="raster-sequential" if many else "feature-sequential",
            output="pandas",
        )
    if len(stats) != len(shapes):  # pragma: no cover - exactextract writes one row per feature
        raise RuntimeError("exactextract returned a different number of rows than shapes")
    return stats.sort_values("pos").reset_index(drop=True)


#: from this many areas on, exactextract reads the raster chunk by chunk and finds the areas in
#: each ("raster-sequential") rather than reading each area's window ("feature-sequential"):
#: measured on a 10,000² float32 GeoTIFF, 20,000 areas of ~1,000 pixels took 2.9 s vs 8.9 s, but
#: 1,000 areas in one corner 0.7 s vs 0.3 s (raster-sequential reads more of the raster)
RASTER_SEQUENTIAL_FROM = 5_000


class _WkbFeatures(FeatureSource):
    """The shapes as exactextract features, handed over as WKB. exactextract's own GeoPandas
    source goes through a GeoJSON dict and its text per feature (7 s for 100,000 squares, more
    than the zonal sums); WKB is the form its GDAL source uses."""

    def __init__(self, geometries: np.ndarray, srs_wkt: str) -> None:
        super().__init__()
        self._wkb = shapely.to_wkb(geometries)
        self._srs_wkt = srs_wkt

    def count(self) -> int:
        return len(self._wkb)

    def __iter__(self):
        for pos, wkb in enumerate(self._wkb):
            yield _WkbFeature(wkb, pos)

    def srs_wkt(self) -> str:
        return self._srs_wkt


class _WkbFeature(JSONFeature):
    """A feature with one property, ``pos`` (its row), and its geometry as WKB."""

    def __init__(self, wkb: bytes, pos: int) -> None:
        super().__init__({"type": "Feature", "properties": {"pos": pos}})
        self._geometry = wkb

    def geometry(self) -> bytes:
        return self._geometry


#: blocks of this many pixels a side: those wholly inside the areas' union are summed as they are
BLOCK_PIXELS = 1024


def _sum_inside(ds, band: int, union: shapely.Geometry, crs: CRS) -> float:
    """The raster's exact sum inside ``union`` (in the raster's CRS), nodata as 0: blocks of
    pixels wholly inside it are summed as they are (every pixel's coverage is 1), the union's
    part in each other block by exactextract — the same figure as exactextract over the whole
    union, in a fraction of the time for a large raster."""
    from rasterio.windows import Window

    rows = range(0, ds.height, BLOCK_PIXELS)
    cols = range(0, ds.width, BLOCK_PIXELS)
    windows = [
        Window(c, r, min(BLOCK_PIXELS, ds.width - c), min(BLOCK_PIXELS, ds.height - r))
        for r in rows
        for c in cols
    ]
    # each window's corners from the geotransform (north-up: no rotation terms, checked)
    a, _, c, _, e, f = tuple(ds.transform)[:6]
    col0 = np.array([w.col_off for w in windows], dtype=float)
    row0 = np.array([w.row_off for w in windows], dtype=float)
    col1 = col0 + np.array([w.width for w in windows])
    row1 = row0 + np.array([w.height for w in windows])
    boxes = shapely.box(c + a * col0, f + e * row1, c + a * col1, f + e * row0)
    shapely.prepare(union)
    inside = shapely.covers(union, boxes)
    edge = ~inside & shapely.intersects(union, boxes)
    scale, offset = ds.scales[band - 1], ds.offsets[band - 1]
    total = 0.0
    for window in np.array(windows, dtype=object)[inside]:
        pixels = ds.read(band, window=window, masked=True).astype(np.float64)
        total += float(np.nansum(pixels.filled(np.nan) * scale + offset))
    if edge.any():
        pieces = gpd.GeoSeries(polygonal_parts(shapely.intersection(union, boxes[edge])), crs=crs)
        pieces = pieces[~pieces.is_empty]
        if len(pieces):
            total += float(_exact(ds, band, pieces, ["sum"])["sum"].sum())
    return total
