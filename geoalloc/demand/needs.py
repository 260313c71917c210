"""Population × admission rates × length of stay → units of a resource needed per area."""

from __future__ import annotations

import pandas as pd

from geoalloc._errors import InputError
from geoalloc.demand.options import DemandOptions

DAYS_PER_YEAR = 365.0


def band_population(areas: pd.DataFrame, population: str, age_bands: dict[str, str]) -> pd.DataFrame:
    """Persons per area and age band: the band columns as given, and ``other`` for the rest.

    Parameters
    ----------
    areas
        Table indexed by area id with the population column and the band columns (persons).
    population
        Column with the total population.
    age_bands
        Band column → band label.
    """
    bands = pd.DataFrame(index=areas.index)
    for column, label in age_bands.items():
        bands[label] = areas[column].astype(float)
    bands["other"] = areas[population].astype(float) - bands.sum(axis=1)
    return bands


def admissions_per_year(bands: pd.DataFrame, admissions_per_1000: dict[str, float]) -> pd.Series:
    """Expected admissions per year per area from per-band rates (per 1,000 persons per year).

    A single rate keyed ``"all"`` applies to the whole population. Every band present must have a
    rate, and every rate must name a band: otherwise an :class:`InputError` lists the mismatches.
    """
    if set(admissions_per_1000) == {"all"}:
        return bands.sum(axis=1) * admissions_per_1000["all"] / 1000.0
    problems = []
    for band in bands.columns:
        if band not in admissions_per_1000 and (bands[band] > 0).any():
            problems.append(
                f"[demand] admissions_per_1000 has no rate for age band '{band}' — add '{band}' = <rate>"
            )
    for band in admissions_per_1000:
        if band not in bands.columns:
            problems.append(
                f"[demand] admissions_per_1000 names band '{band}', which no [areas] age_bands column "
                f"defines (bands: {sorted(bands.columns)}) — fix the label"
            )
    if problems:
        raise InputError(problems)
    rates = pd.Series({b: admissions_per_1000.get(b, 0.0) for b in bands.columns})
    return (bands * rates).sum(axis=1) / 1000.0


def capacity_needed(admissions_year: pd.Series, options: DemandOptions) -> pd.DataFrame:
    """Units of ``options.resource`` needed per area: bed-days per day ÷ occupancy target.

    Returns a table indexed by area id with columns ``admissions_per_day``, ``bed_days_per_day`` and
    the resource (e.g. ``beds``).
    """
    per_day = admissions_year / DAYS_PER_YEAR
    bed_days = per_day * options.los_days
    return pd.DataFrame(
        {
            "admissions_per_day": per_day,
            "bed_days_per_day": bed_days,
            options.resource: bed_days / options.occupancy_target,
        }
    )
