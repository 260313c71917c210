"""Areas and sites joined to the road network from far away: flagged with their distance.

A point off the road graph reaches it by a straight-line leg to its nearest node at
``[network] access_speed_kph`` (by mode: drive 20, walk 5, bike 15 km/h). Up to
``[network] far_snap_m`` (300 m) that leg is a driveway or a block; beyond it the point is
probably off the extract's roads and its minutes rest on a guess, so every such area and site is
listed — in ``summary["far_snaps"]``, the layers' ``snap_m`` / ``far_snap`` columns, the report
and the console. Beyond ``max_snap_m`` a point is not routed at all (``travel_flags``).
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geoalloc.travel.matrix import TravelMatrix
from geoalloc.travel.options import NetworkOptions

#: the ``travel_flag`` of an area joined farther than ``far_snap_m`` (when it has no other flag)
FAR_SNAP_FLAG = "far_snap"
#: the matrix's roles, as the run's layers name them
ROLES = {"origin": "area", "destination": "site"}


def snapping_summary(network: NetworkOptions) -> dict[str, Any] | None:
    """``summary["snapping"]``: how points join the road network (None without roads: crowfly
    or a travel table snap nothing)."""
    if not network.has_roads:
        return None
    return {
        "mode": network.mode,
        "access_speed_kph": network.access_kph,
        "far_snap_m": network.far_snap_m,
        "max_snap_m": network.max_snap_m,
    }


def far_snap_records(
    matrix: TravelMatrix,
    network: NetworkOptions,
    *,
    site_names: pd.Series | None = None,
    population: pd.Series | None = None,
) -> list[dict[str, Any]]:
    """``summary["far_snaps"]``: one record per area or site joined from farther than
    ``far_snap_m``, farthest first.

    Each record holds ``id``, ``role`` (``area`` or ``site``), ``name`` (a site's name; None for
    an area), ``snap_m`` (metres to its road node, straight line), ``access_minutes`` (the leg's
    minutes at ``access_speed_kph``, counted once per trip end) and, for an area, ``population``.
    Empty without roads.
    """
    if not network.has_roads:
        return []
    far = matrix.far_snaps(network.far_snap_m)
    speed_m_per_min = network.access_kph * 1000.0 / 60.0
    records = []
    for row in far.itertuples(index=False):
        role = ROLES[str(row.role)]
        record: dict[str, Any] = {
            "id": row.id,
            "role": role,
            "name": None,
            "snap_m": float(row.snap_m),
            "access_minutes": float(row.snap_m) / speed_m_per_min,
        }
        if role == "site" and site_names is not None and row.id in site_names.index:
            record["name"] = str(site_names[row.id])
        if role == "area" and population is not None and row.id in population.index:
            record["population"] = float(population[row.id])
        records.append(record)
    return records


def add_snap_columns(
    layers: dict[str, gpd.GeoDataFrame], matrix: TravelMatrix, network: NetworkOptions
) -> None:
    """``snap_m`` (metres from the point to its road node; empty when not snapped or without
    roads) and ``far_snap`` (farther than ``far_snap_m``) on the ``areas`` and ``facilities``
    layers; an area joined far gets ``travel_flag`` ``far_snap`` unless it has a flag already."""
    table = matrix.snap_table()
    for layer_name, id_column, role in (
        ("areas", "area_id", "origin"),
        ("facilities", "site_id", "destination"),
    ):
        layer = layers.get(layer_name)
        if layer is None:
            continue
        side = table[table["role"] == role].drop_duplicates("id").set_index("id")["snap_m"]
        snap = layer[id_column].map(side).astype(float) if len(side) else np.nan
        layer["snap_m"] = snap
        far = (layer["snap_m"] > network.far_snap_m) & network.has_roads
        layer["far_snap"] = far.astype(bool)
        if layer_name == "areas" and "travel_flag" in layer.columns:
            flag = layer["travel_flag"].astype(object)
            layer["travel_flag"] = flag.where(flag.notna() | ~far, FAR_SNAP_FLAG)
