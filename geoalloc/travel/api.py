"""One entry point for the pipeline: the travel matrix a scenario's ``[network]`` asks for."""

from __future__ import annotations

import geopandas as gpd

from geoalloc._errors import InputError
from geoalloc.travel.crowfly import crowfly_matrix
from geoalloc.travel.matrix import TravelMatrix
from geoalloc.travel.options import NetworkOptions


def compute_matrix(
    options: NetworkOptions,
    origins: gpd.GeoDataFrame,
    destinations: gpd.GeoDataFrame,
    *,
    max_minutes: float | None = None,
) -> TravelMatrix:
    """Travel minutes from ``origins`` to ``destinations`` (point GeoDataFrames indexed by id)."""
    if options.is_crowfly:
        return crowfly_matrix(
            origins,
            destinations,
            speed_kph=options.speed_kph,
            circuity=options.circuity,
            max_minutes=max_minutes,
        )
    msg = f"[network] source {options.source!r}: road graphs are not supported yet — use 'crowfly'"
    raise InputError(msg)
