"""The stakeholder map (``map.html``): a self-contained Folium page of one run.

The page carries everything it needs: Leaflet's JS and CSS are read from the ``xstatic-leaflet``
package (installed from PyPI with geoalloc) and inlined, the few controls Leaflet lacks (fullscreen,
title and legend boxes) are small scripts written here, and every data layer is embedded as JSON.
Only the background tiles come from the internet; without it the background stays grey and the
data layers, popups, tooltips and legends still work.

Every string that comes from input data (ids, names, resource names, the scenario name) is
HTML-escaped before it reaches the page, and embedded JSON has ``<``, ``>`` and ``&`` escaped, so a
facility named ``<script>alert(1)</script>`` shows as text.

Layers (each in the layer control):

- *Plan: minutes to assigned site*, *Areas: demand*, *Plan: coverage status* and, when the areas
  carry a ``los_risk`` column, *Areas: LOS-risk-weighted demand* — choropleths, classes by
  mapclassify, each with its legend (units in the title);
- *Plan: facilities* — circles sized by capacity after the plan and coloured by status, with a
  popup table (capacity before → after, load and utilisation per resource; blocking probability
  ``<r>_blocking`` and expected wait ``<r>_wait_hours`` and cost columns when present);
- *Plan: assignment lines*, *Plan: unmet demand*, *Plan: catchments*;
- *Service areas* when given (one polygon per site and travel-time band);
- *Baseline: minutes to nearest existing site* and *Baseline: existing facilities*.
"""

from __future__ import annotations

import base64
import html
import json
import logging
import math
import os
import re
import warnings
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import folium
import geopandas as gpd
import mapclassify
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, MacroElement
from folium.map import Layer
from folium.template import Template

import geoalloc._text as fmt

log = logging.getLogger(__name__)

STATUS_COLOURS = {
    "kept": "#1f78b4",
    "expanded": "#6a3d9a",
    "opened": "#33a02c",
    "closed": "#e31a1c",
    "candidate not chosen": "#999999",
}
#: statuses of the temporary sites of a time-phased plan (legend entries only when present)
TEMPORARY_STATUS_COLOURS = {"temporary: opened": "#ff7f00", "temporary: not opened": "#cccccc"}
AREA_STATUS_COLOURS = {
    "served": "#4daf4a",
    "partly served": "#ff7f00",
    "unserved": "#e41a1c",
    "unreachable": "#000000",
    "no demand": "#dddddd",
}
BASELINE_SITE_COLOUR = "#1f78b4"
MINUTES_PALETTE = ["#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026", "#67000d"]
DEMAND_PALETTE = ["#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"]
RISK_PALETTE = ["#f2f0f7", "#cbc9e2", "#9e9ac8", "#756bb1", "#54278f"]
SERVICE_PALETTE = ["#238b45", "#74c476", "#bae4b3", "#edf8e9", "#f7fcf5"]
NO_DATA_COLOUR = "#bbbbbb"
COORD_DECIMALS = 5  # ~1 m: enough for a regional map, keeps the file small
SIMPLIFY_M = 15.0
AREA_STYLE = {"color": "#555555", "weight": 0.3, "fillOpacity": 0.65}
_EXTERNAL_REF = re.compile(r"<(?:script|link|img)\b[^>]*\b(?:src|href)\s*=\s*[\"']?(?:https?:)?//")


# --- escaping --------------------------------------------------------------------------------


