"""``map.html`` and ``report.html`` of a telemedicine run (all input text HTML-escaped)."""

from __future__ import annotations

import folium
import geopandas as gpd
import pandas as pd

import geoalloc._text as fmt
from geoalloc.outputs.checks import checks_section
from geoalloc.outputs.escape import text
from geoalloc.outputs.layers import (
    circle_layer,
    circle_record,
    dot,
    in_4326,
    layer_control,
    polygon_layer,
    title_box,
)
from geoalloc.outputs.leaflet import base_map
from geoalloc.outputs.unproven import unproven_box

STATUS_COLOURS = {
    "in person": "#1a9641",
    "telemedicine": "#2b83ba",
    "partly": "#fdae61",
    "still without": "#d7191c",
}


def _area_popup(row: pd.Series) -> str:
    return (
        f"<b>{text(row['area_id'])}</b><br>status: {text(row['status'])}<br>"
        f"population: {fmt.quantity(row['population'])}<br>"
        f"nearest physician: {fmt.minutes(row['minutes_to_physician'])}<br>"
        f"connected: {'yes' if row['connected'] else 'no'}<br>"
        f"outpatient need: {fmt.quantity(row['demand_hours'])} h/week "
        f"(divertible {fmt.quantity(row['divertible_hours'])})<br>"
        f"in person: {fmt.quantity(row['in_person_hours'])} h/week · "
        f"telemedicine: {fmt.quantity(row['tele_hours'])} h/week · "
        f"unmet: {fmt.quantity(row['unmet_hours'])} h/week"
    )


def _site_popup(row: pd.Series) -> str:
    lines = [f"<b>{text(row['name'])}</b> ({text(row['site_id'])})"]
    if row["in_person_hours"] > 0:
        lines.append(
            f"in person: {fmt.quantity(row['in_person_load'])} of "
            f"{fmt.quantity(row['in_person_hours'])} physician-h/week"
        )
    if row["hub_candidate"]:
        lines.append(
            f"hub: {fmt.quantity(row['hub_hours'])} physician-h/week, "
            f"{fmt.quantity(row['hub_load'])} used"
            if row["hub_open"]
            else "hub candidate, not opened"
        )
    return "<br>".join(lines)


def build_telemedicine_map(layers: dict[str, gpd.GeoDataFrame], summary: dict) -> folium.Map:
    """Areas coloured by status (tooltips with the figures), physical sites and hubs as markers
    with popups; self-contained once written by :func:`geoalloc.outputs.leaflet.save_map`."""
    areas = in_4326(layers["areas"])
    sites = in_4326(layers["facilities"])
    fmap = base_map(areas)
    polygon_layer(
        fmap,
        areas,
        "Areas: access status",
        tips=[_area_popup(row) for _, row in areas.iterrows()],
        colours=[STATUS_COLOURS.get(s, "#999999") for s in areas["status"]],
        style={"color": "#333333", "weight": 1, "fillOpacity": 0.55},
    )
    physical: list[dict] = []
    hubs: list[dict] = []
    for i, (_, row) in enumerate(sites.iterrows()):
        if row["in_person_hours"] > 0:
            target, colour, radius = physical, "#000000", 8
        elif row["hub_candidate"]:
            target = hubs
            colour = "#2b83ba" if row["hub_open"] else "#bbbbbb"
            radius = 6 + min(10.0, row["hub_hours"] / 5.0) if row["hub_open"] else 4
        else:
            continue
        target.append(
            circle_record(
                row.geometry,
                radius=radius,
                colour=colour,
                tip=text(row["name"]),
                popup=_site_popup(row),
                css_class=f"geoalloc-site geoalloc-site-{i}",
            )
        )
    circle_layer(fmap, physical, "Sites with physician-hours")
    circle_layer(fmap, hubs, "Telemedicine hubs (size: hours)")
    figures = summary["telemedicine"]
    legend = "".join(f"<br>{dot(c, text(s))}" for s, c in STATUS_COLOURS.items())
    title_box(
        fmap,
        f"<b>{text(summary['scenario'])}</b> · T = {fmt.minutes(summary['max_minutes'])}<br>"
        f"beyond T (physical only): {fmt.quantity(figures['people_beyond_t_physical_only'])} people"
        f"<br>gaining access via telemedicine: "
        f"{fmt.quantity(figures['people_gaining_access_through_telemedicine'])}<br>"
        f"still without any: {fmt.quantity(figures['people_still_without_any'])}{legend}",
        summary,
    )
    layer_control(fmap)
    return fmap


def _table(frame: pd.DataFrame) -> str:
    head = "".join(f"<th>{text(c)}</th>" for c in frame.columns)
    rows = "".join(
        "<tr>" + "".join(f"<td>{_cell(v)}</td>" for v in row) + "</tr>"
        for row in frame.itertuples(index=False)
    )
    return f"<table><tr>{head}</tr>{rows}</table>"


def _cell(value: object) -> str:
    if isinstance(value, float):
        return fmt.quantity(value)
    return text(value)


def telemedicine_report_html(layers: dict[str, gpd.GeoDataFrame], summary: dict) -> str:
    figures = summary["telemedicine"]
    rows = pd.DataFrame(
        [(k.replace("_", " "), v) for k, v in figures.items() if not isinstance(v, dict | list)],
        columns=["figure", "value"],
    )
    hubs = pd.DataFrame(
        list(figures["physician_hours_by_hub"].items()), columns=["hub", "physician-hours/week"]
    )
    sites = layers["facilities"].set_index("site_id")["name"]
    hubs.insert(1, "name", sites.reindex(hubs["hub"]).to_numpy())
    columns = [
        "area_id",
        "population",
        "minutes_to_physician",
        "beyond_t",
        "connected",
        "demand_hours",
        "in_person_hours",
        "tele_hours",
        "unmet_hours",
        "status",
    ]
    areas = pd.DataFrame(layers["areas"][columns])
    solver = summary["solver"]
    groups = pd.DataFrame(figures.get("by_group") or [])
    by_group = (
        "<h2>By group</h2>" + _table(groups.rename(columns=lambda c: c.replace("_", " ")))
        if len(groups)
        else ""
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{text(summary['scenario'])} — telemedicine</title>"
        "<style>body{font:14px sans-serif;margin:2em}td,th{border:1px solid #ccc;"
        "padding:3px 6px}table{border-collapse:collapse;margin-bottom:1.5em}</style></head><body>"
        f"<h1>{text(summary['scenario'])}: telemedicine coverage</h1>{unproven_box(summary)}{checks_section(summary)}"
        f"<p>Standard T = {fmt.minutes(summary['max_minutes'])} by road to a site with "
        "physician-hours. Hours are physician-hours per week.</p>"
        f"{_table(rows)}{by_group}<h2>Physician-hours by hub</h2>{_table(hubs)}"
        f"<h2>Areas</h2>{_table(areas)}"
        f"<p>Solver {text(solver['name'])}: {text(solver['status'])}, objective "
        f"{fmt.quantity(solver['objective'])}, gap {text(solver['gap'])}.</p></body></html>"
    )
