"""Sites that are likely the same facility: one hospital in two lists (HIFLD and OSM), an OSM
hospital mapped as a node and as its building — within a short distance and with similar names,
or at the very same position.

Used where the sites are made (:mod:`geoalloc.region.facilities`, ``geoalloc init``) and where a
run's plan is checked for plausibility (:mod:`geoalloc.runs.checks`).
"""

from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from geoalloc.inputs.osm_sites import UNNAMED_NAME
from geoalloc.inputs.read import metric_crs

__all__ = ["SAME_PLACE_M", "find_duplicates", "name_similarity"]

#: two sites this close (metres) are at the same position, whatever their names
SAME_PLACE_M = 1.0

#: words that say nothing about which facility a name is
_FILLER = frozenset({"the", "of", "and", "inc", "llc"})


def _normalised(name: str) -> str:
    """Lower case, accents and punctuation removed, filler words dropped, spaces collapsed."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    words = re.sub(r"[^\w]+", " ", text).split()
    return " ".join(w for w in words if w not in _FILLER)


def name_similarity(a: str, b: str) -> float:
    """How alike two facility names are, 0 (nothing shared) to 1 (the same once normalised).

    Both names are normalised (lower case, accents and punctuation removed, "the", "of", "and",
    "inc", "llc" dropped); the similarity is the larger of :class:`difflib.SequenceMatcher`'s
    ratio (2 × matched characters ÷ both lengths) on the names and on their words sorted (so
    word order does not matter).

    Examples
    --------
    >>> name_similarity("THE JOHNS HOPKINS HOSPITAL", "Johns Hopkins Hospital")
    1.0
    """
    x, y = _normalised(a), _normalised(b)
    if not x or not y:
        return 0.0
    in_order = SequenceMatcher(None, x, y, autojunk=False).ratio()
    x_sorted, y_sorted = " ".join(sorted(x.split())), " ".join(sorted(y.split()))
    return max(in_order, SequenceMatcher(None, x_sorted, y_sorted, autojunk=False).ratio())


def find_duplicates(
    sites: gpd.GeoDataFrame,
    *,
    within_m: float = 150.0,
    min_name_similarity: float = 0.6,
    crs: CRS | None = None,
) -> pd.DataFrame:
    """Pairs of sites that are likely the same facility: within ``within_m`` metres of each other
    and with similar names (:func:`name_similarity` at least ``min_name_similarity``), or at the
    same position (within :data:`SAME_PLACE_M`), whatever their names.

    The search uses a spatial index in the sites' metric CRS: only the pairs within ``within_m``
    are compared. A site whose name was made up (``named`` False, or without that column a name
    like ``"hospital way/123"``: :data:`~geoalloc.inputs.osm_sites.UNNAMED_NAME`) has no name to
    compare; it pairs by position only. Common cases: one hospital in two lists (HIFLD and
    OSM), an OSM hospital mapped as a node and as its building.

    Parameters
    ----------
    sites
        Points (any CRS); ``site_id`` and ``name`` columns (else the index and no names).
    within_m
        Farthest apart (metres) two sites with similar names may be.
    min_name_similarity
        Least :func:`name_similarity` of two names that count as similar.
    crs
        The CRS in metres the distances are measured in (default: the sites' UTM zone,
        :func:`~geoalloc.inputs.read.metric_crs`).

    Returns
    -------
    pandas.DataFrame
        One row per pair: ``site_a``, ``site_b`` (``site_a`` the earlier row), ``name_a``,
        ``name_b``, ``distance_m``, ``name_similarity`` (NaN when a name is made up), ``reason``
        (``"similar names"`` or ``"same position"``); closest pairs first.
    """
    columns = ["site_a", "site_b", "name_a", "name_b", "distance_m", "name_similarity", "reason"]
    if len(sites) < 2:
        return pd.DataFrame(columns=columns)
    ids = (
        sites["site_id"].astype(str).to_numpy()
        if "site_id" in sites.columns
        else sites.index.astype(str).to_numpy()
    )
    names = (
        sites["name"].astype(object).to_numpy()
        if "name" in sites.columns
        else np.full(len(sites), None)
    )
    if "named" in sites.columns:
        named = sites["named"].astype(bool).to_numpy()
    else:  # a run's sites: no name, or an OSM feature's label (kind and id), is no name
        text = pd.Series(names, dtype=object).astype(str).str.strip()
        named = (pd.notna(names) & (text != "") & ~text.str.match(UNNAMED_NAME)).to_numpy()
    projected = sites.geometry.to_crs(crs if crs is not None else metric_crs(sites.geometry))
    points = projected.representative_point().to_numpy()
    first, second = gpd.GeoSeries(points).sindex.query(
        points, predicate="dwithin", distance=within_m
    )
    pair = first < second
    first, second = first[pair], second[pair]
    distance = shapely.distance(points[first], points[second])
    similarity = np.array(
        [
            name_similarity(str(names[i]), str(names[j])) if named[i] and named[j] else np.nan
            for i, j in zip(first, second, strict=True)
        ],
        dtype=float,
    )
    same_place = distance <= SAME_PLACE_M
    similar = np.nan_to_num(similarity, nan=-1.0) >= min_name_similarity
    keep = same_place | similar
    pairs = pd.DataFrame(
        {
            "site_a": ids[first[keep]],
            "site_b": ids[second[keep]],
            "name_a": names[first[keep]],
            "name_b": names[second[keep]],
            "distance_m": np.round(distance[keep], 1),
            "name_similarity": np.round(similarity[keep], 3),
            "reason": np.where(similar[keep], "similar names", "same position"),
        },
        columns=columns,
    )
    return pairs.sort_values(["distance_m", "site_a", "site_b"], kind="stable").reset_index(
        drop=True
    )
