"""Population per area from what a planner has, conserving the total, each result labelled.

Four sources, one result type (:class:`PopulationEstimate`: persons per area, age bands when the
source has them, the source's own total over the same extent, and notes):

- :func:`raster_population` — a raster of counts (WorldPop, GHSL, Kontur, national grids): exact
  fractional-coverage zonal sums (exactextract), the areas reprojected to the raster's CRS, the
  raster never resampled;
- :func:`census_population` — census polygons with a count column, by area-weighted interpolation
  in an equal-area CRS (counts only);
- :func:`points_population` — points or a finer grid, each point in the area holding it (out of
  core for large files);
- :func:`buildings_population` — last resort: an ESTIMATE from OSM buildings' floor area
  (``measured=False``), to replace with a measured source.

The implementations live with the other input readers in :mod:`geoalloc.inputs` (the scenario
file's ``[areas] population_raster`` / ``population_census`` / ``population_points`` use them too).
"""

from __future__ import annotations

from geoalloc.inputs.population_buildings import (
    FLOOR_M2_PER_RESIDENT,
    building_residents,
    buildings_population,
)
from geoalloc.inputs.population_census import census_population
from geoalloc.inputs.population_estimate import PopulationEstimate, equal_area_crs
from geoalloc.inputs.population_points import points_population
from geoalloc.inputs.population_raster import raster_population

__all__ = [
    "FLOOR_M2_PER_RESIDENT",
    "PopulationEstimate",
    "building_residents",
    "buildings_population",
    "census_population",
    "equal_area_crs",
    "points_population",
    "raster_population",
]
