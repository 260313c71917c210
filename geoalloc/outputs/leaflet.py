"""The Leaflet page every geoalloc map is: offline assets, the page's elements, and writing it.

The page carries everything it needs: Leaflet's JS and CSS are read from the ``xstatic-leaflet``
package (installed from PyPI with geoalloc) and inlined, the few controls Leaflet lacks (fullscreen,
title and legend boxes, the plan/baseline switch) are small scripts written here, and every data
layer is embedded as JSON. Only the background tiles come from the internet; without it the
background stays grey and the data layers, popups, tooltips and legends still work.
:func:`map_html` refuses to write a page that would load anything else from outside.

The elements take data that is already safe: HTML built from escaped text
(:func:`geoalloc.outputs.escape.text`) and records embedded through
:func:`~geoalloc.outputs.escape.safe_json`. The layer builders of :mod:`geoalloc.outputs.layers`
are the way to use them.
"""

from __future__ import annotations

import base64
import logging
import os
import re
from contextlib import suppress
from functools import cache
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
from branca.element import Element, MacroElement
from folium.map import Layer
from folium.template import Template

from geoalloc.outputs.escape import safe_json

log = logging.getLogger(__name__)

_EXTERNAL_REF = re.compile(r"<(?:script|link|img)\b[^>]*\b(?:src|href)\s*=\s*[\"']?(?:https?:)?//")


class GeoJsonData(MacroElement):
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


class PolygonLayer(Layer):
    """Polygons from shared data, filled with a per-feature colour property, with a tooltip; with
    ``legend_id``, the legend section of that id shows while the layer is on."""

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
        data: GeoJsonData,
        name: str,
        *,
        tip_key: str,
        style: dict,
        colour_key: str | None = None,
        legend_id: str | None = None,
        show: bool = False,
    ):
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "geoalloc_polygons"
        self.data = data
        self.colour_key = colour_key
        self.colour_key_json = safe_json(colour_key)
        self.tip_key_json = safe_json(tip_key)
        self.style_json = safe_json(style)
        self.legend_id = legend_id
        self.legend_id_json = safe_json(legend_id)


class CircleLayer(Layer):
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


class LineLayer(Layer):
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


class Box(MacroElement):
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


class GroupSwitch(MacroElement):
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


class Fullscreen(MacroElement):
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


def base_map(areas: gpd.GeoDataFrame) -> folium.Map:
    """An empty geoalloc map framed on ``areas`` (EPSG:4326): background tiles, page style, full
    screen. No jQuery or Bootstrap: folium's ``Popup`` needs jQuery, so popups go through
    :func:`~geoalloc.outputs.layers.polygon_layer` / :func:`~geoalloc.outputs.layers.circle_layer`
    instead."""
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
    Fullscreen().add_to(fmap)
    return fmap


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
    page = map_html(fmap)
    try:
        tmp.write_text(page, encoding="utf-8")
        os.replace(tmp, path)  # a rebuild never leaves a half-written page
    finally:
        with suppress(OSError):  # a full disk leaves no partial page behind either
            tmp.unlink(missing_ok=True)
    log.info("map: %s (%.1f MB)", path, path.stat().st_size / 1e6)
    return path
