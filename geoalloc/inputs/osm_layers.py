"""Areas and sites read straight from an OSM ``.osm.pbf`` (pyrosm), named by a ``layer`` spec.

``[areas]`` / ``[facilities]`` ``layer`` on a ``.pbf`` file is ``"<kind>:<key>=<v1>,<v2>,..."``:

- ``boundaries:admin_level=8`` — administrative boundary polygons (``boundary=administrative``)
  whose ``admin_level`` tag is one of the values;
- ``pois:amenity=doctors,clinic,hospital`` — points of interest (nodes, and ways/relations as
  polygons) whose ``key`` tag is one of the values.

The result is an EPSG:4326 GeoDataFrame with the OSM ``id`` (as text), ``name``, the filter key and
the other tags pyrosm keeps; join it to a table (``join = { path, on }``) for facts OSM does not
hold, such as population or physician-hours.
"""

from __future__ import annotations

import json
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd

from geoalloc.travel.osm import PBF_SUFFIXES

KINDS = ("boundaries", "pois")
_SPEC = re.compile(r"^(?P<kind>[a-z_]+):(?P<key>[A-Za-z0-9_:]+)=(?P<values>[^=]+)$")
SPEC_HELP = (
    "write layer = 'boundaries:admin_level=8' or 'pois:amenity=doctors,clinic,hospital' "
    "(kind:key=value[,value...], kind one of boundaries, pois)"
)


@dataclass(frozen=True)
class OsmLayerSpec:
    """A parsed ``layer`` spec: which OSM features to read (``kind``) and the tag filter."""

    kind: str
    key: str
    values: tuple[str, ...]


def is_osm_pbf(path: Path) -> bool:
    return path.name.lower().endswith(PBF_SUFFIXES)


def parse_layer_spec(layer: str | None) -> OsmLayerSpec:
    """Parse ``"kind:key=v1,v2"``; ``ValueError`` with the accepted syntax when it is not."""
    match = _SPEC.match((layer or "").strip())
    if match is None or match["kind"] not in KINDS:
        msg = f"layer {layer!r} is not an OSM layer spec — {SPEC_HELP}"
        raise ValueError(msg)
    values = tuple(v.strip() for v in match["values"].split(",") if v.strip())
    if not values:
        raise ValueError(f"layer {layer!r} names no value after '=' — {SPEC_HELP}")
    return OsmLayerSpec(match["kind"], match["key"], values)


def _tag(key: str):
    """A function reading ``key`` from a pyrosm tags value (a dict or its JSON text)."""

    def get(tags: object) -> object:
        if isinstance(tags, str):
            try:
                tags = json.loads(tags)
            except json.JSONDecodeError:
                return None
        return tags.get(key) if isinstance(tags, dict) else None

    return get


def read_osm_layer(path: Path, spec: OsmLayerSpec) -> gpd.GeoDataFrame:
    """The features of ``path`` that ``spec`` selects (EPSG:4326; ``id`` as text; maybe no rows)."""
    if spec.kind == "boundaries":
        frame = read_boundaries(path)
        if spec.key not in frame.columns:
            return frame.iloc[0:0]
        return frame[frame[spec.key].astype(str).isin(spec.values)].reset_index(drop=True)
    from pyrosm import OSM

    with warnings.catch_warnings():  # pyrosm's own deprecation noise, not the user's concern
        warnings.simplefilter("ignore")
        frame = OSM(str(path)).get_pois(custom_filter={spec.key: list(spec.values)})
    return _plain(frame)


def read_boundaries(path: Path) -> gpd.GeoDataFrame:
    """Every ``boundary=administrative`` polygon of ``path``, at every ``admin_level`` (EPSG:4326;
    ``id`` as text, ``name``, ``admin_level`` and the other tags pyrosm keeps; maybe no rows)."""
    from pyrosm import OSM

    with warnings.catch_warnings():  # pyrosm's own deprecation noise, not the user's concern
        warnings.simplefilter("ignore")
        frame = OSM(str(path)).get_boundaries(boundary_type="administrative")
    return _plain(frame)


def _plain(frame: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    """pyrosm's answer as a plain EPSG:4326 frame: ``id`` as text, ``name`` from the tags when
    pyrosm kept it there, no columns of Python objects; an empty frame for ``None``."""
    if frame is None:
        frame = gpd.GeoDataFrame({"id": [], "name": []}, geometry=[], crs=4326)
    frame = gpd.GeoDataFrame(frame.reset_index(drop=True), geometry="geometry", crs=4326)
    frame["id"] = frame["id"].astype("int64").astype(str) if len(frame) else frame["id"]
    if "name" not in frame.columns and "tags" in frame.columns:  # pyrosm keeps some in the tags
        frame["name"] = frame["tags"].map(_tag("name"))
    # pyrosm may keep columns of Python objects (tag dicts) that vector files cannot hold
    drop = [c for c in ("tags", "timestamp", "version", "changeset") if c in frame.columns]
    return frame.drop(columns=drop)
