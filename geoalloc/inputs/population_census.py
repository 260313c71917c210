"""Population per area from census polygons (tracts, blocks, enumeration areas) with a count column,
by area-weighted interpolation onto areas that do not match them.

Each census polygon's count is shared among the areas it overlaps in proportion to the overlap's
share of the polygon's area (the persons are taken as spread evenly over the polygon): an area gets
``Σ count_i × area(polygon_i ∩ area) / area(polygon_i)``. The part of a polygon that no area covers
keeps its share, outside, so the areas' total is the census total of the parts they overlap.
Areas are measured in a Lambert azimuthal equal-area CRS centred on the areas, so shares are shares
of real ground. Only *extensive* variables (counts of persons: they add up over space) may be
interpolated so; rates, densities and medians may not.
"""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoalloc._errors import InputError
from geoalloc._validate import file_problem, format_ids
from geoalloc.inputs.population_estimate import (
    POLYGONS,
    PopulationEstimate,
    area_labels,
    check_areas,
    equal_area_crs,
    no_bands,
    repaired_polygons,
)

log = logging.getLogger(__name__)

_TOTAL = "\0total"
#: census polygons smaller than this (m²) are slivers or collapsed rings, not places where people
#: live: their persons count whole at a point (noted) instead of being shared by area
MIN_POLYGON_M2 = 1.0
#: census polygons overlapping each other by more than this share of their area are noted
OVERLAP_SHARE_NOTED = 0.001


def census_population(
    source: Path | gpd.GeoDataFrame,
    column: str,
    areas: gpd.GeoDataFrame,
    *,
    layer: str | None = None,
    band_columns: dict[str, str] | None = None,
) -> PopulationEstimate:
    """Persons per area by area-weighted interpolation of a census count column.

    Each census polygon's count is shared among the areas it overlaps in proportion to the
    overlap's share of the polygon's area (persons taken as spread evenly within a polygon);
    the share of a polygon that no area covers stays outside. Areas and polygons are measured
    in a Lambert azimuthal equal-area CRS centred on the areas
    (:func:`~geoalloc.inputs.population_estimate.equal_area_crs`). This is tobler's
    ``area_interpolate(..., extensive_variables=[column], allocate_total=False)``, computed with
    shapely on the intersecting pairs only. Counts of persons only (extensive variables): a
    rate, a density or a median cannot be shared by area.

    Parameters
    ----------
    source
        A vector file (any format GeoPandas reads) or a GeoDataFrame of polygons with a CRS.
    column
        The count column of ``source`` (persons; numbers ≥ 0, no empty cells).
    areas
        The target polygons (valid, non-empty), any CRS, indexed by id.
    layer
        The layer of ``source`` (a GeoPackage with several).
    band_columns
        Age bands: ``{band column: source count column}``, each interpolated the same way into
        ``bands[band column]``.

    Returns
    -------
    PopulationEstimate
        ``method="census"``; ``source_total`` is the census total of the parts of the polygons
        the areas overlap (their union), equal to the areas' sum when the areas do not overlap.

    Raises
    ------
    InputError
        The file is missing or unreadable, has no CRS or no rows, holds no polygons, lacks the
        column, or the column is not a count (not a number, empty, negative or infinite — the
        rows are named); no census polygon overlaps any area.
    """
    areas = check_areas(areas)
    labels = area_labels(areas)
    frame, name = _read_source(source, layer)
    band_columns = dict(band_columns or {})
    # the total under a key no band column can take
    wanted = {_TOTAL: column} | {f"band {k}": v for k, v in band_columns.items()}
    values = _counts(frame, wanted, name)
    notes: list[str] = []
    geometry = _polygons(frame, name, notes)
    crs = equal_area_crs(areas.geometry)
    projected = geometry.to_crs(crs).to_numpy()
    rows = pd.Index([f"row {i}" for i in range(len(projected))])
    sources = _repaired(projected, f"polygon(s) of {name}", rows, notes)
    targets = _repaired(areas.geometry.to_crs(crs).to_numpy(), "area(s)", labels, notes)
    tiny = shapely.area(sources) < MIN_POLYGON_M2
    tree = shapely.STRtree(targets)
    src, tgt, share, covered_share = _area_shares(sources, targets, tree, tiny)
    if not len(src):
        minx, miny, maxx, maxy = areas.geometry.to_crs(4326).total_bounds
        msg = (
            f"{name}: no census polygon overlaps the areas (areas at lon {minx:.3f}…{maxx:.3f}, "
            f"lat {miny:.3f}…{maxy:.3f}) — give the census polygons of the areas' region, or "
            "check both CRSs"
        )
        raise InputError(msg)
    notes += _overlap_notes(src, tgt, share, sources, targets, name)
    if tiny.any():
        notes.append(_tiny_note(tiny, values[_TOTAL], name))
    n = len(areas)
    interpolated = {
        key: np.bincount(tgt, weights=share * values[key].to_numpy()[src], minlength=n)
        for key in wanted
    }
    counts = values[_TOTAL].to_numpy()
    source_total = float((counts * covered_share).sum())
    notes.append(
        f"{name} holds {counts.sum():,.0f} persons in {column!r}; {source_total:,.0f} of them in "
        "the parts of its polygons that the areas cover"
    )
    partly = (covered_share > 0) & (covered_share < 1 - 1e-9)
    if partly.any():
        notes.append(
            f"{int(partly.sum())} census polygon(s) lie partly outside the areas: only the share "
            "of their persons on the areas' side counts (by area)"
        )
    missed = np.bincount(tgt, weights=share, minlength=n) <= 0
    if missed.any():
        notes.append(
            f"{int(missed.sum())} area(s) overlap no census polygon and have 0 persons: "
            f"{format_ids(labels[missed])}"
        )
    totals = pd.Series(interpolated[_TOTAL], index=areas.index, name="population")
    bands = no_bands(areas.index)
    for key in band_columns:
        bands[key] = interpolated[f"band {key}"]
    how = (
        f"{name} column {column!r}, area-weighted interpolation of counts (each polygon's "
        "persons shared by the share of its area in each area, measured in an equal-area CRS)"
    )
    if band_columns:
        how += "; age bands " + ", ".join(f"{k} from {v!r}" for k, v in band_columns.items())
    log.info("census %s: %.0f persons into %d areas", name, totals.sum(), n)
    return PopulationEstimate(
        totals=totals,
        bands=bands,
        method="census",
        source=how,
        measured=True,
        source_total=source_total,
        notes=tuple(notes),
    )


