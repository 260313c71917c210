"""The ``[access]`` output of a planning run: an accessibility index per area (``geoalloc.access``)
for the baseline (today's capacity) and the plan (the capacity after the plan), as columns of the
``areas`` layer and a ``summary["access"]`` block: distribution, worst-off areas, zero access and
the same by equity group."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from geoalloc._validate import Problems
from geoalloc.access import PER_PEOPLE, AccessIndex, access_index
from geoalloc.access.options import AccessOptions
from geoalloc.demand import planned_resources
from geoalloc.inputs.read import check_persons_column
from geoalloc.runs.evaluate import weighted_quantile
from geoalloc.scenario import Scenario
from geoalloc.travel.matrix import TravelMatrix

#: how many of the worst-off areas the summary lists
WORST_AREAS = 10

METHOD_NAMES = {
    "2sfca": "two-step floating catchment area (2SFCA; Luo & Wang 2003)",
    "e2sfca": "enhanced two-step floating catchment area (E2SFCA; Luo & Qi 2009)",
    "bfca": "balanced floating catchment area (BFCA; Páez, Higgins & Vivona 2019)",
    "gravity": "gravity index with demand adjustment (Joseph & Bantock 1982)",
}


def access_resource(scenario: Scenario, options: AccessOptions) -> str:
    """The resource whose supply the index counts (default: the primary resource)."""
    return options.resource or planned_resources(scenario.demand)[0]


def catchment_minutes(scenario: Scenario) -> float | None:
    """The index's catchment: ``[access] max_minutes``, else ``[optimize] max_minutes``."""
    options = scenario.access
    if options is None:
        return None
    return options.max_minutes if options.max_minutes is not None else scenario.optimize.max_minutes


def check_access_inputs(
    scenario: Scenario, areas: gpd.GeoDataFrame | None, problems: Problems
) -> None:
    """What ``[access]`` names must exist: a planned resource, an areas column of persons, and a
    catchment."""
    options = scenario.access
    if options is None:
        return
    planned = planned_resources(scenario.demand)
    if options.resource is not None and options.resource not in planned:
        problems.add(
            "[access] resource",
            f"{options.resource!r} is not a resource the plan allocates",
            f"use one of {', '.join(planned)} (the [demand] resources)",
        )
    if catchment_minutes(scenario) is None:
        problems.add(
            "[access] max_minutes",
            "no catchment: neither [access] max_minutes nor [optimize] max_minutes is set",
            "set [access] max_minutes (minutes, e.g. 30)",
        )
    column = options.population_column
    if areas is not None and column is not None:
        if column not in areas.columns:
            problems.add(
                "[access] population_column",
                f"column {column!r} is not in the areas file",
                f"columns are: {', '.join(c for c in areas.columns if c != 'geometry')}",
            )
        else:
            check_persons_column(areas, column, "[access] population_column", problems)


