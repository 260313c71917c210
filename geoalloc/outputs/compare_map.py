"""Another run on a run's map: what ``geoalloc compare --map`` adds to run B's planning map."""

from __future__ import annotations

import folium
import geopandas as gpd

import geoalloc._text as fmt
from geoalloc.outputs.escape import text
from geoalloc.outputs.layers import circle_layer, circle_record, in_4326, polygon_layer
from geoalloc.outputs.styles import ACCESS_CHANGE_COLOURS, OTHER_SITE_COLOUR, STATUS_COLOURS


def add_comparison(
    fmap: folium.Map,
    comparison: dict,
    areas: gpd.GeoDataFrame,
    other_facilities: gpd.GeoDataFrame,
) -> folium.Map:
    """Add the other run of ``comparison`` (from :func:`geoalloc.runs.compare.compare_runs`, this map
    being run B) as layers: the areas that gained or lost access, and run A's facilities.

    ``areas``: this run's areas layer (for the polygons); ``other_facilities``: run A's
    facilities layer (columns ``site_id``, ``name``, ``status``, geometry).
    """
    other = text(comparison["scenario_a"])
    rows = [
        (row, kind)
        for kind, key in (
            ("gained access", "areas_gained_access"),
            ("lost access", "areas_lost_access"),
        )
        for row in comparison[key]
    ]
    shapes = in_4326(areas).set_index(areas["area_id"].astype(str).to_numpy())
    changed = shapes.loc[[row["area"] for row, _ in rows]] if rows else shapes.iloc[:0]
    name = f"Compared with {other}: areas that gained/lost access"
    polygon_layer(
        fmap,
        changed,
        name if rows else f"{name} (none)",
        tips=[
            f"<b>area {text(row['area'])}</b>: {kind} compared with {other}<br>"
            f"nearest open site: {fmt.minutes(row['minutes_a'])} → "
            f"{fmt.minutes(row['minutes_b'])}<br>population: {fmt.quantity(row['population'])}"
            for row, kind in rows
        ],
        colours=[ACCESS_CHANGE_COLOURS[kind] for _, kind in rows],
        style={"color": "#222", "weight": 1.5, "fillOpacity": 0.7},
        show=bool(rows),
    )
    sites = in_4326(other_facilities)
    records = [
        circle_record(
            point,
            radius=6,
            colour=STATUS_COLOURS.get(str(status), OTHER_SITE_COLOUR),
            tip=f"{text(site_name)} ({text(status)} in {other})",
            css_class="geoalloc-other-site",
        )
        for point, site_name, status in zip(
            sites.geometry, sites["name"], sites["status"], strict=True
        )
    ]
    circle_layer(fmap, records, f"{other}: facilities", show=False, fill_opacity=0.35)
    return fmap
