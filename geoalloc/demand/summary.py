"""Fit a scenario's history in one call, and the demand part of ``summary.json``."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from geoalloc.demand.history import read_history
from geoalloc.demand.los import LosModel, fit_los_model
from geoalloc.demand.options import DemandOptions, HistoryOptions
from geoalloc.demand.surge import SurgeResult


def fit_history(
    history: HistoryOptions | None,
    options: DemandOptions,
    *,
    area_ids: Sequence[object] | pd.Index | None = None,
    seed: int = 0,
    strict: bool = False,
) -> LosModel:
    """The LOS model of a scenario: fitted to ``[history]``, else assumed from ``los_days``.

    Bad history rows are left out, counted in ``model.history.problems`` and logged as warnings
    (``strict=True`` raises an :class:`~geoalloc._errors.InputError` instead). ``area_ids`` are the
    scenario's area ids: a history row with another area id is a bad row.
    """
    if history is None:
        return LosModel.assumed(options.los_days, options.risk_days)
    hist = read_history(history.path, history, area_ids=area_ids, strict=strict)
    return fit_los_model(hist, risk_days=options.risk_days, seed=seed)


def _clean(value: Any) -> Any:
    """JSON-safe: numpy scalars to Python, NaN/inf to None (containers cleaned item by item)."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def table_records(table: pd.DataFrame, index_name: str | None = None) -> list[dict]:
    """Rows of a table as JSON-safe dicts (the index as the first field when named)."""
    if table.empty:
        return []
    frame = table.reset_index() if index_name else table
    if index_name:
        frame = frame.rename(columns={frame.columns[0]: index_name})
    return [_clean(r) for r in frame.to_dict(orient="records")]


def los_summary(
    los: LosModel,
    *,
    needs: pd.DataFrame | None = None,
    queue: pd.DataFrame | None = None,
    surge: SurgeResult | None = None,
) -> dict:
    """The LOS / demand block of ``summary.json`` (JSON-serialisable).

    Keys: ``los`` (source, rows used and left out by reason, the overall fitted distribution,
    ``risk_days``, ``los_risk`` = P(LOS > risk_days) of the fitted distribution and
    ``los_risk_empirical`` = the share of history rows longer than that, the per-group table,
    the long-stay classifier report), ``needs_total`` (sum over areas of each needs column, when
    ``needs`` is given), ``queue_check`` (per site, analytic beside simulated, with ``queue``) and
    ``surge`` (region peaks, their days and the daily curves, with ``surge``).
    """
    out: dict = {
        "los": {
            "source": "history"
            if los.history is not None
            else "assumed (exponential, [demand] los_days)",
            "risk_days": los.risk_days,
            "los_risk": los.risk,
            "los_risk_empirical": (
                float(los.table["p_los_gt_k"].iloc[0]) if not los.table.empty else None
            ),
            "mean_days": los.mean_days,
            "fit": los.overall.to_dict(),
        }
    }
    if los.history is not None:
        h = los.history
        out["los"].update(
            history=h.source,
            kind=h.kind,
            los_from=h.los_from,
            years=h.years,
            rows=h.problems.to_dict(),
            table=table_records(los.table),
            classifier=los.classifier,
        )
    if needs is not None:
        numeric = needs.select_dtypes("number")
        totals = {
            c: float(numeric[c].sum()) for c in numeric.columns if not c.endswith("_peak_day")
        }
        out["needs_total"] = totals
    if queue is not None:
        out["queue_check"] = table_records(queue, index_name="site")
    if surge is not None:
        daily = surge.daily
        out["surge"] = {
            "peak_day": int(daily["census"].to_numpy().argmax()),
            "peak": {c: float(daily[c].max()) for c in daily.columns},
            "peak_day_by_column": {c: int(daily[c].to_numpy().argmax()) for c in daily.columns},
            "daily": table_records(daily, index_name="day"),
        }
    return _clean(out)
