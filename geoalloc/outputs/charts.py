"""The report's charts, drawn as SVG by :mod:`geoalloc.outputs.svgplot` and embedded as base64
images, so that nothing is fetched and nothing in them can run. Each returns an ``<img>`` element
(``None`` when there is nothing to draw); labels from input data are shortened and kept as text.
"""

from __future__ import annotations

import base64

import numpy as np
import pandas as pd

from geoalloc.outputs.escape import text
from geoalloc.outputs.svgplot import Chart

PLAN_COLOUR = "#d95f02"
BASELINE_COLOUR = "#1b9e77"
#: pixels per inch of the former figure sizes (the charts keep their proportions)
PX_PER_IN = 80


def _label(value: object, width: int = 38) -> str:
    """Input text as a chart label: shortened (the SVG writer escapes it)."""
    return str(value)[:width]


def _svg_img(chart: Chart, alt: str) -> str:
    data = base64.b64encode(chart.svg().encode("utf-8")).decode("ascii")
    return f"<img class='chart' alt='{text(alt)}' src='data:image/svg+xml;base64,{data}'>"


def _span(values: object, low: float | None = None) -> tuple[float, float]:
    """The finite range of ``values`` with a 5 % margin (starting at ``low`` when given)."""
    array = np.asarray(values, dtype=float)
    finite = array[np.isfinite(array)]
    lo = float(finite.min()) if finite.size else 0.0
    hi = float(finite.max()) if finite.size else 1.0
    if low is not None:
        lo = min(low, lo)
    if hi <= lo:
        hi = lo + 1.0
    pad = 0.05 * (hi - lo)
    return (lo if low is not None else lo - pad, hi + pad)


def coverage_curve(minutes: pd.Series, population: pd.Series, grid: np.ndarray) -> np.ndarray:
    """Share (0–1) of ``population`` whose ``minutes`` are ≤ each value of ``grid`` (minutes; any
    value per area works alike, e.g. an access index).

    Areas with no reachable site (NaN minutes) count in the population but are never covered.
    """
    weights = population.to_numpy(dtype=float)
    values = minutes.to_numpy(dtype=float)
    total = weights.sum()
    if total <= 0:
        return np.zeros(len(grid))
    finite = np.isfinite(values)
    order = np.argsort(values[finite])
    sorted_minutes = values[finite][order]
    cumulative = np.concatenate([[0.0], np.cumsum(weights[finite][order])])
    counts = np.searchsorted(sorted_minutes, grid, side="right")
    return cumulative[counts] / total


def coverage_chart(areas: pd.DataFrame, standard: float | None) -> str:
    """Coverage curve: share of the population within t minutes of the nearest site, baseline
    (existing sites) vs plan (open sites), and of the assigned site under the plan."""
    population = areas["population"].astype(float)
    series = {
        "plan: nearest open site": (areas["nearest_open_minutes"], PLAN_COLOUR, "-"),
        "plan: assigned site": (areas["minutes"], PLAN_COLOUR, ":"),
        # drawn last and dashed, so it stays visible where the plan's curve coincides
        "baseline: nearest existing site": (areas["baseline_minutes"], BASELINE_COLOUR, "--"),
    }
    every = pd.concat([s for s, _, _ in series.values()]).astype(float)
    top = float(np.nanmax(every)) if np.isfinite(every).any() else 1.0
    top = max(top, standard or 0.0, 1.0) * 1.05
    grid = np.linspace(0.0, top, 300)
    chart = Chart(
        7.5 * PX_PER_IN,
        3.6 * PX_PER_IN,
        (0.0, top),
        (0.0, 101.0),
        xlabel="travel time t (minutes)",
        ylabel="population within t (%)",
    )
    for label, (minutes, colour, style) in series.items():
        share = coverage_curve(minutes.astype(float), population, grid)
        chart.line(grid, 100 * share, colour, label=label, dash=_DASHES[style])
    if standard:
        chart.vline(standard, note=f"standard {standard:g} min")
    return _svg_img(chart, "coverage curve: share of population within t minutes")


_DASHES = {"-": None, ":": "2,3", "--": "7,4"}


#: utilisation bars are drawn up to this share (a load on a site without capacity is infinite)
UTILISATION_CAP = 3.0


def utilisation_chart(facilities: pd.DataFrame, resource: str) -> str:
    """Utilisation (load ÷ capacity) per site of ``resource``: baseline vs plan, sites open in
    either, sorted by plan utilisation."""
    util = facilities[f"{resource}_utilisation"].astype(float)
    base = facilities[f"{resource}_baseline_utilisation"].astype(float)
    shown = facilities[np.isfinite(util) | np.isfinite(base)].copy()
    # a load on a site with no capacity is infinitely over: drawn at the chart's cap
    shown["_u"] = util[shown.index].clip(upper=UTILISATION_CAP).fillna(0.0)
    shown["_b"] = base[shown.index].clip(upper=UTILISATION_CAP).fillna(0.0)
    shown = shown.sort_values("_u")
    names = [_label(n) for n in shown["name"]]
    capped = bool((shown[["_u", "_b"]] >= UTILISATION_CAP).any().any())
    cap_note = f"; bars capped at {100 * UTILISATION_CAP:.0f} %" if capped else ""
    top = max(100.0, float(100 * shown[["_u", "_b"]].to_numpy().max(initial=0.0))) * 1.05
    chart = Chart(
        7.5 * PX_PER_IN,
        max(2.0, 0.17 * len(shown) + 0.9) * PX_PER_IN,
        (0.0, top),
        (-0.7, len(shown) - 0.3),
        xlabel=f"{_label(resource)} utilisation (% of capacity{cap_note})",
        rows=names,
        y_grid=False,
    )
    y = np.arange(len(shown))
    chart.bars(y + 0.2, 100 * shown["_b"], BASELINE_COLOUR, height=0.4, label="baseline")
    chart.bars(y - 0.2, 100 * shown["_u"], PLAN_COLOUR, height=0.4, label="plan")
    chart.vline(100)
    return _svg_img(chart, f"{resource} utilisation per site")


