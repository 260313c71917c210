"""The stakeholder map (``map.html``): areas, sites, assignments and catchments on a Folium map.

Every string that comes from input data is HTML-escaped before it reaches the page.
"""

from __future__ import annotations

import html

import branca.colormap as cm
import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

STATUS_COLOURS = {
    "kept": "#1f78b4",
    "expanded": "#6a3d9a",
    "opened": "#33a02c",
    "closed": "#e31a1c",
    "candidate not chosen": "#999999",
}
AREA_STATUS_COLOURS = {
    "served": "#4daf4a",
    "partly served": "#ff7f00",
    "unserved": "#e41a1c",
    "unreachable": "#000000",
    "no demand": "#dddddd",
}
COORD_DECIMALS = 5  # ~1 m: enough for a regional map, keeps the file small
SIMPLIFY_M = 15.0


def _escaped(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A copy whose text columns are HTML-escaped and numbers rounded for display."""
    out = frame.copy()
    for column in out.columns:
        if column == out.geometry.name:
            continue
        if pd.api.types.is_float_dtype(out[column]):
            out[column] = out[column].round(2)
        elif not pd.api.types.is_numeric_dtype(out[column]) and not pd.api.types.is_bool_dtype(
            out[column]
        ):
            out[column] = out[column].map(
                lambda v: (
                    None
                    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v))
                    else html.escape(str(v))
                )
            )
    return out


def _light_geometry(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Simplified in a projected CRS and rounded coordinates, so large maps stay small."""
    projected = frame.geometry.to_crs(frame.geometry.estimate_utm_crs())
    simple = projected.simplify(SIMPLIFY_M, preserve_topology=True).to_crs(4326)
    out = frame.copy()
    out[out.geometry.name] = shapely.transform(
        simple.to_numpy(), lambda xy: np.round(xy, COORD_DECIMALS)
    )
    return out


def _popup_table(row: pd.Series, resources: list[str]) -> str:
    esc = html.escape
    lines = [f"<b>{esc(str(row['name']))}</b> ({esc(str(row['status']))})", "<table>"]
    lines.append(
        "<tr><th>resource</th><th>before</th><th>after</th><th>load</th><th>utilisation</th></tr>"
    )
    for r in resources:
        util = row.get(f"{r}_utilisation")
        util_text = f"{util:.0%}" if util is not None and np.isfinite(util) else "–"
        lines.append(
            f"<tr><td>{esc(r)}</td><td>{row[f'{r}_before']:.1f}</td><td>{row[f'{r}_after']:.1f}</td>"
            f"<td>{row[f'{r}_load']:.1f}</td><td>{util_text}</td></tr>"
        )
    lines.append("</table>")
    return "".join(lines)


def build_map(
    areas: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    assignments: gpd.GeoDataFrame,
    catchments: gpd.GeoDataFrame,
    summary: dict,
) -> folium.Map:
    """A Folium map of one run, from the run's output layers (all in EPSG:4326)."""
    resources = summary["resources"]
    primary = resources[0]
    minx, miny, maxx, maxy = areas.total_bounds
    fmap = folium.Map(tiles=None, control_scale=True)
    folium.TileLayer("OpenStreetMap", name="OpenStreetMap").add_to(fmap)
    folium.TileLayer("OpenTopoMap", name="OpenTopoMap", show=False).add_to(fmap)
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])

    shown = _escaped(_light_geometry(areas))
    finite = shown["minutes"].dropna()
    vmax = float(max(finite.max(), 1.0)) if len(finite) else 1.0
    scale = cm.LinearColormap(
        ["#ffffcc", "#fd8d3c", "#800026"], vmin=0, vmax=vmax, caption="minutes to the assigned site"
    )
    tooltip_fields = [
        "area_id",
        "population",
        f"demand_{primary}",
        f"unmet_{primary}",
        "minutes",
        "baseline_minutes",
        "status",
        "site",
    ]

    def minutes_style(feature: dict) -> dict:
        value = feature["properties"].get("minutes")
        colour = "#444444" if value is None else scale(value)
        return {"fillColor": colour, "color": "#555555", "weight": 0.3, "fillOpacity": 0.6}

    def status_style(feature: dict) -> dict:
        colour = AREA_STATUS_COLOURS.get(feature["properties"].get("status"), "#888888")
        return {"fillColor": colour, "color": "#555555", "weight": 0.3, "fillOpacity": 0.6}

    folium.GeoJson(
        shown,
        name="Areas: minutes to assigned site",
        style_function=minutes_style,
        tooltip=folium.GeoJsonTooltip(fields=tooltip_fields),
    ).add_to(fmap)
    folium.GeoJson(
        shown,
        name="Areas: status",
        style_function=status_style,
        show=False,
        tooltip=folium.GeoJsonTooltip(fields=tooltip_fields),
    ).add_to(fmap)
    scale.add_to(fmap)

    if len(catchments):
        folium.GeoJson(
            _escaped(_light_geometry(catchments)),
            name="Catchments",
            show=False,
            style_function=lambda f: {"fillOpacity": 0.0, "color": "#1f78b4", "weight": 2},
            tooltip=folium.GeoJsonTooltip(fields=["site", "population"]),
        ).add_to(fmap)

    lines = folium.FeatureGroup(name="Assignments", show=False)
    primary_lines = assignments[assignments["resource"] == primary]
    qmax = float(primary_lines["quantity"].max()) if len(primary_lines) else 1.0
    for _, row in primary_lines.iterrows():
        coords = [
            (round(y, COORD_DECIMALS), round(x, COORD_DECIMALS)) for x, y in row.geometry.coords
        ]
        folium.PolyLine(
            coords, weight=1 + 4 * row["quantity"] / qmax, color="#6a3d9a", opacity=0.5
        ).add_to(lines)
    lines.add_to(fmap)

    sites_group = folium.FeatureGroup(name="Facilities")
    cap_max = float(facilities[f"{primary}_after"].max() or 1.0)
    for _, row in facilities.iterrows():
        size = max(row[f"{primary}_after"], row[f"{primary}_before"])
        folium.CircleMarker(
            location=(round(row.geometry.y, COORD_DECIMALS), round(row.geometry.x, COORD_DECIMALS)),
            radius=4 + 16 * np.sqrt(size / cap_max) if cap_max > 0 else 5,
            color=STATUS_COLOURS.get(row["status"], "#333333"),
            fill=True,
            fill_opacity=0.8,
            popup=folium.Popup(_popup_table(row, resources), max_width=400),
            tooltip=html.escape(str(row["name"])),
        ).add_to(sites_group)
    sites_group.add_to(fmap)

    plan, base = summary["plan"], summary["baseline"]
    standard = summary.get("max_minutes")
    legend = (
        f"<div style='position:fixed;bottom:20px;left:20px;z-index:9999;background:white;padding:8px;"
        f"border:1px solid #999;font:12px sans-serif;max-width:320px'>"
        f"<b>{html.escape(summary['scenario'])}</b><br>model: {html.escape(summary['model'])}, "
        f"standard: {standard} min<br>covered within standard: baseline {base['covered_pct']:.1f} % → "
        f"plan {plan['covered_pct']:.1f} %<br>unmet {html.escape(primary)}: "
        f"{plan['unmet'][primary]:.1f} of {summary['demand'][primary]:.1f}<br>"
        + "".join(f"<span style='color:{c}'>&#9679;</span> {s} " for s, c in STATUS_COLOURS.items())
        + "</div>"
    )
    fmap.get_root().html.add_child(folium.Element(legend))
    folium.LayerControl(collapsed=False).add_to(fmap)
    return fmap
