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
from typing import Any

import folium
import geopandas as gpd
import numpy as np
from branca.element import Element, MacroElement
from folium.elements import ElementAddToElement
from folium.map import Layer, LayerControl
from folium.template import Template

from geoalloc.outputs.escape import safe_json

log = logging.getLogger(__name__)

_EXTERNAL_REF = re.compile(r"<(?:script|link|img)\b[^>]*\b(?:src|href)\s*=\s*[\"']?(?:https?:)?//")


def legend_toggle(layer: Layer, legend_id: str | None) -> str:
    """JS that shows the legend section ``legend_id`` while ``layer`` is on the map ("" without)."""
    if not legend_id:
        return ""
    return (
        f'{layer.get_name()}.on("add remove", function (e) {{'
        f" var box = document.getElementById({safe_json(legend_id)});"
        ' if (box) { box.style.display = e.type === "add" ? "block" : "none"; } });'
    )


class _AsIs(MacroElement):
    """For geoalloc's page elements: their rendered scripts go into the page as they are.

    branca's ``MacroElement.render`` wraps each rendered macro in an ``Element``, which compiles
    it as a Jinja template again: with the layer's data in it, that took ~2 s for a map of
    100,000 areas (and read ``{{ … }}`` in input text as template code). This renders the
    same page (Jinja drops one trailing newline; so does this) without the second compile.
    """

    def render(self, **kwargs: Any) -> Any:
        if isinstance(self, Layer) and self.show:  # what folium's Layer.render adds
            parent = self._parent
            assert parent is not None  # rendered as a child of the map
            self.add_child(
                ElementAddToElement(
                    element_name=self.get_name(), element_parent_name=parent.get_name()
                ),
                name=self.get_name() + "_add",
            )
        figure = self.get_root()
        module = self._template.module.__dict__
        for part in ("header", "html", "script"):
            macro = module.get(part)
            if macro is not None:
                rendered = str(macro(self, kwargs))
                rendered = rendered[:-1] if rendered.endswith("\n") else rendered
                getattr(figure, part).add_child(RawHtml(rendered), name=self.get_name())
        for child in self._children.values():
            child.render(**kwargs)


class GeoJsonData(_AsIs):
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
        self.collection = collection


class PolygonLayer(_AsIs, Layer):
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
        {{ this.legend_script }}
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
        self.legend_script = legend_toggle(self, legend_id)
        features = data.collection["features"]
        #: the colours it draws: the fills of ``colour_key``, else its outline
        self.colours = (
            {f["properties"][colour_key] for f in features}
            if colour_key
            else ({style.get("color", "#3388ff")} if features else set())
        )


