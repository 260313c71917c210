"""The maps' colours and how values become colours: status colours, palettes, and the classes of
minutes (anchored on the travel standard) and of other values (quantiles, as mapclassify's).

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
SERVICE_PALETTE = ["#238b45", "#74c476", "#bae4b3", "#edf8e9", "#f7fcf5"]
NO_DATA_COLOUR = "#bbbbbb"
#: outline and fill of the area choropleths
AREA_STYLE = {"color": "#555555", "weight": 0.3, "fillOpacity": 0.65}

Legend = list[tuple[str, str]]


def quantile_bins(y: np.ndarray, k: int) -> np.ndarray:
    """The upper bounds of ``k`` quantile classes of ``y``, equal ones merged: mapclassify's
    ``Quantiles(y, k).bins`` to the last bit (its percentiles are scipy's ``scoreatpercentile``),
    without importing mapclassify (which loads scikit-learn and matplotlib's pyplot)."""
    ordered = np.sort(np.asarray(y, dtype=float))
    step = 100.0 / k
    percents = np.arange(step, 100 + step, step)
    if percents[-1] > 100.0:
        percents[-1] = 100.0
    scores = []
    for percent in percents:
        index = percent / 100.0 * (len(ordered) - 1)
        i = int(index)
        if i == index:
            scores.append(ordered[i])
        else:  # the same weighted sum as scipy, so the same rounding
            weights = np.array([(i + 1 - index), (index - i)], float)
            scores.append(np.add.reduce(ordered[i : i + 2] * weights) / weights.sum())
    return np.unique(np.array(scores))


def class_of(y: np.ndarray, upper: list[float] | np.ndarray) -> np.ndarray:
    """The class of each value: ``j`` where ``upper[j-1] < y <= upper[j]`` (0 up to
    ``upper[0]``), as mapclassify's ``bin1d``; every value must be ``<= upper[-1]``."""
    return np.searchsorted(np.asarray(upper, dtype=float), np.asarray(y, dtype=float), side="left")


def classify_quantiles(values: pd.Series, palette: list[str], unit: str) -> tuple[list, Legend]:
    """Colour per value (quantile classes as mapclassify's) and legend rows ``(colour, label)``;
    ``unit`` is HTML (escape input text)."""
    finite = values[np.isfinite(values.astype(float))]
    colours = pd.Series(NO_DATA_COLOUR, index=values.index, dtype=object)
    if finite.nunique() < 2:
        label = f"{fmt.quantity(finite.iloc[0])} {unit}" if len(finite) else "no data"
        colours[finite.index] = palette[len(palette) // 2]
        return colours.tolist(), [(palette[len(palette) // 2], label)]
    k = min(len(palette), int(finite.nunique()))
    y = finite.to_numpy(dtype=float)
    bins = list(quantile_bins(y, k))  # quantiles that coincide are merged: fewer classes
    step = max(1, len(palette) // len(bins)) if len(bins) < len(palette) else 1
    picked = [palette[min(i * step, len(palette) - 1)] for i in range(len(bins))]
    colours[finite.index] = [picked[c] for c in class_of(y, bins)]
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
        upper = [*edges, float(y.max())] if edges[-1] < y.max() else edges
        colours[finite.index] = [MINUTES_PALETTE[c] for c in class_of(y, upper)]
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
