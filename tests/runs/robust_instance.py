"""A tiny robust-planning instance with a known answer per draw (for tests/runs/test_robust*.py).

Three 1-km areas 20 km apart (EPSG:3067), each with a site at its centre; crow-fly travel, so each
area reaches only its own site within the 10-minute standard (and the slowest speed factor):

- A (10,000 people) and C (10,000) with sites S1 (existing) and S3 (candidate) of 1,000 beds;
- B (20,000 people) with site S2 (existing) of exactly B's base need in beds.

With ``p = 2`` the plan keeps S2 (B's need is the largest) and the one of S1 / S3 whose area needs
more in that draw, i.e. whose population factor is larger: admission, LOS and speed factors are
region-wide and cancel. B is served within the standard in a draw when its need is at most
S2's beds ÷ (1 − coverage_tolerance).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
from shapely.geometry import Point, box

#: beds per person of the instance: 100 admissions per 1,000 a year × 5 days ÷ 365 ÷ occupancy 1
BEDS_PER_PERSON = 100 / 1000 * 5 / 365
POPULATION = {"A": 10_000.0, "B": 20_000.0, "C": 10_000.0}
X_M = {"A": 0.0, "B": 20_000.0, "C": 40_000.0}
SITE_BEDS = {"S1": 1000.0, "S2": POPULATION["B"] * BEDS_PER_PERSON, "S3": 1000.0}
#: a second population column, ``pop_other``: this share of ``pop`` per area
ALTERNATIVE_SHARE = {"A": 1.0, "B": 1.0, "C": 3.0}
SITE_AREA = {"S1": "A", "S2": "B", "S3": "C"}
ORIGIN = (380_000.0, 6_670_000.0)  # southern Finland, EPSG:3067


def write_instance(
    folder: Path, write_scenario, *, robustness: dict | None = None, **extra
) -> Path:
    """Write the areas, the sites and the scenario file into ``folder``; the scenario's path."""
    x0, y0 = ORIGIN
    areas = gpd.GeoDataFrame(
        {
            "id": list(POPULATION),
            "pop": list(POPULATION.values()),
            "pop_other": [POPULATION[a] * ALTERNATIVE_SHARE[a] for a in POPULATION],
        },
        geometry=[box(x0 + x - 500, y0 - 500, x0 + x + 500, y0 + 500) for x in X_M.values()],
        crs=3067,
    )
    sites = gpd.GeoDataFrame(
        {
            "id": list(SITE_BEDS),
            "beds": list(SITE_BEDS.values()),
            "candidate": [False, False, True],
        },
        geometry=[Point(x0 + X_M[SITE_AREA[s]], y0) for s in SITE_BEDS],
        crs=3067,
    )
    areas.to_file(folder / "areas.gpkg")
    sites.to_file(folder / "sites.gpkg")
    sections = {
        "areas": {"path": "areas.gpkg", "id": "id", "population": "pop"},
        "facilities": {
            "path": "sites.gpkg",
            "id": "id",
            "capacity": {"beds": "beds"},
            "candidate": "candidate",
        },
        "network": {"source": "crowfly", "speed_kph": 30, "circuity": 1.3},
        "demand": {
            "resource": "beds",
            "admissions_per_1000": {"all": 100.0},
            "los_days": 5.0,
            "occupancy_target": 1.0,
        },
        "optimize": {"model": "capacitated", "p": 2, "max_minutes": 10, "time_limit_s": 30},
    }
    sections |= extra
    if robustness is not None:
        sections["robustness"] = robustness
    return write_scenario(folder, name="tiny-robust", **sections)
