"""The maps' colours and how values become colours: status colours, palettes, and the classes of
minutes (anchored on the travel standard) and of other values (quantiles).

The classes are mapclassify's ``Quantiles`` and ``UserDefined``, computed here with the same
arithmetic (scipy's ``scoreatpercentile`` with fractional interpolation, mapclassify's ``bin1d``):
importing mapclassify pulls in scikit-learn and matplotlib's pyplot, ~2.5 s of every run that
writes a map. ``tests/outputs/test_maps.py`` checks the two give the same classes.

A classifier returns a colour per value and the legend rows ``(colour, label)`` that explain them.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

import geoalloc._text as fmt

STATUS_COLOURS = {
    "kept": "#1f78b4",
    "expanded": "#6a3d9a",
    "opened": "#33a02c",
    "closed": "#e31a1c",
    "out of service": "#000000",
    "candidate not chosen": "#999999",
}
#: statuses of the temporary sites of a time-phased plan (legend entries only when present)
TEMPORARY_STATUS_COLOURS = {"temporary: opened": "#ff7f00", "temporary: not opened": "#cccccc"}
#: a site whose status has no colour of its own
OTHER_SITE_COLOUR = "#333333"
AREA_STATUS_COLOURS = {
    "served": "#4daf4a",
    "partly served": "#ff7f00",
    "unserved": "#e41a1c",
    "unreachable": "#000000",
    "no demand": "#dddddd",
}
#: colours of the areas whose access changed between two compared runs
ACCESS_CHANGE_COLOURS = {"gained access": "#1a9850", "lost access": "#d73027"}
BASELINE_SITE_COLOUR = "#1f78b4"
#: unmet demand: a dashed magenta ring, unlike any site (red is "closed")
UNMET_COLOUR = "#c51b7d"
UNMET_DASH = "4 3"
ASSIGNMENT_COLOUR = "#6a3d9a"
SHIPMENT_COLOUR = "#b15928"
CATCHMENT_COLOUR = "#08306b"
MINUTES_PALETTE = ["#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026", "#67000d"]
DEMAND_PALETTE = ["#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"]
RISK_PALETTE = ["#f2f0f7", "#cbc9e2", "#9e9ac8", "#756bb1", "#54278f"]
#: the access index, low (red: little supply per person within reach) to high (green)
ACCESS_PALETTE = ["#d7191c", "#fdae61", "#ffffbf", "#a6d96a", "#1a9641"]
SERVICE_PALETTE = ["#238b45", "#74c476", "#bae4b3", "#edf8e9", "#f7fcf5"]
NO_DATA_COLOUR = "#bbbbbb"
#: outline and fill of the area choropleths
AREA_STYLE = {"color": "#555555", "weight": 0.3, "fillOpacity": 0.65}

Legend = list[tuple[str, str]]


def classify_quantiles(values: pd.Series, palette: list[str], unit: str) -> tuple[list, Legend]:
    """Colour per value (quantile classes, as mapclassify's) and legend rows ``(colour, label)``;
    ``unit`` is HTML (escape input text)."""
    finite = values[np.isfinite(values.astype(float))]
    colours = pd.Series(NO_DATA_COLOUR, index=values.index, dtype=object)
    if finite.nunique() < 2:
        label = f"{fmt.quantity(finite.iloc[0])} {unit}" if len(finite) else "no data"
        colours[finite.index] = palette[len(palette) // 2]
        return colours.tolist(), [(palette[len(palette) // 2], label)]
    k = min(len(palette), int(finite.nunique()))
    y = finite.to_numpy(dtype=float)
    bins = list(quantile_bins(y, k))  # coinciding quantiles merge: fewer classes
    step = max(1, len(palette) // len(bins)) if len(bins) < len(palette) else 1
    picked = [palette[min(i * step, len(palette) - 1)] for i in range(len(bins))]
    colours[finite.index] = [picked[c] for c in bin_ids(y, bins)]
    legend = []
    lower = float(finite.min())
    for i, upper in enumerate(bins):
        label = (
            f"{fmt.quantity(lower)} – {fmt.quantity(upper)} {unit}"
            if i
            else f"≤ {fmt.quantity(upper)} {unit}"
        )
        legend.append((picked[i], label))
        lower = float(upper)
    return colours.tolist(), legend


def classify_minutes(
    values: pd.Series, standard: float | None, vmax: float, missing_label: str
) -> tuple[list, Legend]:
    """Classes anchored on the travel standard (thirds of it, then beyond), as mapclassify's
    ``UserDefined``;
    without a standard, fifths of ``vmax`` (minutes)."""
    finite = values[np.isfinite(values.astype(float))]
    colours = pd.Series(NO_DATA_COLOUR, index=values.index, dtype=object)
    if standard:
        edges = [standard / 3, 2 * standard / 3, standard, 2 * standard]
    else:
        top = max(vmax, 1.0)
        edges = [top / 5 * i for i in range(1, 5)]
    edges.append(max(vmax, edges[-1]) + 1e-9)
    edges = sorted(set(edges))
    legend = []
    if len(finite):
        y = finite.to_numpy(dtype=float)
        user_bins = edges if edges[-1] >= y.max() else [*edges, float(y.max())]
        colours[finite.index] = [MINUTES_PALETTE[c] for c in bin_ids(y, user_bins)]
    lower = 0.0
    for i, upper in enumerate(edges):
        if i == len(edges) - 1:
            label = f"> {lower:.0f} min"
        else:
            label = f"{lower:.0f} – {upper:.0f} min"
            if standard and math.isclose(upper, standard):
                label += " (standard)"
        legend.append((MINUTES_PALETTE[i], label))
        lower = upper
    legend.append((NO_DATA_COLOUR, missing_label))
    return colours.tolist(), legend


def band_colours(bands: list[float]) -> dict[float, str]:
    """A colour per travel-time band of the service areas, the shortest band darkest."""
    return {b: SERVICE_PALETTE[min(i, len(SERVICE_PALETTE) - 1)] for i, b in enumerate(bands)}


def quantile_bins(y: np.ndarray, k: int) -> np.ndarray:
    """The upper bounds of ``k`` quantile classes of ``y`` (coinciding ones merged), as
    ``mapclassify.Quantiles(y, k).bins``."""
    step = 100.0 / k
    percents = np.arange(step, 100 + step, step)
    if percents[-1] > 100.0:
        percents[-1] = 100.0
    ordered = np.sort(np.asarray(y, dtype=float))
    return np.unique(np.array([_score_at_percentile(ordered, p) for p in percents]))


def _score_at_percentile(ordered: np.ndarray, percent: float) -> float:
    """``scipy.stats.scoreatpercentile(y, percent)`` of sorted ``y`` (fractional interpolation,
    the same arithmetic)."""
    index = percent / 100.0 * (len(ordered) - 1)
    i = int(index)
    if i == index:
        return float(np.add.reduce(ordered[i : i + 1] * np.array(1)) / 1.0)
    weights = np.array([(i + 1 - index), (index - i)], float)
    return float(np.add.reduce(ordered[i : i + 2] * weights) / weights.sum())


def bin_ids(y: np.ndarray, bins: list[float] | np.ndarray) -> np.ndarray:
    """The class of each value of ``y``: ``i`` where ``bins[i - 1] < y ≤ bins[i]`` (0 below the
    first bound, and above the last), as mapclassify's ``bin1d``."""
    y = np.asarray(y, dtype=float)
    uppers = [float(b) for b in bins]
    lowers = [-float("inf"), *uppers[:-1]]
    ids = np.zeros(y.shape, dtype=int)
    for k, (lower, upper) in enumerate(zip(lowers, uppers, strict=True)):
        ids += (y > lower) * (y <= upper) * k
    return ids
