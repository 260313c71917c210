"""One entry point for the pipeline: the travel matrix a scenario's ``[network]`` asks for.

With a ``cache_dir``, two things are kept on disk, both keyed by content hashes and both verified
(checksum) before use by :mod:`geoalloc.travel.cache`, which discards and rebuilds a bad entry:

- ``graphs/<key>.npz``: the routable graph as arrays, key = SHA-256 of the network file's bytes
  (or the place name) + mode + speeds, so a second run neither parses OSM nor builds networkx;
- ``matrices/<key>.npz``: the matrix, key = graph key + the points (ids and coordinates) + cut-off
  + access speed + snapping distance, so a second run of the same scenario skips the routing.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import sparse

from geoalloc._errors import InputError
from geoalloc._validate import file_problem
from geoalloc.travel.cache import discard, read_entry, write_entry
from geoalloc.travel.crowfly import crowfly_matrix
from geoalloc.travel.graph import file_sha256, load_graph
from geoalloc.travel.isochrones import crowfly_service_areas, empty_service_areas, service_areas
from geoalloc.travel.matrix import FLAG_COLUMNS, TravelMatrix
from geoalloc.travel.network import FORMAT_VERSION, RoadNetwork
from geoalloc.travel.options import NetworkOptions
from geoalloc.travel.routing import ExecutorChoice, matrix_from_snapped, snap_both
from geoalloc.travel.snap import point_layer
from geoalloc.travel.table import table_matrix

log = logging.getLogger(__name__)

#: Bump when a change to loading, speeds or routing changes results (invalidates caches).
CACHE_VERSION = f"1.{FORMAT_VERSION}"


def default_cache_dir() -> Path:
    """``$GEOALLOC_CACHE_DIR``, else ``$XDG_CACHE_HOME/geoalloc``, else ``~/.cache/geoalloc``."""
    if os.environ.get("GEOALLOC_CACHE_DIR"):
        return Path(os.environ["GEOALLOC_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "geoalloc"


def _digest(payload: object) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def graph_key(options: NetworkOptions) -> str:
    """Cache key of the routable graph a scenario's ``[network]`` describes."""
    if options.is_place:
        identity = {"place": options.source.removeprefix("place:").strip()}
    else:
        path = Path(options.source)
        why = file_problem(path)
        if why is not None:
            msg = (
                f"[network] source {options.source!r}: {'file ' if why == 'not found' else ''}{why}"
            )
            raise InputError(msg)
        identity = {"file_sha256": file_sha256(path)}
    speeds = sorted((options.speeds_kph or {}).items())
    return _digest({"v": CACHE_VERSION, **identity, "mode": options.mode, "speeds": speeds})


@dataclass(frozen=True)
class RoadClosures:
    """Zones where roads are cut (``slowdown_factor`` None) or slowed (travel time × factor)."""

    zones: object  # a shapely geometry in EPSG:4326
    slowdown_factor: float | None = None

    @classmethod
    def from_layer(
        cls, layer: gpd.GeoDataFrame, slowdown_factor: float | None = None
    ) -> RoadClosures:
        return cls(layer.to_crs(4326).geometry.union_all(), slowdown_factor)


#: the last road network this process loaded and the cache entry it stands for: a run's geography
#: check, travel matrix and service areas then read (and verify) the graph once, not three times;
#: a cache entry changed on disk since (rebuilt, damaged, another folder) is read anew
_LAST_NETWORK: dict[str, Any] = {}


def _entry_stamp(key: str, path: Path | None) -> tuple:
    try:
        stat = os.stat(path) if path is not None else None
    except OSError:
        stat = None
    return (key, str(path), stat and (stat.st_ino, stat.st_size, stat.st_mtime_ns))


def load_network(options: NetworkOptions, *, cache_dir: Path | None = None) -> RoadNetwork:
    """The scenario's road graph as arrays, from the disk cache when it is there."""
    if options.is_crowfly or options.is_matrix:
        engine = "the crowfly engine" if options.is_crowfly else "a travel table"
        msg = f"{engine} has no road graph"
        raise InputError(msg)
    key = graph_key(options)
    path = Path(cache_dir) / "graphs" / f"{key}.npz" if cache_dir is not None else None
    if _LAST_NETWORK.get("stamp") == _entry_stamp(key, path):
        return _LAST_NETWORK["network"]
    network = _read_or_build_network(options, path)
    _LAST_NETWORK.update(stamp=_entry_stamp(key, path), network=network)
    return network


