"""The report's charts, drawn with matplotlib (Agg) and embedded as base64 SVG images, so that
nothing is fetched and nothing in them can run. Each returns an ``<img>`` element (``None`` when
there is nothing to draw); labels from input data are shortened and never read as mathtext.
"""

from __future__ import annotations

import base64
import io
import warnings

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from geoalloc.outputs.escape import text

PLAN_COLOUR = "#d95f02"
BASELINE_COLOUR = "#1b9e77"


def _label(value: object, width: int = 38) -> str:
    """Input text as a matplotlib label: shortened, and ``$`` escaped so it is never mathtext."""
    return str(value)[:width].replace("$", r"\$")


def _svg_img(fig: Figure, alt: str) -> str:
    buffer = io.BytesIO()
    # text stays text, which the browser draws in its own fonts: labels from input data may be in
    # any script (matplotlib's DejaVu Sans has no CJK or emoji, and warned about each glyph)
    with matplotlib.rc_context({"svg.fonttype": "none"}), warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Glyph .* missing from font", UserWarning)
        fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f"<img class='chart' alt='{text(alt)}' src='data:image/svg+xml;base64,{data}'>"


def coverage_curve(minutes: pd.Series, population: pd.Series, grid: np.ndarray) -> np.ndarray:
    """Share (0–1) of ``population`` whose ``minutes`` are ≤ each value of ``grid`` (minutes).

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
    fig = Figure(figsize=(7.5, 3.6))
    ax = fig.add_subplot()
    for label, (minutes, colour, style) in series.items():
        share = coverage_curve(minutes.astype(float), population, grid)
        ax.plot(grid, 100 * share, color=colour, linestyle=style, label=label, linewidth=2)
    if standard:
        ax.axvline(standard, color="#555", linewidth=1, linestyle="--")
        ax.annotate(
            f"standard {standard:g} min",
            (standard, 50),
            xytext=(-4, 0),
            textcoords="offset points",
            ha="right",
            fontsize=8,
            color="#555",
        )
    ax.set_xlabel("travel time t (minutes)")
    ax.set_ylabel("population within t (%)")
    ax.set_ylim(0, 101)
    ax.set_xlim(0, top)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    return _svg_img(fig, "coverage curve: share of population within t minutes")


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
    fig = Figure(figsize=(7.5, max(2.0, 0.17 * len(shown) + 0.9)))
    ax = fig.add_subplot()
    y = np.arange(len(shown))
    ax.barh(y + 0.2, 100 * shown["_b"], height=0.4, color=BASELINE_COLOUR, label="baseline")
    ax.barh(y - 0.2, 100 * shown["_u"], height=0.4, color=PLAN_COLOUR, label="plan")
    ax.axvline(100, color="#555", linewidth=1, linestyle="--")
    ax.set_yticks(y, names, fontsize=6.5)
    capped = bool((shown[["_u", "_b"]] >= UTILISATION_CAP).any().any())
    cap_note = f"; bars capped at {100 * UTILISATION_CAP:.0f} %" if capped else ""
    ax.set_xlabel(f"{_label(resource)} utilisation (% of capacity{cap_note})")
    ax.set_ylim(-0.7, len(shown) - 0.3)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    return _svg_img(fig, f"{resource} utilisation per site")


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
    fig = Figure(figsize=(7.5, 3.2))
    ax = fig.add_subplot()
    ax.plot(x, frame["needed"].astype(float), color=PLAN_COLOUR, linewidth=2, label="needed")
    ax.plot(
        x, frame["available"].astype(float), color=BASELINE_COLOUR, linewidth=2, label="available"
    )
    ax.set_xlabel(_label(x_name or "step"))
    ax.set_ylabel(resource)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return _svg_img(fig, "surge curve: needed vs available")


def frontier_chart(frontier: object) -> str | None:
    """The equity–efficiency frontier from ``summary["frontier"]``: its first two numeric columns."""
    frame = _records(frontier)
    if frame is None:
        return None
    numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]
    if len(numeric) < 2:
        return None
    x, y = numeric[0], numeric[1]
    fig = Figure(figsize=(6, 3.6))
    ax = fig.add_subplot()
    ordered = frame.sort_values(x)
    ax.plot(ordered[x], ordered[y], marker="o", color=PLAN_COLOUR)
    ax.set_xlabel(_label(x))
    ax.set_ylabel(_label(y))
    ax.grid(alpha=0.3)
    return _svg_img(fig, "equity-efficiency frontier")


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
    fig = Figure(figsize=(7.5, 3.2))
    ax = fig.add_subplot()
    for r in resources[:2]:
        ax.step(
            frame["start_day"],
            frame[f"unmet_static_{r}"],
            where="post",
            color=BASELINE_COLOUR,
            label=f"{r}: without redeployment",
        )
        ax.step(
            frame["start_day"],
            frame[f"unmet_{r}"],
            where="post",
            color=PLAN_COLOUR,
            linewidth=2,
            label=f"{r}: with redeployment",
        )
    ax.set_xlabel("day")
    ax.set_ylabel("units unmet")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return _svg_img(fig, "unmet demand per period, without and with redeployment")


def stacked_bars_chart(
    labels: list[str], parts: dict[str, tuple[list[float], str]], xlabel: str, alt: str
) -> str | None:
    """Horizontal bars, one per label (top to bottom in the given order), each stacked from
    ``parts`` (``{part label: (values, colour)}``); None when there is no label."""
    if not labels:
        return None
    fig = Figure(figsize=(7.5, max(2.0, 0.24 * len(labels) + 1.0)))
    ax = fig.add_subplot()
    y = np.arange(len(labels))[::-1]
    left = np.zeros(len(labels))
    for part, (values, colour) in parts.items():
        widths = np.nan_to_num(np.asarray(values, dtype=float))
        ax.barh(y, widths, left=left, height=0.7, color=colour, label=_label(part))
        left += widths
    ax.set_yticks(y, [_label(n) for n in labels], fontsize=7.5)
    ax.set_xlabel(_label(xlabel, 80))
    ax.set_ylim(-0.7, len(labels) - 0.3)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    return _svg_img(fig, alt)