def text(value: object) -> str:
    """``value`` as HTML-escaped text, safe in HTML, attributes and JS template literals."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return fmt.MISSING
    escaped = html.escape(str(value), quote=True)
    return escaped.replace("`", "&#96;").replace("$", "&#36;").replace("\\", "&#92;")


def safe_json(obj: object) -> str:
    """JSON that can sit inside a ``<script>`` element (``<``, ``>``, ``&`` escaped; NaN → null)."""

    def clean(o: object) -> object:
        if isinstance(o, float):
            return o if math.isfinite(o) else None
        if isinstance(o, dict):
            return {str(k): clean(v) for k, v in o.items()}
        if isinstance(o, list | tuple):
            return [clean(v) for v in o]
        if isinstance(o, np.generic):
            return clean(o.item())
        return o

    dumped = json.dumps(clean(obj), separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return dumped.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


# --- geometry ----------------------------------------------------------------------------------


def light_geometry(frame: gpd.GeoDataFrame) -> gpd.GeoSeries:
    """Geometry simplified by :data:`SIMPLIFY_M` metres in a projected CRS, in EPSG:4326 with
    coordinates rounded to :data:`COORD_DECIMALS` decimals, so large maps stay small."""
    geometry = frame.geometry
    if geometry.crs is None:
        geometry = geometry.set_crs(4326)
    if geometry.empty:  # nothing to simplify (and no extent to pick a UTM zone from)
        return geometry.to_crs(4326)
    projected = geometry.to_crs(geometry.estimate_utm_crs())
    simple = projected.simplify(SIMPLIFY_M, preserve_topology=True).to_crs(4326)
    rounded = shapely.transform(simple.to_numpy(), lambda xy: np.round(xy, COORD_DECIMALS))
    return gpd.GeoSeries(rounded, index=frame.index, crs=4326)


def _points(frame: gpd.GeoDataFrame) -> gpd.GeoSeries:
    geometry = frame.geometry if frame.crs is not None else frame.geometry.set_crs(4326)
    projected = geometry.to_crs(geometry.estimate_utm_crs())
    return projected.representative_point().to_crs(4326)


def _feature_collection(geometry: gpd.GeoSeries, properties: pd.DataFrame) -> dict:
    features = []
    records = properties.to_dict(orient="records")
    for geom, props in zip(geometry, records, strict=True):
        if geom is None or geom.is_empty:
            continue
        features.append(
            {"type": "Feature", "properties": props, "geometry": shapely.geometry.mapping(geom)}
        )
    return {"type": "FeatureCollection", "features": features}


# --- classification ----------------------------------------------------------------------------


def _classify_quantiles(values: pd.Series, palette: list[str], unit: str) -> tuple[list, list]:
    """Colour per value (quantile classes by mapclassify) and legend rows ``(colour, label)``."""
    finite = values[np.isfinite(values.astype(float))]
    colours = pd.Series(NO_DATA_COLOUR, index=values.index, dtype=object)
    if finite.nunique() < 2:
        label = f"{fmt.quantity(finite.iloc[0])} {unit}" if len(finite) else "no data"
        colours[finite.index] = palette[len(palette) // 2]
        return colours.tolist(), [(palette[len(palette) // 2], label)]
    k = min(len(palette), int(finite.nunique()))
    with warnings.catch_warnings():  # mapclassify warns when quantiles coincide; we merge them
        warnings.simplefilter("ignore", UserWarning)
        classifier = mapclassify.Quantiles(finite.to_numpy(dtype=float), k=k)
    return _apply_bins(values, finite, classifier, palette, unit, colours)


def _apply_bins(values, finite, classifier, palette, unit, colours) -> tuple[list, list]:
    bins = list(classifier.bins)
    step = max(1, len(palette) // len(bins)) if len(bins) < len(palette) else 1
    picked = [palette[min(i * step, len(palette) - 1)] for i in range(len(bins))]
    colours[finite.index] = [picked[c] for c in classifier.yb]
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


def _classify_minutes(
    values: pd.Series, standard: float | None, vmax: float, missing_label: str
) -> tuple[list, list]:
    """Classes anchored on the travel standard (thirds of it, then beyond), via mapclassify."""
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
        classifier = mapclassify.UserDefined(finite.to_numpy(dtype=float), bins=edges)
        colours[finite.index] = [MINUTES_PALETTE[c] for c in classifier.yb]
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


# --- page elements -----------------------------------------------------------------------------


class _GeoJsonData(MacroElement):
    """A FeatureCollection embedded once as a JS variable, shared by several layers."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = {{ this.data_json }};
        {% endmacro %}
        """
    )

    def __init__(self, collection: dict):
        super().__init__()
        self._name = "geoalloc_data"
        self.data_json = safe_json(collection)


class _PolygonLayer(Layer):
    """Polygons from shared data, filled with a per-feature colour property, with a tooltip."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.geoJSON({{ this.data.get_name() }}, {
            style: function (f) {
                var s = {{ this.style_json }};
                {%- if this.colour_key %}
                s.fillColor = f.properties[{{ this.colour_key_json }}];
                {%- endif %}
                return s;
            },
            onEachFeature: function (f, layer) {
                layer.bindTooltip(f.properties[{{ this.tip_key_json }}], {sticky: true});
            }
        });
        {%- if this.legend_id %}
        {{ this.get_name() }}.on("add remove", function (e) {
            var box = document.getElementById({{ this.legend_id_json }});
            if (box) { box.style.display = e.type === "add" ? "block" : "none"; }
        });
        {%- endif %}
        {% endmacro %}
        """
    )

    def __init__(
        self,
        data: _GeoJsonData,
        name: str,
        *,
        tip_key: str,
        colour_key: str | None = None,
        style: dict | None = None,
        legend_id: str | None = None,
        show: bool = False,
    ):
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "geoalloc_polygons"
        self.data = data
        self.colour_key = colour_key
        self.colour_key_json = safe_json(colour_key)
        self.tip_key_json = safe_json(tip_key)
        self.style_json = safe_json(style or AREA_STYLE)
        self.legend_id = legend_id
        self.legend_id_json = safe_json(legend_id)


class _CircleLayer(Layer):
    """Circle markers from embedded records ``{lat, lon, r, c, tip, popup, cls}``; by default in
    Leaflet's marker pane, so that they stay above every polygon layer and can be clicked."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.featureGroup();
        {{ this.data_json }}.forEach(function (d) {
            var m = L.circleMarker([d.lat, d.lon], {
                radius: d.r, color: d.c, fillColor: d.c, fillOpacity: {{ this.fill_opacity }},
                weight: 1.5, className: d.cls, pane: {{ this.pane_json }}
            });
            if (d.popup) { m.bindPopup(d.popup, {maxWidth: 460}); }
            m.bindTooltip(d.tip);
            m.addTo({{ this.get_name() }});
        });
        {% endmacro %}
        """
    )

    def __init__(
        self,
        records: list[dict],
        name: str,
        *,
        show: bool,
        fill_opacity: float = 0.75,
        pane: str = "markerPane",
    ):
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "geoalloc_circles"
        self.pane_json = safe_json(pane)
        self.data_json = safe_json(records)
        self.fill_opacity = float(fill_opacity)


class _LineLayer(Layer):
    """Straight lines from embedded records ``[lat1, lon1, lat2, lon2, weight, tooltip]``."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.featureGroup();
        {{ this.data_json }}.forEach(function (d) {
            L.polyline([[d[0], d[1]], [d[2], d[3]]], {color: "#6a3d9a", weight: d[4], opacity: 0.55})
                .bindTooltip(d[5], {sticky: true}).addTo({{ this.get_name() }});
        });
        {% endmacro %}
        """
    )

    def __init__(self, records: list[list], name: str, *, show: bool):
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "geoalloc_lines"
        self.data_json = safe_json(records)


class _Box(MacroElement):
    """A Leaflet control holding fixed HTML (title, legend); the HTML is built from escaped text."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.control({position: {{ this.position_json }}});
        {{ this.get_name() }}.onAdd = function () {
            var div = L.DomUtil.create("div", "geoalloc-box " + {{ this.css_class_json }});
            div.innerHTML = {{ this.html_json }};
            L.DomEvent.disableClickPropagation(div);
            L.DomEvent.disableScrollPropagation(div);
            return div;
        };
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, html_text: str, *, position: str, css_class: str):
        super().__init__()
        self._name = "geoalloc_box"
        self.html_json = safe_json(html_text)
        self.position_json = safe_json(position)
        self.css_class_json = safe_json(css_class)


