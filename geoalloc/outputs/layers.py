"""Layer builders every geoalloc map composes (the planning, telemedicine and compare maps).

Each builder adds one thing to the map and returns it. Polygons may come in any CRS: they are
simplified, rounded (:func:`light_geometry`) and shown in EPSG:4326, so that large maps stay small;
points and lines of the records are taken in EPSG:4326 (:func:`in_4326`). HTML arguments
(tooltips, popups, titles) must already be escaped (:func:`~geoalloc.outputs.escape.text`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from folium.map import Layer

from geoalloc.outputs.escape import text
from geoalloc.outputs.estimate import estimate_line
from geoalloc.outputs.leaflet import (
    BaseMapLayer,
    Box,
    CircleLayer,
    GeoJsonData,
    LineLayer,
    PolygonLayer,
    delta_line,
)
from geoalloc.outputs.styles import AREA_STYLE
from geoalloc.outputs.unproven import unproven_line
from geoalloc.travel.geodesy import metric_crs

COORD_DECIMALS = 5  # ~1 m: enough for a regional map, keeps the file small
SIMPLIFY_M = 15.0


# --- geometry ----------------------------------------------------------------------------------


def in_4326(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``frame`` in EPSG:4326 (a frame without a CRS is taken to be in it already)."""
    return frame.to_crs(4326) if frame.crs is not None else frame.set_crs(4326)


def light_geometry(frame: gpd.GeoDataFrame, simplify_m: float = SIMPLIFY_M) -> gpd.GeoSeries:
    """Geometry simplified by ``simplify_m`` metres (:data:`SIMPLIFY_M`; 0: not simplified) in a
    projected CRS, in EPSG:4326 with coordinates rounded to :data:`COORD_DECIMALS` decimals, so
    large maps stay small."""
    geometry = frame.geometry
    if geometry.crs is None:
        geometry = geometry.set_crs(4326)
    if geometry.empty or (geometry.isna() | geometry.is_empty).all():
        return geometry.to_crs(4326)  # nothing to simplify (and no extent to pick a UTM zone from)
    if simplify_m > 0:
        projected = geometry.to_crs(metric_crs(geometry))
        simple = projected.simplify(simplify_m, preserve_topology=True).to_crs(4326)
    else:
        simple = geometry.to_crs(4326)
    rounded = shapely.transform(simple.to_numpy(), lambda xy: np.round(xy, COORD_DECIMALS))
    return gpd.GeoSeries(rounded, index=frame.index, crs=4326)


def inner_points(frame: gpd.GeoDataFrame) -> gpd.GeoSeries:
    """A point inside each shape of ``frame`` (where its circle goes), in EPSG:4326."""
    geometry = frame.geometry if frame.crs is not None else frame.geometry.set_crs(4326)
    projected = geometry.to_crs(metric_crs(geometry))
    return projected.representative_point().to_crs(4326)


def _feature_collection(geometry: gpd.GeoSeries, properties: pd.DataFrame) -> dict:
    features = []
    records = properties.to_dict(orient="records")
    for geom, props in zip(_geojson_geometries(geometry), records, strict=True):
        if geom is None:
            continue
        features.append({"type": "Feature", "properties": props, "geometry": geom})
    return {"type": "FeatureCollection", "features": features}


