"""An update's changes on its map: the sites it opens, closes or resizes, and what each buys."""

from __future__ import annotations

import folium
import geopandas as gpd
from folium.map import Layer

import geoalloc._text as fmt
from geoalloc.outputs.escape import text
from geoalloc.outputs.layers import Legend, circle_layer, circle_record, in_4326

#: ring colours of the changes (the status colours of the sites stay those of the plan)
CHANGE_COLOURS = {
    "open": "#1a9850",
    "close": "#111111",
    "add": "#2166ac",
    "remove": "#b2182b",
}
CHANGE_WORDS = {
    "open": "opened by the update",
    "close": "closed by the update",
    "add": "units added by the update",
    "remove": "units removed by the update",
}


def _tip(row: dict) -> str:
    what = CHANGE_WORDS[row["change"]]
    if row["change"] in ("add", "remove"):
        what = (
            f"{fmt.number(row.get('units'), 0)} {text(row.get('resource'))} {what.split(' ', 1)[1]}"
        )
    name = text(row.get("name") or row["site"])
    buys = (
        f"<br>unmet avoided: {fmt.number(row.get('unmet_avoided'))} units; demand-minutes "
        f"avoided: {fmt.number(row.get('demand_minutes_avoided'), 0)}"
        if row.get("unmet_avoided") is not None
        else ""
    )
    return f"<b>{name}</b>: {what}{buys}"


def add_changes(fmap: folium.Map, legend: Legend, changes: gpd.GeoDataFrame | None) -> Layer:
    """The ``changes`` layer of an update as rings around the sites, with a legend section."""
    rows = [] if changes is None else in_4326(changes).to_dict(orient="records")
    records = [
        circle_record(
            row["geometry"],
            radius=14,
            colour=CHANGE_COLOURS[row["change"]],
            tip=_tip(row),
            css_class="geoalloc-change",
        )
        for row in rows
        if row.get("geometry") is not None
    ]
    kinds = sorted({row["change"] for row in rows}, key=list(CHANGE_COLOURS).index)
    legend_id = legend.section(
        "geoalloc-legend-changes",
        "what the update changes (rings)",
        [(CHANGE_COLOURS[k], CHANGE_WORDS[k]) for k in kinds] or [("#999999", "no change")],
        symbol="ring",
    )
    name = "Update: changes" if records else "Update: changes (none)"
    return circle_layer(
        fmap, records, name, fill_opacity=0.0, weight=3.0, legend_id=legend_id, show=True
    )