class _GroupSwitch(MacroElement):
    """Two buttons that switch between the plan's and the baseline's main layers."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.control({position: "topleft"});
        {{ this.get_name() }}.onAdd = function (map) {
            var groups = {
                plan: [{% for l in this.plan %}{{ l.get_name() }}{{ "," if not loop.last }}{% endfor %}],
                baseline: [{% for l in this.baseline %}{{ l.get_name() }}{{ "," if not loop.last }}{% endfor %}]
            };
            var bar = L.DomUtil.create("div", "leaflet-bar leaflet-control geoalloc-switch");
            ["plan", "baseline"].forEach(function (key) {
                var a = L.DomUtil.create("a", "geoalloc-switch-" + key, bar);
                a.href = "#"; a.setAttribute("role", "button");
                a.textContent = key === "plan" ? "Plan" : "Baseline";
                a.title = "show the " + key + " layers, hide the other group's";
                L.DomEvent.on(a, "click", function (e) {
                    L.DomEvent.preventDefault(e);
                    var other = key === "plan" ? "baseline" : "plan";
                    groups[other].forEach(function (l) { map.removeLayer(l); });
                    groups[key].forEach(function (l) { map.addLayer(l); });
                });
            });
            L.DomEvent.disableClickPropagation(bar);
            return bar;
        };
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, plan: list[Layer], baseline: list[Layer]):
        super().__init__()
        self._name = "geoalloc_switch"
        self.plan = plan
        self.baseline = baseline


class _Fullscreen(MacroElement):
    """A fullscreen button (the browser's Fullscreen API), so no plugin has to be fetched."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.control({position: "topleft"});
        {{ this.get_name() }}.onAdd = function (map) {
            var bar = L.DomUtil.create("div", "leaflet-bar leaflet-control geoalloc-fullscreen");
            var a = L.DomUtil.create("a", "", bar);
            a.href = "#"; a.title = "Full screen"; a.setAttribute("role", "button");
            a.innerHTML = '<svg width="16" height="16" viewBox="0 0 16 16" style="margin-top:7px">'
                + '<path d="M1 6V1h5M10 1h5v5M15 10v5h-5M6 15H1v-5" fill="none" stroke="#333" '
                + 'stroke-width="2"/></svg>';
            L.DomEvent.on(a, "click", function (e) {
                L.DomEvent.preventDefault(e);
                if (document.fullscreenElement) { document.exitFullscreen(); }
                else if (map.getContainer().requestFullscreen) { map.getContainer().requestFullscreen(); }
            });
            L.DomEvent.disableClickPropagation(bar);
            return bar;
        };
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self):
        super().__init__()
        self._name = "geoalloc_fullscreen"


PAGE_CSS = """
.geoalloc-box { background: rgba(255,255,255,0.93); padding: 6px 9px; border-radius: 4px;
  box-shadow: 0 1px 4px rgba(0,0,0,0.35); font: 12px/1.35 sans-serif; max-width: 330px; }
.geoalloc-box h4 { margin: 0 0 3px 0; font-size: 14px; }
.geoalloc-box table { border-collapse: collapse; }
.geoalloc-box td { padding: 0 4px 0 0; }
.geoalloc-legend-section { margin-top: 4px; }
.geoalloc-swatch { display: inline-block; width: 14px; height: 10px; margin-right: 5px;
  border: 1px solid #777; vertical-align: middle; }
.geoalloc-dot { display: inline-block; width: 10px; height: 10px; border-radius: 50%;
  margin-right: 4px; vertical-align: middle; }
.geoalloc-popup table { border-collapse: collapse; margin-top: 4px; font-size: 12px; }
.geoalloc-popup th, .geoalloc-popup td { border: 1px solid #ccc; padding: 1px 5px; text-align: right; }
.geoalloc-popup th:first-child, .geoalloc-popup td:first-child { text-align: left; }
.leaflet-control-layers { font: 13px/1.4 sans-serif; }
path.leaflet-interactive:focus { outline: none; }
.geoalloc-switch a { width: auto !important; padding: 0 8px; font: bold 12px/30px sans-serif; }
.leaflet-container { background: #e8e8e8; }
"""


