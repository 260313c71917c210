"""Case counts in zones (e.g. ZIP codes) → extra admissions per area → a surge multiplier per area."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from geoalloc.demand.options import CasesOptions


def cases_per_area(
    area_points: gpd.GeoDataFrame,
    population: pd.Series,
    zones: gpd.GeoDataFrame,
    cases: str,
) -> tuple[pd.Series, dict]:
    """Each zone's cases spread over the areas whose point lies in it, by population share.

    Returns the cases per area (index: area id) and a report: zones with cases but no populated
    area (their cases cannot be placed) and areas in no zone (no cases) — counted, never dropped.
    """
    zones = zones.to_crs(area_points.crs).reset_index(drop=True)
    joined = gpd.sjoin(
        area_points[["geometry"]], zones[[cases, "geometry"]], how="left", predicate="within"
    )
    joined = joined[~joined.index.duplicated(keep="first")]  # a point on a shared border: one zone
    zone_of = joined["index_right"]
    pop = population.reindex(area_points.index).astype(float)
    zone_pop = pop.groupby(zone_of).sum()
    share = pop / zone_of.map(zone_pop)
    per_area = (share * zone_of.map(zones[cases].astype(float))).fillna(0.0)
    placed = set(zone_of.dropna().astype(int)[pop.reindex(zone_of.dropna().index) > 0])
    lost = zones.index[(zones[cases].astype(float) > 0) & ~zones.index.isin(list(placed))]
    report = {
        "cases_total": float(zones[cases].astype(float).sum()),
        "cases_placed": float(per_area.sum()),
        "zones_without_populated_area": int(len(lost)),
        "cases_in_zones_without_area": float(zones.loc[lost, cases].astype(float).sum()),
        "areas_in_no_zone": int(zone_of.isna().sum()),
    }
    return per_area, report


def case_multiplier(
    baseline_admissions_per_day: pd.Series, cases: pd.Series, options: CasesOptions
) -> pd.Series:
    """``1 + extra ÷ baseline`` admissions per day, per area (1 where both are 0)."""
    extra = (
        cases.reindex(baseline_admissions_per_day.index).fillna(0.0)
        * options.admitted_share
        / options.days
    )
    base = baseline_admissions_per_day.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        multiplier = 1.0 + extra / base
    return multiplier.where(base > 0, np.where(extra > 0, np.inf, 1.0))
