"""Travel minutes for a run: from each area's trip origin to each site, as the scenario asks."""

from __future__ import annotations

from collections.abc import Callable

import geopandas as gpd
import pandas as pd

from geoalloc._errors import InputError
from geoalloc.scenario import Scenario
from geoalloc.travel import RoadClosures, compute_matrix, default_cache_dir
from geoalloc.travel.matrix import TravelMatrix

#: travel times are computed up to this multiple of the standard, so that the baseline minutes of
#: areas beyond the standard are still known (and reported) rather than cut off.
HORIZON_FACTOR = 3.0


def routing_options(scenario: Scenario) -> dict:
    """``[compute]`` for the routing; left unset, large jobs run on local processes ("auto")."""
    options = scenario.compute.map_options()
    if "executor" not in scenario.compute.model_fields_set:
        options["executor"] = "auto"
    return options


def horizon_minutes(scenario: Scenario) -> float | None:
    """How far travel is computed: ``HORIZON_FACTOR`` × the standard, or ``[access]
    max_minutes`` when that reaches farther (None: no cut-off)."""
    standard = scenario.optimize.max_minutes
    if standard is None:
        return None
    horizon = standard * HORIZON_FACTOR
    catchment = scenario.access.max_minutes if scenario.access is not None else None
    return max(horizon, catchment) if catchment is not None else horizon


def site_points(facilities: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The sites as points in EPSG:4326, indexed by site id."""
    return gpd.GeoDataFrame(geometry=facilities.geometry.to_crs(4326), index=facilities.index)


def travel_matrix_for(
    scenario: Scenario,
    area_points: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    *,
    closures: RoadClosures | None = None,
    min_horizon: float | None = None,
) -> TravelMatrix:
    """Travel minutes from every area's trip origin to every site, up to the horizon, as the
    scenario's ``[network]``, ``[outage]`` and ``[compute]`` ask (cached on disk).

    Parameters
    ----------
    scenario
        The run's scenario.
    area_points
        One point per area (EPSG:4326), indexed by area id.
    sites
        The sites (any CRS, points or polygons' representative points), indexed by site id.
    closures
        Roads cut or slowed by ``[outage] road_closures``.
    min_horizon
        Minutes the horizon must reach at least (``geoalloc robust``: the standard divided by
        the slowest speed factor, so that one matrix serves every draw); default: the horizon.
    """
    horizon = horizon_minutes(scenario)
    if horizon is not None and min_horizon is not None:
        horizon = max(horizon, min_horizon)
    return compute_matrix(
        scenario.network,
        area_points,
        site_points(sites),
        max_minutes=horizon,
        cache_dir=default_cache_dir(),
        closures=closures,
        **routing_options(scenario),
    )


def od_table(matrix: TravelMatrix) -> pd.DataFrame:
    """The long table ``area``, ``site``, ``minutes`` of a matrix from areas to sites."""
    return matrix.to_long().rename(columns={"origin": "area", "destination": "site"})


def origin_flags(matrix: TravelMatrix) -> pd.Series:
    """Per area id, why its trip origin could not be routed (snapped far, island …)."""
    flags = matrix.flags
    return flags[flags["role"] == "origin"].drop_duplicates("id").set_index("id")["reason"]


def check_travel_table(scenario: Scenario, read: Callable[[], TravelMatrix]) -> TravelMatrix:
    """``read()`` the scenario's travel table, its problems reported as the inputs' problems."""
    try:
        return read()
    except InputError as exc:
        header = f"scenario {scenario.name!r}: {len(exc.problems)} problem(s) in the inputs"
        raise InputError(exc.problems, header=header) from None
