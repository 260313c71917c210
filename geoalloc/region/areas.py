"""Areas for a planner's region: a regular grid, OSM administrative boundaries checked for what
they leave out, or the planner's own polygons — each an EPSG:4326 GeoDataFrame indexed
``0 .. n-1`` with a text ``area_id``.

- :func:`network_extent` — where the road network of a mode is: what grids are laid over and what
  the boundaries' coverage is checked against;
- :func:`grid_areas` — square cells of ``cell_m`` metres in the extent's UTM zone, clipped to it;
- :func:`admin_areas` — ``boundary=administrative`` polygons at one ``admin_level``, clipped to
  the extent, overlaps resolved, and the gaps they leave reported by size and filled with grid
  cells (or refused with the fix);
- :func:`vector_areas` — any polygon file, its id column given or inferred;
- :func:`place_names` and :func:`display_names` — readable names for areas that have none
  ("cell near Vaduz").

Areas are measured (clipped, gaps, coverage) in the metric CRS of
:func:`geoalloc.inputs.read.metric_crs` (the extent's UTM zone).
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer
from scipy import sparse
from scipy.sparse import csgraph

from geoalloc._errors import InputError
from geoalloc._validate import Problems, format_ids
from geoalloc.inputs.extent import EXTENT_BUFFER_M, EXTENT_HULL_RATIO, nodes_extent
from geoalloc.inputs.grid import square_cells
from geoalloc.inputs.osm_layers import read_boundaries

# place names moved to geoalloc.inputs.osm_places (a run's map names its areas too); kept here
from geoalloc.inputs.osm_places import NAME_WITHIN_M as NAME_WITHIN_M
from geoalloc.inputs.osm_places import PLACE_KINDS as PLACE_KINDS
from geoalloc.inputs.osm_places import display_names as display_names
from geoalloc.inputs.osm_places import nearest_place
from geoalloc.inputs.osm_places import place_names as place_names
from geoalloc.inputs.osm_places import read_pbf as _reading
from geoalloc.inputs.points import index_by_id
from geoalloc.inputs.read import _check_geometry, metric_crs, read_polygons
from geoalloc.travel.graph import check_mode, mode_mask
from geoalloc.travel.osm import read_osm

log = logging.getLogger(__name__)

#: :func:`grid_areas`: a cell cut to less than this share of a whole cell joins its neighbour
MIN_CELL_SHARE = 0.1
#: :func:`admin_areas`: gaps smaller than this are slivers between boundaries drawn by different
#: hands (a few metres wide along a shared border), neither reported nor filled. 0.05 km² is
#: 5 ha, a square of 224 m: at a European rural density of 100 persons/km², 5 persons
MIN_GAP_KM2 = 0.05
#: :func:`admin_areas`: the ``source`` of the grid cells that fill the gaps, and their id prefix
GRID_FILL = "grid fill"
FILL_ID_PREFIX = "fill-"
#: names in the admin_levels listed when a level has no boundary
_NAMES_SHOWN = 3


# --- the extent --------------------------------------------------------------------------------


def network_extent(
    pbf: Path,
    mode: str = "drive",
    *,
    hull_ratio: float = EXTENT_HULL_RATIO,
    buffer_m: float = EXTENT_BUFFER_M,
) -> shapely.Polygon:
    """Where the road network of ``mode`` is: the concave hull of its nodes, buffered.

    The nodes are those of every way ``mode`` may use, by the same filter as the routing
    (:func:`geoalloc.travel.graph.mode_mask`), read with :func:`geoalloc.travel.osm.read_osm`
    (no graph is built). The hull is drawn in the nodes' UTM zone with
    :func:`shapely.concave_hull` and widened by ``buffer_m``.

    A concave hull, not the convex one: the convex hull of an extract's roads takes in the
    roadless land around and between them, where no one lives and no area can be reached —
    for Liechtenstein's drive network the convex hull is 164 km², a fifth of it mountains and
    the neighbours' land beyond the Rhine that no municipality covers; the concave hull
    (``hull_ratio`` 0.1) is 73 km², 97 % within the 11 municipalities.

    Parameters
    ----------
    pbf
        OSM extract (``.osm.pbf``, or ``.osm``/``.osm.bz2``).
    mode
        ``"drive"``, ``"walk"`` or ``"bike"``.
    hull_ratio
        :func:`shapely.concave_hull`'s ``ratio``: 0 hugs the nodes closest, 1 is the convex hull.
    buffer_m
        Metres added around the hull, so that the outermost roads lie inside it.

    Returns
    -------
    shapely.Polygon
        One polygon, EPSG:4326 (longitude, latitude).

    Raises
    ------
    InputError
        The file cannot be read, or holds no way ``mode`` may use.
    """
    lonlat = _mode_nodes(Path(pbf), mode)
    hull, crs = nodes_extent(lonlat[:, 0], lonlat[:, 1], hull_ratio=hull_ratio, buffer_m=buffer_m)
    return _in_degrees(gpd.GeoDataFrame(geometry=[hull], crs=crs)).geometry.iloc[0]


def _mode_nodes(pbf: Path, mode: str) -> np.ndarray:
    """Longitude/latitude of the nodes of every way ``mode`` may use (read once per file)."""
    check_mode(mode)
    stat = pbf.stat() if pbf.is_file() else None
    return _cached_mode_nodes(str(pbf), mode, stat.st_mtime_ns if stat else None)


@functools.lru_cache(maxsize=2)
def _cached_mode_nodes(path: str, mode: str, mtime_ns: int | None) -> np.ndarray:
    pbf = Path(path)
    nodes, segments = read_osm(pbf)
    used = mode_mask(segments, mode) if len(segments) else np.zeros(0, dtype=bool)
    ids = np.unique(np.concatenate([segments["u"][used], segments["v"][used]]))
    if len(ids) == 0:
        msg = f"{pbf}: no road usable by mode {mode!r} — is this the right extract and mode?"
        raise InputError(msg)
    lonlat = nodes.set_index("id").loc[ids, ["lon", "lat"]].to_numpy()
    lonlat.setflags(write=False)
    return lonlat


#: an area whose representative point is farther than this from the roads starts its trips at a
#: road node inside it instead (see :func:`trip_origins`)
FAR_FROM_ROADS_M = 300.0


def trip_origins(
    areas: gpd.GeoDataFrame, node_lonlat: np.ndarray, *, far_m: float = FAR_FROM_ROADS_M
) -> gpd.GeoDataFrame:
    """Where each area's trips start: its representative point, or — when that point is farther
    than ``far_m`` from every road node (the middle of a forest, a mountainside, a lake in a
    large municipality) — the road node inside the area nearest to it. An area with no road node
    inside keeps its representative point (and the run flags it if it is beyond the snapping
    limit). Measured in the areas' UTM zone.

    ``node_lonlat`` holds the longitude/latitude of the nodes trips are snapped to (the routable
    graph's: :func:`geoalloc.travel.api.load_network`), one row per node.

    Returns
    -------
    geopandas.GeoDataFrame
        ``area_id``, ``origin`` (``"representative point"`` or ``"road node inside the area"``),
        ``distance_m`` (how far the origin moved), point geometry; EPSG:4326, the areas' index.
    """
    from scipy.spatial import cKDTree

    lonlat = np.asarray(node_lonlat, dtype=float)
    crs = metric_crs(areas.geometry)
    shapes = areas.geometry.to_crs(crs)
    points = shapes.representative_point()
    x, y = Transformer.from_crs(4326, crs, always_xy=True).transform(lonlat[:, 0], lonlat[:, 1])
    nodes = np.column_stack([x, y])
    distance, _ = cKDTree(nodes).query(np.column_stack([points.x, points.y]))
    origin = np.full(len(areas), "representative point", dtype=object)
    moved = np.zeros(len(areas))
    chosen = points.to_numpy().copy()
    far = np.flatnonzero(distance > far_m)
    if len(far):
        node_points = shapely.points(nodes)
        pairs = shapely.STRtree(node_points).query(shapes.to_numpy()[far], predicate="contains")
        for k, i in enumerate(far):
            inside = pairs[1][pairs[0] == k]
            if len(inside) == 0:
                continue
            gaps = shapely.distance(node_points[inside], chosen[i])
            best = inside[int(np.argmin(gaps))]
            moved[i] = float(gaps.min())
            chosen[i] = node_points[best]
            origin[i] = "road node inside the area"
    frame = gpd.GeoDataFrame(
        {"area_id": areas["area_id"].astype(str).to_numpy(), "origin": origin, "distance_m": moved},
        geometry=chosen,
        crs=crs,
        index=areas.index,
    )
    return frame.to_crs(4326)


# --- grids -------------------------------------------------------------------------------------


def grid_areas(
    extent: shapely.Polygon,
    cell_m: float,
    *,
    crs: CRS | int | str | None = None,
    min_cell_share: float = MIN_CELL_SHARE,
) -> gpd.GeoDataFrame:
    """Square cells of ``cell_m`` metres over ``extent``, clipped to it.

    The cells lie on the lattice of multiples of ``cell_m`` in ``crs`` (default: the extent's
    UTM zone, :func:`geoalloc.inputs.read.metric_crs`), built by
    :func:`geoalloc.inputs.grid.square_cells`; cells that share area with the extent are kept and
    cut to it (a cut cell keeps its id, and may be a MultiPolygon where the extent's edge crosses
    it twice). A cell cut to less than ``min_cell_share`` of a whole cell (a corner the extent's
    edge grazes) joins the neighbouring cell it shares the longest border with, so that no area
    is a sliver of a few square metres; one with no such neighbour stays. The cells cover the
    extent without overlap either way.

    Parameters
    ----------
    extent
        Polygon in EPSG:4326, e.g. :func:`network_extent`.
    cell_m
        Side of a cell, metres.
    crs
        Metric CRS of the lattice (keyword only), e.g. a national grid's.
    min_cell_share
        Cut cells under this share of ``cell_m``² join a neighbour (0: none does).

    Returns
    -------
    geopandas.GeoDataFrame
        ``area_id`` (``"E<x>N<y>"``: the lower-left corner in the lattice's CRS, metres) and
        ``geometry``, EPSG:4326, cells from south to north and west to east, index ``0 .. n-1``.

    Raises
    ------
    InputError
        ``cell_m`` under 1 m, or so small that the grid would hold millions of cells.
    """
    metric, shape = _projected(extent, crs)
    return _in_degrees(_cut_cells(shape, cell_m, metric, min_cell_share))


def _cut_cells(shape, cell_m: float, crs: CRS, min_cell_share: float) -> gpd.GeoDataFrame:
    """:func:`square_cells` over ``shape`` (in ``crs``), cut to it, small cuts merged."""
    cells = square_cells(shape, cell_m, crs)
    pieces = _polygonal(shapely.intersection(cells.geometry.to_numpy(), shape))
    kept = ~shapely.is_empty(pieces)
    ids, pieces = cells["area_id"].to_numpy()[kept], pieces[kept]
    pieces, merged = _merge_small(pieces, min_cell_share * cell_m**2)
    return gpd.GeoDataFrame({"area_id": ids[~merged]}, geometry=pieces[~merged], crs=crs)


def _merge_small(pieces: np.ndarray, min_m2: float) -> tuple[np.ndarray, np.ndarray]:
    """``pieces`` with each one under ``min_m2`` joined to the piece of at least ``min_m2`` it
    shares the longest border with (ties: the first), repeated while a join makes new
    neighbours; small pieces left with no such neighbour join the small pieces they share a
    border with (into the largest of them). Returns the pieces and which of them were joined to
    another (to drop)."""
    out = np.array(pieces, dtype=object)
    merged = np.zeros(len(out), dtype=bool)
    while True:
        live = np.flatnonzero(~merged)
        area = shapely.area(out[live])
        large, small = live[area >= min_m2], live[area < min_m2]
        if len(small) == 0 or len(large) == 0:
            break
        tree = shapely.STRtree(out[large])
        joins: dict[int, list[int]] = {}
        for i in small:
            near = large[np.sort(tree.query(out[i], predicate="intersects"))]
            shared = _shared_border_m(out[i], out[near])
            if len(near) and shared.max() > 0:
                joins.setdefault(int(near[np.argmax(shared)]), []).append(int(i))
        if not joins:
            break
        for j, members in joins.items():
            out[j] = shapely.union_all([out[j], *out[members]])
            merged[members] = True
    live = np.flatnonzero(~merged)
    alone = live[shapely.area(out[live]) < min_m2]
    if len(alone) > 1:
        left, right = shapely.STRtree(out[alone]).query(out[alone], predicate="intersects")
        pair = left < right
        left, right = left[pair], right[pair]
        shared = shapely.length(
            shapely.intersection(
                shapely.boundary(out[alone][left]), shapely.boundary(out[alone][right])
            )
        )
        link = shared > 0
        graph = sparse.coo_array(
            (np.ones(int(link.sum())), (left[link], right[link])), shape=(len(alone), len(alone))
        )
        _, group = csgraph.connected_components(graph, directed=False)
        for g in np.unique(group):
            members = alone[group == g]
            if len(members) > 1:
                keeper = int(members[np.argmax(shapely.area(out[members]))])
                others = members[members != keeper]
                out[keeper] = shapely.union_all([out[keeper], *out[others]])
                merged[others] = True
    return out, merged


def _shared_border_m(piece, others: np.ndarray) -> np.ndarray:
    """Length (m) of the border ``piece`` shares with each of ``others``."""
    if len(others) == 0:
        return np.zeros(0)
    return shapely.length(shapely.intersection(shapely.boundary(piece), shapely.boundary(others)))


def _projected(
    extent: shapely.Geometry, crs: CRS | int | str | None = None
) -> tuple[CRS, shapely.Geometry]:
    """``extent`` (EPSG:4326) in ``crs`` (default its UTM zone), repaired; and that CRS."""
    if extent is None or extent.is_empty or shapely.get_dimensions(extent) != 2:
        msg = (
            f"the extent must be a polygon in EPSG:4326, not {getattr(extent, 'geom_type', extent)}"
        )
        raise InputError(msg)
    series = gpd.GeoSeries([extent], crs=4326)
    metric = CRS.from_user_input(crs) if crs is not None else metric_crs(series)
    shape = _polygonal(np.array([shapely.make_valid(series.to_crs(metric).iloc[0])]))[0]
    return metric, shape


#: metres to which areas are snapped before they are reprojected to longitude/latitude
PRECISION_M = 0.001


def _in_degrees(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``frame`` in EPSG:4326, index ``0 .. n-1``, every polygon valid: snapped to
    :data:`PRECISION_M` when in metres (which also drops the needle-thin spikes cuts can leave),
    and any polygon the reprojection folded (two vertices a hair apart crossing) repaired."""
    frame = frame.reset_index(drop=True)
    if frame.crs is not None and frame.crs.is_projected:
        snapped = shapely.set_precision(frame.geometry.to_numpy(), PRECISION_M)
        frame = frame.set_geometry(_polygonal(snapped))
    frame = frame.to_crs(4326)
    geometry = frame.geometry.to_numpy()
    folded = ~shapely.is_valid(geometry) & ~pd.isna(geometry)
    if folded.any():
        geometry = geometry.copy()
        geometry[folded] = _polygonal(shapely.make_valid(geometry[folded]))
        frame = frame.set_geometry(geometry, crs=4326)
    return frame


def _polygonal(geometries: np.ndarray) -> np.ndarray:
    """Each geometry's polygonal part (an intersection may add lines and points where shapes
    touch); an empty polygon where there is none."""
    out = np.array(geometries, dtype=object)
    kinds = shapely.get_type_id(out)
    for i in np.flatnonzero(~np.isin(kinds, (3, 6))):  # 3 Polygon, 6 MultiPolygon
        parts = [p for p in shapely.get_parts(out[i]) if shapely.get_dimensions(p) == 2]
        out[i] = shapely.union_all(parts) if parts else shapely.Polygon()
    return out


# --- administrative boundaries -----------------------------------------------------------------


@dataclass(frozen=True)
class AdminAreas:
    """Areas from OSM administrative boundaries, and what the boundaries leave out.

    Attributes
    ----------
    areas
        ``area_id`` (the OSM id as text; ``"fill-E<x>N<y>"`` for a cell filling a gap),
        ``name`` (the OSM name; "unassigned area near <place>" for a fill cell), ``admin_level``
        (text; empty for a fill cell), ``source`` (``"OSM admin_level=<level>"`` or
        ``"grid fill"``), ``boundary_km2`` (the whole boundary's area before it was clipped to
        the extent; NaN for a fill cell), ``geometry``; EPSG:4326, index ``0 .. n-1``,
        boundaries by name first, then the fill cells.
    gaps
        The parts of the extent no boundary covers (each at least ``min_gap_km2``): ``gap_id``
        (``"gap-1"`` the largest), ``area_km2``, ``place`` ("in Canillo", "near Soldeu" or ""),
        ``geometry``; EPSG:4326.
    covered_share
        Share of the extent's area the boundaries cover (0 to 1), before any filling.
    """

    areas: gpd.GeoDataFrame
    gaps: gpd.GeoDataFrame
    covered_share: float


def admin_areas(
    pbf: Path,
    admin_level: int | str,
    extent: shapely.Polygon,
    *,
    fill_cell_m: float | None = 1000.0,
    min_gap_km2: float = MIN_GAP_KM2,
    places: gpd.GeoDataFrame | None = None,
) -> AdminAreas:
    """Areas from the ``boundary=administrative`` polygons of ``pbf`` at ``admin_level``,
    checked for what they leave out of ``extent``.

    1. The boundaries at that level that share area with ``extent`` are clipped to it (invalid
       polygons repaired).
    2. Overlaps (boundaries drawn by different hands, or one drawn inside another) are resolved
       so that every place is in one area: the **smaller** boundary (by its whole area; then the
       lower OSM id) keeps the shared part, the larger loses it — an enclave stays an area, and
       no boundary vanishes into a bigger one.
    3. Gaps = the extent minus the boundaries. Gaps under ``min_gap_km2`` are slivers along
       borders, dropped (logged). The others are reported in :attr:`AdminAreas.gaps` and filled
       with grid cells of ``fill_cell_m`` (:func:`grid_areas`' lattice, cut to the gaps; ids
       ``"fill-E<x>N<y>"``, source ``"grid fill"``, named after the places in or near them by
       :func:`display_names`) — or, with ``fill_cell_m=None``, refused.

    Parameters
    ----------
    pbf
        OSM extract.
    admin_level
        The OSM ``admin_level`` (e.g. 8 for municipalities in much of Europe and for US cities
        and boroughs; 7 for Andorra's parishes).
    extent
        Polygon, EPSG:4326, e.g. :func:`network_extent`.
    fill_cell_m
        Side of the cells that fill gaps, metres; ``None`` refuses gaps instead.
    min_gap_km2
        Gaps smaller than this are slivers (default :data:`MIN_GAP_KM2`).
    places
        :func:`place_names` of ``pbf``, if already read (else read here, for fill cells' names).

    Raises
    ------
    InputError
        No boundary at that level (the message lists the levels the file has, with counts and
        names), none that overlaps the extent, or gaps when ``fill_cell_m`` is None (the message
        gives their total and largest areas in km², their number and the fixes).
    """
    pbf = Path(pbf)
    level = str(admin_level).strip()
    boundaries = _reading(pbf, lambda: read_boundaries(pbf))
    levels = boundaries["admin_level"].astype(str) if "admin_level" in boundaries else None
    if levels is None or not (levels == level).any():
        msg = (
            f"{pbf}: no boundary=administrative at admin_level={level}; "
            f"{_levels_text(boundaries)} — choose one of its levels, or lay a grid instead, "
            "or give your own areas file"
        )
        raise InputError(msg)
    metric, shape = _projected(extent)
    admin = _clipped_boundaries(boundaries[levels == level].to_crs(metric), shape, level, pbf)
    covered = shapely.union_all(admin.geometry.to_numpy())
    covered_share = float(covered.area / shape.area) if shape.area > 0 else 0.0
    gaps = _gaps(shape.difference(covered), min_gap_km2, metric, pbf.name)
    frames = [admin]
    if len(gaps):
        if places is None:
            places = place_names(pbf)
        named, is_inside = nearest_place(gaps.geometry, places, NAME_WITHIN_M)
        gaps["place"] = [
            "" if n is None else (f"in {n}" if i else f"near {n}")
            for n, i in zip(named, is_inside, strict=True)
        ]
        if fill_cell_m is None:
            raise InputError(_refusal(pbf, level, gaps, covered_share, min_gap_km2, boundaries))
        frames.append(_fill(gaps, fill_cell_m, metric, places))
        log.info(
            "%s: %d gap(s) of %.2f km² not covered by admin_level=%s filled with %d grid cells",
            pbf.name,
            len(gaps),
            gaps["area_km2"].sum(),
            level,
            len(frames[-1]),
        )
    areas = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=metric)
    gaps = gaps[["gap_id", "area_km2", "place", "geometry"]]
    return AdminAreas(areas=_in_degrees(areas), gaps=_in_degrees(gaps), covered_share=covered_share)


def _clipped_boundaries(
    chosen: gpd.GeoDataFrame, shape: shapely.Geometry, level: str, pbf: Path
) -> gpd.GeoDataFrame:
    """The boundaries ``chosen`` (metric) cut to ``shape``, overlaps resolved, by name; the
    :attr:`AdminAreas.areas` columns. InputError if none shares area with ``shape``."""
    whole = _polygonal(shapely.make_valid(chosen.geometry.to_numpy()))
    clipped = _polygonal(shapely.intersection(whole, shape))
    keep = shapely.area(clipped) > 0
    if not keep.any():
        msg = (
            f"{pbf}: {len(chosen)} boundaries at admin_level={level} "
            f"({format_ids(sorted(chosen['name'].dropna().astype(str)), 5)}) but none overlaps the "
            "network's extent — check that the extract and the network are of the same region"
        )
        raise InputError(msg)
    found = pd.DataFrame(
        {
            "area_id": chosen["id"].astype(str).to_numpy()[keep],
            "name": chosen["name"].to_numpy()[keep],
            "whole_m2": shapely.area(whole[keep]),
        }
    )
    found["name"] = [
        str(n).strip() if isinstance(n, str) and n.strip() else f"admin_level={level} area {i}"
        for n, i in zip(found["name"], found["area_id"], strict=True)
    ]
    pieces = _without_overlaps(clipped[keep], found, pbf.name)
    placed = ~shapely.is_empty(pieces)
    return gpd.GeoDataFrame(
        {
            "area_id": found["area_id"].to_numpy()[placed],
            "name": found["name"].to_numpy()[placed],
            "admin_level": level,
            "source": f"OSM admin_level={level}",
            "boundary_km2": found["whole_m2"].to_numpy()[placed] / 1e6,
        },
        geometry=pieces[placed],
        crs=chosen.crs,
    ).sort_values(["name", "area_id"])


def _without_overlaps(shapes: np.ndarray, found: pd.DataFrame, where: str) -> np.ndarray:
    """``shapes`` with every shared part left to the smaller boundary (then the lower id)."""
    order = np.lexsort((pd.to_numeric(found["area_id"], errors="coerce"), found["whole_m2"]))
    out = np.array(shapes, dtype=object)
    done: list[int] = []
    overlap_m2 = 0.0
    for i in order:
        if done:
            earlier = out[done]
            touching = earlier[shapely.intersects(earlier, out[i])]
            if len(touching):
                before = shapely.area(out[i])
                out[i] = _polygonal(
                    np.array([shapely.difference(out[i], shapely.union_all(touching))])
                )[0]
                overlap_m2 += before - shapely.area(out[i])
        done.append(int(i))
    if overlap_m2 > 1.0:
        log.info(
            "%s: %.3f km² claimed by two boundaries went to the smaller one",
            where,
            overlap_m2 / 1e6,
        )
    gone = [found["name"].iloc[i] for i in range(len(out)) if shapely.is_empty(out[i])]
    if gone:
        log.warning("%s: boundaries wholly inside smaller ones, left out: %s", where, gone)
    return out


def _gaps(uncovered, min_gap_km2: float, crs: CRS, where: str) -> gpd.GeoDataFrame:
    """The polygonal parts of ``uncovered`` of at least ``min_gap_km2``, largest first."""
    parts = [p for p in shapely.get_parts(_polygonal(np.array([uncovered]))[0]) if not p.is_empty]
    areas_km2 = np.array([p.area / 1e6 for p in parts])
    big = areas_km2 >= min_gap_km2
    if (~big).any():
        log.info(
            "%s: %d sliver(s) between boundaries, %.4f km² in all (each under %g km²), left as is",
            where,
            int((~big).sum()),
            areas_km2[~big].sum(),
            min_gap_km2,
        )
    order = np.argsort(-areas_km2[big], kind="stable")
    kept = [parts[i] for i in np.flatnonzero(big)[order]]
    return gpd.GeoDataFrame(
        {
            "gap_id": [f"gap-{i + 1}" for i in range(len(kept))],
            "area_km2": areas_km2[big][order].round(4),
            "place": "",
        },
        geometry=kept,
        crs=crs,
    )


def _fill(
    gaps: gpd.GeoDataFrame, cell_m: float, crs: CRS, places: gpd.GeoDataFrame | None
) -> gpd.GeoDataFrame:
    """Grid cells of ``cell_m`` cut to the gaps (``crs``), named after the places near them."""
    cells = _cut_cells(shapely.union_all(gaps.geometry.to_numpy()), cell_m, crs, MIN_CELL_SHARE)
    cells["area_id"] = FILL_ID_PREFIX + cells["area_id"]
    none = gpd.GeoDataFrame({"name": [], "place": []}, geometry=[], crs=4326)
    cells["name"] = display_names(
        cells,
        none if places is None else places,
        inside="unassigned area in {place}",
        near="unassigned area near {place}",
        far="unassigned area {area_id}",
    ).to_numpy()
    cells["admin_level"] = ""
    cells["source"] = GRID_FILL
    cells["boundary_km2"] = np.nan
    return cells[["area_id", "name", "admin_level", "source", "boundary_km2", "geometry"]]


def _levels_text(boundaries: gpd.GeoDataFrame) -> str:
    """What ``admin_level`` values a file has: "levels 2 (1: Liechtenstein), 8 (12: …)"."""
    if len(boundaries) == 0 or "admin_level" not in boundaries:
        return "the file has no boundary=administrative polygons at all"
    frame = pd.DataFrame(
        {"level": boundaries["admin_level"].astype(str), "name": boundaries["name"].astype(str)}
    )
    numeric = pd.to_numeric(frame["level"], errors="coerce")
    texts = []
    for level in sorted(
        frame["level"].unique(), key=lambda v: (numeric[frame["level"] == v].iloc[0], v)
    ):
        names = sorted(frame.loc[frame["level"] == level, "name"])
        shown = ", ".join(names[:_NAMES_SHOWN]) + (", …" if len(names) > _NAMES_SHOWN else "")
        texts.append(f"{level} ({len(names)}: {shown})")
    return "the file's admin_level values are " + "; ".join(texts)


def _refusal(
    pbf: Path,
    level: str,
    gaps: gpd.GeoDataFrame,
    covered_share: float,
    min_gap_km2: float,
    boundaries: gpd.GeoDataFrame,
) -> str:
    listed = ", ".join(
        f"{row.gap_id} {row.area_km2:,.2f} km²" + (f" ({row.place})" if row.place else "")
        for row in gaps.head(5).itertuples()
    )
    more = f" and {len(gaps) - 5} more" if len(gaps) > 5 else ""
    return (
        f"{pbf}: the boundaries at admin_level={level} cover {covered_share:.1%} of the road "
        f"network's extent; {len(gaps)} gap(s) of at least {min_gap_km2:g} km², "
        f"{gaps['area_km2'].sum():,.2f} km² in all, are in no area: {listed}{more} — fill them "
        "with grid cells (a fill cell size in metres, e.g. 1000), choose another admin_level "
        f"({_levels_text(boundaries)}), or lay a grid or give your own areas file instead"
    )


# --- the user's polygons -----------------------------------------------------------------------

#: column names taken for an area's name when none is given (compared without case)
NAME_COLUMNS = ("name", "nom", "nombre", "nome", "naam", "namn", "nimi", "label")


def vector_areas(
    path: Path,
    *,
    layer: str | None = None,
    id_column: str | None = None,
    name_column: str | None = None,
) -> gpd.GeoDataFrame:
    """The planner's own polygons from any vector file GeoPandas reads (or an OSM ``.pbf`` with a
    ``layer`` spec such as ``"boundaries:admin_level=8"``).

    Read with :func:`geoalloc.inputs.read.read_polygons`: a file without a CRS is taken as
    EPSG:4326 when its coordinates are plainly degrees (logged), else refused. The id column is
    ``id_column``, else inferred as for points (:func:`geoalloc.inputs.points.index_by_id`: the
    first unique id-like column, else the first unique integer or text column, else the row
    number). The name is ``name_column``, else the first column called ``name`` (or a common
    translation, :data:`NAME_COLUMNS`, any case), else none. Invalid polygons are repaired
    (:func:`shapely.make_valid`, logged). Points are refused: they are no areas (lay a grid
    and use the points as population instead).

    Returns
    -------
    geopandas.GeoDataFrame
        ``area_id`` (text), ``name`` (text, or None when the file names none), the file's other
        columns (one called ``area_id`` or ``name`` that is neither becomes ``file_area_id`` /
        ``file_name``), ``geometry``; EPSG:4326, file order, index ``0 .. n-1``.

    Raises
    ------
    InputError
        Unreadable file, no rows, no CRS (and not degrees), not polygons, an id or name column
        that is not there, duplicate or missing ids, empty or out-of-range geometries.
    """
    path = Path(path)
    where = f"areas {path.name}"
    problems = Problems()
    fix = (
        "give polygons: points are no areas (lay a grid over the network instead, and use "
        "the points as population)"
    )
    frame = read_polygons(path, where, "areas", problems, layer=layer, fix=fix)
    if frame is None:
        problems.raise_if_any()
        raise InputError(f"{where}: cannot be read as areas")  # pragma: no cover - always a problem
    frame = frame.reset_index(drop=True)  # (a file without a CRS taken as degrees is logged)
    if name_column is not None and name_column not in frame.columns:
        columns = ", ".join(str(c) for c in frame.columns if c != frame.geometry.name)
        msg = f"{where}: name column {name_column!r} not found (columns: {columns})"
        raise InputError(msg)
    indexed, note = index_by_id(frame, id_column, "area", path)
    log.info("%s: %s", where, note)
    ids = pd.Index(indexed.index.astype(str).str.strip(), name="area_id")
    if ids.duplicated().any():
        same = format_ids(sorted(set(ids[ids.duplicated()])))
        msg = f"{where}: ids that are the same as text: {same} — make them unique"
        raise InputError(msg)
    geometry = indexed.geometry.to_numpy()
    invalid = ~shapely.is_valid(geometry) & ~shapely.is_empty(geometry) & ~pd.isna(geometry)
    if invalid.any():
        repaired = _polygonal(shapely.make_valid(geometry[invalid]))
        indexed = indexed.copy()
        indexed.loc[indexed.index[invalid], indexed.geometry.name] = repaired
        log.warning(
            "%s: repaired %d invalid polygon(s): %s", where, invalid.sum(), format_ids(ids[invalid])
        )
    _check_geometry(indexed, ids, where, problems)
    problems.raise_if_any()
    names = _names(indexed, name_column, ids)
    rest = indexed.drop(columns=[indexed.geometry.name])
    rest = rest.rename(columns={c: f"file_{c}" for c in ("area_id", "name") if c in rest.columns})
    out = pd.concat(
        [pd.DataFrame({"area_id": ids.to_numpy(), "name": names}), rest.reset_index(drop=True)],
        axis=1,
    )
    areas = gpd.GeoDataFrame(out, geometry=indexed.geometry.to_numpy(), crs=indexed.crs)
    return _in_degrees(areas)


def _names(frame: gpd.GeoDataFrame, name_column: str | None, ids: pd.Index) -> np.ndarray:
    """Each area's name: the given column, else a detected one, else None (see vector_areas)."""
    if name_column is None:
        if str(frame.index.name).lower() in NAME_COLUMNS:
            return ids.to_numpy(dtype=object)  # the names are the ids
        candidates = [c for c in frame.columns if str(c).lower() in NAME_COLUMNS]
        name_column = candidates[0] if candidates else None
    if name_column is None:
        return np.full(len(frame), None, dtype=object)
    if name_column == frame.index.name:
        return ids.to_numpy(dtype=object)
    values = frame[name_column]
    return np.array([None if pd.isna(v) else str(v) for v in values], dtype=object)