def _records(value: object) -> pd.DataFrame | None:
    try:
        frame = pd.DataFrame(value)
    except (ValueError, TypeError):
        return None
    return frame if len(frame) else None


def surge_chart(surge: object) -> str | None:
    """Needed vs available capacity over time, from ``summary["surge"]`` (see module docs)."""
    frame = _records(surge)
    if frame is None or not {"needed", "available"} <= set(frame.columns):
        return None
    x_name = next((c for c in ("day", "date", "t", "time") if c in frame.columns), None)
    x = frame[x_name] if x_name else pd.Series(np.arange(len(frame)))
    resource = _label(frame["resource"].iloc[0]) if "resource" in frame.columns else "capacity"
    needed = frame["needed"].astype(float)
    available = frame["available"].astype(float)
    xs = pd.to_numeric(x, errors="coerce") if x_name != "date" else pd.Series(np.arange(len(x)))
    chart = Chart(
        7.5 * PX_PER_IN,
        3.2 * PX_PER_IN,
        _span(xs),
        _span(pd.concat([needed, available])),
        xlabel=_label(x_name or "step"),
        ylabel=resource,
    )
    chart.line(xs, needed, PLAN_COLOUR, label="needed")
    chart.line(xs, available, BASELINE_COLOUR, label="available")
    return _svg_img(chart, "surge curve: needed vs available")


def frontier_chart(frontier: object) -> str | None:
    """The equity–efficiency frontier from ``summary["frontier"]``: its first two numeric columns."""
    frame = _records(frontier)
    if frame is None:
        return None
    numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]
    if len(numeric) < 2:
        return None
    x, y = numeric[0], numeric[1]
    ordered = frame.sort_values(x)
    chart = Chart(
        6 * PX_PER_IN,
        3.6 * PX_PER_IN,
        _span(ordered[x]),
        _span(ordered[y]),
        xlabel=_label(x),
        ylabel=_label(y),
    )
    chart.line(ordered[x], ordered[y], PLAN_COLOUR, width=1.5, markers=True)
    return _svg_img(chart, "equity-efficiency frontier")


def unmet_chart(deployment: dict) -> str | None:
    """Unmet units per period of a time-phased plan's movable resources (the first two), without
    and with redeployment, from ``summary["deployment"]``."""
    frame = pd.DataFrame(deployment.get("by_period") or [])
    resources = deployment.get("movable") or []
    if frame.empty:
        return None
    if not resources:
        resources = [
            c.removeprefix("unmet_static_") for c in frame if c.startswith("unmet_static_")
        ]
    shown = resources[:2]
    values = [frame[f"unmet_static_{r}"] for r in shown] + [frame[f"unmet_{r}"] for r in shown]
    chart = Chart(
        7.5 * PX_PER_IN,
        3.2 * PX_PER_IN,
        _span(frame["start_day"]),
        _span(pd.concat(values) if values else pd.Series([0.0]), low=0.0),
        xlabel="day",
        ylabel="units unmet",
    )
    for r in shown:
        days = frame["start_day"]
        chart.line(
            days,
            frame[f"unmet_static_{r}"],
            BASELINE_COLOUR,
            width=1.5,
            step=True,
            label=f"{r}: without redeployment",
        )
        chart.line(
            days, frame[f"unmet_{r}"], PLAN_COLOUR, step=True, label=f"{r}: with redeployment"
        )
    return _svg_img(chart, "unmet demand per period, without and with redeployment")


def stacked_bars_chart(
    labels: list[str], parts: dict[str, tuple[list[float], str]], xlabel: str, alt: str
) -> str | None:
    """Horizontal bars, one per label (top to bottom in the given order), each stacked from
    ``parts`` (``{part label: (values, colour)}``); None when there is no label."""
    if not labels:
        return None
    y = np.arange(len(labels))[::-1]
    total = np.zeros(len(labels))
    for values, _colour in parts.values():
        total += np.nan_to_num(np.asarray(values, dtype=float))
    chart = Chart(
        7.5 * PX_PER_IN,
        max(2.0, 0.24 * len(labels) + 1.0) * PX_PER_IN,
        (0.0, max(float(total.max(initial=0.0)), 1e-9) * 1.05),
        (-0.7, len(labels) - 0.3),
        xlabel=_label(xlabel, 80),
        rows=[_label(n) for n in labels][::-1],
        y_grid=False,
    )
    left = np.zeros(len(labels))
    for part, (values, colour) in parts.items():
        widths = np.nan_to_num(np.asarray(values, dtype=float))
        chart.bars(y, widths, colour, height=0.7, left=left, label=_label(part))
        left += widths
    return _svg_img(chart, alt)