@cache
def _leaflet_assets() -> tuple[str, str]:
    """Leaflet's JS and CSS from the ``xstatic-leaflet`` package, images inlined as data URIs."""
    try:
        import xstatic.pkg.leaflet as xleaflet
    except ImportError as exc:  # pragma: no cover - a dependency of geoalloc
        msg = "the offline map needs Leaflet's files: pip install xstatic-leaflet"
        raise ImportError(msg) from exc
    base = Path(xleaflet.BASE_DIR)
    js = (base / "leaflet.js").read_text(encoding="utf-8")
    css = (base / "leaflet.css").read_text(encoding="utf-8")

    def inline(match: re.Match) -> str:
        image = base / match.group(1)
        if not image.is_file():
            return match.group(0)
        data = base64.b64encode(image.read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{data})"

    css = re.sub(r"url\((images/[\w.-]+\.png)\)", inline, css)
    # a script element ends at the first "</script", wherever it is
    js = js.replace("</script", "<\\/script")
    # drop the source-map comment: the map file is not shipped in the page
    js = re.sub(r"//# sourceMappingURL=\S+", "", js)
    return js, css


# --- popups and tooltips -----------------------------------------------------------------------


def facility_popup(row: pd.Series, resources: list[str], *, baseline: bool = False) -> str:
    """HTML of a facility's popup: capacity before → after, load and utilisation per resource,
    and the queue check (``<r>_blocking``, ``<r>_wait_hours``) and cost columns when present."""
    blocking = any(f"{r}_blocking" in row.index for r in resources)
    waiting = any(f"{r}_wait_hours" in row.index for r in resources)
    header = ["resource", "capacity before → after", "load", "utilisation"]
    if baseline:
        header = ["resource", "capacity", "load (baseline)", "utilisation (baseline)"]
    if blocking and not baseline:
        header.append("blocking probability")
    if waiting and not baseline:
        header.append("expected wait")
    lines = [
        "<div class='geoalloc-popup'>",
        f"<b class='geoalloc-site-name'>{text(row.get('name'))}</b><br>",
        f"site id: {text(row.get('site_id'))} · status: {text(row.get('status'))}",
        "<table><tr>" + "".join(f"<th>{h}</th>" for h in header) + "</tr>",
    ]
    for r in resources:
        if baseline:
            cells = [
                text(r),
                fmt.quantity(row.get(f"{r}_before")),
                fmt.quantity(row.get(f"{r}_baseline_load")),
                fmt.share(row.get(f"{r}_baseline_utilisation")),
            ]
        else:
            cells = [
                text(r),
                f"{fmt.quantity(row.get(f'{r}_before'))} → {fmt.quantity(row.get(f'{r}_after'))}",
                fmt.quantity(row.get(f"{r}_load")),
                fmt.share(row.get(f"{r}_utilisation")),
            ]
            if blocking:
                cells.append(fmt.share(row.get(f"{r}_blocking")))
            if waiting:
                cells.append(fmt.hours(row.get(f"{r}_wait_hours")))
        lines.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    lines.append("</table>")
    for column in row.index:
        if column == "cost" or str(column).endswith("_cost"):
            value = fmt.finite(row[column])
            if value is not None:
                lines.append(f"{text(column).replace('_', ' ')}: {fmt.quantity(value)}<br>")
    lines.append("</div>")
    return "".join(lines)


def _area_tooltips(areas: pd.DataFrame, resources: list[str]) -> list[str]:
    tips = []
    has_risk = "los_risk" in areas.columns
    has_flag = "travel_flag" in areas.columns
    columns = [c for c in areas.columns if c != areas.geometry.name]
    for row in areas[columns].to_dict(orient="records"):
        get = row.get
        parts = [f"<b>area {text(get('area_id'))}</b>"]
        parts.append(f"population: {fmt.quantity(get('population'))}")
        for r in resources:
            parts.append(
                f"{text(r)} needed: {fmt.quantity(get(f'demand_{r}'))}, "
                f"unmet: {fmt.quantity(get(f'unmet_{r}'))}"
            )
        if has_risk:
            parts.append(f"LOS risk: {fmt.quantity(get('los_risk'))}")
        parts.append(f"status: {text(get('status'))}")
        parts.append(f"assigned site: {text(get('site'))} ({fmt.minutes(get('minutes'))})")
        parts.append(f"nearest open site: {fmt.minutes(get('nearest_open_minutes'))}")
        parts.append(
            f"baseline: {text(get('baseline_site'))} ({fmt.minutes(get('baseline_minutes'))})"
        )
        flag = get("travel_flag") if has_flag else None
        if isinstance(flag, str) and flag:
            parts.append(f"travel note: {text(flag)}")
        reason = get("unmet_reason")
        if isinstance(reason, str) and reason:
            parts.append(f"left without because: {text(reason)}")
        tips.append("<br>".join(parts))
    return tips


