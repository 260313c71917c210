"""Road speeds: OSM ``maxspeed`` where tagged, else a per-class table that a scenario can override.

Rural regions rarely tag ``maxspeed``, so the class table carries most of the weight there. The
defaults are the usual free-flow figures for Europe (km/h); override them per highway class with
``speeds_kph={"residential": 25, ...}``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

from geoalloc._errors import InputError

#: Free-flow speed per OSM ``highway`` class for driving, km/h (used where ``maxspeed`` is absent).
DRIVE_SPEEDS_KPH: dict[str, float] = {
    "motorway": 110.0,
    "motorway_link": 60.0,
    "trunk": 90.0,
    "trunk_link": 50.0,
    "primary": 70.0,
    "primary_link": 40.0,
    "secondary": 60.0,
    "secondary_link": 40.0,
    "tertiary": 50.0,
    "tertiary_link": 35.0,
    "unclassified": 40.0,
    "residential": 30.0,
    "living_street": 10.0,
    "service": 20.0,
    "road": 40.0,
    "busway": 40.0,
    "track": 15.0,
}
#: Speed of a class missing from the table, km/h.
DRIVE_OTHER_KPH = 30.0
#: Walking and cycling speeds, km/h, the same on every class unless overridden.
MODE_SPEEDS_KPH: dict[str, float] = {"walk": 5.0, "bike": 15.0}

# Implicit limits written as "<country>:<zone>" (e.g. "FI:urban", "DE:rural"), km/h.
_ZONE_KPH = {
    "urban": 50.0,
    "rural": 90.0,
    "motorway": 120.0,
    "trunk": 100.0,
    "living_street": 20.0,
    "zone20": 20.0,
    "zone30": 30.0,
    "walk": 5.0,
}
_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(mph|km/h|kmh|kph)?\s*$")
MPH_TO_KPH = 1.609344


def parse_maxspeed(value: object) -> float:
    """Speed in km/h from an OSM ``maxspeed`` value, or ``nan`` when it gives none.

    Handles numbers (``"50"``), units (``"30 mph"``), lists (``"50;30"`` → the mean, as osmnx),
    zones (``"FI:urban"``, ``"DE:zone30"``). ``"none"``, ``"signals"`` and the like give ``nan``.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return math.nan
    if isinstance(value, list):
        parts = [str(v) for v in value]
    else:
        parts = re.split(r"[;|]", str(value))
    speeds = []
    for part in parts:
        match = _NUMBER.match(part)
        if match:
            speed = float(match.group(1))
            if match.group(2) == "mph":
                speed *= MPH_TO_KPH
            if speed > 0:
                speeds.append(speed)
        elif ":" in part:
            zone = part.split(":", 1)[1].strip().lower()
            if zone in _ZONE_KPH:
                speeds.append(_ZONE_KPH[zone])
    return float(np.mean(speeds)) if speeds else math.nan


def class_speeds(
    mode: str, overrides: Mapping[str, float] | None = None
) -> tuple[dict[str, float], float]:
    """The per-class speed table for ``mode`` (``overrides`` applied) and the fallback speed."""
    if mode == "drive":
        table, other = dict(DRIVE_SPEEDS_KPH), DRIVE_OTHER_KPH
    elif mode in MODE_SPEEDS_KPH:
        table, other = {}, MODE_SPEEDS_KPH[mode]
    else:
        msg = f"mode {mode!r} is not one of drive, walk, bike"
        raise InputError(msg)
    bad = {k: v for k, v in (overrides or {}).items() if not (isinstance(v, int | float) and v > 0)}
    if bad:
        msg = f"speeds_kph: speeds must be positive numbers in km/h, got {bad}"
        raise InputError(msg)
    table.update({str(k): float(v) for k, v in (overrides or {}).items()})
    other = table.pop("other", other)
    return table, other


def edge_speeds_kph(
    highway: pd.Series,
    maxspeed: pd.Series,
    mode: str,
    overrides: Mapping[str, float] | None = None,
) -> np.ndarray:
    """Speed of each edge in km/h.

    Driving uses the tagged ``maxspeed`` where it parses, else the class table. Walking and cycling
    use the mode's speed on every class (``maxspeed`` is a limit for vehicles, not a walking speed),
    unless ``overrides`` names the class.
    """
    table, other = class_speeds(mode, overrides)
    first_class = highway.map(lambda h: h[0] if isinstance(h, list) else h)
    by_class = first_class.map(table).astype(float).fillna(other).to_numpy()
    if mode != "drive":
        return by_class
    cache: dict[object, float] = {}

    def parse(value: object) -> float:
        key = tuple(value) if isinstance(value, list) else value
        if key not in cache:
            cache[key] = parse_maxspeed(value)
        return cache[key]

    tagged = np.array([parse(v) for v in maxspeed], dtype=float) if len(maxspeed) else np.empty(0)
    return np.where(np.isfinite(tagged), tagged, by_class)
