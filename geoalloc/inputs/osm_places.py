"""Place names from an OSM extract, and readable names for areas that have none.

- :func:`place_names` — the named ``place=*`` nodes where people live (city … farm);
- :func:`display_names` — a name per area: its own, the place in it, "cell near <place>" or its id;
- :func:`parse_count` — a count written by people (an OSM ``population`` or ``beds`` tag).

The run's map labels its places with them and its tooltips, tables and report name the areas with
them (:mod:`geoalloc.runs.basemap`); ``geoalloc init`` names its grid cells with them
(:mod:`geoalloc.region.areas`).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geoalloc._errors import InputError
from geoalloc._validate import file_problem
from geoalloc.inputs.read import metric_crs

#: OSM ``place`` values that name where people live, most important first (the order breaks ties
#: when several lie in one area); ``locality`` (a named place where nobody lives), ``island`` and
#: the administrative ones (``country``, ``state``, ``county``…) name no settlement and are left out
PLACE_KINDS = (
    "city",
    "borough",
    "town",
    "village",
    "suburb",
    "quarter",
    "hamlet",
    "neighbourhood",
    "isolated_dwelling",
    "farm",
)
#: a place farther than this from an area does not name it (``display_names``'s ``within_m``)
NAME_WITHIN_M = 5000.0
_APPROXIMATELY = re.compile(r"^(?:~|≈|\+/-|ca\.?|circa|approx\.?|approximately|about|c\.)\s*", re.I)
_BEDS_WORD = re.compile(r"\s*(?:beds?|betten|lits|camas)\.?$", re.I)
_THOUSANDS = re.compile(r"^\d{1,3}(?:[,. \u00a0\u202f']\d{3})+$")
_PLAIN = re.compile(r"^\d+(?:\.\d+)?$")


def parse_count(value: object) -> float:
    """A count written by people (an OSM ``beds`` tag, a spreadsheet cell) as a number; NaN when
    it is none.

    Accepted: ``"120"``, ``"120.0"``, ``"~50"``, ``"ca. 200"``, ``"approx 80 beds"``,
    ``"1,200"`` / ``"1.200"`` / ``"1 200"`` (thousands). Not numbers (NaN): ranges (``"50-60"``),
    lists (``"40;60"``), words (``"many"``), negative numbers, empty text.

    Examples
    --------
    >>> parse_count("~50"), parse_count("1,200")
    (50.0, 1200.0)
    >>> parse_count("50-60")
    nan
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return float("nan")
    if isinstance(value, int | float | np.number):
        return float(value) if value >= 0 else float("nan")
    text = _BEDS_WORD.sub("", _APPROXIMATELY.sub("", str(value).strip())).strip()
    if _THOUSANDS.match(text):
        return float(re.sub(r"\D", "", text))
    if _PLAIN.match(text):
        return float(text)
    return float("nan")


def empty_places() -> gpd.GeoDataFrame:
    """A places layer with no rows (the columns of :func:`place_names`)."""
    columns = {c: pd.Series(dtype=object) for c in ("name", "place", "osm_id")}
    return gpd.GeoDataFrame(columns | {"population": pd.Series(dtype=float)}, geometry=[], crs=4326)


def place_names(pbf: Path) -> gpd.GeoDataFrame:
    """The named OSM ``place`` nodes of ``pbf`` where people live (:data:`PLACE_KINDS`).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``name``, ``place`` (the OSM value), ``osm_id`` (text), ``population`` (the node's
        ``population`` tag as a number, NaN when untagged or not a number) and point ``geometry``,
        EPSG:4326, most important kind first, then by name; no rows when the file has none.
    """
    pbf = Path(pbf)

    def read() -> gpd.GeoDataFrame | None:
        from pyrosm import OSM

        return OSM(str(pbf)).get_data_by_custom_criteria(
            custom_filter={"place": list(PLACE_KINDS)},
            filter_type="keep",
            keep_nodes=True,
            keep_ways=False,
            keep_relations=False,
            tags_as_columns=["name", "place", "population"],
        )

    frame = read_pbf(pbf, read)
    if frame is None or len(frame) == 0 or "name" not in frame.columns:
        return empty_places()
    frame = frame[frame["name"].notna() & (frame["name"].astype(str).str.strip() != "")]
    places = gpd.GeoDataFrame(
        {
            "name": frame["name"].astype(str).str.strip().to_numpy(),
            "place": frame["place"].astype(str).to_numpy(),
            "osm_id": frame["id"].astype("int64").astype(str).to_numpy(),
            "population": frame.get("population", pd.Series(index=frame.index, dtype=object))
            .map(parse_count)
            .to_numpy(dtype=float),
        },
        geometry=frame.geometry.to_numpy(),
        crs=4326,
    )
    rank = places["place"].map({kind: i for i, kind in enumerate(PLACE_KINDS)})
    order = np.lexsort((places["osm_id"], places["name"], rank))
    return places.iloc[order].reset_index(drop=True)