class CircleLayer(_AsIs, Layer):
    """Circle markers from embedded records ``{lat, lon, r, c, tip, popup, cls}``; by default in
    Leaflet's marker pane, so that they stay above every polygon layer and can be clicked; a
    ``dash`` pattern (e.g. ``"4 3"``) draws dashed rings; with ``legend_id``, that legend section
    shows while the layer is on."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.featureGroup();
        {{ this.data_json }}.forEach(function (d) {
            var m = L.circleMarker([d.lat, d.lon], {
                radius: d.r, color: d.c, fillColor: d.c, fillOpacity: {{ this.fill_opacity }},
                weight: {{ this.weight }}, dashArray: {{ this.dash_json }}, className: d.cls,
                pane: {{ this.pane_json }}
            });
            if (d.popup) { m.bindPopup(d.popup, {maxWidth: 460}); }
            m.bindTooltip(d.tip);
            m.addTo({{ this.get_name() }});
        });
        {{ this.legend_script }}
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
        weight: float = 1.5,
        dash: str | None = None,
        legend_id: str | None = None,
    ):
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "geoalloc_circles"
        self.pane_json = safe_json(pane)
        self.data_json = safe_json(records)
        self.fill_opacity = float(fill_opacity)
        self.weight = float(weight)
        self.dash_json = safe_json(dash)
        self.legend_id = legend_id
        self.legend_script = legend_toggle(self, legend_id)
        self.colours = {str(r["c"]) for r in records}


class LineLayer(_AsIs, Layer):
    """Straight lines of one ``colour`` from embedded records ``[lat1, lon1, lat2, lon2, weight,
    tooltip]`` at ``opacity``; a ``dash`` pattern (e.g. ``"6 4"``) draws them dashed; with
    ``legend_id``, that legend section shows while the layer is on."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.featureGroup();
        {{ this.data_json }}.forEach(function (d) {
            L.polyline([[d[0], d[1]], [d[2], d[3]]],
                       {color: {{ this.colour_json }}, weight: d[4], opacity: {{ this.opacity }},
                        dashArray: {{ this.dash_json }}})
                .bindTooltip(d[5], {sticky: true}).addTo({{ this.get_name() }});
        });
        {{ this.legend_script }}
        {% endmacro %}
        """
    )

    def __init__(
        self,
        records: list[list],
        name: str,
        *,
        show: bool,
        colour: str,
        legend_id: str | None = None,
        dash: str | None = None,
        opacity: float = 0.55,
    ):
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "geoalloc_lines"
        self.opacity = float(opacity)
        self.data_json = safe_json(records)
        self.colour_json = safe_json(colour)
        self.dash_json = safe_json(dash)
        self.legend_id = legend_id
        self.legend_script = legend_toggle(self, legend_id)
        self.colours = {colour} if records else set()


class BaseMapLayer(_AsIs, Layer):
    """The offline base map: roads as light lines above the areas' fills and below the sites, and
    place and road names as labels above the roads and below the sites (a site at a village's
    centre, where its place node is, stays in view), never catching a click.

    ``roads``: per tier (1 main … 3 streets), ``{"tier", "colour", "weight", "lines"}`` with each
    line delta-encoded in 1e-5 degrees (``[lat0, lon0, dlat1, dlon1, …]``, :func:`delta_line`);
    ``labels``: ``[lat, lon, text, css class, min zoom]`` — a label shows from its zoom on.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.featureGroup();
        (function (map, group) {
            [["geoalloc-roads", 410], ["geoalloc-labels", 450]].forEach(function (p) {
                if (!map.getPane(p[0])) {
                    var pane = map.createPane(p[0]);
                    pane.style.zIndex = p[1];
                    pane.style.pointerEvents = "none";
                }
            });
            function decode(d) {
                var lat = 0, lon = 0, out = [];
                for (var i = 0; i < d.length; i += 2) {
                    lat += d[i]; lon += d[i + 1];
                    out.push([lat / 1e5, lon / 1e5]);
                }
                return out;
            }
            {{ this.roads_json }}.forEach(function (tier) {
                L.polyline(tier.lines.map(decode), {
                    color: tier.colour, weight: tier.weight, opacity: 0.8, interactive: false,
                    pane: "geoalloc-roads", className: "geoalloc-road geoalloc-road-" + tier.tier
                }).addTo(group);
            });
            var labels = {{ this.labels_json }}.map(function (d) {
                var m = L.marker([d[0], d[1]], {
                    icon: L.divIcon({className: "geoalloc-label " + d[3], html: d[2],
                                     iconSize: null}),
                    interactive: false, keyboard: false, pane: "geoalloc-labels"
                });
                m.addTo(group);
                return [m, d[4]];
            });
            function showLabels() {
                var zoom = map.getZoom();
                labels.forEach(function (l) { l[0].setOpacity(zoom >= l[1] ? 1 : 0); });
            }
            map.on("zoomend", showLabels);
            group.on("add", showLabels);
        })({{ this._parent.get_name() }}, {{ this.get_name() }});
        {{ this.legend_script }}
        {% endmacro %}
        """
    )

    def __init__(
        self,
        roads: list[dict],
        labels: list[list],
        name: str,
        *,
        legend_id: str | None = None,
        show: bool = True,
    ):
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "geoalloc_base"
        self.roads_json = safe_json(roads)
        self.labels_json = safe_json(labels)
        self.legend_id = legend_id
        self.legend_script = legend_toggle(self, legend_id)
        self.colours = {str(tier["colour"]) for tier in roads}


def delta_line(lonlat: np.ndarray) -> list[int]:
    """A line's ``(lon, lat)`` vertices as :class:`BaseMapLayer` embeds them: integers of 1e-5
    degrees (~1 m), the first vertex whole and each next one as its step from the previous, so
    that a road costs a few characters per vertex; vertices that round to the same point are
    dropped."""
    units = np.round(np.asarray(lonlat, dtype=float)[:, ::-1] * 1e5).astype(np.int64)
    steps = np.diff(units, axis=0, prepend=np.zeros((1, 2), dtype=np.int64))
    keep = np.ones(len(steps), dtype=bool)
    keep[1:] = steps[1:].any(axis=1)
    return steps[keep].ravel().tolist()


class Box(_AsIs):
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


class GroupSwitch(_AsIs):
    """Buttons that switch between groups of layers (the plan's and the baseline's main layers,
    and a compared run's): a click shows its group and hides the others'. ``groups`` maps each
    button's label to ``(tooltip, layers)``; the buttons' CSS classes are ``geoalloc-switch-<i>``
    and ``geoalloc-switch-<key>`` (the label in lower case, non-letters as ``-``)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.control({position: "topleft"});
        {{ this.get_name() }}.onAdd = function (map) {
            var groups = [
            {%- for label, key, tip, layers in this.buttons %}
                {label: {{ label }}, key: {{ key }}, tip: {{ tip }},
                 layers: [{% for l in layers %}{{ l.get_name() }}{{ "," if not loop.last }}{% endfor %}]}
                {{- "," if not loop.last }}
            {%- endfor %}
            ];
            var bar = L.DomUtil.create("div", "leaflet-bar leaflet-control geoalloc-switch");
            groups.forEach(function (group, i) {
                var a = L.DomUtil.create(
                    "a", "geoalloc-switch-" + i + " geoalloc-switch-" + group.key, bar);
                a.href = "#"; a.setAttribute("role", "button");
                a.textContent = group.label;
                a.title = group.tip;
                L.DomEvent.on(a, "click", function (e) {
                    L.DomEvent.preventDefault(e);
                    groups.forEach(function (other) {
                        if (other !== group) {
                            other.layers.forEach(function (l) { map.removeLayer(l); });
                        }
                    });
                    group.layers.forEach(function (l) { map.addLayer(l); });
                });
            });
            L.DomEvent.disableClickPropagation(bar);
            return bar;
        };
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, groups: dict[str, tuple[str, list[Layer]]]):
        super().__init__()
        self._name = "geoalloc_switch"
        self.buttons = [
            (
                safe_json(label),
                safe_json(re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")),
                safe_json(tip),
                layers,
            )
            for label, (tip, layers) in groups.items()
        ]


class Fullscreen(_AsIs):
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
.geoalloc-line { display: inline-block; width: 18px; height: 0; border-top: 3px solid;
  margin-right: 5px; vertical-align: middle; }
.geoalloc-ring { display: inline-block; width: 9px; height: 9px; border-radius: 50%;
  border: 2px dashed; margin-right: 4px; vertical-align: middle; }
.geoalloc-outline { display: inline-block; width: 12px; height: 8px; border: 2px solid;
  margin-right: 5px; vertical-align: middle; }
.geoalloc-label-sample { font-weight: bold; text-shadow: 0 0 2px #fff; margin-right: 5px; }
.geoalloc-label span { position: absolute; transform: translate(-50%, -50%); white-space: nowrap;
  font: 12px/1.2 sans-serif; color: #333;
  text-shadow: 0 0 3px #fff, 0 0 3px #fff, 0 0 2px #fff, 0 0 1px #fff; }
.geoalloc-place-1 span { font-size: 16px; font-weight: bold; color: #111; }
.geoalloc-place-2 span { font-size: 14px; font-weight: bold; color: #222; }
.geoalloc-place-3 span { font-size: 12px; font-weight: bold; }
.geoalloc-place-4 span { font-size: 11px; }
.geoalloc-road-label span { font-size: 11px; font-style: italic; color: #555; }
"""


class RawHtml(Element):
    """Fixed HTML in the page's head, written as is: a branca ``Element`` would compile it as a
    Jinja template first (Leaflet's 150 kB of JS took ~0.1 s to compile on every map)."""

    def __init__(self, html_text: str):
        super().__init__()
        self._name = "geoalloc_raw"
        self.html_text = html_text

    def render(self, **kwargs: object) -> str:
        return self.html_text


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
        RawHtml(f"<link rel='icon' href='data:,'><style>{PAGE_CSS}</style>"), name="geoalloc_css"
    )
    Fullscreen().add_to(fmap)
    return fmap


def map_html(fmap: folium.Map) -> str:
    """The map's page as one self-contained HTML string (Leaflet JS/CSS inlined)."""
    js, css = _leaflet_assets()
    _control_last(fmap)
    root = fmap.get_root()
    root.header.add_child(RawHtml(f"<style>{css}</style>"), name="leaflet_css_inline", index=0)
    root.header.add_child(RawHtml(f"<script>{js}</script>"), name="leaflet_js_inline", index=0)
    page = root.render()
    found = _EXTERNAL_REF.search(page)
    if found:  # a bug in geoalloc, not in the input: the page must load nothing from outside
        msg = f"map.html would load an external resource: {found.group(0)[:120]!r}"
        raise RuntimeError(msg)
    return page


def _control_last(fmap: folium.Map) -> None:
    """Put the layer control after every layer: its script names the layers rendered before it,
    and a layer added after it would be ``undefined`` there (``Cannot read properties of
    undefined (reading 'setZIndex')``, and no control at all)."""
    children = fmap._children
    for key in [k for k, child in children.items() if isinstance(child, LayerControl)]:
        children.move_to_end(key)


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
