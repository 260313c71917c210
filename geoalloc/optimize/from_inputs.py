"""Turn validated inputs (areas' needs, facilities, OD pairs) into an :class:`AllocationProblem`."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from geoalloc._validate import Problems
from geoalloc.optimize.options import OptimizeOptions
from geoalloc.optimize.problem import AllocationProblem


def problem_from_inputs(
    needs: pd.DataFrame,
    population: pd.Series,
    facilities: gpd.GeoDataFrame,
    od: pd.DataFrame,
    *,
    resources: list[str],
    groups: pd.Series | None = None,
    options: OptimizeOptions | None = None,
    priority: pd.Series | None = None,
) -> AllocationProblem:
    """Build the problem from the pipeline's tables.

    Parameters
    ----------
    needs
        Index: area id. Must hold a column per resource (units needed).
    population
        Index: area id. Persons.
    facilities
        Index: site id. A column per resource (capacity) and a boolean ``existing`` column; plus the
        cost/size columns named in ``options`` (``opening_cost_column``, ``operating_cost_column``,
        ``max_size_columns``).
    od
        Long table ``area``, ``site``, ``minutes`` of the feasible pairs.
    resources
        The resources to plan, in order; the first is the primary one.
    groups
        Optional. Index: area id. Equity group per area (the areas' ``equity_group_column``).
    options
        Optional ``[optimize]`` section, to read the facility cost/size columns it names.
    priority
        Optional. Index: area id. Weight on each area's unmet-demand penalty (capacitated model).
    """
    problems = Problems()
    missing = [r for r in resources if r not in needs.columns]
    if missing:
        problems.add(
            "needs",
            f"no column for resource(s) {missing}",
            "compute demand for every planned resource",
        )
    missing = [r for r in resources if r not in facilities.columns]
    if missing:
        problems.add(
            "facilities",
            f"no capacity column for resource(s) {missing}",
            "add one column per resource (0 where none)",
        )
    if "existing" not in facilities.columns:
        problems.add(
            "facilities", "no 'existing' column", "flag existing sites true and candidates false"
        )
    wanted: dict[str, str] = {}
    if options is not None:
        for key in ("opening_cost_column", "operating_cost_column"):
            col = getattr(options, key)
            if col is not None:
                wanted[key] = col
        for r, col in options.max_size_columns.items():
            wanted[f"max_size_columns.{r}"] = col
    for key, col in wanted.items():
        if col not in facilities.columns:
            problems.add(
                "facilities",
                f"[optimize] {key} = {col!r} is not a column",
                f"columns are {list(facilities.columns)}",
            )
    problems.raise_if_any("the optimisation inputs are invalid")

    areas = needs.index.sort_values()
    sites = facilities.index.sort_values()

    def site_col(col: str | None) -> pd.Series | None:
        if col is None:
            return None
        return pd.to_numeric(facilities.loc[sites, col], errors="coerce").astype(float)

    max_size = None
    if options is not None and options.max_size_columns:
        max_size = pd.DataFrame(
            {r: site_col(col) for r, col in options.max_size_columns.items()}, index=sites
        )
    return AllocationProblem(
        demand=needs.loc[areas, resources].astype(float),
        population=population.reindex(areas).astype(float),
        capacity=pd.DataFrame(facilities.loc[sites, resources]).astype(float),
        existing=facilities.loc[sites, "existing"].astype(bool),
        od=od.sort_values(["area", "site"]).reset_index(drop=True),
        groups=None if groups is None else groups.reindex(areas),
        priority=None if priority is None else priority.reindex(areas),
        opening_cost=site_col(options.opening_cost_column) if options is not None else None,
        operating_cost=site_col(options.operating_cost_column) if options is not None else None,
        max_size=max_size,
    )