# --- the map -----------------------------------------------------------------------------------


def _legend_section(legend_id: str, title: str, rows: Iterable[tuple[str, str]], show: bool) -> str:
    display = "block" if show else "none"
    body = "".join(
        f"<div><span class='geoalloc-swatch' style='background:{c}'></span>{label}</div>"
        for c, label in rows
    )
    return (
        f"<div id='{legend_id}' class='geoalloc-legend-section' style='display:{display}'>"
        f"<b>{title}</b>{body}</div>"
    )


def _title_html(summary: dict) -> str:
    resources = summary["resources"]
    plan, base = summary["plan"], summary["baseline"]
    lines = [
        f"<h4>{text(summary['scenario'])}</h4>",
        f"model: {text(summary['model'])} · standard: {fmt.standard(summary.get('max_minutes'))}",
    ]
    if summary.get("budget") is not None:
        lines.append(f"budget: {text(summary['budget'])}")
    lines.append("<table><tr><td></td><td><b>baseline</b></td><td><b>plan</b></td></tr>")
    rows = [
        (
            "covered within standard",
            fmt.percent(base.get("covered_pct")),
            fmt.percent(plan.get("covered_pct")),
        ),
        ("mean minutes", fmt.number(base["minutes_mean"]), fmt.number(plan["minutes_mean"])),
        ("p90 minutes", fmt.number(base["minutes_p90"]), fmt.number(plan["minutes_p90"])),
        ("sites open", f"{base['sites_open']}", f"{plan['sites_open']}"),
    ]
    for r in resources:
        rows.append(
            (
                f"unmet {text(r)}",
                fmt.quantity(base["unmet"][r]),
                fmt.quantity(plan["unmet"][r]),
            )
        )
    lines.extend(f"<tr><td>{a}</td><td>{b}</td><td>{c}</td></tr>" for a, b, c in rows)
    lines.append("</table>")
    solver = summary.get("solver") or {}
    if solver:
        gap = solver.get("gap")
        gap_text = f", gap {fmt.percent(100 * gap, 2)}" if isinstance(gap, int | float) else ""
        lines.append(f"solver: {text(solver.get('name'))} {text(solver.get('status'))}{gap_text}")
    lines.append("<br><i>Background tiles need internet; the data layers work offline.</i>")
    return "".join(lines)


def base_map(areas: gpd.GeoDataFrame) -> folium.Map:
    """An empty geoalloc map framed on ``areas`` (EPSG:4326): background tiles, page style, full
    screen. No jQuery or Bootstrap: folium's ``Popup`` needs jQuery, so popups go through
    :func:`polygon_layer` / :func:`circle_layer` instead."""
    fmap = folium.Map(tiles=None, control_scale=True, prefer_canvas=False)
    fmap.default_js = []  # Leaflet is inlined by save_map; jQuery/Bootstrap are not used
    fmap.default_css = []
    folium.TileLayer("OpenStreetMap", name="Background: OpenStreetMap").add_to(fmap)
    folium.TileLayer("OpenTopoMap", name="Background: OpenTopoMap", show=False).add_to(fmap)
    minx, miny, maxx, maxy = areas.total_bounds
    if all(np.isfinite([minx, miny, maxx, maxy])):
        fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    fmap.get_root().header.add_child(
        Element(f"<link rel='icon' href='data:,'><style>{PAGE_CSS}</style>"), name="geoalloc_css"
    )
    _Fullscreen().add_to(fmap)
    return fmap


def polygon_layer(
    fmap: folium.Map,
    polygons: gpd.GeoDataFrame,
    name: str,
    *,
    tips: list[str],
    colours: list[str] | None = None,
    style: dict | None = None,
    show: bool = True,
) -> Layer:
    """Polygons (EPSG:4326) with an HTML tooltip each (escape input text with :func:`text`) and
    an optional fill colour each, added to ``fmap``."""
    props = pd.DataFrame({"tip": tips}, index=polygons.index)
    if colours is not None:
        props["c"] = colours
    data = _GeoJsonData(_feature_collection(light_geometry(polygons), props))
    data.add_to(fmap)
    layer = _PolygonLayer(
        data,
        name,
        tip_key="tip",
        colour_key="c" if colours is not None else None,
        style=style,
        show=show,
    )
    return layer.add_to(fmap)


def circle_layer(
    fmap: folium.Map,
    records: list[dict],
    name: str,
    *,
    show: bool = True,
    fill_opacity: float = 0.75,
) -> Layer:
    """Circle markers from records ``{lat, lon, r (px), c (colour), tip, popup (HTML or None),
    cls (CSS class)}``, added to ``fmap`` above the polygons."""
    return _CircleLayer(records, name, show=show, fill_opacity=fill_opacity).add_to(fmap)


def title_box(fmap: folium.Map, html_text: str) -> None:
    """The box at the bottom left with the run's title and headline figures."""
    _Box(html_text, position="bottomleft", css_class="geoalloc-title").add_to(fmap)


