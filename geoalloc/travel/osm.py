"""Read OSM files into two plain tables: nodes and way segments with the tags routing needs.

XML (``.osm``, ``.osm.bz2``, ``.osm.gz``) is streamed with :func:`xml.etree.ElementTree.iterparse`;
PBF (``.osm.pbf``) is read with pyrosm (osmnx reads XML only). Both give the same tables, so both
formats go through the same mode filter, one-way rules and speeds in :mod:`geoalloc.travel.graph`.
"""

from __future__ import annotations

import bz2
import gzip
import logging
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd

from geoalloc._errors import InputError

log = logging.getLogger(__name__)

#: The way tags that decide which ways a mode may use, their direction and their speed.
ROUTING_TAGS = [
    "highway",
    "area",
    "access",
    "service",
    "motor_vehicle",
    "motorcar",
    "foot",
    "bicycle",
    "sidewalk",
    "sidewalk:both",
    "sidewalk:left",
    "sidewalk:right",
    "oneway",
    "junction",
    "maxspeed",
    "name",
]
XML_SUFFIXES = (".osm", ".osm.bz2", ".osm.gz", ".xml", ".xml.bz2")
PBF_SUFFIXES = (".osm.pbf", ".pbf")


def source_kind(path: Path) -> str:
    """``"xml"``, ``"pbf"`` or ``"graphml"`` from a file name."""
    name = path.name.lower()
    if name.endswith(PBF_SUFFIXES):
        return "pbf"
    if name.endswith(XML_SUFFIXES):
        return "xml"
    if name.endswith(".graphml"):
        return "graphml"
    msg = (
        f"network file {path}: unknown format — use .osm, .osm.bz2, .osm.pbf or .graphml "
        "(or 'crowfly', or 'place:<name>')"
    )
    raise InputError(msg)


def read_osm(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Nodes ``[id, lon, lat]`` and segments ``[u, v, osmid, <ROUTING_TAGS>]`` of every highway way.

    A way of ``k`` nodes gives ``k - 1`` segments in the way's node order. Segments whose end node
    is missing from the file (ways cut by the extract's boundary) are dropped and logged.
    """
    path = Path(path)
    if not path.is_file():
        msg = f"network file {path} does not exist — check [network] source"
        raise InputError(msg)
    kind = source_kind(path)
    if kind == "pbf":
        nodes, segments = _read_pbf(path)
    elif kind == "xml":
        nodes, segments = _read_xml(path)
    else:
        msg = f"{path} is GraphML, not OSM data: load it with load_graph()"
        raise InputError(msg)
    known = pd.Index(nodes["id"])
    ok = known.get_indexer(segments["u"]) >= 0
    ok &= known.get_indexer(segments["v"]) >= 0
    if not ok.all():
        log.info(
            "%s: %d segments reference nodes missing from the file; dropped", path.name, (~ok).sum()
        )
        segments = segments.loc[ok].reset_index(drop=True)
    return nodes, segments


def _open_text(path: Path):
    name = path.name.lower()
    if name.endswith(".bz2"):
        return bz2.open(path, "rb")
    if name.endswith(".gz"):
        return gzip.open(path, "rb")
    return path.open("rb")


def _read_xml(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    node_ids: list[int] = []
    lons: list[float] = []
    lats: list[float] = []
    seg_u: list[int] = []
    seg_v: list[int] = []
    seg_way: list[int] = []
    way_tags: dict[int, dict[str, str]] = {}
    root_tag = None
    try:
        with _open_text(path) as stream:
            for event, elem in ET.iterparse(stream, events=("start", "end")):
                if event == "start":
                    if root_tag is None:
                        root_tag = elem.tag
                        if root_tag != "osm":
                            break
                    continue
                if elem.tag == "node":
                    node_ids.append(int(elem.get("id")))
                    lons.append(float(elem.get("lon")))
                    lats.append(float(elem.get("lat")))
                    elem.clear()
                elif elem.tag == "way":
                    tags = {t.get("k"): t.get("v") for t in elem.iter("tag")}
                    if "highway" in tags:
                        way = int(elem.get("id"))
                        refs = [int(nd.get("ref")) for nd in elem.iter("nd")]
                        if len(refs) >= 2:
                            way_tags[way] = {k: tags[k] for k in ROUTING_TAGS if k in tags}
                            seg_u.extend(refs[:-1])
                            seg_v.extend(refs[1:])
                            seg_way.extend([way] * (len(refs) - 1))
                    elem.clear()
                elif elem.tag == "relation":
                    elem.clear()
    except (ET.ParseError, OSError, EOFError, ValueError, TypeError) as exc:
        msg = (
            f"network file {path} is not readable OSM XML ({exc}) — "
            "give an OSM extract (.osm/.osm.bz2/.osm.pbf)"
        )
        raise InputError(msg) from exc
    if root_tag != "osm":
        msg = f"network file {path} is XML but not OSM (root element {root_tag!r}, expected 'osm')"
        raise InputError(msg)
    nodes = pd.DataFrame({"id": np.asarray(node_ids, dtype=np.int64), "lon": lons, "lat": lats})
    segments = pd.DataFrame(
        {
            "u": np.asarray(seg_u, dtype=np.int64),
            "v": np.asarray(seg_v, dtype=np.int64),
            "osmid": np.asarray(seg_way, dtype=np.int64),
        }
    )
    tags = pd.DataFrame.from_dict(way_tags, orient="index").reindex(columns=ROUTING_TAGS)
    segments = segments.join(tags, on="osmid")
    return nodes.drop_duplicates("id"), segments


def _read_pbf(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    import pyrosm

    try:
        osm = pyrosm.OSM(str(path), engine="in_memory", progress=False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pyrosm warns (UserWarning) on an empty network
            extra = [t for t in ROUTING_TAGS if t not in ("highway", "name")]
            result = osm.get_network("all", nodes=True, extra_attributes=extra)
    except InputError:
        raise
    except Exception as exc:  # pyrosm raises bare exceptions of many kinds on a corrupt file
        msg = f"network file {path} is not readable OSM PBF ({type(exc).__name__}: {exc})"
        raise InputError(msg) from exc
    if result is None or result[1] is None or len(result[1]) == 0:
        empty_nodes = pd.DataFrame({"id": np.empty(0, np.int64), "lon": [], "lat": []})
        empty_segments = pd.DataFrame(columns=["u", "v", "osmid", *ROUTING_TAGS])
        return empty_nodes, empty_segments
    nodes_gdf, edges = result
    nodes = pd.DataFrame(
        {
            "id": nodes_gdf["id"].to_numpy(np.int64),
            "lon": nodes_gdf["lon"].to_numpy(float),
            "lat": nodes_gdf["lat"].to_numpy(float),
        }
    )
    segments = pd.DataFrame(
        {
            "u": edges["u"].to_numpy(np.int64),
            "v": edges["v"].to_numpy(np.int64),
            "osmid": edges["id"].to_numpy(np.int64),
        }
    )
    for tag in ROUTING_TAGS:
        segments[tag] = edges[tag].to_numpy(object) if tag in edges.columns else None
    return nodes.drop_duplicates("id"), segments
