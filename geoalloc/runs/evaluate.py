"""KPIs of a baseline and a plan: coverage, travel minutes, utilisation, unmet demand, equity.

The *baseline* is today's behaviour: every area goes to its nearest existing site, so a site's load
can exceed its capacity (utilisation above 1). Unmet in the baseline is what today's sites cannot
take: the demand of areas with no existing site within the travel standard, plus each overloaded
site's demand above its capacity, shared among its areas in proportion to what they bring — the
same meaning as the plan's unmet demand, so the two compare. The *plan* is the optimizer's
allocation.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoalloc.optimize.problem import Allocation

TOLERANCE = 1e-6


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The ``q`` quantile (0–1) of ``values`` weighted by ``weights`` (inverted CDF); NaN if empty."""
    keep = weights > 0
    values, weights = values[keep], weights[keep]
    if len(values) == 0:
        return float("nan")
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weights[order])
    index = int(np.searchsorted(cumulative, q * cumulative[-1], side="left"))
    return float(values[order][min(index, len(values) - 1)])


def weighted_gini(values: np.ndarray, weights: np.ndarray) -> float:
    """Gini coefficient of ``values`` with population ``weights`` (0 = everybody equal)."""
    keep = weights > 0
    values, weights = values[keep], weights[keep]
    if len(values) == 0 or values.sum() == 0:
        return 0.0
    order = np.argsort(values, kind="stable")
    values, weights = values[order], weights[order]
    share_pop = weights / weights.sum()
    share_val = values * weights / (values * weights).sum()
    cum_val = np.cumsum(share_val)
    lorenz_area = np.sum(share_pop * (cum_val - share_val / 2))
    return float(1 - 2 * lorenz_area)


def nearest_minutes(od: pd.DataFrame, areas: pd.Index, sites: pd.Index) -> pd.DataFrame:
    """Per area: the nearest of ``sites`` in ``od`` (``site``, ``minutes``; inf and None if none)."""
    pairs = od[od["site"].isin(sites)]
    best = pairs.sort_values(["area", "minutes", "site"]).drop_duplicates("area").set_index("area")
    result = pd.DataFrame(index=areas)
    result["site"] = best["site"].reindex(areas)
    result["minutes"] = best["minutes"].reindex(areas).fillna(np.inf)
    return result


def access_kpis(minutes: pd.Series, population: pd.Series, max_minutes: float | None) -> dict:
    """Population-weighted access KPIs of travel ``minutes`` per area (inf = no site in reach)."""
    pop = population.reindex(minutes.index).to_numpy(dtype=float)
    mins = minutes.to_numpy(dtype=float)
    reachable = np.isfinite(mins)
    total = float(pop.sum())
    covered = (
        float(pop[mins <= max_minutes].sum())
        if max_minutes is not None
        else float(pop[reachable].sum())
    )
    values, weights = mins[reachable], pop[reachable]
    worst = float("nan")
    if weights.sum() > 0:
        order = np.argsort(-values, kind="stable")
        cum = np.cumsum(weights[order])
        take = cum <= 0.1 * weights.sum()
        take[np.argmax(~take)] = True  # include the row that crosses the decile boundary
        worst = float(np.average(values[order][take], weights=weights[order][take]))
    return {
        "population": total,
        "covered_population": covered,
        "covered_pct": 100.0 * covered / total if total else float("nan"),
        "unreachable_population": float(pop[~reachable].sum()),
        "minutes_mean": float(np.average(values, weights=weights))
        if weights.sum()
        else float("nan"),
        "minutes_p50": weighted_quantile(values, weights, 0.5),
        "minutes_p90": weighted_quantile(values, weights, 0.9),
        "minutes_max": float(values[weights > 0].max()) if (weights > 0).any() else float("nan"),
        "gini_minutes": weighted_gini(values, weights),
        "worst_decile_minutes": worst,
    }


def covered_twice(standard_od: pd.DataFrame, sites: pd.Index, population: pd.Series) -> dict:
    """Population with two or more of ``sites`` within the standard (still covered if one fails)."""
    in_reach = standard_od[standard_od["site"].isin(sites)].groupby("area").size()
    twice = in_reach.index[in_reach >= 2]
    people = float(population[population.index.isin(twice)].sum())
    total = float(population.sum())
    return {
        "covered_twice_population": people,
        "covered_twice_pct": 100.0 * people / total if total else float("nan"),
    }