def build_map(
    areas: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    assignments: gpd.GeoDataFrame,
    catchments: gpd.GeoDataFrame,
    summary: dict,
    *,
    service_areas: gpd.GeoDataFrame | None = None,
    moves: gpd.GeoDataFrame | None = None,
) -> folium.Map:
    """A Folium map of one run, from the run's output layers.

    Parameters
    ----------
    areas, facilities, assignments, catchments : GeoDataFrame
        The run's layers as written to ``results.gpkg`` (any CRS; shown in EPSG:4326).
        Optional columns shown when present: areas ``los_risk`` (multiplier of demand);
        facilities ``<r>_blocking`` (probability, 0–1), ``<r>_wait_hours`` (hours), ``cost`` and
        ``*_cost`` (currency units).
    summary : dict
        The run's ``summary.json`` (scenario, model, max_minutes in minutes, resources, KPIs).
    service_areas : GeoDataFrame, optional
        Isochrones: columns ``site``, ``minutes`` (the band's upper limit, minutes) and polygons.
    moves : GeoDataFrame, optional
        Shipments of a time-phased plan (the ``moves`` layer): lines from site to site with
        ``resource``, ``units``, ``from_site``, ``to_site``, ``depart_day``, ``arrive_day``.

    Returns
    -------
    folium.Map
        Save it with :func:`save_map` to get a self-contained page (Leaflet inlined).
    """
    resources = list(summary["resources"])
    primary = resources[0]
    standard = summary.get("max_minutes")
    areas = areas.to_crs(4326) if areas.crs is not None else areas.set_crs(4326)
    facilities = facilities.to_crs(4326) if facilities.crs is not None else facilities

    fmap = base_map(areas)

    # areas: one embedded geometry set, several choropleths styled from its properties
    props = pd.DataFrame(index=areas.index)
    props["tip"] = _area_tooltips(areas, resources)
    all_minutes = pd.concat([areas["minutes"], areas["baseline_minutes"]]).astype(float)
    finite_max = all_minutes[np.isfinite(all_minutes)]
    vmax = float(finite_max.max()) if len(finite_max) else 1.0
    c_plan, legend_minutes = _classify_minutes(
        areas["minutes"].astype(float), standard, vmax, "no assignment"
    )
    c_base, legend_base = _classify_minutes(
        areas["baseline_minutes"].astype(float), standard, vmax, "no existing site in reach"
    )
    props["m"] = c_plan
    props["b"] = c_base
    demand = areas[f"demand_{primary}"].astype(float)
    props["d"], legend_demand = _classify_quantiles(demand, DEMAND_PALETTE, f"{text(primary)}")
    props["s"] = areas["status"].map(AREA_STATUS_COLOURS).fillna(NO_DATA_COLOUR).tolist()
    legend_status = [(c, s) for s, c in AREA_STATUS_COLOURS.items()]
    has_risk = "los_risk" in areas.columns
    if has_risk:
        weighted = demand * areas["los_risk"].astype(float)
        props["r"], legend_risk = _classify_quantiles(weighted, RISK_PALETTE, f"{text(primary)}")
    data = _GeoJsonData(_feature_collection(light_geometry(areas), props))
    data.add_to(fmap)

    legend_parts = []
    choropleths = [
        ("m", "Plan: minutes to assigned site", legend_minutes, "minutes to the assigned site"),
        ("d", f"Areas: demand ({text(primary)} needed)", legend_demand, f"{text(primary)} needed"),
        ("s", "Plan: coverage status", legend_status, "coverage status (plan)"),
    ]
    if has_risk:
        choropleths.append(
            (
                "r",
                "Areas: LOS-risk-weighted demand",
                legend_risk,
                f"{text(primary)} needed × LOS risk",
            )
        )
    plan_group: list[Layer] = []
    for key, name, rows, title in choropleths:
        show = key == "m"
        legend_id = f"geoalloc-legend-{key}"
        layer = _PolygonLayer(
            data, name, tip_key="tip", colour_key=key, legend_id=legend_id, show=show
        )
        layer.add_to(fmap)
        if show:
            plan_group.append(layer)
        legend_parts.append(_legend_section(legend_id, title, rows, show))

    # facilities after the plan: sized by capacity after, coloured by status
    cap_after = facilities[f"{primary}_after"].astype(float).fillna(0.0)
    cap_before = facilities[f"{primary}_before"].astype(float).fillna(0.0)
    cap_max = float(max(cap_after.max(), cap_before.max(), 1e-9))
    sites_xy = list(zip(facilities.geometry.y, facilities.geometry.x, strict=True))
    plan_sites, base_sites = [], []
    for i, ((lat, lon), (_, row)) in enumerate(zip(sites_xy, facilities.iterrows(), strict=True)):
        status = str(row["status"])
        plan_sites.append(
            {
                "lat": round(lat, COORD_DECIMALS),
                "lon": round(lon, COORD_DECIMALS),
                "r": round(4 + 14 * math.sqrt(max(cap_after.iloc[i], 0.0) / cap_max), 1),
                "c": (STATUS_COLOURS | TEMPORARY_STATUS_COLOURS).get(status, "#333333"),
                "tip": f"{text(row.get('name'))} ({text(status)})",
                "popup": facility_popup(row, resources),
                "cls": f"geoalloc-site geoalloc-site-{i}",
            }
        )
        if bool(row.get("existing", False)):
            base_sites.append(
                {
                    "lat": round(lat, COORD_DECIMALS),
                    "lon": round(lon, COORD_DECIMALS),
                    "r": round(4 + 14 * math.sqrt(max(cap_before.iloc[i], 0.0) / cap_max), 1),
                    "c": BASELINE_SITE_COLOUR,
                    "tip": f"{text(row.get('name'))} (existing)",
                    "popup": facility_popup(row, resources, baseline=True),
                    "cls": f"geoalloc-base-site geoalloc-base-site-{i}",
                }
            )

    # unmet demand at the areas' representative points
    unmet_total = sum(areas[f"unmet_{r}"].astype(float).fillna(0.0) for r in resources)
    short = areas[unmet_total > 1e-9]
    unmet_records = []
    if len(short):
        points = _points(short)
        umax = float(unmet_total[short.index].max())
        for (idx, row), pt in zip(short.iterrows(), points, strict=True):
            tip = f"<b>area {text(row['area_id'])}</b>: unmet " + ", ".join(
                f"{fmt.quantity(row[f'unmet_{r}'])} {text(r)}" for r in resources
            )
            unmet_records.append(
                {
                    "lat": round(pt.y, COORD_DECIMALS),
                    "lon": round(pt.x, COORD_DECIMALS),
                    "r": round(3 + 12 * math.sqrt(unmet_total[idx] / umax), 1),
                    "c": "#e31a1c",
                    "tip": tip,
                    "popup": None,
                    "cls": "geoalloc-unmet",
                }
            )

    # assignment lines, one per (area, site), width by the primary resource's quantity
    line_records = []
    if len(assignments):
        a4326 = assignments.to_crs(4326) if assignments.crs is not None else assignments
        first = a4326.drop_duplicates(["area", "site"]).set_index(["area", "site"])
        quantities = a4326.pivot_table(
            index=["area", "site"], columns="resource", values="quantity", aggfunc="sum"
        )
        weights = quantities.get(primary, quantities.sum(axis=1)).fillna(0.0)
        qmax = float(max(weights.max(), 1e-9))
        for key, geom in first.geometry.items():
            if geom is None or geom.is_empty:
                continue
            (x1, y1), (x2, y2) = geom.coords[0], geom.coords[-1]
            what = ", ".join(
                f"{fmt.quantity(q)} {text(r)}"
                for r, q in quantities.loc[key].items()
                if np.isfinite(q) and q > 0
            )
            line_records.append(
                [
                    round(y1, COORD_DECIMALS),
                    round(x1, COORD_DECIMALS),
                    round(y2, COORD_DECIMALS),
                    round(x2, COORD_DECIMALS),
                    round(1 + 5 * float(weights.get(key, 0.0)) / qmax, 2),
                    f"area {text(key[0])} → {text(key[1])}: {what} "
                    f"({fmt.minutes(first.loc[key, 'minutes'])})",
                ]
            )

    plan_group.append(_CircleLayer(plan_sites, "Plan: facilities", show=True).add_to(fmap))
    _LineLayer(line_records, "Plan: assignment lines", show=False).add_to(fmap)
    _CircleLayer(
        unmet_records,
        "Plan: unmet demand" if unmet_records else "Plan: unmet demand (none)",
        show=bool(unmet_records),
        fill_opacity=0.5,
        pane="overlayPane",  # below the facilities
    ).add_to(fmap)

    if len(catchments):
        cprops = pd.DataFrame(index=catchments.index)
        cprops["tip"] = [
            f"catchment of {text(s)}: population {fmt.quantity(p)}"
            for s, p in zip(catchments["site"], catchments["population"], strict=True)
        ]
        cdata = _GeoJsonData(_feature_collection(light_geometry(catchments), cprops))
        cdata.add_to(fmap)
        _PolygonLayer(
            cdata,
            "Plan: catchments",
            tip_key="tip",
            style={"color": "#08306b", "weight": 2, "fillOpacity": 0.0},
        ).add_to(fmap)

    if service_areas is not None and len(service_areas):
        service = service_areas.sort_values("minutes", ascending=False)
        bands = sorted(service["minutes"].astype(float).unique())
        band_colour = {
            b: SERVICE_PALETTE[min(i, len(SERVICE_PALETTE) - 1)] for i, b in enumerate(bands)
        }
        sprops = pd.DataFrame(index=service.index)
        sprops["tip"] = [
            f"{text(s)}: within {float(m):g} min"
            for s, m in zip(service["site"], service["minutes"], strict=True)
        ]
        sprops["c"] = [band_colour[float(m)] for m in service["minutes"]]
        sdata = _GeoJsonData(_feature_collection(light_geometry(service), sprops))
        sdata.add_to(fmap)
        _PolygonLayer(
            sdata,
            "Service areas (isochrones)",
            tip_key="tip",
            colour_key="c",
            style={"color": "#238b45", "weight": 1, "fillOpacity": 0.35},
            legend_id="geoalloc-legend-service",
        ).add_to(fmap)
        legend_parts.append(
            _legend_section(
                "geoalloc-legend-service",
                "service areas (minutes to the site)",
                [(band_colour[b], f"≤ {b:g} min") for b in bands],
                False,
            )
        )

    if moves is not None and len(moves):
        _LineLayer(
            _move_records(moves), "Plan: shipments (what moves where and when)", show=True
        ).add_to(fmap)

    baseline_group = [
        _PolygonLayer(
            data,
            "Baseline: minutes to nearest existing site",
            tip_key="tip",
            colour_key="b",
            legend_id="geoalloc-legend-b",
        ).add_to(fmap)
    ]
    legend_parts.append(
        _legend_section(
            "geoalloc-legend-b",
            "minutes to the nearest existing site (baseline)",
            legend_base,
            False,
        )
    )
    baseline_group.append(
        _CircleLayer(base_sites, "Baseline: existing facilities", show=False).add_to(fmap)
    )
    _GroupSwitch(plan_group, baseline_group).add_to(fmap)

    facility_legend = (
        "<div class='geoalloc-legend-section'><b>facilities (size: "
        f"{text(primary)} after the plan)</b><br>"
        + " ".join(
            f"<span class='geoalloc-dot' style='background:{c}'></span>{s}"
            for s, c in (
                STATUS_COLOURS
                | {
                    s: c
                    for s, c in TEMPORARY_STATUS_COLOURS.items()
                    if s in set(facilities["status"])
                }
            ).items()
        )
        + "</div>"
    )
    title_box(fmap, _title_html(summary))
    _Box(
        "".join(legend_parts) + facility_legend, position="bottomright", css_class="geoalloc-legend"
    ).add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    return fmap


