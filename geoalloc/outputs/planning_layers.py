"""The layers of a planning run's map, one builder each, from the run's output layers (EPSG:4326).

Each builder adds its layer to the map (and its section to the :class:`~geoalloc.outputs.layers.Legend`
when it has one) and returns it, so that :func:`geoalloc.outputs.planning_map.build_map` is the
sequence of layers the page shows, in the order of the layer control.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from folium.map import Layer

import geoalloc._text as fmt
from geoalloc.outputs.access import access_title
from geoalloc.outputs.escape import text
from geoalloc.outputs.layers import (
    SIMPLIFY_M,
    Legend,
    circle_layer,
    circle_record,
    in_4326,
    inner_points,
    line_layer,
    line_record,
    polygon_data,
    polygon_layer,
    polygon_view,
)
from geoalloc.outputs.leaflet import GeoJsonData
from geoalloc.outputs.popups import Names, area_heading, area_tooltips, facility_popup
from geoalloc.outputs.styles import (
    ACCESS_PALETTE,
    AREA_STATUS_COLOURS,
    ASSIGNMENT_COLOUR,
    BASELINE_SITE_COLOUR,
    CATCHMENT_COLOUR,
    DEMAND_PALETTE,
    NO_DATA_COLOUR,
    OTHER_SITE_COLOUR,
    RISK_PALETTE,
    SHIPMENT_COLOUR,
    STATUS_COLOURS,
    TEMPORARY_STATUS_COLOURS,
    UNMET_COLOUR,
    UNMET_DASH,
    band_colours,
    classify_minutes,
    classify_quantiles,
)


@dataclass(frozen=True)
class AreaLayers:
    """The areas, embedded once, and what the later baseline layer needs of them."""

    data: GeoJsonData
    plan_minutes: Layer  #: the choropleth shown first, switched with the baseline's
    baseline_legend: list[tuple[str, str]]  #: the classes of the property ``b``
    #: the baseline layer's legend title and style
    baseline_title: str = "minutes to the nearest existing site (baseline)"
    style: dict | None = None


def area_layers(
    fmap: folium.Map, areas: gpd.GeoDataFrame, summary: dict, legend: Legend
) -> AreaLayers:
    """One embedded set of areas and its choropleths: *Plan: minutes to assigned site* (shown),
    *Areas: demand*, *Plan: coverage status*, with a ``los_risk`` column *Areas:
    LOS-risk-weighted demand*, and with ``summary["access"]`` *Access: <units> (<method>)* (the
    plan's index); minutes classed on the travel standard, others by quantiles."""
    resources = list(summary["resources"])
    primary = text(resources[0])
    props = pd.DataFrame(index=areas.index)
    props["tip"] = area_tooltips(areas, resources)
    all_minutes = pd.concat([areas["minutes"], areas["baseline_minutes"]]).astype(float)
    finite_max = all_minutes[np.isfinite(all_minutes)]
    vmax = float(finite_max.max()) if len(finite_max) else 1.0
    standard = summary.get("max_minutes")
    props["m"], legend_minutes = classify_minutes(
        areas["minutes"].astype(float), standard, vmax, "no assignment"
    )
    props["b"], legend_base = classify_minutes(
        areas["baseline_minutes"].astype(float), standard, vmax, "no existing site in reach"
    )
    demand = areas[f"demand_{resources[0]}"].astype(float)
    props["d"], legend_demand = classify_quantiles(demand, DEMAND_PALETTE, primary)
    props["s"] = areas["status"].map(AREA_STATUS_COLOURS).fillna(NO_DATA_COLOUR).tolist()
    choropleths = [
        ("m", "Plan: minutes to assigned site", legend_minutes, "minutes to the assigned site"),
        ("d", f"Areas: demand ({primary} needed)", legend_demand, f"{primary} needed"),
        (
            "s",
            "Plan: coverage status",
            [(c, s) for s, c in AREA_STATUS_COLOURS.items()],
            "coverage status (plan)",
        ),
    ]
    if "los_risk" in areas.columns:
        weighted = demand * areas["los_risk"].astype(float)
        props["r"], legend_risk = classify_quantiles(weighted, RISK_PALETTE, primary)
        choropleths.append(
            ("r", "Areas: LOS-risk-weighted demand", legend_risk, f"{primary} needed × LOS risk")
        )
    access = summary.get("access")
    if access and access["columns"]["plan"] in areas.columns:
        values = areas[access["columns"]["plan"]].astype(float)
        units = text(access["units"])
        props["a"], legend_access = classify_quantiles(values, ACCESS_PALETTE, units)
        choropleths.append(("a", access_title(access), legend_access, access_title(access)))
    data = polygon_data(fmap, areas, props)
    shown = []
    for key, name, rows, title in choropleths:
        legend_id = f"geoalloc-legend-{key}"
        show = key == "m"
        shown.append(polygon_view(fmap, data, name, colour_key=key, legend_id=legend_id, show=show))
        legend.section(legend_id, title, rows)
    return AreaLayers(data, shown[0], legend_base)


def baseline_area_layer(fmap: folium.Map, areas: AreaLayers, legend: Legend) -> Layer:
    """*Baseline: minutes to nearest existing site*, from the areas of :func:`area_layers`."""
    legend_id = legend.section("geoalloc-legend-b", areas.baseline_title, areas.baseline_legend)
    name = "Baseline: minutes to nearest existing site"
    return polygon_view(
        fmap, areas.data, name, colour_key="b", legend_id=legend_id, style=areas.style
    )


def facility_layer(
    fmap: folium.Map,
    facilities: gpd.GeoDataFrame,
    resources: list[str],
    legend: Legend,
    *,
    baseline: bool = False,
) -> Layer:
    """*Plan: facilities*: circles sized by the first resource's capacity after the plan and
    coloured by status (the statuses present in the legend), with popups; ``baseline``:
    *Baseline: existing facilities*, sized by the capacity before."""
    primary = resources[0]
    after = facilities[f"{primary}_after"].astype(float).fillna(0.0)
    before = facilities[f"{primary}_before"].astype(float).fillna(0.0)
    largest = float(max(after.max(), before.max(), 1e-9))
    capacity = before if baseline else after
    kind = "base-site" if baseline else "site"
    records = []
    points = facilities.geometry.tolist()
    sizes = capacity.tolist()
    # rows as plain dicts: iterrows builds a Series per site (~1 ms each, 2 s for 2,000 sites)
    for i, row in enumerate(facilities.to_dict(orient="records")):
        if baseline and not bool(row.get("existing", False)):
            continue
        status = str(row["status"])
        if baseline:
            colour, tip = BASELINE_SITE_COLOUR, f"{text(row.get('name'))} (existing)"
        else:
            colour = status_colour(status)
            tip = f"{text(row.get('name'))} ({text(status)})"
        records.append(
            circle_record(
                points[i],
                radius=round(4 + 14 * math.sqrt(max(sizes[i], 0.0) / largest), 1),
                colour=colour,
                tip=tip,
                popup=facility_popup(row, resources, baseline=baseline),
                css_class=f"geoalloc-{kind} geoalloc-{kind}-{i}",
            )
        )
    if baseline:
        legend_id = legend.section(
            "geoalloc-legend-base-sites",
            f"existing facilities (size: {text(primary)} today)",
            [(BASELINE_SITE_COLOUR, "existing site")],
            symbol="dot",
        )
        return circle_layer(
            fmap, records, "Baseline: existing facilities", show=False, legend_id=legend_id
        )
    legend_id = legend.section(
        "geoalloc-legend-sites",
        f"facilities (size: {text(primary)} after the plan)",
        status_rows(facilities["status"]),
        symbol="dot",
    )
    return circle_layer(fmap, records, "Plan: facilities", show=True, legend_id=legend_id)


def status_colour(status: object) -> str:
    """A site's colour on every map: by its status, :data:`OTHER_SITE_COLOUR` for any other."""
    return (STATUS_COLOURS | TEMPORARY_STATUS_COLOURS).get(str(status), OTHER_SITE_COLOUR)


def status_rows(statuses: pd.Series) -> list[tuple[str, str]]:
    """``(colour, status)`` of each status present, in the order of the status colours (then
    any other status, in the colour of :data:`OTHER_SITE_COLOUR`)."""
    present = {str(s) for s in statuses}
    colours = STATUS_COLOURS | TEMPORARY_STATUS_COLOURS
    known = [(c, text(s)) for s, c in colours.items() if s in present]
    other = [(OTHER_SITE_COLOUR, text(s)) for s in sorted(present - set(colours))]
    return known + other


def assignment_layer(
    fmap: folium.Map,
    assignments: gpd.GeoDataFrame,
    primary: str,
    legend: Legend,
    names: Names,
) -> Layer:
    """*Plan: assignment lines*: one line per (area, site), width by the quantity of ``primary``
    (of all resources when ``primary`` is not assigned); tooltips name the area and the site."""
    records = []
    if len(assignments):
        lines = in_4326(assignments)
        first = lines.drop_duplicates(["area", "site"]).set_index(["area", "site"])
        quantities = lines.pivot_table(
            index=["area", "site"], columns="resource", values="quantity", aggfunc="sum"
        )
        weights = quantities.get(primary, quantities.sum(axis=1)).fillna(0.0)
        largest = float(max(weights.max(), 1e-9))
        # one row per line, aligned on the lines' order (a label lookup per line took ~0.5 s
        # for Chicago's 887 lines)
        per_line = quantities.reindex(first.index)
        units = per_line.to_numpy(dtype=float)
        line_weights = weights.reindex(first.index).fillna(0.0).to_numpy(dtype=float)
        resource_names = [text(r) for r in per_line.columns]
        for key, geom, row, weight, minutes in zip(
            first.index, first.geometry, units, line_weights, first["minutes"], strict=True
        ):
            if geom is None or geom.is_empty:
                continue
            what = ", ".join(
                f"{fmt.quantity(q)} {r}"
                for r, q in zip(resource_names, row, strict=True)
                if np.isfinite(q) and q > 0
            )
            tip = f"{names.area(key[0])} → {names.site(key[1])}: {what} ({fmt.minutes(minutes)})"
            records.append(line_record(geom, width=1 + 5 * float(weight) / largest, tip=tip))
    return assignment_lines(
        fmap, legend, records, primary, "from an area to the site that serves it"
    )


def assignment_lines(
    fmap: folium.Map, legend: Legend, records: list, primary: str, drawn_from: str
) -> Layer:
    """*Plan: assignment lines* from :func:`line_record` records, off at first, with its legend
    section (``drawn_from``: what a line joins, in words); per area or per display cell."""
    legend_id = legend.section(
        "geoalloc-legend-lines",
        f"assignment lines (width: {text(primary)} assigned)",
        [(ASSIGNMENT_COLOUR, drawn_from)],
        symbol="line",
    )
    return line_layer(
        fmap,
        records,
        "Plan: assignment lines",
        show=False,
        colour=ASSIGNMENT_COLOUR,
        legend_id=legend_id,
    )


def unmet_layer(
    fmap: folium.Map, areas: gpd.GeoDataFrame, resources: list[str], legend: Legend
) -> Layer:
    """*Plan: unmet demand*: a dashed magenta ring inside each area left short, sized by its
    unmet units on the scale of the largest area's demand (a full ring is an area as needy as any
    left wholly short; a sliver of one resident's need stays a small ring), a symbol no site has
    (red is a closed site), with its legend entry."""
    unmet_total = sum(areas[f"unmet_{r}"].astype(float).fillna(0.0) for r in resources)
    demand_total = sum(areas[f"demand_{r}"].astype(float).fillna(0.0) for r in resources)
    short = areas[unmet_total > 1e-9]
    records = []
    if len(short):
        largest = float(max(demand_total.max(), unmet_total.max()))
        for (idx, row), point in zip(short.iterrows(), inner_points(short), strict=True):
            tip = f"{area_heading(row)}<br>unmet: " + ", ".join(
                f"{fmt.quantity(row[f'unmet_{r}'])} {text(r)}" for r in resources
            )
            radius = round(3 + 12 * math.sqrt(unmet_total[idx] / largest), 1)
            records.append(
                circle_record(
                    point, radius=radius, colour=UNMET_COLOUR, tip=tip, css_class="geoalloc-unmet"
                )
            )
    return unmet_rings(
        fmap,
        records,
        legend,
        "unmet demand (size: units short)",
        "an area's demand that no site serves",
    )


def unmet_rings(
    fmap: folium.Map, records: list[dict], legend: Legend, title: str, meaning: str
) -> Layer:
    """*Plan: unmet demand* from its ring ``records`` (dashed, below the facilities), with its
    legend section; shown at first when there are any, named "(none)" when there are not."""
    legend_id = legend.section(
        "geoalloc-legend-unmet",
        title,
        [(UNMET_COLOUR, meaning)],
        symbol="ring",
    )
    return circle_layer(
        fmap,
        records,
        "Plan: unmet demand" if records else "Plan: unmet demand (none)",
        show=bool(records),
        fill_opacity=0.15,
        pane="overlayPane",  # below the facilities
        weight=2.0,
        dash=UNMET_DASH,
        legend_id=legend_id,
    )


def catchment_layer(
    fmap: folium.Map,
    catchments: gpd.GeoDataFrame,
    legend: Legend,
    names: Names,
    *,
    simplify_m: float = SIMPLIFY_M,
) -> Layer | None:
    """*Plan: catchments*: the outline of the areas each site serves, when there are any;
    outlines simplified by ``simplify_m`` metres."""
    if not len(catchments):
        return None
    tips = [
        f"catchment of {names.site(s)}: population {fmt.quantity(p)}"
        for s, p in zip(catchments["site"], catchments["population"], strict=True)
    ]
    style = {"color": CATCHMENT_COLOUR, "weight": 2, "fillOpacity": 0.0}
    legend_id = legend.section(
        "geoalloc-legend-catchments",
        "catchments",
        [(CATCHMENT_COLOUR, "outline of the areas a site serves")],
        symbol="outline",
    )
    return polygon_layer(
        fmap,
        catchments,
        "Plan: catchments",
        tips=tips,
        style=style,
        legend_id=legend_id,
        show=False,
        simplify_m=simplify_m,
    )


def service_area_layer(
    fmap: folium.Map,
    service_areas: gpd.GeoDataFrame | None,
    legend: Legend,
    names: Names | None = None,
    *,
    simplify_m: float = SIMPLIFY_M,
) -> Layer | None:
    """*Service areas (isochrones)*, when given: a polygon per site and band, the largest band
    drawn first so the inner bands stay on top; outlines simplified by ``simplify_m`` metres."""
    if service_areas is None or not len(service_areas):
        return None
    service = service_areas.sort_values("minutes", ascending=False)
    bands = sorted(service["minutes"].astype(float).unique())
    colour = band_colours(bands)
    legend_id = legend.section(
        "geoalloc-legend-service",
        "service areas (minutes to the site)",
        [(colour[b], f"≤ {b:g} min") for b in bands],
    )
    return polygon_layer(
        fmap,
        service,
        "Service areas (isochrones)",
        tips=[
            f"{(names or Names({}, {})).site(s)}: within {float(m):g} min"
            for s, m in zip(service["site"], service["minutes"], strict=True)
        ],
        colours=[colour[float(m)] for m in service["minutes"]],
        style={"color": "#238b45", "weight": 1, "fillOpacity": 0.35},
        legend_id=legend_id,
        show=False,
        simplify_m=simplify_m,
    )


def shipment_tip(row: Any, names: Names) -> str:
    """A shipment in words (``row``: a row of a ``moves`` layer, with attributes): units,
    resource, from → to, the day it leaves and the day it is usable."""
    return (
        f"{fmt.quantity(row.units)} {text(row.resource)}: {names.site(row.from_site)} → "
        f"{names.site(row.to_site)}, leave day {int(row.depart_day)}, usable from day "
        f"{int(row.arrive_day)}"
    )


def shipment_records(
    moves: gpd.GeoDataFrame, names: Names, tip: Callable[[Any, Names], str]
) -> list[list]:
    """A :func:`~geoalloc.outputs.layers.line_record` per shipment of ``moves`` (EPSG:4326 lines
    with ``units``), 1 to 6 pixels wide by its units (the most of ``moves`` the widest), its
    tooltip ``tip(row, names)``."""
    largest = float(max(moves["units"].max(), 1e-9))
    return [
        line_record(row.geometry, width=1 + 5 * float(row.units) / largest, tip=tip(row, names))
        for row in moves.itertuples(index=False)
    ]


def shipment_layer(
    fmap: folium.Map,
    moves: gpd.GeoDataFrame | None,
    legend: Legend,
    names: Names,
    *,
    show: bool = True,
) -> Layer | None:
    """*Plan: shipments* of a time-phased plan, when there are any: a line per shipment, width by
    units; ``show``: on at first."""
    if moves is None or not len(moves):
        return None
    records = shipment_records(in_4326(moves), names, shipment_tip)
    legend_id = legend.section(
        "geoalloc-legend-moves",
        "shipments (width: units)",
        [(SHIPMENT_COLOUR, "units moved from one site to another")],
        symbol="line",
    )
    return line_layer(
        fmap,
        records,
        "Plan: shipments (what moves where and when)",
        show=show,
        colour=SHIPMENT_COLOUR,
        legend_id=legend_id,
    )
