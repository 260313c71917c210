"""Road graphs from OSM files, GraphML or an online place, in osmnx's shape.

:func:`load_graph` returns a :class:`networkx.MultiDiGraph` like osmnx's: graph attribute ``crs``
(EPSG:4326), nodes keyed by OSM node id with ``x`` (longitude) and ``y`` (latitude), edges keyed
``(u, v, k)`` with ``osmid`` (way id), ``highway``, ``oneway``, ``reversed``, ``length`` (metres,
great-circle), ``speed_kph`` and ``travel_time`` (seconds). The graph is not topologically
simplified (every OSM segment is an edge), which changes no travel time.

Which ways a mode may use and which are one-way follow osmnx exactly (its Overpass filters and its
``_is_path_one_way``): walking graphs are bidirectional, driving and cycling graphs honour
``oneway`` (``yes``/``true``/``1``, reversed for ``-1``/``reverse``) and roundabouts.

Only the largest strongly connected component is kept (a trip must be possible both ways); the
number of nodes dropped is logged and kept in ``G.graph["n_dropped_nodes"]``, and their coordinates
in ``G.graph["dropped_nodes_lonlat"]`` (a list of ``[lon, lat]``, so GraphML can store it) so that
points whose nearest road was dropped are flagged.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import sparse

from geoalloc._errors import InputError
from geoalloc.travel.geodesy import OSMNX_EARTH_RADIUS_M, haversine_m
from geoalloc.travel.osm import read_osm, source_kind
from geoalloc.travel.speeds import edge_speeds_kph

if TYPE_CHECKING:
    import networkx as nx

log = logging.getLogger(__name__)

MODES = ("drive", "walk", "bike")
_ONEWAY_VALUES = {"yes", "true", "1", "-1", "reverse", "T", "F"}
_REVERSED_VALUES = {"-1", "reverse", "T"}

# osmnx 2.x Overpass way filters (`_overpass._get_network_filter`), as (tag, regex) pairs whose
# regex must NOT match (Overpass `!~` is an unanchored regex search). A missing tag never matches.
_DEFAULT_ACCESS = [("access", "private")]
_FILTERS: dict[str, list[tuple[str, str]]] = {
    "drive": [
        ("area", "yes"),
        *_DEFAULT_ACCESS,
        (
            "highway",
            "abandoned|bridleway|bus_guideway|construction|corridor|cycleway|elevator|escalator|"
            "footway|no|path|pedestrian|planned|platform|proposed|raceway|razed|rest_area|service|"
            "services|steps|track",
        ),
        ("motor_vehicle", "no"),
        ("motorcar", "no"),
        ("service", "alley|driveway|emergency_access|parking|parking_aisle|private"),
    ],
    "walk": [
        ("area", "yes"),
        *_DEFAULT_ACCESS,
        (
            "highway",
            "abandoned|bus_guideway|construction|cycleway|motor|no|planned|platform|proposed|"
            "raceway|razed|rest_area|services",
        ),
        ("foot", "no"),
        ("service", "private"),
        ("sidewalk", "separate"),
        ("sidewalk:both", "separate"),
        ("sidewalk:left", "separate"),
        ("sidewalk:right", "separate"),
    ],
    "bike": [
        ("area", "yes"),
        *_DEFAULT_ACCESS,
        (
            "highway",
            "abandoned|bus_guideway|construction|corridor|elevator|escalator|footway|motor|no|"
            "planned|platform|proposed|raceway|razed|rest_area|services|steps",
        ),
        ("bicycle", "no"),
        ("service", "private"),
    ],
}


def check_mode(mode: str) -> str:
    if mode not in MODES:
        msg = f"mode {mode!r} is not one of {', '.join(MODES)}"
        raise InputError(msg)
    return mode


#: the SHA-256 of each file this process hashed, by path, with the file's (inode, size,
#: modification time) then: a run asks for its network file's hash several times (the road graph's
#: cache key on each load, the base map's key), and hashing reads the whole file (~0.4 s for 300 MB)
_SHA256: dict[str, tuple[tuple[int, int, int], str]] = {}


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes (the identity of a network file in cache keys); a file whose
    inode, size and modification time have not changed since this process hashed it is not read
    again."""
    path = Path(path)
    stat = path.stat()
    stamp = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
    key = str(path.resolve())
    known = _SHA256.get(key)
    if known is not None and known[0] == stamp:
        return known[1]
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    _SHA256[key] = (stamp, digest.hexdigest())
    return digest.hexdigest()