#: colours of the areas whose access changed between two compared runs
ACCESS_CHANGE_COLOURS = {"gained access": "#1a9850", "lost access": "#d73027"}


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
    shapes = areas.to_crs(4326).set_index(areas["area_id"].astype(str).to_numpy())
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
    sites = other_facilities.to_crs(4326)
    records = [
        {
            "lat": round(point.y, COORD_DECIMALS),
            "lon": round(point.x, COORD_DECIMALS),
            "r": 6,
            "c": STATUS_COLOURS.get(str(status), "#333333"),
            "tip": f"{text(site_name)} ({text(status)} in {other})",
            "popup": None,
            "cls": "geoalloc-other-site",
        }
        for point, site_name, status in zip(
            sites.geometry, sites["name"], sites["status"], strict=True
        )
    ]
    circle_layer(fmap, records, f"{other}: facilities", show=False, fill_opacity=0.35)
    return fmap


def _move_records(moves: gpd.GeoDataFrame) -> list[list]:
    """Line records of a time-phased plan's shipments, width by units."""
    moves = moves.to_crs(4326) if moves.crs is not None else moves
    umax = float(max(moves["units"].max(), 1e-9))
    records = []
    for row in moves.itertuples(index=False):
        (x1, y1), (x2, y2) = row.geometry.coords[0], row.geometry.coords[-1]
        records.append(
            [
                round(y1, COORD_DECIMALS),
                round(x1, COORD_DECIMALS),
                round(y2, COORD_DECIMALS),
                round(x2, COORD_DECIMALS),
                round(1 + 5 * float(row.units) / umax, 2),
                f"{fmt.quantity(row.units)} {text(row.resource)}: {text(row.from_site)} → "
                f"{text(row.to_site)}, leave day {int(row.depart_day)}, usable from day "
                f"{int(row.arrive_day)}",
            ]
        )
    return records