def _read_source(
    source: Path | gpd.GeoDataFrame, layer: str | None
) -> tuple[gpd.GeoDataFrame, str]:
    if isinstance(source, gpd.GeoDataFrame):
        frame, name = source, "the census GeoDataFrame"
    else:
        path = Path(source)
        name = path.name
        why = file_problem(path, directory_ok=True)
        if why is not None:
            what = "census file not found" if why == "not found" else f"the census path is {why}"
            raise InputError(f"{path}: {what} — check the path")
        try:
            frame = gpd.read_file(path, layer=layer)
        except Exception as exc:  # pyogrio raises several types; all mean "cannot read this file"
            where = f" layer {layer!r}" if layer else ""
            msg = f"{path}: cannot read{where}: {exc} — give a vector file GeoPandas reads"
            raise InputError(msg) from None
    if len(frame) == 0:
        raise InputError(f"{name}: no rows — give the census polygons with their counts")
    if frame.crs is None:
        msg = f"{name}: no CRS — set the CRS of the census polygons (their source names it)"
        raise InputError(msg)
    return frame, name


def _counts(frame: gpd.GeoDataFrame, wanted: dict[str, str], name: str) -> dict[str, pd.Series]:
    """Each wanted column as float counts; every missing column and every row that is not a count
    (not a number, empty, negative, infinite) is one problem, all raised together."""
    problems = []
    values = {}
    found = ", ".join(str(c) for c in frame.columns if c != frame.geometry.name)
    for key, column in wanted.items():
        if column not in frame.columns:
            problems.append(f"{name}: no column {column!r} — columns are: {found}")
            continue
        raw = frame[column]
        numbers = pd.to_numeric(raw, errors="coerce").astype(float).reset_index(drop=True)
        for bad, what in (
            (raw.isna().to_numpy(), "is empty"),
            (numbers.isna().to_numpy() & raw.notna().to_numpy(), "is not a number"),
            ((numbers < 0).to_numpy(), "is negative, not a count"),
            (np.isinf(numbers.to_numpy()), "is infinite"),
        ):
            if bad.any():
                problems.append(
                    f"{name}: column {column!r} {what} in rows {format_ids(np.flatnonzero(bad))} "
                    "(0-based) — give counts of persons (0 where none)"
                )
        values[key] = numbers
    if problems:
        raise InputError(problems)
    return values


