"""A road graph as arrays: the routing engine's input, cheap to cache and to send to workers.

Building a networkx graph and turning it into a CSR matrix is a real share of a run's time; a
:class:`RoadNetwork` is built once, saved as ``.npz`` and reloaded in milliseconds.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from pyproj import CRS, Transformer
from scipy import sparse

from geoalloc._errors import InputError
from geoalloc.travel.cache import discard, read_entry, write_entry
from geoalloc.travel.graph import dropped_lonlat, largest_scc_mask

if TYPE_CHECKING:
    import networkx as nx

log = logging.getLogger(__name__)

FORMAT_VERSION = 1


@dataclass(frozen=True, eq=False)
class RoadNetwork:
    """A directed road graph (largest strongly connected component) as arrays.

    Attributes
    ----------
    node_ids
        Node ids (e.g. OSM ids), position ``i`` is CSR row/column ``i``.
    lon, lat
        Node coordinates, degrees (EPSG:4326).
    forward
        ``scipy.sparse.csr_array`` of edge travel times in **seconds**: ``forward[i, j]`` is the
        fastest edge from node ``i`` to node ``j`` (parallel edges keep the minimum).
    dropped_lon, dropped_lat
        Coordinates of nodes outside the largest strongly connected component (for flags).
    content_hash
        SHA-256 of the arrays (the network's identity in cache keys).
    """

    node_ids: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    forward: sparse.csr_array
    dropped_lon: np.ndarray
    dropped_lat: np.ndarray
    content_hash: str

    @property
    def n_nodes(self) -> int:
        return len(self.node_ids)

    @property
    def n_dropped(self) -> int:
        return len(self.dropped_lon)

    def reverse(self) -> sparse.csr_array:
        """The transposed graph as CSR (``j → i`` for every ``i → j``), for trees *to* a node."""
        return self.forward.T.tocsr()

    @classmethod
    def from_arrays(
        cls,
        tail: np.ndarray,
        head: np.ndarray,
        seconds: np.ndarray,
        *,
        node_ids: np.ndarray,
        lon: np.ndarray,
        lat: np.ndarray,
        keep_largest_component: bool = True,
        dropped_lonlat: np.ndarray | None = None,
    ) -> RoadNetwork:
        """Build from edge arrays of node *positions* (``0 .. len(node_ids) - 1``) and seconds.

        Duplicate ``(tail, head)`` pairs keep the minimum time (a CSR constructor would sum
        them). Self-loops are dropped. Negative or non-finite times are an error.
        """
        tail = np.asarray(tail, dtype=np.int64)
        head = np.asarray(head, dtype=np.int64)
        seconds = np.asarray(seconds, dtype=np.float64)
        n = len(node_ids)
        if n == 0 or len(tail) == 0:
            msg = "the road graph is empty (no nodes or no edges)"
            raise InputError(msg)
        if not np.all(np.isfinite(seconds)) or np.any(seconds < 0):
            msg = "edge travel times must be finite and non-negative seconds"
            raise InputError(msg)
        loop = tail == head
        tail, head, seconds = tail[~loop], head[~loop], seconds[~loop]
        order = np.lexsort((seconds, head, tail))
        tail, head, seconds = tail[order], head[order], seconds[order]
        first = np.ones(len(tail), dtype=bool)
        first[1:] = (tail[1:] != tail[:-1]) | (head[1:] != head[:-1])
        tail, head, seconds = tail[first], head[first], seconds[first]
        dropped = (
            [np.asarray(dropped_lonlat, dtype=float).reshape(-1, 2)]
            if dropped_lonlat is not None
            else []
        )
        node_ids = np.asarray(node_ids)
        lon = np.asarray(lon, dtype=float)
        lat = np.asarray(lat, dtype=float)
        if keep_largest_component:
            keep = largest_scc_mask(tail, head, n)
            if not keep.all():
                new_pos = np.cumsum(keep) - 1
                ok = keep[tail] & keep[head]
                tail, head, seconds = new_pos[tail[ok]], new_pos[head[ok]], seconds[ok]
                dropped.append(np.column_stack([lon[~keep], lat[~keep]]))
                node_ids, lon, lat = node_ids[keep], lon[keep], lat[keep]
                n = len(node_ids)
        # Explicit zeros are real zero-second edges: build CSR from sorted unique arrays directly.
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.add.at(indptr, tail + 1, 1)
        indptr = np.cumsum(indptr)
        forward = sparse.csr_array(
            (seconds, head.astype(np.int32), indptr.astype(np.int32)), shape=(n, n)
        )
        dropped_all = np.vstack(dropped) if dropped else np.empty((0, 2))
        digest = hashlib.sha256()
        for array in (
            np.asarray(node_ids).astype(str) if node_ids.dtype == object else node_ids,
            lon,
            lat,
            forward.indptr,
            forward.indices,
            forward.data,
        ):
            digest.update(np.ascontiguousarray(array).tobytes())
        return cls(
            node_ids=node_ids,
            lon=lon,
            lat=lat,
            forward=forward,
            dropped_lon=dropped_all[:, 0].copy(),
            dropped_lat=dropped_all[:, 1].copy(),
            content_hash=digest.hexdigest(),
        )

    @classmethod
    def from_graph(cls, G: nx.MultiDiGraph, weight: str = "travel_time") -> RoadNetwork:
        """From an osmnx-shaped graph: nodes ``x``/``y`` in ``G.graph["crs"]``, ``weight`` in s."""
        if G.number_of_nodes() == 0 or G.number_of_edges() == 0:
            msg = "the road graph is empty (no nodes or no edges)"
            raise InputError(msg)
        node_ids = list(G.nodes)
        try:
            x = np.array([G.nodes[n]["x"] for n in node_ids], dtype=float)
            y = np.array([G.nodes[n]["y"] for n in node_ids], dtype=float)
        except KeyError as exc:
            msg = "graph nodes need 'x' and 'y' coordinates (osmnx's shape)"
            raise InputError(msg) from exc
        crs = CRS.from_user_input(G.graph.get("crs", "epsg:4326"))
        if not crs.equals(CRS.from_epsg(4326)):
            x, y = Transformer.from_crs(crs, 4326, always_xy=True).transform(x, y)
        position = {n: i for i, n in enumerate(node_ids)}
        tail, head, seconds = [], [], []
        missing = 0
        for u, v, data in G.edges(data=True):
            value = data.get(weight)
            if value is None:
                missing += 1
                continue
            tail.append(position[u])
            head.append(position[v])
            seconds.append(float(value))
        if missing:
            msg = (
                f"{missing} graph edges have no {weight!r} (seconds) — load the graph with "
                "geoalloc.travel.load_graph, or add speeds with osmnx.routing.add_edge_travel_times"
            )
            raise InputError(msg)
        ids = np.array(node_ids, dtype=object)
        if all(isinstance(n, int | np.integer) for n in node_ids):
            ids = ids.astype(np.int64)
        previous = dropped_lonlat(G)
        return cls.from_arrays(
            np.array(tail),
            np.array(head),
            np.array(seconds),
            node_ids=ids,
            lon=np.asarray(x),
            lat=np.asarray(y),
            dropped_lonlat=previous,
        )

    def with_closures(self, zones, *, slowdown_factor: float | None = None) -> RoadNetwork:
        """The network with every edge that touches ``zones`` removed, or slowed.

        Parameters
        ----------
        zones
            A shapely geometry in EPSG:4326 (e.g. the union of flood polygons).
        slowdown_factor
            ``None`` removes the edges (roads cut); a factor ≥ 1 multiplies their travel time.

        Edges are the straight segments between their end nodes (the graph is not simplified, so
        that is the road's own geometry). After removal the largest strongly connected component
        is kept again; nodes cut off by the closure join the dropped nodes.
        """
        import shapely

        coo = self.forward.tocoo()
        tail, head, seconds = coo.row.astype(np.int64), coo.col.astype(np.int64), coo.data.copy()
        segments = shapely.linestrings(
            np.stack(
                [
                    np.column_stack([self.lon[tail], self.lat[tail]]),
                    np.column_stack([self.lon[head], self.lat[head]]),
                ],
                axis=1,
            )
        )
        shapely.prepare(zones)
        hit = shapely.intersects(segments, zones)
        log.info("road closures: %d of %d edges touch the closed zones", int(hit.sum()), len(hit))
        if slowdown_factor is None:
            tail, head, seconds = tail[~hit], head[~hit], seconds[~hit]
        else:
            seconds[hit] *= slowdown_factor
        dropped = np.column_stack([self.dropped_lon, self.dropped_lat])
        return RoadNetwork.from_arrays(
            tail,
            head,
            seconds,
            node_ids=self.node_ids,
            lon=self.lon,
            lat=self.lat,
            dropped_lonlat=dropped if len(dropped) else None,
        )

    def save(self, path: Path) -> None:
        """Write as a verified cache entry (:func:`geoalloc.travel.cache.write_entry`)."""
        if self.node_ids.dtype == object:
            return  # ids that are not numbers are not cached (entries are read without pickle)
        write_entry(
            Path(path),
            {
                "version": np.array(FORMAT_VERSION),
                "node_ids": self.node_ids,
                "lon": self.lon,
                "lat": self.lat,
                "data": self.forward.data,
                "indices": self.forward.indices,
                "indptr": self.forward.indptr,
                "dropped_lon": self.dropped_lon,
                "dropped_lat": self.dropped_lat,
                "content_hash": np.array(self.content_hash),
            },
        )

    @classmethod
    def load(cls, path: Path) -> RoadNetwork | None:
        """Read a network written by :meth:`save`; ``None`` if absent, damaged (discarded and
        logged, see :func:`geoalloc.travel.cache.read_entry`) or of another format."""
        z = read_entry(Path(path), "road graph")
        if z is None:
            return None
        try:
            if int(z["version"]) != FORMAT_VERSION:
                why = f"format {int(z['version'])}, this geoalloc reads {FORMAT_VERSION}"
                discard(Path(path), "road graph", why, expected=True)
                return None
            n = len(z["node_ids"])
            forward = sparse.csr_array((z["data"], z["indices"], z["indptr"]), shape=(n, n))
            return cls(
                node_ids=z["node_ids"],
                lon=z["lon"],
                lat=z["lat"],
                forward=forward,
                dropped_lon=z["dropped_lon"],
                dropped_lat=z["dropped_lat"],
                content_hash=str(z["content_hash"]),
            )
        except (KeyError, ValueError, TypeError, IndexError) as exc:
            discard(Path(path), "road graph", f"its arrays do not make a road graph ({exc})")
            return None