def _geojson_geometries(geometry: gpd.GeoSeries) -> list[dict | None]:
    """The GeoJSON ``geometry`` of each shape (None for a missing or empty one), as
    ``shapely.geometry.mapping`` gives it; polygons and multipolygons are read in a few
    vectorised calls instead of one Python walk per ring (~10× faster for 10⁵ vertices)."""
    shapes = np.asarray(geometry.to_numpy(), dtype=object)
    missing = shapely.is_missing(shapes) | shapely.is_empty(shapes)
    kinds = shapely.get_type_id(shapes)
    flat = (kinds == shapely.GeometryType.POLYGON) | (kinds == shapely.GeometryType.MULTIPOLYGON)
    present = shapes[~missing]
    parts = shapely.get_parts(present)
    if (
        not (flat | missing).all() or shapely.has_z(present).any() or shapely.is_empty(parts).any()
    ):  # anything else (points, lines, 3D, empty parts): shapely's own walk
        return [
            None if m else shapely.geometry.mapping(g) for g, m in zip(shapes, missing, strict=True)
        ]
    rings = shapely.get_rings(parts)
    xy = shapely.get_coordinates(rings).tolist()
    ring_ends = np.cumsum(shapely.get_num_coordinates(rings)).tolist()
    rings_per_part = (shapely.get_num_interior_rings(parts) + 1).tolist()
    parts_per_shape = shapely.get_num_geometries(present).tolist()
    ring_coords = []
    start = 0
    for end in ring_ends:
        ring_coords.append(xy[start:end])
        start = end
    part_coords = []
    start = 0
    for count in rings_per_part:
        part_coords.append(ring_coords[start : start + count])
        start += count
    out: list[dict | None] = [None] * len(shapes)
    start = 0
    for position, kind, count in zip(
        np.flatnonzero(~missing).tolist(), kinds[~missing].tolist(), parts_per_shape, strict=True
    ):
        if kind == shapely.GeometryType.POLYGON:
            out[position] = {"type": "Polygon", "coordinates": part_coords[start]}
        else:
            coordinates = part_coords[start : start + count]
            out[position] = {"type": "MultiPolygon", "coordinates": coordinates}
        start += count
    return out


# --- polygons, circles, lines ------------------------------------------------------------------


def polygon_data(
    fmap: folium.Map,
    polygons: gpd.GeoDataFrame,
    properties: pd.DataFrame,
    *,
    simplify_m: float = SIMPLIFY_M,
) -> GeoJsonData:
    """``polygons`` with their ``properties`` (a ``tip`` column of HTML, colour columns),
    embedded once in ``fmap`` for one or several :func:`polygon_view` layers; outlines
    simplified by ``simplify_m`` metres (:func:`light_geometry`)."""
    data = GeoJsonData(_feature_collection(light_geometry(polygons, simplify_m), properties))
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
    simplify_m: float = SIMPLIFY_M,
) -> Layer:
    """Polygons with an HTML tooltip each and an optional fill colour each, added to ``fmap``;
    outlines simplified by ``simplify_m`` metres."""
    props = pd.DataFrame({"tip": tips}, index=polygons.index)
    if colours is not None:
        props["c"] = colours
    return polygon_view(
        fmap,
        polygon_data(fmap, polygons, props, simplify_m=simplify_m),
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
    weight: float = 1.5,
    dash: str | None = None,
    legend_id: str | None = None,
) -> Layer:
    """Circle markers from :func:`circle_record` records, added to ``fmap``; by default above
    the polygons (``pane="overlayPane"`` puts them among them, below other circles); ``dash``
    draws dashed rings; with ``legend_id``, that :class:`Legend` section shows while it is on."""
    layer = CircleLayer(
        records,
        name,
        show=show,
        fill_opacity=fill_opacity,
        pane=pane,
        weight=weight,
        dash=dash,
        legend_id=legend_id,
    )
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


def line_layer(
    fmap: folium.Map,
    records: list[list],
    name: str,
    *,
    show: bool,
    colour: str,
    legend_id: str | None = None,
    dash: str | None = None,
    opacity: float = 0.55,
) -> Layer:
    """Straight lines of ``colour`` and ``opacity`` from :func:`line_record` records, added to
    ``fmap``, dashed with a ``dash`` pattern (e.g. ``"6 4"``); with ``legend_id``, that
    :class:`Legend` section shows while it is on."""
    layer = LineLayer(
        records,
        name,
        show=show,
        colour=colour,
        legend_id=legend_id,
        dash=dash,
        opacity=opacity,
    )
    layer.add_to(fmap)
    return layer