def display_names(
    areas: gpd.GeoDataFrame,
    places: gpd.GeoDataFrame,
    *,
    within_m: float = NAME_WITHIN_M,
    inside: str = "{place}",
    near: str = "cell near {place}",
    far: str = "cell {area_id}",
) -> pd.Series:
    """A readable name per area: its own ``name`` when it has one (admin areas keep their OSM
    name), else one made from the places of :func:`place_names`.

    An area without a name is named after the place that lies in it (``inside``; of several, the
    most important kind, then the nearest to the area's representative point, then by name), else
    after the place nearest to it within ``within_m`` metres (``near``; ties by kind, then name),
    else by its id (``far``). The templates take ``{place}`` and ``{area_id}``. Names need not be
    unique: several cells are near the same village.

    Parameters
    ----------
    areas
        Areas with ``area_id`` (else the index is the id) and, maybe, ``name``; any CRS.
    places
        :func:`place_names`'s points (``name``, ``place``).

    Returns
    -------
    pandas.Series
        Text, named ``name``, indexed as ``areas``.
    """
    ids = areas["area_id"] if "area_id" in areas.columns else pd.Series(areas.index, areas.index)
    own = areas["name"] if "name" in areas.columns else pd.Series(None, areas.index, dtype=object)
    has_name = own.notna().to_numpy() & (own.astype(str).str.strip() != "").to_numpy()
    names = np.where(has_name, own.astype(str), "").astype(object)
    unnamed = np.flatnonzero(~has_name)
    if len(unnamed):
        place, is_inside = nearest_place(areas.geometry.iloc[unnamed], places, within_m)
        names[unnamed] = [
            (far if name is None else (inside if in_it else near)).format(
                place=name, area_id=area_id
            )
            for name, in_it, area_id in zip(place, is_inside, ids.iloc[unnamed], strict=True)
        ]
    return pd.Series(names.astype(str), index=areas.index, name="name")


def nearest_place(
    geometry: gpd.GeoSeries, places: gpd.GeoDataFrame, within_m: float
) -> tuple[list[str | None], list[bool]]:
    """For each geometry: the name of the place in it or nearest to it (None beyond
    ``within_m``), and whether it lies in it (see :func:`display_names` for the order)."""
    n = len(geometry)
    found: list[str | None] = [None] * n
    inside = [False] * n
    if n == 0 or len(places) == 0:
        return found, inside
    crs = metric_crs(geometry)
    shapes = gpd.GeoDataFrame(geometry=geometry.to_crs(crs).to_numpy(), crs=crs)
    points = places.to_crs(crs).reset_index(drop=True)
    points["rank"] = (
        points["place"].map({k: i for i, k in enumerate(PLACE_KINDS)}).fillna(len(PLACE_KINDS))
    )
    hits = gpd.sjoin(points, shapes, predicate="within", how="inner")
    if len(hits):
        centre = shapes.geometry.representative_point()
        hits["distance_m"] = hits.geometry.distance(
            gpd.GeoSeries(centre.loc[hits["index_right"]].to_numpy(), index=hits.index, crs=crs)
        )
        best = hits.sort_values(["index_right", "rank", "distance_m", "name"]).drop_duplicates(
            "index_right"
        )
        for shape, name in zip(best["index_right"], best["name"], strict=True):
            found[shape], inside[shape] = name, True
    rest = [i for i in range(n) if not inside[i]]
    if rest:
        nearest = gpd.sjoin_nearest(
            shapes.iloc[rest], points, max_distance=within_m, distance_col="distance_m"
        )
        nearest = nearest.rename_axis("shape").reset_index()
        best = nearest.sort_values(["shape", "distance_m", "rank", "name"]).drop_duplicates("shape")
        for shape, name in zip(best["shape"], best["name"], strict=True):
            found[shape] = name
    return found, inside


def read_pbf(pbf: Path, read: Callable[[], gpd.GeoDataFrame | None]):
    """``read()`` of the OSM file ``pbf`` with pyrosm's warnings silenced; InputError when the
    file is missing or pyrosm cannot read it."""
    why = file_problem(pbf)
    if why is not None:
        msg = f"OSM file {pbf}: {why} — check the path"
        raise InputError(msg)
    try:
        with warnings.catch_warnings():  # pyrosm's pandas/shapely deprecation noise
            warnings.simplefilter("ignore")
            return read()
    except InputError:
        raise
    except Exception as exc:  # pyrosm raises bare exceptions of many kinds on a corrupt file
        msg = f"{pbf} is not a readable OSM PBF file ({type(exc).__name__}: {exc})"
        raise InputError(msg) from exc