def add_access(
    scenario: Scenario,
    areas: gpd.GeoDataFrame,
    needs: pd.DataFrame,
    travel: pd.DataFrame | TravelMatrix,
    layers: dict[str, gpd.GeoDataFrame],
) -> dict:
    """Compute ``[access]``'s index for the baseline and the plan, add the columns
    ``baseline_access_<method>`` and ``access_<method>``, the sites in reach of each
    (``baseline_access_sites_in_reach``, ``access_sites_in_reach``) and the people the index is
    weighted by (``access_population``) to the ``areas`` layer, and return the
    ``summary["access"]`` block.

    Parameters
    ----------
    scenario
        A planning scenario with an ``[access]`` section.
    areas
        The run's input areas, indexed by id (population and the ``population_column``).
    needs
        Per area id, the units of each resource needed (for ``demand = "needs"``).
    travel
        The run's travel matrix from the areas to the sites (or its long table ``area``,
        ``site``, ``minutes``), at least as far as the catchment.
    layers
        The run's layers: ``facilities`` has ``<resource>_before`` (today) and
        ``<resource>_after`` (the plan); ``areas`` gets the new columns.
    """
    options = scenario.access
    assert options is not None
    resource = access_resource(scenario, options)
    max_minutes = catchment_minutes(scenario)
    decay = options.decay_function()
    persons = areas[options.population_column or scenario.areas.population].astype(float)
    if options.demand == "needs":
        demand = needs[resource].reindex(areas.index).fillna(0.0).astype(float)
        per, units = 1.0, f"{resource} per unit of {resource} needed"
        weights = areas[scenario.areas.population].astype(float)
    else:
        demand, per = persons, PER_PEOPLE
        who = f" ({options.population_column})" if options.population_column else ""
        units, weights = f"{resource} per 1,000 people{who}", persons
    sites = layers["facilities"].set_index("site_id")
    supplies = {
        "baseline": sites[f"{resource}_before"].astype(float),
        "plan": sites[f"{resource}_after"].where(sites["open"], 0.0).astype(float),
    }
    layer = layers["areas"]
    area_ids = layer["area_id"]
    names = layer.set_index("area_id")["name"] if "name" in layer.columns else None
    group_column = scenario.optimize.equity_group_column
    groups = layer.set_index("area_id")[group_column] if group_column else None
    column = f"access_{options.method}"
    block: dict = {
        "method": options.method,
        "method_name": METHOD_NAMES[options.method],
        "resource": resource,
        "demand": options.demand,
        "population_column": options.population_column,
        "units": units,
        "per": per,
        "max_minutes": max_minutes,
        "cut_off": "inclusive",
        "decay": decay.as_dict(),
        "decay_text": decay.describe(),
        "columns": {"baseline": f"baseline_{column}", "plan": column},
    }
    layer["access_population"] = weights.reindex(area_ids).to_numpy()
    for which, supply in supplies.items():
        index = access_index(
            travel, demand, supply, method=options.method, max_minutes=max_minutes, decay=decay
        )
        values = (index.ratio * per).reindex(area_ids)
        prefix = "baseline_" if which == "baseline" else ""
        layer[f"{prefix}{column}"] = values.to_numpy()
        layer[f"{prefix}access_sites_in_reach"] = index.sites_in_reach.reindex(area_ids).to_numpy()
        block[which] = distribution(values, index, weights.reindex(area_ids), names, groups)
    return block


def distribution(
    values: pd.Series,
    index: AccessIndex,
    weights: pd.Series,
    names: pd.Series | None = None,
    groups: pd.Series | None = None,
) -> dict:
    """Population-weighted figures of an index per area: mean, p10/median/p90, min/max, the
    share of people with zero access, the worst-off areas and, with ``groups``, per group."""
    v = values.to_numpy(dtype=float)
    w = weights.to_numpy(dtype=float)
    total = float(w.sum())
    zero = v <= 0
    out: dict = {
        "population": total,
        "mean": float(np.average(v, weights=w)) if total > 0 else float("nan"),
        "p10": weighted_quantile(v, w, 0.10),
        "median": weighted_quantile(v, w, 0.50),
        "p90": weighted_quantile(v, w, 0.90),
        "min": float(v.min()) if len(v) else float("nan"),
        "max": float(v.max()) if len(v) else float("nan"),
        "zero_population": float(w[zero].sum()),
        "zero_share": float(w[zero].sum() / total) if total > 0 else float("nan"),
        "nothing_in_reach_areas": int((index.sites_in_reach.reindex(values.index) == 0).sum()),
    }
    people = pd.DataFrame(
        {"area_id": values.index, "value": v, "population": w}, index=values.index
    )
    people = people[people["population"] > 0]
    worst = people.sort_values(["value", "population"], ascending=[True, False]).head(WORST_AREAS)
    out["worst_areas"] = [
        {
            "area_id": str(row.area_id),
            **({"name": str(names.get(row.area_id, ""))} if names is not None else {}),
            "population": float(row.population),
            "value": float(row.value),
            "sites_in_reach": int(index.sites_in_reach.get(row.area_id, 0)),
        }
        for row in worst.itertuples()
    ]
    if groups is not None:
        frame = people.assign(group=groups.reindex(people.index).astype(str).to_numpy())
        out["by_group"] = {
            str(group): {
                "population": float(part["population"].sum()),
                "mean": float(np.average(part["value"], weights=part["population"])),
                "zero_share": float(
                    part.loc[part["value"] <= 0, "population"].sum() / part["population"].sum()
                ),
            }
            for group, part in frame.groupby("group", sort=True)
        }
    return out