def _read_or_build_network(options: NetworkOptions, path: Path | None) -> RoadNetwork:
    if path is not None:
        cached = RoadNetwork.load(path)
        if cached is not None:
            log.info("road graph for %s from cache %s", options.source, path)
            return cached
    G = load_graph(options.source, mode=options.mode, speeds_kph=options.speeds_kph)
    network = RoadNetwork.from_graph(G)
    if path is not None:
        _write_to_cache(path, network.save)
    return network


def _write_to_cache(path: Path, save: Callable[[Path], None]) -> None:
    """``save(path)`` into the cache; a cache folder that cannot be written (read-only, full,
    no permission) is said in a warning and the run goes on without caching, as it would with
    no cache at all."""
    try:
        save(path)
    except OSError as exc:
        log.warning(
            "cannot write the travel cache %s: %s — this run goes on without caching; set "
            "GEOALLOC_CACHE_DIR to a writable folder to keep routed graphs and matrices",
            path.parent,
            exc.strerror or exc,
        )
        with contextlib.suppress(OSError):  # no half-written entry is left for the next run
            path.unlink(missing_ok=True)


def _points_digest(points) -> object:
    if isinstance(points, gpd.GeoDataFrame):
        geometry = point_layer(points, "point").to_crs(4326)
        lonlat = np.column_stack([geometry.x.to_numpy(), geometry.y.to_numpy()])
        return [list(map(repr, points.index)), hashlib.sha256(lonlat.tobytes()).hexdigest()]
    return [list(map(repr, points))]


def _matrix_key(
    options: NetworkOptions, network_hash: str, origins, destinations, max_minutes
) -> str:
    return _digest(
        {
            "v": CACHE_VERSION,
            "graph": network_hash,
            "origins": _points_digest(origins),
            "destinations": _points_digest(destinations),
            "max_minutes": max_minutes,
            "access_speed_kph": options.access_kph,
            "max_snap_m": options.max_snap_m,
        }
    )


def _save_matrix(path: Path, tm: TravelMatrix) -> None:
    flags = tm.flags
    role = flags["role"].to_numpy(str)
    pos = np.array(
        [
            (tm.origin_ids if r == "origin" else tm.destination_ids).get_loc(i)
            for i, r in zip(flags["id"], role, strict=True)
        ],
        dtype=np.int64,
    )
    # arrays by name; typed Any for savez, whose keywords (numpy ≥ 2.1) include allow_pickle
    arrays: dict[str, Any] = {
        "shape": np.array(tm.shape),
        "max_minutes": np.array(np.nan if tm.max_minutes is None else tm.max_minutes),
        "flag_pos": pos,
        "flag_role": role,
        "flag_reason": flags["reason"].to_numpy(str),
        "flag_detail": flags["detail"].to_numpy(str),
    }
    # a matrix without snapping distances (None) stores none: the cache is read without pickle
    if tm.origin_snap_m is not None:
        arrays["origin_snap_m"] = tm.origin_snap_m
    if tm.destination_snap_m is not None:
        arrays["destination_snap_m"] = tm.destination_snap_m
    minutes = tm.minutes
    if isinstance(minutes, np.ndarray):
        arrays["dense"] = minutes
    else:
        arrays.update(row=minutes.row, col=minutes.col, data=minutes.data)
    write_entry(path, arrays)


def _load_matrix(
    path: Path, origin_ids: pd.Index, destination_ids: pd.Index
) -> TravelMatrix | None:
    """The matrix of cache entry ``path``; None if absent or unusable (discarded and logged)."""
    z = read_entry(path, "travel matrix")
    if z is None:
        return None
    try:
        shape = tuple(int(s) for s in z["shape"])
        if shape != (len(origin_ids), len(destination_ids)):
            msg = f"shape {shape} for {len(origin_ids)} origins × {len(destination_ids)} sites"
            raise ValueError(msg)
        max_minutes = float(z["max_minutes"])
        if "dense" in z:
            minutes = z["dense"]
        else:
            minutes = sparse.coo_array((z["data"], (z["row"], z["col"])), shape=shape)
        ids = [
            (origin_ids if r == "origin" else destination_ids)[p]
            for p, r in zip(z["flag_pos"], z["flag_role"], strict=True)
        ]
        flags = pd.DataFrame(
            {
                "id": ids,
                "role": z["flag_role"].tolist(),
                "reason": z["flag_reason"].tolist(),
                "detail": z["flag_detail"].tolist(),
            },
            columns=FLAG_COLUMNS,
        ).astype(object)
        return TravelMatrix(
            origin_ids=origin_ids,
            destination_ids=destination_ids,
            minutes=minutes,
            max_minutes=None if np.isnan(max_minutes) else max_minutes,
            flags=flags,
            origin_snap_m=z.get("origin_snap_m"),
            destination_snap_m=z.get("destination_snap_m"),
        )
    except (KeyError, ValueError, TypeError, IndexError) as exc:
        discard(path, "travel matrix", f"its arrays do not make this matrix ({exc})")
        return None