def group_coverage(
    minutes: pd.Series, population: pd.Series, groups: pd.Series | None, max_minutes: float | None
) -> dict:
    """Population within the standard per equity group, and the worst group's share (empty dict
    without groups)."""
    if groups is None or max_minutes is None:
        return {}
    frame = pd.DataFrame(
        {
            "group": groups.reindex(minutes.index).astype(str),
            "population": population.reindex(minutes.index).astype(float),
            "covered": population.reindex(minutes.index)
            .astype(float)
            .where(minutes <= max_minutes, 0.0),
        }
    )
    table = frame.groupby("group")[["population", "covered"]].sum()
    table["covered_pct"] = (
        100.0 * table["covered"] / table["population"].where(table["population"] > 0)
    )
    return {
        "groups": [
            {
                "group": g,
                "population": float(r.population),
                "covered_population": float(r.covered),
                "covered_pct": float(r.covered_pct),
            }
            for g, r in table.iterrows()
        ],
        "worst_group_covered_pct": float(table["covered_pct"].min()),
    }


def baseline_loads(
    demand: pd.DataFrame,
    nearest_existing: pd.DataFrame,
    max_minutes: float | None,
    capacity: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Today's loads: each area's demand goes to its nearest existing site within the standard.

    ``capacity`` (index site, columns resources): today's capacity; a site's load above it is
    unmet, each of its areas losing the same share of what it brings. Without it, only areas
    beyond the standard are unmet.

    Returns (load per site and resource — what arrives, possibly above capacity —, unmet per area
    and resource).
    """
    within = np.isfinite(nearest_existing["minutes"])
    if max_minutes is not None:
        within &= nearest_existing["minutes"] <= max_minutes
    served = demand.where(within, 0.0)
    site = nearest_existing["site"].where(within)
    load = served.groupby(site).sum()
    unmet = demand.where(~within, 0.0)
    if capacity is not None:
        cap = capacity.reindex(index=load.index, columns=load.columns).fillna(0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            overflow = (1.0 - cap / load).clip(lower=0.0).where(load > 0, 0.0)
        unmet = unmet + served * overflow.reindex(site).fillna(0.0).to_numpy()
    return load, unmet


def _utilisation(load: pd.Series, capacity: pd.Series) -> pd.Series:
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = load / capacity
    return ratio.where(capacity > 0, np.where(load > 0, np.inf, np.nan))


def _range(values: pd.Series) -> dict:
    finite = values[np.isfinite(values.astype(float))]
    if finite.empty:
        return {"min": None, "max": None, "mean": None}
    return {"min": float(finite.min()), "max": float(finite.max()), "mean": float(finite.mean())}


def over_capacity(
    sites: pd.DataFrame, resources: list[str], *, load: str, capacity: str, among: pd.Series
) -> list[dict]:
    """Sites whose load is above their capacity (utilisation above 1), fullest first: one record
    per (site, resource) with ``site_id``, ``name``, ``resource``, ``load``, ``capacity`` and
    ``utilisation`` (``inf`` for load at a site with no capacity). ``load`` and ``capacity`` are
    column templates (``"{r}_load"``), ``among`` the sites to look at (a boolean Series)."""
    records = []
    for r in resources:
        site_load = sites[load.format(r=r)].astype(float)
        cap = sites[capacity.format(r=r)].astype(float)
        over = among & (site_load > cap + TOLERANCE * np.maximum(cap, 1.0))
        for site in sites.index[over]:
            c, q = float(cap[site]), float(site_load[site])
            records.append(
                {
                    "site_id": site,
                    "name": str(sites.at[site, "name"]),
                    "resource": r,
                    "load": q,
                    "capacity": c,
                    "utilisation": q / c if c > 0 else float("inf"),
                }
            )
    return sorted(records, key=lambda rec: -rec["utilisation"])


def area_status(demand: pd.DataFrame, unmet: pd.DataFrame, reachable: pd.Series) -> pd.Series:
    """served · partly served · unserved (reachable but no capacity) · unreachable · no demand."""
    total = demand.sum(axis=1)
    short = unmet.sum(axis=1)
    status = pd.Series("served", index=demand.index, dtype=object)
    status[short > TOLERANCE * total + 1e-9] = "partly served"
    status[(short >= total - TOLERANCE * total - 1e-12) & (total > 0)] = "unserved"
    status[total <= 0] = "no demand"
    status[~reachable.reindex(demand.index).fillna(False).astype(bool)] = "unreachable"
    return status


def _assignment_lines(
    area_points: gpd.GeoSeries, site_points: gpd.GeoSeries, areas: pd.Series, sites: pd.Series
) -> np.ndarray:
    """A line from each area's point to its site's point, built in one call (as shapely
    ``LineString([area xy, site xy])`` one by one, which took ~0.3 s for 900 lines)."""
    start = shapely.get_coordinates(area_points.loc[areas.to_numpy()].to_numpy())
    end = shapely.get_coordinates(site_points.loc[sites.to_numpy()].to_numpy())
    return shapely.linestrings(np.stack([start, end], axis=1).reshape(-1, 2, 2))


def evaluate(
    *,
    areas: gpd.GeoDataFrame,
    area_points: gpd.GeoDataFrame,
    population: pd.Series,
    needs: pd.DataFrame,
    resources: list[str],
    facilities: gpd.GeoDataFrame,
    od: pd.DataFrame,
    allocation: Allocation,
    max_minutes: float | None,
    out_of_service: pd.Index | None = None,
    groups: pd.Series | None = None,
) -> dict:
    """Output layers (``areas``, ``facilities``, ``assignments``, ``catchments``) and KPI dicts.

    ``od`` is the long travel table within the evaluation horizon (it may extend beyond the travel
    standard so that baseline minutes of poorly served areas are still known). Sites in
    ``out_of_service`` (an outage) are in the baseline but not in the plan; their status says so.
    """
    out_of_service = pd.Index([]) if out_of_service is None else out_of_service
    area_ids = areas.index
    existing = facilities.index[facilities["existing"].astype(bool)]
    opened = allocation.sites.index[allocation.sites["open"].astype(bool)]
    demand = needs[resources].reindex(area_ids).fillna(0.0)
    unmet = allocation.unmet[resources].reindex(area_ids).fillna(0.0)

    base_near = nearest_minutes(od, area_ids, existing)
    plan_near = nearest_minutes(od, area_ids, opened)
    standard_od = od if max_minutes is None else od[od["minutes"] <= max_minutes]
    any_site = nearest_minutes(standard_od, area_ids, facilities.index.difference(out_of_service))
    reachable = np.isfinite(any_site["minutes"])

    assignments = allocation.assignments
    primary = assignments[assignments["resource"] == resources[0]]
    served_q = primary.groupby("area")["quantity"].sum()
    weighted = (primary["quantity"] * primary["minutes"]).groupby(primary["area"]).sum()
    main_site = primary.sort_values(["area", "quantity"], ascending=[True, False]).drop_duplicates(
        "area"
    )
    main_site = main_site.set_index("area")["site"]

    layer = gpd.GeoDataFrame(
        {"area_id": area_ids, "population": population.reindex(area_ids).to_numpy()},
        geometry=areas.geometry.to_crs(4326).to_numpy(),
        crs=4326,
        index=area_ids,
    )
    for column in ("admissions_per_day", "bed_days_per_day"):
        if column in needs.columns:
            layer[column] = needs[column].reindex(area_ids).to_numpy()
    for r in resources:
        served = assignments[assignments["resource"] == r].groupby("area")["quantity"].sum()
        layer[f"demand_{r}"] = demand[r]
        layer[f"served_{r}"] = served.reindex(area_ids).fillna(0.0)
        layer[f"unmet_{r}"] = unmet[r]
    layer["site"] = main_site.reindex(area_ids)
    layer["minutes"] = (weighted / served_q).reindex(area_ids)
    layer["nearest_open_minutes"] = plan_near["minutes"].replace(np.inf, np.nan)
    layer["baseline_site"] = base_near["site"]
    layer["baseline_minutes"] = base_near["minutes"].replace(np.inf, np.nan)
    layer["status"] = area_status(demand, unmet, reachable)

    today = facilities[resources].where(facilities["existing"].astype(bool), 0.0).astype(float)
    base_load, base_unmet = baseline_loads(demand, base_near, max_minutes, capacity=today)
    sites = gpd.GeoDataFrame(
        {"site_id": facilities.index, "name": facilities["name"].to_numpy()},
        geometry=facilities.geometry.to_crs(4326).to_numpy(),
        crs=4326,
        index=facilities.index,
    )
    plan_sites = allocation.sites.reindex(facilities.index)
    sites["existing"] = facilities["existing"].astype(bool)
    sites["open"] = plan_sites["open"].astype("boolean").fillna(False).astype(bool)
    utilisation_plan, utilisation_base = {}, {}
    expanded = pd.Series(False, index=facilities.index)
    for r in resources:
        before = facilities[r].where(sites["existing"], 0.0).astype(float)  # capacity today
        after = plan_sites[f"{r}_after"].astype(float).fillna(0.0)
        load = plan_sites[f"{r}_load"].astype(float).fillna(0.0)
        sites[f"{r}_before"] = before
        sites[f"{r}_after"] = after
        sites[f"{r}_load"] = load
        sites[f"{r}_utilisation"] = _utilisation(load, after)
        sites[f"{r}_baseline_load"] = base_load[r].reindex(facilities.index).fillna(0.0)
        sites[f"{r}_baseline_utilisation"] = _utilisation(sites[f"{r}_baseline_load"], before)
        expanded |= after > before + TOLERANCE
        utilisation_plan[r] = _range(sites.loc[sites["open"], f"{r}_utilisation"])
        utilisation_base[r] = _range(sites.loc[sites["existing"], f"{r}_baseline_utilisation"])
    status = pd.Series("candidate not chosen", index=facilities.index, dtype=object)
    status[sites["existing"] & sites["open"]] = "kept"
    status[sites["existing"] & sites["open"] & expanded] = "expanded"
    status[sites["existing"] & ~sites["open"]] = "closed"
    status[~sites["existing"] & sites["open"]] = "opened"
    status[sites.index.isin(out_of_service)] = "out of service"
    sites["status"] = status

    point_of = area_points.geometry.to_crs(4326)
    lines = _assignment_lines(point_of, sites.geometry, assignments["area"], assignments["site"])
    assignment_layer = gpd.GeoDataFrame(
        assignments.reset_index(drop=True), geometry=lines, crs=4326
    )

    served_areas = layer[layer["site"].notna()]
    catchments = (
        served_areas[["site", "population", "geometry"]]
        .dissolve(by="site", aggfunc={"population": "sum"})
        .reset_index()
        if len(served_areas)
        else gpd.GeoDataFrame({"site": [], "population": []}, geometry=[], crs=4326)
    )

    demand_total = {r: float(demand[r].sum()) for r in resources}
    plan = access_kpis(plan_near["minutes"], population, max_minutes)
    plan |= group_coverage(plan_near["minutes"], population, groups, max_minutes)
    plan |= covered_twice(standard_od, opened, population)
    plan |= {
        "unmet": {r: float(unmet[r].sum()) for r in resources},
        "served": {r: float(layer[f"served_{r}"].sum()) for r in resources},
        "utilisation": utilisation_plan,
        # loads above capacity: none in the capacitated model; the classic models (uncapacitated)
        # send each area to its nearest open site whatever its size
        "over_capacity": over_capacity(
            sites, resources, load="{r}_load", capacity="{r}_after", among=sites["open"]
        ),
        "sites_open": int(sites["open"].sum()),
        "assigned_minutes_mean": (
            float(
                np.average(
                    layer["minutes"].dropna(),
                    weights=served_q.reindex(layer["minutes"].dropna().index),
                )
            )
            if served_q.sum() > 0
            else float("nan")
        ),
    }
    baseline = access_kpis(base_near["minutes"], population, max_minutes)
    baseline |= group_coverage(base_near["minutes"], population, groups, max_minutes)
    baseline |= covered_twice(standard_od, existing, population)
    baseline |= {
        "unmet": {r: float(base_unmet[r].sum()) for r in resources},
        "served": {r: float(demand_total[r] - base_unmet[r].sum()) for r in resources},
        "utilisation": utilisation_base,
        # today's sites above their capacity (each area to its nearest existing site)
        "over_capacity": over_capacity(
            sites,
            resources,
            load="{r}_baseline_load",
            capacity="{r}_before",
            among=sites["existing"],
        ),
        "sites_open": int(sites["existing"].sum()),
    }
    return {
        "layers": {
            "areas": layer.reset_index(drop=True),
            "facilities": sites.reset_index(drop=True),
            "assignments": assignment_layer,
            "catchments": catchments,
        },
        "demand": demand_total,
        "baseline": baseline,
        "plan": plan,
        "area_status": layer["status"].value_counts().to_dict(),
        "site_status": sites["status"].value_counts().to_dict(),
    }
