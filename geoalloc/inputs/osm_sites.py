"""OSM features that are health sites, or could host one: healthcare points of interest and
public buildings, read with pyrosm (the built-in demo and ``geoalloc init`` read them alike).

- healthcare: ``amenity`` in :data:`HEALTHCARE_AMENITIES`, or any ``healthcare=*`` tag;
- public buildings (candidate sites: temporary beds, outreach clinics): ``amenity`` in
  :data:`CANDIDATE_AMENITIES`, and ``building`` in :data:`CANDIDATE_BUILDINGS`.

Features come as pyrosm gives them: EPSG:4326, their own geometry (nodes as points, ways and
relations as polygons), ``id`` and ``osm_type``, a column per common tag and the rest in ``tags``.
"""

from __future__ import annotations

import functools
import json
import re
import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

HEALTHCARE_AMENITIES = ["doctors", "clinic", "hospital"]
CANDIDATE_BUILDINGS = ["public", "school", "university"]
CANDIDATE_AMENITIES = ["townhall", "community_centre", "library", "school"]


#: the name given to an OSM feature that has none: its kind and OSM id ("hospital way/167644847",
#: "building=public way/17361645") — a label, not a name two sites can be compared by
UNNAMED_NAME = re.compile(r"^\S+ (node|way|relation)/\d+$")


def unnamed_name(kind: pd.Series, osm_type: pd.Series, osm_id: pd.Series) -> pd.Series:
    """The label of features without a name (see :data:`UNNAMED_NAME`)."""
    return kind.astype(str) + " " + osm_type.astype(str) + "/" + osm_id.astype(str)


def open_osm(path: Path) -> Any:
    """A pyrosm reader of ``path`` (an ``.osm.pbf``)."""
    import pyrosm

    return pyrosm.OSM(str(path))


def quiet(call, *args, **kwargs):
    """``call(*args, **kwargs)`` without pyrosm's pandas/shapely deprecation noise."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return call(*args, **kwargs)


def site_pois(osm: Any) -> gpd.GeoDataFrame | None:
    """Healthcare points of interest and public amenities; ``None`` when there are none.

    One pass over the file per process while it is unchanged: the existing facilities and the
    candidate sites of ``geoalloc init`` both come from it (0.06 s a pass on the 2.5 MB
    Heidelberg extract, a hundred times more on a state's); each caller gets its own copy."""
    path = Path(osm.filepath)
    stat = path.stat()
    pois = _site_pois(str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    return None if pois is None else pois.copy()


@functools.lru_cache(maxsize=2)
def _site_pois(path: str, mtime_ns: int, size: int) -> gpd.GeoDataFrame | None:
    return quiet(
        open_osm(Path(path)).get_pois,
        custom_filter={"amenity": HEALTHCARE_AMENITIES + CANDIDATE_AMENITIES, "healthcare": True},
    )


def public_buildings(osm: Any) -> gpd.GeoDataFrame | None:
    """Buildings tagged ``building`` public, school or university; ``None`` when there are none."""
    return quiet(osm.get_buildings, custom_filter={"building": CANDIDATE_BUILDINGS})


def tag_column(frame: pd.DataFrame, key: str) -> pd.Series:
    """The ``key`` tag of every row: pyrosm's column for it, else read from ``tags`` (a dict or
    its JSON text); NaN where the feature has no such tag."""
    if key in frame.columns:
        return frame[key].astype(object).where(frame[key].notna(), None)
    if "tags" not in frame.columns:
        return pd.Series(None, index=frame.index, dtype=object)
    return frame["tags"].map(lambda tags: _tags(tags).get(key)).astype(object)


def _tags(tags: object) -> dict:
    if isinstance(tags, str):
        try:
            tags = json.loads(tags)
        except json.JSONDecodeError:
            return {}
    return tags if isinstance(tags, dict) else {}


def is_healthcare(pois: pd.DataFrame) -> pd.Series:
    """True for the points of interest that are healthcare (see the module docstring)."""
    amenity = pois.get("amenity", pd.Series(index=pois.index, dtype=object))
    healthcare = pois.get("healthcare", pd.Series(index=pois.index, dtype=object))
    return amenity.isin(HEALTHCARE_AMENITIES) | healthcare.notna()