def _polygons(frame: gpd.GeoDataFrame, name: str, notes: list[str]) -> gpd.GeoSeries:
    """The census geometry: polygons only (else an error naming the rows), empty ones as an empty
    polygon."""
    geometry = frame.geometry.reset_index(drop=True)
    present = ~(geometry.isna() | geometry.is_empty).to_numpy()
    wrong = present & ~geometry.geom_type.isin(POLYGONS).to_numpy()
    if wrong.any():
        kinds = sorted(set(geometry.geom_type[wrong]))
        msg = (
            f"{name}: census counts are shared by area, so the layer must hold polygons; found "
            f"{', '.join(kinds)} in rows {format_ids(np.flatnonzero(wrong))} (0-based) — for "
            "points or grid cells counted at their centre use population points instead"
        )
        raise InputError(msg)
    return geometry.where(present, shapely.Polygon())


def _area_shares(
    sources: np.ndarray, targets: np.ndarray, tree: shapely.STRtree, tiny: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The (polygon, area) pairs that share ground, with the share of the polygon's area in the
    area, and each polygon's share of its area inside the areas' union (polygons under
    :data:`MIN_POLYGON_M2` left out: see :func:`_tiny_note`)."""
    src, tgt = tree.query(sources, predicate="intersects")
    keep = ~tiny[src]
    src, tgt = src[keep], tgt[keep]
    source_m2 = shapely.area(sources)
    overlap_m2 = shapely.area(shapely.intersection(sources[src], targets[tgt]))
    real = overlap_m2 > 0
    src, tgt, overlap_m2 = src[real], tgt[real], overlap_m2[real]
    share = overlap_m2 / source_m2[src]
    union = shapely.union_all(targets)
    shapely.prepare(union)
    covered_share = np.zeros(len(sources))
    hit = np.unique(src)
    covered_share[hit] = shapely.area(shapely.intersection(sources[hit], union)) / source_m2[hit]
    return src, tgt, share, covered_share


def _overlap_notes(
    src: np.ndarray,
    tgt: np.ndarray,
    share: np.ndarray,
    sources: np.ndarray,
    targets: np.ndarray,
    name: str,
) -> list[str]:
    """A note when census polygons overlap each other: inside an area they then cover more
    ground than the area has."""
    overlap_m2 = share * shapely.area(sources)[src]
    covered_m2 = np.bincount(tgt, weights=overlap_m2, minlength=len(targets))
    twice = np.maximum(covered_m2 - shapely.area(targets), 0.0).sum() / overlap_m2.sum()
    if twice <= OVERLAP_SHARE_NOTED:
        return []
    return [
        f"the polygons of {name} overlap each other ({100 * twice:.1f} % of the ground they "
        "share with the areas is covered twice or more): persons there are counted once per "
        "polygon — check that the layer holds one level of geography"
    ]


def _tiny_note(tiny: np.ndarray, counts: pd.Series, name: str) -> str:
    """Census polygons without real area (under :data:`MIN_POLYGON_M2`) cannot share their persons
    by area: they are left out, loudly (a polygon clipped to a boundary that kept the whole
    polygon's count looks like this: slivers along the boundary)."""
    rows = np.flatnonzero(tiny)
    persons = float(counts.to_numpy()[rows].sum())
    text = (
        f"{len(rows)} polygon(s) of {name} have no real area (under {MIN_POLYGON_M2:g} m²: "
        f"slivers or collapsed rings), so their {persons:,.0f} persons cannot be shared by area "
        f"and are left out: rows {format_ids(rows)} (0-based) — repair their geometry (a polygon "
        "clipped to a boundary that kept the whole polygon's count looks like this)"
    )
    if persons > 0:
        log.warning("%s", text)
    return text


def _repaired(geometries: np.ndarray, what: str, ids: pd.Index, notes: list[str]) -> np.ndarray:
    """``geometries`` with the invalid ones repaired, noted."""
    fixed, invalid = repaired_polygons(geometries)
    if invalid.any():
        notes.append(
            f"{int(invalid.sum())} {what} invalid in the equal-area CRS (self-intersecting, or a "
            "ring collapsed by rounding) repaired with shapely.make_valid: "
            f"{format_ids(ids[invalid])}"
        )
    return fixed