def map_html(fmap: folium.Map) -> str:
    """The map's page as one self-contained HTML string (Leaflet JS/CSS inlined)."""
    js, css = _leaflet_assets()
    root = fmap.get_root()
    root.header.add_child(Element(f"<style>{css}</style>"), name="leaflet_css_inline", index=0)
    root.header.add_child(Element(f"<script>{js}</script>"), name="leaflet_js_inline", index=0)
    page = root.render()
    found = _EXTERNAL_REF.search(page)
    if found:  # a bug in geoalloc, not in the input: the page must load nothing from outside
        msg = f"map.html would load an external resource: {found.group(0)[:120]!r}"
        raise RuntimeError(msg)
    return page


def save_map(fmap: folium.Map, path: Path | str) -> Path:
    """Write the self-contained map page to ``path`` (UTF-8) and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(map_html(fmap), encoding="utf-8")
    os.replace(tmp, path)  # a rebuild never leaves a half-written page
    log.info("map: %s (%.1f MB)", path, path.stat().st_size / 1e6)
    return path


def write_map(
    path: Path | str,
    layers: dict[str, gpd.GeoDataFrame],
    summary: dict,
) -> Path:
    """Build the map of a run from its ``layers`` (as in ``results.gpkg``) and write it to ``path``."""
    return save_map(map_of_run(layers, summary), path)


def map_of_run(layers: dict[str, gpd.GeoDataFrame], summary: dict) -> folium.Map:
    """:func:`build_map` from a run's ``layers`` (as in ``results.gpkg``; ``service_areas`` used
    when present) and its summary."""
    return build_map(
        layers["areas"],
        layers["facilities"],
        layers["assignments"],
        layers["catchments"],
        summary,
        service_areas=layers.get("service_areas"),
        moves=layers.get("moves"),
    )
