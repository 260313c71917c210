"""The pipeline's entry point: capacity needed per area and resource for a scenario."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from geoalloc._errors import InputError
from geoalloc._validate import columns_found, format_ids
from geoalloc.demand.history import read_table
from geoalloc.demand.los import MIN_ROWS_FIT, LosFit, LosModel, fit_los, row_weights
from geoalloc.demand.needs import (
    DAYS_PER_YEAR,
    band_admissions_per_year,
    band_population,
    capacity_needed,
)
from geoalloc.demand.options import MAX_SURGE_MULTIPLIER, DemandOptions, SurgeMultiplierTable
from geoalloc.demand.surge import SurgeResult, surge_needs

log = logging.getLogger(__name__)


def _multiplier_table(area_ids: pd.Index, table: SurgeMultiplierTable) -> pd.Series:
    """The multipliers of ``table`` per area id (``default`` for areas it does not list)."""
    where = f"[demand] surge_multiplier table {table.path}"
    raw = read_table(table.path, "[demand] surge_multiplier path", text_columns=[table.id])
    missing = [c for c in (table.id, table.multiplier) if c not in raw.columns]
    if missing:
        msg = f"{where}: column(s) {missing} not found; {columns_found(raw.columns)}"
        raise InputError(msg)
    ids = raw[table.id].astype(str)
    values = pd.to_numeric(raw[table.multiplier], errors="coerce")
    problems = []
    for what, bad in (
        ("multiplier missing or negative — use a number >= 0", values.isna() | (values < 0)),
        (
            f"multiplier over {MAX_SURGE_MULTIPLIER:g} or infinite — use a number up to it",
            values > MAX_SURGE_MULTIPLIER,
        ),
        ("listed more than once — keep one row per area", ids.duplicated(keep=False)),
        ("no area has this id — fix the id or drop the row", ~ids.isin(area_ids.astype(str))),
    ):
        if bad.any():
            problems.append(f"{where}: {what} (ids: {format_ids(ids[bad].unique())})")
    if problems:
        raise InputError(problems)
    by_id = pd.Series(values.to_numpy(dtype=float), index=ids.to_numpy())
    mult = by_id.reindex(area_ids.astype(str)).fillna(table.default)
    mult.index = area_ids
    return mult


def surge_multiplier(areas: pd.DataFrame, options: DemandOptions) -> pd.Series:
    """Multiplier per area on its admissions: the scalar, the areas column it names, or a table of
    area id → multiplier (≥ 0)."""
    value = options.surge_multiplier
    if isinstance(value, SurgeMultiplierTable):
        return _multiplier_table(areas.index, value)
    if isinstance(value, str):
        if value not in areas.columns:
            msg = (
                f"[demand] surge_multiplier names column '{value}', which the areas do not have "
                f"(columns: {list(areas.columns)}) — fix the name or give a number"
            )
            raise InputError(msg)
        mult = pd.to_numeric(areas[value], errors="coerce")
        bad = mult.isna() | (mult < 0)
        if bad.any():
            ids = ", ".join(str(i) for i in mult.index[bad][:20])
            msg = (
                f"areas column '{value}': surge multiplier missing or negative (ids: {ids}) "
                "— use a number >= 0"
            )
            raise InputError(msg)
        return mult.astype(float)
    return pd.Series(float(value), index=areas.index)


def rates_from_history(
    bands: pd.DataFrame, los: LosModel, options: DemandOptions
) -> dict[str, float] | None:
    """Admissions per 1,000 persons per year estimated from a history with an area id.

    Per age band when the history has an ``age_band`` column whose labels are band labels of the
    areas, otherwise one rate ``"all"``: admissions in the history ÷ years covered ÷ population of
    all areas × 1000. Only rows with a usable LOS count (bad rows are reported by the history); in
    a pooled history each row counts its weight, over the years the weights cover
    (:mod:`geoalloc.demand.pooling`). None when the history has no area id or no known time span.
    """
    history = los.history
    if history is None or "area" not in history.table.columns or not options.rates_from_history:
        return None
    if not history.years:
        log.warning(
            "history has area ids but no time span: set [history] years to estimate admission rates"
        )
        return None
    table = history.table
    weights = row_weights(table)
    admissions = pd.Series(1.0 if weights is None else weights, index=table.index)
    if "age_band" in table.columns:
        counts = admissions.groupby(table["age_band"].astype(str)).sum()
        unknown = sorted(set(counts.index) - set(bands.columns))
        if unknown:
            msg = (
                f"history age bands {unknown} are not area bands {sorted(bands.columns)} — relabel "
                "them or drop [history] age_band"
            )
            raise InputError(msg)
        pop = bands.sum(axis=0)
        rates = {
            b: float(counts.get(b, 0)) / history.years / float(pop[b]) * 1000.0
            for b in bands.columns
            if pop[b] > 0
        }
    else:
        rates = {
            "all": float(admissions.sum()) / history.years / float(bands.to_numpy().sum()) * 1000.0
        }
    log.info("admission rates per 1,000 per year from the history: %s", rates)
    return rates


def los_by_band(los: LosModel, bands: list[str]) -> dict[str, LosFit]:
    """LOS distribution per age band: fitted to the history rows of that band when the history has
    an ``age_band`` column and the band has at least :data:`MIN_ROWS_FIT` rows, else the overall."""
    out = dict.fromkeys(bands, los.overall)
    history = los.history
    if history is None or "age_band" not in history.table.columns:
        return out
    table = history.table
    labels = table["age_band"].astype(str)
    unknown = sorted(set(labels) - set(bands))
    if unknown:
        log.warning(
            "history age bands %s are not area bands %s: their rows count in the overall LOS only",
            unknown,
            bands,
        )
    for band in bands:
        rows = table[labels == band]
        if len(rows) >= MIN_ROWS_FIT:
            out[band] = fit_los(
                rows["los_low_days"].to_numpy(),
                rows["los_high_days"].to_numpy(),
                where=f"history rows of age band {band!r}",
                weights=row_weights(rows),
            )
        else:
            log.info("age band %r: %d history rows, using the overall LOS", band, len(rows))
    return out


def area_needs(
    areas: pd.DataFrame,
    *,
    population: str,
    age_bands: dict[str, str],
    options: DemandOptions,
    los: LosModel | None = None,
) -> pd.DataFrame:
    """Needs per area (index: area id).

    Columns: ``admissions_per_day`` (surge multiplier applied), ``bed_days_per_day`` (admissions
    per day × mean LOS = mean occupied beds; with a history that has an ``age_band`` column the mean
    LOS of each band, see :func:`los_by_band`), ``long_stay_admissions_per_day`` (admissions per day
    × P(LOS > risk_days), the LOS risk), one column per planned resource (units needed; the surge
    peak when ``[demand.surge] plan_for_peak``), and with a surge ``<resource>_peak`` and
    ``<resource>_peak_day`` per resource.

    Parameters
    ----------
    areas
        Indexed by area id, with the population and band columns (persons).
    population, age_bands
        As in ``[areas]``.
    options
        The ``[demand]`` section.
    los
        LOS model fitted to a history (:func:`geoalloc.demand.fit_history`); default: an
        exponential LOS with mean ``options.los_days``. With a history that has area ids, the
        admission rates come from it (see :func:`rates_from_history`).
    """
    if los is None:
        los = LosModel.assumed(options.los_days, options.risk_days)
    bands = band_population(areas, population, age_bands)
    rates = rates_from_history(bands, los, options) or options.admissions_per_1000
    band_year = band_admissions_per_year(bands, rates).mul(surge_multiplier(areas, options), axis=0)
    per_year = band_year.sum(axis=1)
    fits = los_by_band(los, list(bands.columns))
    mean_los = pd.Series({b: f.mean_days for b, f in fits.items()})
    risk = pd.Series({b: f.p_longer(options.risk_days) for b, f in fits.items()})
    bed_days_year = (band_year * mean_los).sum(axis=1)
    area_mean_los = (bed_days_year / per_year).where(per_year > 0, los.mean_days)
    needs = capacity_needed(per_year, options, mean_los_days=area_mean_los)
    needs.insert(2, "long_stay_admissions_per_day", (band_year * risk).sum(axis=1) / DAYS_PER_YEAR)
    surge = surge_needs(
        needs["admissions_per_day"], areas[population].astype(float), options, los.overall
    )
    if surge is not None:
        for res in options.planned:
            needs[f"{res}_peak"] = surge.peaks[f"{res}_peak"]
            needs[f"{res}_peak_day"] = surge.peaks[f"{res}_peak_day"].astype(np.int64)
            if options.surge.plan_for_peak:
                needs[res] = surge.peaks[f"{res}_peak"]
    return needs


def area_surge(
    areas: pd.DataFrame,
    *,
    population: str,
    age_bands: dict[str, str],
    options: DemandOptions,
    los: LosModel | None = None,
) -> SurgeResult | None:
    """The surge of ``[demand.surge]`` with its daily region curves (None without a surge).

    Same arguments as :func:`area_needs`; for ``summary.json`` (:func:`los_summary` ``surge=``).
    """
    if options.surge.kind == "none":
        return None
    if los is None:
        los = LosModel.assumed(options.los_days, options.risk_days)
    needs = area_needs(
        areas,
        population=population,
        age_bands=age_bands,
        options=options.model_copy(
            update={"surge": options.surge.model_copy(update={"kind": "none"})}
        ),
        los=los,
    )
    return surge_needs(
        needs["admissions_per_day"], areas[population].astype(float), options, los.overall
    )


def planned_resources(options: DemandOptions) -> list[str]:
    """The resources the optimizer allocates, primary first."""
    return options.planned