# --- the offline base map ----------------------------------------------------------------------

#: OSM place kinds by label size (1 largest) and the zoom from which their labels show
PLACE_LABELS = {
    "city": (1, 0),
    "borough": (2, 0),
    "town": (2, 0),
    "village": (3, 11),
    "suburb": (3, 12),
    "quarter": (4, 13),
    "hamlet": (4, 13),
    "neighbourhood": (4, 14),
    "isolated_dwelling": (4, 15),
    "farm": (4, 15),
}
#: the roads' tiers as drawn: colour and width in pixels (1 main roads … 3 streets)
ROAD_STYLES = {1: ("#8a8a8a", 3.0), 2: ("#9a9a9a", 2.0), 3: ("#b0b0b0", 1.0)}
ROAD_TIER_NAMES = {1: "main road", 2: "road between places", 3: "street"}
#: road names show from this zoom on (one label per named main road, on its longest piece)
ROAD_LABEL_ZOOM = 15
BASE_MAP_NAME = "Background: roads and places (offline)"


def base_map_layer(
    fmap: folium.Map,
    roads: gpd.GeoDataFrame | None,
    places: gpd.GeoDataFrame | None,
    legend: Legend,
) -> Layer | None:
    """*Background: roads and places (offline)*: the run's ``roads`` and ``places`` layers (see
    :mod:`geoalloc.runs.basemap`) drawn as light lines and labels, shown from the start, with
    its legend section; None when the run has neither (a crow-fly run, a travel table)."""
    has_roads = roads is not None and len(roads) > 0
    has_places = places is not None and len(places) > 0
    if not has_roads and not has_places:
        return None
    tiers: list[dict[str, Any]] = []
    labels: list[list] = []
    if has_roads:
        assert roads is not None
        roads = in_4326(roads)
        for tier, group in roads.groupby("tier", sort=True):
            colour, weight = ROAD_STYLES.get(int(tier), ROAD_STYLES[3])
            lines = [
                delta_line(shapely.get_coordinates(geometry))
                for geometry in group.geometry
                if geometry is not None and not geometry.is_empty
            ]
            tiers.append({"tier": int(tier), "colour": colour, "weight": weight, "lines": lines})
        labels += _road_labels(roads)
    if has_places:
        assert places is not None
        for row in in_4326(places).itertuples(index=False):
            size, zoom = PLACE_LABELS.get(str(row.place), (4, 14))
            point = row.geometry
            labels.append(
                [
                    round(point.y, COORD_DECIMALS),
                    round(point.x, COORD_DECIMALS),
                    f"<span>{text(row.name)}</span>",
                    f"geoalloc-place-{size}",
                    zoom,
                ]
            )
    rows = [
        (
            f"<span class='geoalloc-line' style='border-color:{t['colour']};"
            f"border-top-width:{max(1.0, t['weight']):g}px'></span>",
            ROAD_TIER_NAMES.get(t["tier"], "road"),
        )
        for t in tiers
    ]
    if has_places:
        rows.append(("<span class='geoalloc-label-sample'>Name</span>", "place (OSM place=*)"))
    if any(label[3] == "geoalloc-road-label" for label in labels):
        rows.append(("<span class='geoalloc-label-sample'><i>Name</i></span>", "road name"))
    legend_id = legend.symbols(
        "geoalloc-legend-base", "roads and places (from the OSM extract)", rows
    )
    layer = BaseMapLayer(tiers, labels, BASE_MAP_NAME, legend_id=legend_id, show=True)
    layer.add_to(fmap)
    return layer


