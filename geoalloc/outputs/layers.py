"""Layer builders every geoalloc map composes (the planning, telemedicine and compare maps).

Each builder adds one thing to the map and returns it. Polygons may come in any CRS: they are
simplified, rounded (:func:`light_geometry`) and shown in EPSG:4326, so that large maps stay small;
points and lines of the records are taken in EPSG:4326 (:func:`in_4326`). HTML arguments
(tooltips, popups, titles) must already be escaped (:func:`~geoalloc.outputs.escape.text`).
"""

from __future__ import annotations

from collections.abc import Iterable

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from folium.map import Layer

from geoalloc.outputs.estimate import estimate_line
from geoalloc.outputs.leaflet import Box, CircleLayer, GeoJsonData, LineLayer, PolygonLayer
from geoalloc.outputs.styles import AREA_STYLE
from geoalloc.outputs.unproven import unproven_line

COORD_DECIMALS = 5  # ~1 m: enough for a regional map, keeps the file small
SIMPLIFY_M = 15.0


# --- geometry ----------------------------------------------------------------------------------


def in_4326(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``frame`` in EPSG:4326 (a frame without a CRS is taken to be in it already)."""
    return frame.to_crs(4326) if frame.crs is not None else frame.set_crs(4326)


def light_geometry(frame: gpd.GeoDataFrame) -> gpd.GeoSeries:
    """Geometry simplified by :data:`SIMPLIFY_M` metres in a projected CRS, in EPSG:4326 with
    coordinates rounded to :data:`COORD_DECIMALS` decimals, so large maps stay small."""
    geometry = frame.geometry
    if geometry.crs is None:
        geometry = geometry.set_crs(4326)
    if geometry.empty or (geometry.isna() | geometry.is_empty).all():
        return geometry.to_crs(4326)  # nothing to simplify (and no extent to pick a UTM zone from)
    projected = geometry.to_crs(geometry.estimate_utm_crs())
    simple = projected.simplify(SIMPLIFY_M, preserve_topology=True).to_crs(4326)
    rounded = shapely.transform(simple.to_numpy(), lambda xy: np.round(xy, COORD_DECIMALS))
    return gpd.GeoSeries(rounded, index=frame.index, crs=4326)


def inner_points(frame: gpd.GeoDataFrame) -> gpd.GeoSeries:
    """A point inside each shape of ``frame`` (where its circle goes), in EPSG:4326."""
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


# --- polygons, circles, lines ------------------------------------------------------------------


def polygon_data(
    fmap: folium.Map, polygons: gpd.GeoDataFrame, properties: pd.DataFrame
) -> GeoJsonData:
    """``polygons`` with their ``properties`` (a ``tip`` column of HTML, colour columns),
    embedded once in ``fmap`` for one or several :func:`polygon_view` layers."""
    data = GeoJsonData(_feature_collection(light_geometry(polygons), properties))
    data.add_to(fmap)
    return data


def polygon_view(
    fmap: folium.Map,
    data: GeoJsonData,
    name: str,
    *,
    colour_key: str | None = None,
    style: dict | None = None,
    legend_id: str | None = None,
    show: bool = False,
) -> Layer:
    """A layer of ``data`` filled with the colours of its property ``colour_key``, tooltips from
    ``tip``; with ``legend_id``, that :class:`Legend` section shows while the layer is on."""
    layer = PolygonLayer(
        data,
        name,
        tip_key="tip",
        colour_key=colour_key,
        style=style or AREA_STYLE,
        legend_id=legend_id,
        show=show,
    )
    layer.add_to(fmap)
    return layer


def polygon_layer(
    fmap: folium.Map,
    polygons: gpd.GeoDataFrame,
    name: str,
    *,
    tips: list[str],
    colours: list[str] | None = None,
    style: dict | None = None,
    legend_id: str | None = None,
    show: bool = True,
) -> Layer:
    """Polygons with an HTML tooltip each and an optional fill colour each, added to ``fmap``."""
    props = pd.DataFrame({"tip": tips}, index=polygons.index)
    if colours is not None:
        props["c"] = colours
    return polygon_view(
        fmap,
        polygon_data(fmap, polygons, props),
        name,
        colour_key="c" if colours is not None else None,
        style=style,
        legend_id=legend_id,
        show=show,
    )


def circle_record(
    point: shapely.Point,
    *,
    radius: float,
    colour: str,
    tip: str,
    popup: str | None = None,
    css_class: str,
) -> dict:
    """One circle of :func:`circle_layer` at ``point`` (EPSG:4326): ``radius`` in pixels, HTML
    ``tip`` and ``popup``, ``css_class`` to find it in the page."""
    return {
        "lat": round(point.y, COORD_DECIMALS),
        "lon": round(point.x, COORD_DECIMALS),
        "r": radius,
        "c": colour,
        "tip": tip,
        "popup": popup,
        "cls": css_class,
    }


def circle_layer(
    fmap: folium.Map,
    records: list[dict],
    name: str,
    *,
    show: bool = True,
    fill_opacity: float = 0.75,
    pane: str = "markerPane",
) -> Layer:
    """Circle markers from :func:`circle_record` records, added to ``fmap``; by default above
    the polygons (``pane="overlayPane"`` puts them among them, below other circles)."""
    layer = CircleLayer(records, name, show=show, fill_opacity=fill_opacity, pane=pane)
    layer.add_to(fmap)
    return layer


def line_record(line: shapely.LineString, *, width: float, tip: str) -> list:
    """One straight line of :func:`line_layer` from the first to the last point of ``line``
    (EPSG:4326): ``width`` in pixels, HTML ``tip``."""
    (x1, y1), (x2, y2) = line.coords[0], line.coords[-1]
    return [
        round(y1, COORD_DECIMALS),
        round(x1, COORD_DECIMALS),
        round(y2, COORD_DECIMALS),
        round(x2, COORD_DECIMALS),
        round(width, 2),
        tip,
    ]


def line_layer(fmap: folium.Map, records: list[list], name: str, *, show: bool) -> Layer:
    """Straight lines from :func:`line_record` records, added to ``fmap``."""
    layer = LineLayer(records, name, show=show)
    layer.add_to(fmap)
    return layer


# --- boxes -------------------------------------------------------------------------------------


def title_box(fmap: folium.Map, html_text: str, summary: dict) -> None:
    """The box at the bottom left with the run's title and headline figures, headed by a warning
    when the run's plan is not proven (``summary["unproven"]``)."""
    Box(
        unproven_line(summary) + estimate_line(summary) + html_text,
        position="bottomleft",
        css_class="geoalloc-title",
    ).add_to(fmap)


def dot(colour: str, label: str) -> str:
    """A coloured dot and its (escaped) label, as in the legends of site colours."""
    return f"<span class='geoalloc-dot' style='background:{colour}'></span>{label}"


class Legend:
    """The legend box at the bottom right: a section per choropleth, shown while its layer is on
    (:func:`polygon_view` with the section's ``legend_id``), and sections always shown."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def section(
        self, legend_id: str, title: str, rows: Iterable[tuple[str, str]], *, show: bool
    ) -> str:
        """Add a section of ``(colour, label)`` swatches under ``title``; returns ``legend_id``."""
        display = "block" if show else "none"
        body = "".join(
            f"<div><span class='geoalloc-swatch' style='background:{c}'></span>{label}</div>"
            for c, label in rows
        )
        self.parts.append(
            f"<div id='{legend_id}' class='geoalloc-legend-section' style='display:{display}'>"
            f"<b>{title}</b>{body}</div>"
        )
        return legend_id

    def fixed(self, title: str, body: str) -> None:
        """Add a section that is always shown."""
        self.parts.append(f"<div class='geoalloc-legend-section'><b>{title}</b><br>{body}</div>")

    def add_to(self, fmap: folium.Map) -> None:
        Box("".join(self.parts), position="bottomright", css_class="geoalloc-legend").add_to(fmap)


def layer_control(fmap: folium.Map) -> None:
    """The layer control, expanded; it lists every layer of ``fmap``, added before or after it."""
    folium.LayerControl(collapsed=False).add_to(fmap)
