"""The tiny time-phased deployment instance of the update tests (tests/runs/test_update_phased*.py),
whose answers are known by hand.

Two 1-km areas 20 km apart (EPSG:3067), each with an existing site at its centre, crow-fly travel
at 30 km/h × 1.3: each area reaches only its own site within the 10-minute standard, and the sites
are 52 minutes apart. S1 (at A) has 150 beds, S2 (at B) none; beds are movable. Five one-day
periods from day 0; handling 1.5 days, so a shipment S1 → S2 arrives 2 periods after it leaves
(ceil((52 ÷ 1440 + 1.5) ÷ 1) = 2). Beds needed per area and period: population × 100 admissions per
1,000 a year × 5 days ÷ 365 (no surge curve: the same every period).

With ``temporary=True`` B has no site of its own but T, a temporary site that can hold 40 beds
(shipped in: beds are movable), ready the day it opens (no set-up days), for 1 (currency unit) to
open.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
from shapely.geometry import Point

import geoalloc
from tests.helpers import TINY_DEMAND, TINY_NETWORK, write_row_areas

BEDS_PER_PERSON = 100 / 1000 * 5 / 365
X_M = {"A": 0.0, "B": 20_000.0}
ORIGIN = (380_000.0, 6_670_000.0)
PERIODS = 5
SITE_BEDS = {"S1": 150.0, "S2": 0.0, "T": 40.0}
SITE_AREA = {"S1": "A", "S2": "B", "T": "B"}


def write_areas(path: Path, population: dict[str, float]) -> Path:
    return write_row_areas(path, population, X_M, ORIGIN)


def write_sites(path: Path, sites: tuple[str, ...] = ("S1", "S2")) -> Path:
    x0, y0 = ORIGIN
    gpd.GeoDataFrame(
        {
            "id": list(sites),
            "beds": [SITE_BEDS[s] for s in sites],
            "fixed_cost": [1.0 for _ in sites],
            "setup_days": [0.0 for _ in sites],
        },
        geometry=[Point(x0 + X_M[SITE_AREA[s]], y0) for s in sites],
        crs=3067,
    ).to_file(path)
    return path


def write_plan(
    folder: Path,
    write_scenario: Any,
    population: dict[str, float],
    *,
    temporary: bool = False,
    **extra: Any,
) -> Path:
    """The run folder of the instance's plan for ``population`` (areas → people), under
    ``folder``; ``extra``: more scenario sections (``deployment=DEPLOYMENT``), ``temporary``: T
    instead of S2 (the deployment's ``temporary_sites``)."""
    write_areas(folder / "areas.gpkg", population)
    write_sites(folder / "sites.gpkg", ("S1",) if temporary else ("S1", "S2"))
    if temporary:
        write_sites(folder / "temporary.gpkg", ("T",))
        extra["deployment"] = extra["deployment"] | TEMPORARY
    scenario = write_scenario(
        folder,
        name="tiny-phased",
        areas={"path": "areas.gpkg", "id": "id", "population": "pop"},
        facilities={"path": "sites.gpkg", "id": "id", "capacity": {"beds": "beds"}},
        network=TINY_NETWORK,
        demand=TINY_DEMAND,
        optimize={"model": "capacitated", "max_minutes": 10, "mip_gap": 0.0, "time_limit_s": 30}
        | ({"unmet_penalty_minutes": 1000, "cost_weight": 0.001} if extra else {}),
        **extra,
    )
    geoalloc.run(scenario).write(folder / "run")
    return folder / "run"


DEPLOYMENT = {
    "period_days": 1,
    "periods": PERIODS,
    "handling_days": 1.5,
    "movable": [{"resource": "beds", "cost_per_unit": 1.0}],
}
#: the deployment's temporary site T (``write_plan(..., temporary=True)``)
TEMPORARY = {
    "temporary_sites": "temporary.gpkg",
    "fixed_cost_column": "fixed_cost",
    "setup_days_column": "setup_days",
}