def _road_labels(roads: gpd.GeoDataFrame) -> list[list]:
    """One label per named road of tiers 1–2, at the middle of its longest piece."""
    named = roads[(roads["name"].astype(str) != "") & (roads["tier"].astype(int) <= 2)]
    if not len(named):
        return []
    metric = named.to_crs(metric_crs(named))
    longest = metric.assign(length_m=metric.length).sort_values("length_m", ascending=False)
    longest = longest.drop_duplicates("name")
    middles = gpd.GeoSeries(
        longest.geometry.interpolate(0.5, normalized=True), crs=metric.crs
    ).to_crs(4326)
    return [
        [
            round(point.y, COORD_DECIMALS),
            round(point.x, COORD_DECIMALS),
            f"<span>{text(name)}</span>",
            "geoalloc-road-label",
            ROAD_LABEL_ZOOM,
        ]
        for name, point in zip(longest["name"], middles, strict=True)
    ]


# --- boxes -------------------------------------------------------------------------------------


def title_box(fmap: folium.Map, html_text: str, summary: dict) -> None:
    """The box at the bottom left with the run's title and headline figures, headed by a warning
    when the run's plan is not proven (``summary["unproven"]``)."""
    Box(
        unproven_line(summary) + estimate_line(summary) + html_text,
        position="bottomleft",
        css_class="geoalloc-title",
    ).add_to(fmap)


#: the legend's symbols, by the kind of mark a layer draws (``{c}``: its colour)
SYMBOLS = {
    "swatch": "<span class='geoalloc-swatch' style='background:{c}'></span>",
    "dot": "<span class='geoalloc-dot' style='background:{c}'></span>",
    "faded dot": "<span class='geoalloc-dot' style='background:{c};opacity:0.45'></span>",
    "ring": "<span class='geoalloc-ring' style='border-color:{c}'></span>",
    "line": "<span class='geoalloc-line' style='border-color:{c}'></span>",
    "dashed line": "<span class='geoalloc-line' style='border-color:{c};border-top-style:dashed'>"
    "</span>",
    "outline": "<span class='geoalloc-outline' style='border-color:{c}'></span>",
}


class Legend:
    """The legend box at the bottom right: a section per layer, shown while the layer is on (the
    layer made with the section's ``legend_id``)."""

    def __init__(self) -> None:
        #: ``(legend_id, inner HTML)`` of each section, in the order they were added
        self.parts: list[tuple[str, str]] = []

    def section(
        self,
        legend_id: str,
        title: str,
        rows: Iterable[tuple[str, str]],
        *,
        symbol: str = "swatch",
    ) -> str:
        """Add a section of ``(colour, label)`` rows drawn as ``symbol`` (a key of
        :data:`SYMBOLS`) under ``title``; returns ``legend_id``."""
        mark = SYMBOLS[symbol]
        return self.symbols(legend_id, title, [(mark.format(c=c), label) for c, label in rows])

    def symbols(self, legend_id: str, title: str, rows: Iterable[tuple[str, str]]) -> str:
        """Add a section of ``(symbol HTML, label)`` rows under ``title``; returns ``legend_id``."""
        body = "".join(f"<div>{mark}{label}</div>" for mark, label in rows)
        self.parts.append((legend_id, f"<b>{title}</b>{body}"))
        return legend_id

    def add_to(self, fmap: folium.Map) -> None:
        """The legend box, once every layer is on ``fmap``: a section is shown at first when the
        layer made with its ``legend_id`` is (a section without a layer is always shown)."""
        shown = {
            child.legend_id: bool(child.show)
            for child in fmap._children.values()
            if getattr(child, "legend_id", None)
        }
        html = "".join(
            f"<div id='{legend_id}' class='geoalloc-legend-section' "
            f"style='display:{'block' if shown.get(legend_id, True) else 'none'}'>{inner}</div>"
            for legend_id, inner in self.parts
        )
        Box(html, position="bottomright", css_class="geoalloc-legend").add_to(fmap)


def layer_control(fmap: folium.Map) -> None:
    """The layer control, expanded; it lists every layer of ``fmap``, added before or after it."""
    folium.LayerControl(collapsed=False).add_to(fmap)
