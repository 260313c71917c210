"""Population × admission rates × length of stay → units of a resource needed per area."""

from __future__ import annotations

import numpy as np
import pandas as pd

from geoalloc._errors import InputError
from geoalloc.demand.erlang import servers_for_blocking
from geoalloc.demand.options import DemandOptions

DAYS_PER_YEAR = 365.0


def band_population(
    areas: pd.DataFrame, population: str, age_bands: dict[str, str]
) -> pd.DataFrame:
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
    return band_admissions_per_year(bands, admissions_per_1000).sum(axis=1)


def band_admissions_per_year(
    bands: pd.DataFrame, admissions_per_1000: dict[str, float]
) -> pd.DataFrame:
    """Expected admissions per year per area (rows) and age band (columns); see
    :func:`admissions_per_year`."""
    if set(admissions_per_1000) == {"all"}:
        return bands * admissions_per_1000["all"] / 1000.0
    problems = []
    for band in bands.columns:
        if band not in admissions_per_1000 and (bands[band] > 0).any():
            problems.append(
                f"[demand] admissions_per_1000 has no rate for age band '{band}' "
                f"— add '{band}' = <rate>"
            )
    for band in admissions_per_1000:
        if band not in bands.columns:
            problems.append(
                f"[demand] admissions_per_1000 names band '{band}', which no [areas] "
                f"age_bands column defines (bands: {sorted(bands.columns)}) — fix the label"
            )
    if problems:
        raise InputError(problems)
    rates = pd.Series({b: admissions_per_1000.get(b, 0.0) for b in bands.columns})
    return bands * rates / 1000.0


def resource_needs(
    bed_days_per_day: pd.Series,
    options: DemandOptions,
    *,
    icu_bed_days_per_day: pd.Series | None = None,
    ventilated_per_day: pd.Series | None = None,
) -> pd.DataFrame:
    """Units of every planned resource for an occupied-bed load (see :class:`DemandOptions`).

    Parameters
    ----------
    bed_days_per_day
        Offered load per row (Erlangs = mean occupied beds, all beds including ICU).
    options
        Ratios and targets.
    icu_bed_days_per_day
        ICU part of the load; default ``icu_share`` × ``bed_days_per_day``.
    ventilated_per_day
        Patients on a ventilator (surge); ventilators are at least this many.
    """
    load = bed_days_per_day.astype(float)
    icu_load = (
        load * options.icu_share
        if icu_bed_days_per_day is None
        else icu_bed_days_per_day.astype(float)
    )
    out = pd.DataFrame(index=load.index)

    def servers(a: pd.Series, occupancy: float) -> pd.Series:
        if options.capacity_method == "erlang_b":
            target = options.blocking_target
            return a.map(lambda x: float(servers_for_blocking(x, target)))
        return a / occupancy

    for name in options.planned:
        if name == "beds":
            out[name] = servers(load, options.occupancy_target)
        elif name == "icu_beds":
            out[name] = servers(icu_load, options.icu_occupancy_target)
        elif name == "ventilators":
            icu_beds = servers(icu_load, options.icu_occupancy_target)
            vent = options.ventilators_per_icu_bed * icu_beds
            if ventilated_per_day is not None:
                vent = np.maximum(vent, ventilated_per_day.astype(float))
            out[name] = vent
        else:  # staff with a ratio per occupied bed and shift
            ratio = options.staff_per_occupied_bed[name]
            weighted = (load - icu_load) + options.icu_staff_multiplier * icu_load
            out[name] = ratio * weighted * options.staff_coverage_factor
    return out


def capacity_needed(
    admissions_year: pd.Series,
    options: DemandOptions,
    *,
    mean_los_days: float | pd.Series | None = None,
) -> pd.DataFrame:
    """Units of each planned resource needed per area.

    Returns a table indexed by area id with columns ``admissions_per_day``, ``bed_days_per_day``
    (admissions per day × mean LOS, = mean occupied beds) and one column per planned resource
    (:func:`resource_needs`). ``mean_los_days`` (a number, or per area) defaults to
    ``options.los_days``.
    """
    per_day = admissions_year / DAYS_PER_YEAR
    los = options.los_days if mean_los_days is None else mean_los_days
    bed_days = per_day * los
    out = pd.DataFrame({"admissions_per_day": per_day, "bed_days_per_day": bed_days})
    return pd.concat([out, resource_needs(bed_days, options)], axis=1)
