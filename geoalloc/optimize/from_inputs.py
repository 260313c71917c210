"""Turn validated inputs (areas' needs, facilities, OD pairs) into an :class:`AllocationProblem`."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from geoalloc.optimize.problem import AllocationProblem


def problem_from_inputs(
    needs: pd.DataFrame,
    population: pd.Series,
    facilities: gpd.GeoDataFrame,
    od: pd.DataFrame,
    *,
    resources: list[str],
) -> AllocationProblem:
    """Build the problem from the pipeline's tables.

    Parameters
    ----------
    needs
        Index: area id. Must hold a column per resource (units needed).
    population
        Index: area id. Persons.
    facilities
        Index: site id. A column per resource (capacity) and a boolean ``existing`` column.
    od
        Long table ``area``, ``site``, ``minutes`` of the feasible pairs.
    resources
        The resources to plan, in order; the first is the primary one.
    """
    areas = needs.index.sort_values()
    sites = facilities.index.sort_values()
    return AllocationProblem(
        demand=needs.loc[areas, resources].astype(float),
        population=population.reindex(areas).astype(float),
        capacity=pd.DataFrame(facilities.loc[sites, resources]).astype(float),
        existing=facilities.loc[sites, "existing"].astype(bool),
        od=od.sort_values(["area", "site"]).reset_index(drop=True),
    )