def compute_matrix(
    options: NetworkOptions,
    origins: gpd.GeoDataFrame,
    destinations: gpd.GeoDataFrame,
    *,
    max_minutes: float | None = None,
    cache_dir: Path | None = None,
    executor: ExecutorChoice = "auto",
    workers: int | None = None,
    scheduler: object = None,
    closures: RoadClosures | None = None,
) -> TravelMatrix:
    """Travel minutes from ``origins`` to ``destinations`` (point GeoDataFrames indexed by id).

    Parameters
    ----------
    options
        The scenario's ``[network]``: crowfly, an OSM/GraphML file, ``place:<name>`` or a travel
        table (``matrix``, read by :func:`geoalloc.travel.table.table_matrix`: its origin ids
        must be ``origins``' ids and its destination ids ``destinations``').
    origins, destinations
        Points (any CRS), indexed by id; typically areas and sites.
    max_minutes
        Cut-off, minutes (sparse result); a travel table's pairs above it are left out too.
    cache_dir
        Where the graph arrays and matrices are cached (see the module docstring); ``None``
        caches nothing. :func:`default_cache_dir` is a good choice for applications.
    executor, workers, scheduler
        Parallelism of the routing (see :func:`geoalloc.parallel.run_map`); ``"auto"`` runs
        large jobs on local processes.
    closures
        Roads cut or slowed in zones (an emergency outage); road graphs only.
    """
    if options.is_matrix:
        if closures is not None:
            msg = (
                "[outage] road_closures: roads cannot be cut in a travel table ([network] source "
                '= "matrix") — leave road_closures out, or compute the table with the closures '
                "in the tool that made it"
            )
            raise InputError(msg)
        assert options.path is not None  # NetworkOptions requires it for a table
        return table_matrix(
            options.path, origins, destinations, max_minutes=max_minutes, **options.table_columns
        )
    if options.is_crowfly:
        return crowfly_matrix(
            origins,
            destinations,
            speed_kph=options.speed_kph,
            circuity=options.circuity,
            max_minutes=max_minutes,
        )
    network = load_network(options, cache_dir=cache_dir)
    if closures is not None:
        network = network.with_closures(closures.zones, slowdown_factor=closures.slowdown_factor)
    path = None
    if cache_dir is not None:
        key = _matrix_key(options, network.content_hash, origins, destinations, max_minutes)
        path = Path(cache_dir) / "matrices" / f"{key}.npz"
        cached = _load_matrix(path, origins.index, destinations.index)
        if cached is not None:
            log.info("travel matrix from cache %s (routing skipped)", path)
            return cached
    so, sd = snap_both(
        network,
        origins,
        destinations,
        access_speed_kph=options.access_kph,
        max_snap_m=options.max_snap_m,
    )
    tm = matrix_from_snapped(
        network, so, sd, max_minutes, executor=executor, workers=workers, scheduler=scheduler
    )
    if path is not None:
        _write_to_cache(path, lambda p: _save_matrix(p, tm))
    return tm


def service_areas_for(
    options: NetworkOptions,
    sites: gpd.GeoDataFrame,
    minutes: Sequence[float] = (10, 20, 30),
    *,
    cache_dir: Path | None = None,
    closures: RoadClosures | None = None,
) -> gpd.GeoDataFrame:
    """Service areas of ``sites`` under a scenario's ``[network]`` (see :func:`service_areas`).

    For crowfly they are circles of radius ``speed_kph × t ÷ circuity`` (what the crowfly matrix
    counts as within ``t`` minutes); for a road graph, buffered reachable roads. A travel table
    has pairs of points, not the roads between them: its service areas are an empty layer.
    """
    if options.is_matrix:
        log.info(
            "no service areas: a travel table (%s) gives minutes between points, not the roads "
            "around the sites, so the map shows none",
            options.path,
        )
        return empty_service_areas()
    if options.is_crowfly:
        return crowfly_service_areas(
            sites, minutes, speed_kph=options.speed_kph, circuity=options.circuity
        )
    network = load_network(options, cache_dir=cache_dir)
    if closures is not None:
        network = network.with_closures(closures.zones, slowdown_factor=closures.slowdown_factor)
    return service_areas(
        network,
        sites,
        minutes,
        access_speed_kph=options.access_kph,
        max_snap_m=options.max_snap_m,
    )