def mode_mask(segments: pd.DataFrame, mode: str) -> np.ndarray:
    """Which segments ``mode`` may use, by osmnx's way filter for that network type."""
    keep = segments["highway"].notna().to_numpy().copy()
    for tag, pattern in _FILTERS[mode]:
        if tag not in segments.columns:
            continue
        values = segments[tag]
        present = values.notna()
        hit = values[present].astype(str).str.contains(pattern, regex=True)
        bad = np.zeros(len(segments), dtype=bool)
        bad[np.flatnonzero(present.to_numpy())] = hit.to_numpy()
        keep &= ~bad
    return keep


def directed_edges(
    nodes: pd.DataFrame,
    segments: pd.DataFrame,
    mode: str,
    speeds_kph: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """The directed edges ``mode`` may travel: ``[u, v, osmid, highway, oneway, reversed, name,
    maxspeed, length, speed_kph, travel_time]``, one-way rules applied."""
    seg = segments.loc[mode_mask(segments, mode)].reset_index(drop=True)
    seg = seg.loc[seg["u"].to_numpy() != seg["v"].to_numpy()].reset_index(drop=True)
    oneway_tag = seg["oneway"].astype(object)
    if mode == "walk":
        oneway = np.zeros(len(seg), dtype=bool)
    else:
        oneway = (
            oneway_tag.isin(_ONEWAY_VALUES).to_numpy()
            | (seg["junction"] == "roundabout").to_numpy()
        )
    flip = oneway & oneway_tag.isin(_REVERSED_VALUES).to_numpy()
    u = np.where(flip, seg["v"], seg["u"])
    v = np.where(flip, seg["u"], seg["v"])
    attrs = seg[["osmid", "highway", "name", "maxspeed"]]
    forward = attrs.assign(u=u, v=v, oneway=oneway, reversed=flip)
    two_way = ~oneway
    backward = attrs.loc[two_way].assign(u=v[two_way], v=u[two_way], oneway=False, reversed=True)
    edges = pd.concat([forward, backward], ignore_index=True)
    lookup = nodes.set_index("id")
    start = lookup.loc[edges["u"].to_numpy()]
    end = lookup.loc[edges["v"].to_numpy()]
    edges["length"] = haversine_m(
        start["lon"].to_numpy(),
        start["lat"].to_numpy(),
        end["lon"].to_numpy(),
        end["lat"].to_numpy(),
        radius_m=OSMNX_EARTH_RADIUS_M,
    )
    edges["speed_kph"] = edge_speeds_kph(edges["highway"], edges["maxspeed"], mode, speeds_kph)
    edges["travel_time"] = edges["length"] / (edges["speed_kph"] / 3.6)
    return edges[
        [
            "u",
            "v",
            "osmid",
            "highway",
            "name",
            "maxspeed",
            "oneway",
            "reversed",
            "length",
            "speed_kph",
            "travel_time",
        ]
    ]


def largest_scc_mask(tail: np.ndarray, head: np.ndarray, n: int) -> np.ndarray:
    """Boolean mask over ``n`` node positions: True for the largest strongly connected component."""
    if n == 0:
        return np.zeros(0, dtype=bool)
    adj = sparse.csr_array((np.ones(len(tail)), (tail, head)), shape=(n, n))
    from scipy.sparse import csgraph  # here: it loads scipy.linalg, which a crowfly run skips

    _, labels = csgraph.connected_components(adj, directed=True, connection="strong")
    sizes = np.bincount(labels)
    return labels == int(np.argmax(sizes))


def graph_from_tables(
    nodes: pd.DataFrame,
    segments: pd.DataFrame,
    mode: str = "drive",
    speeds_kph: Mapping[str, float] | None = None,
    *,
    name: str = "OSM",
) -> nx.MultiDiGraph:
    """A routable MultiDiGraph (largest strongly connected part) from :func:`read_osm` tables."""
    check_mode(mode)
    edges = directed_edges(nodes, segments, mode, speeds_kph) if len(segments) else None
    if edges is None or edges.empty:
        msg = f"{name}: no road usable by mode {mode!r} — is this the right extract and mode?"
        raise InputError(msg)
    used = pd.Index(np.unique(np.concatenate([edges["u"].to_numpy(), edges["v"].to_numpy()])))
    tail = used.get_indexer(edges["u"])
    head = used.get_indexer(edges["v"])
    keep_node = largest_scc_mask(tail, head, len(used))
    keep_edge = keep_node[tail] & keep_node[head]
    coords = nodes.set_index("id").loc[used]
    dropped = coords.loc[~keep_node]
    n_dropped = int((~keep_node).sum())
    log.info(
        "%s (%s): %d nodes, %d edges; kept the largest strongly connected component, "
        "dropped %d nodes",
        name,
        mode,
        int(keep_node.sum()),
        int(keep_edge.sum()),
        n_dropped,
    )
    import networkx as nx  # here: a run on crowfly or a cached network never builds a graph

    G = nx.MultiDiGraph(
        crs="epsg:4326",
        name=name,
        mode=mode,
        n_dropped_nodes=n_dropped,
        dropped_nodes_lonlat=np.column_stack([dropped["lon"], dropped["lat"]]).tolist(),
    )
    kept = coords.loc[keep_node]
    G.add_nodes_from(
        (int(i), {"x": float(x), "y": float(y)})
        for i, x, y in zip(kept.index, kept["lon"], kept["lat"], strict=True)
    )
    kept_edges = edges.loc[keep_edge]
    columns = [c for c in kept_edges.columns if c not in ("u", "v")]
    records = kept_edges[columns].to_dict("records")
    for record in records:
        for key in ("name", "maxspeed"):
            if record[key] is None or (isinstance(record[key], float) and np.isnan(record[key])):
                del record[key]
    G.add_edges_from(zip(kept_edges["u"].tolist(), kept_edges["v"].tolist(), records, strict=True))
    return G


def load_graph(
    source: str | Path,
    mode: str = "drive",
    speeds_kph: Mapping[str, float] | None = None,
) -> nx.MultiDiGraph:
    """Load a routable road graph.

    Parameters
    ----------
    source
        An OSM file (``.osm``, ``.osm.bz2``, ``.osm.pbf``), a ``.graphml`` file (osmnx's), or
        ``"place:<name>"`` to download the place's network once through osmnx (osmnx caches the
        download on disk).
    mode
        ``"drive"``, ``"walk"`` or ``"bike"``: which ways may be used, and one-way rules.
    speeds_kph
        Speed per OSM ``highway`` class in km/h where ``maxspeed`` is not tagged (driving), or for
        every edge of the class (walking, cycling); the key ``"other"`` sets the fallback. Overrides
        the defaults in :mod:`geoalloc.travel.speeds`.

    Returns
    -------
    networkx.MultiDiGraph
        osmnx-shaped graph, largest strongly connected component only; edges carry ``length`` (m)
        and ``travel_time`` (s).
    """
    check_mode(mode)
    text = str(source)
    if text.startswith("place:"):
        return graph_from_place(text.removeprefix("place:").strip(), mode, speeds_kph)
    path = Path(text)
    kind = source_kind(path)
    if kind == "graphml":
        return _load_graphml(path, mode, speeds_kph)
    nodes, segments = read_osm(path)
    return graph_from_tables(nodes, segments, mode, speeds_kph, name=path.name)


def graph_from_place(
    place: str, mode: str = "drive", speeds_kph: Mapping[str, float] | None = None
) -> nx.MultiDiGraph:
    """Download a place's road network through osmnx (cached by osmnx), with geoalloc's speeds."""
    import osmnx as ox

    if not place:
        msg = "network source 'place:' needs a place name, e.g. 'place:Vaduz, Liechtenstein'"
        raise InputError(msg)
    try:
        G = ox.graph_from_place(place, network_type=mode, simplify=False, retain_all=True)
    except (ValueError, TypeError, LookupError) as exc:  # osmnx: geocoding found nothing, etc.
        msg = f"network source 'place:{place}': osmnx could not get it ({exc})"
        raise InputError(msg) from exc
    return _with_speeds(G, mode, speeds_kph, name=f"place:{place}")


def _load_graphml(path: Path, mode: str, speeds_kph: Mapping[str, float] | None) -> nx.MultiDiGraph:
    import osmnx as ox

    if not path.is_file():
        msg = f"network file {path} does not exist"
        raise InputError(msg)
    try:
        G = ox.load_graphml(path)
    except Exception as exc:  # networkx/lxml raise many kinds on a malformed file
        msg = f"network file {path} is not a readable GraphML graph ({type(exc).__name__}: {exc})"
        raise InputError(msg) from exc
    has_times = G.number_of_edges() > 0 and all(
        "travel_time" in d for _, _, d in G.edges(data=True)
    )
    if has_times and speeds_kph is None:
        return _largest_scc(G, name=path.name)
    return _with_speeds(G, mode, speeds_kph, name=path.name)


def _with_speeds(
    G: nx.MultiDiGraph, mode: str, speeds_kph: Mapping[str, float] | None, *, name: str
) -> nx.MultiDiGraph:
    """Set ``length`` (if absent), ``speed_kph`` and ``travel_time`` on an osmnx graph's edges."""
    if G.number_of_edges() == 0:
        msg = f"{name}: the road graph has no edges"
        raise InputError(msg)
    rows = list(G.edges(keys=True, data=True))
    highway = pd.Series([d.get("highway") for *_, d in rows], dtype=object)
    maxspeed = pd.Series([d.get("maxspeed") for *_, d in rows], dtype=object)
    speeds = edge_speeds_kph(highway, maxspeed, mode, speeds_kph)
    for (u, v, _k, d), speed in zip(rows, speeds, strict=True):
        if "length" not in d:
            a, b = G.nodes[u], G.nodes[v]
            d["length"] = float(
                haversine_m(a["x"], a["y"], b["x"], b["y"], radius_m=OSMNX_EARTH_RADIUS_M)
            )
        d["speed_kph"] = float(speed)
        d["travel_time"] = float(d["length"]) / (float(speed) / 3.6)
    return _largest_scc(G, name=name)


def dropped_lonlat(G: nx.MultiDiGraph) -> np.ndarray:
    """``G.graph["dropped_nodes_lonlat"]`` as an ``(n, 2)`` array (GraphML stores it as text)."""
    value = G.graph.get("dropped_nodes_lonlat", [])
    if isinstance(value, str):
        value = json.loads(value) if value.strip() else []
    return np.asarray(value, dtype=float).reshape(-1, 2)


def _largest_scc(G: nx.MultiDiGraph, *, name: str) -> nx.MultiDiGraph:
    if G.number_of_nodes() == 0:
        msg = f"{name}: the road graph is empty"
        raise InputError(msg)
    import networkx as nx

    largest = max(nx.strongly_connected_components(G), key=len)
    dropped = [n for n in G.nodes if n not in largest]
    lonlat = np.array([[G.nodes[n]["x"], G.nodes[n]["y"]] for n in dropped], dtype=float).reshape(
        -1, 2
    )
    H = G.subgraph(largest).copy()
    H.graph["n_dropped_nodes"] = len(dropped) + int(G.graph.get("n_dropped_nodes", 0))
    H.graph["dropped_nodes_lonlat"] = np.vstack([dropped_lonlat(G), lonlat]).tolist()
    log.info(
        "%s: kept the largest strongly connected component (%d nodes), dropped %d",
        name,
        len(largest),
        len(dropped),
    )
    return H
