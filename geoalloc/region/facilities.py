"""Facilities and candidate sites for a planner's region, from what they have: the OSM extract, a
CSV with longitude/latitude (HIFLD's hospital list as is) or any vector file — with the sites that
lie outside the region counted, and likely duplicates (the same hospital twice) reported.

Every function returns EPSG:4326 points (polygons become their representative point, computed in
the region's metric CRS) with the same columns, so that lists from several sources concatenate:

- ``site_id`` (text, unique), ``name`` (the source's, or ``"<kind> <id>"``; ``named`` says which),
  ``kind`` (``hospital``, ``clinic``, ``doctors``, a ``healthcare=*`` value, a file's type column,
  ``building=school`` …), ``candidate`` (False for existing facilities, True for candidate sites);
- ``beds`` (float, NaN when unknown) and ``beds_source`` (where the number comes from, why it is
  unknown, or ``""`` when the source has no beds at all);
- ``osm_id`` (``node/123``, ``way/456``; None for a file's sites) and ``source`` (the file's name).

A file's other columns are kept (HIFLD's ``STATUS``, ``TYPE``…), except those whose name differs
from one of the above only in case (a GeoPackage cannot hold both ``name`` and ``NAME``).
"""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoalloc._errors import InputError
from geoalloc._validate import Problems, format_ids
from geoalloc.inputs.duplicates import find_duplicates, name_similarity
from geoalloc.inputs.osm_places import parse_count
from geoalloc.inputs.osm_sites import (
    CANDIDATE_AMENITIES,
    HEALTHCARE_AMENITIES,
    is_healthcare,
    open_osm,
    public_buildings,
    site_pois,
    tag_column,
)
from geoalloc.inputs.points import id_like_column
from geoalloc.inputs.points_table import is_points_table, read_points_table
from geoalloc.inputs.read import read_vector, representative_points

__all__ = [
    "BEDS_TAGS",
    "SITE_COLUMNS",
    "cell_candidates",
    "file_facilities",
    "find_duplicates",
    "name_similarity",
    "osm_beds",
    "osm_candidates",
    "osm_facilities",
    "parse_count",
    "read_points_table",
    "within_extent",
]

log = logging.getLogger(__name__)

#: the columns every function here returns, in this order (a file's other columns follow)
SITE_COLUMNS = [
    "site_id",
    "name",
    "named",
    "kind",
    "candidate",
    "beds",
    "beds_source",
    "osm_id",
    "source",
    "geometry",
]
#: OSM tags read as a facility's beds, in order of preference
BEDS_TAGS = ("beds", "capacity:beds", "capacity")
#: a file's name column, when not given (compared in lower case)
NAME_COLUMNS = ("name", "facility_name", "site_name", "hospital_name", "facility", "hospital")
#: a file's beds column, when not given (compared in lower case)
BEDS_COLUMNS = ("beds", "bed_count", "num_beds", "total_beds", "total_bed", "capacity")
#: a file's kind column, when not given (compared in lower case)
KIND_COLUMNS = ("kind", "type", "facility_type", "amenity", "healthcare")


def _empty_sites() -> gpd.GeoDataFrame:
    columns = {c: pd.Series(dtype=object) for c in SITE_COLUMNS if c != "geometry"}
    frame = gpd.GeoDataFrame(columns, geometry=gpd.GeoSeries([], crs=4326), crs=4326)
    return frame.astype({"named": bool, "candidate": bool, "beds": float})


def _osm_ids(features: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """``node/123``-style OSM ids and site ids (``osm-n123``) of pyrosm features."""
    kind = features.get("osm_type", pd.Series("node", index=features.index)).astype(str)
    number = features["id"].astype("int64").astype(str)
    osm_id = kind + "/" + number
    site_id = "osm-" + kind.str[0] + number
    return osm_id, site_id


def _osm_sites(
    features: gpd.GeoDataFrame, kind: pd.Series, *, candidate: bool, source: str
) -> gpd.GeoDataFrame:
    """The site columns of pyrosm features, at their representative point (metric CRS)."""
    osm_id, site_id = _osm_ids(features)
    name = tag_column(features, "name")
    named = name.notna() & (name.astype(str).str.strip() != "")
    points = representative_points(features[[features.geometry.name]])
    sites = gpd.GeoDataFrame(
        {
            "site_id": site_id.to_numpy(),
            "name": np.where(named, name.astype(str), kind.astype(str) + " " + osm_id),
            "named": named.to_numpy(),
            "kind": kind.astype(str).to_numpy(),
            "candidate": candidate,
            "beds": np.nan,
            "beds_source": "",
            "osm_id": osm_id.to_numpy(),
            "source": source,
        },
        geometry=points.geometry.to_numpy(),
        crs=4326,
    )
    return sites


def osm_facilities(pbf: Path) -> gpd.GeoDataFrame:
    """Health facilities of an OSM extract: ``amenity`` hospital, clinic or doctors, and any
    feature with a ``healthcare=*`` tag (dentists, pharmacies, alternative medicine … — filter on
    ``kind`` to keep fewer).

    Parameters
    ----------
    pbf
        An ``.osm.pbf`` file.

    Returns
    -------
    geopandas.GeoDataFrame
        One point per feature (ways and relations at their polygon's representative point,
        computed in the extract's metric CRS), the columns of :data:`SITE_COLUMNS`, sorted by
        ``site_id`` (``osm-n<id>`` for nodes, ``osm-w<id>`` for ways, ``osm-r<id>`` for relations);
        ``kind`` the ``amenity`` value, else the ``healthcare`` value (``healthcare`` for
        ``healthcare=yes``); unnamed features are named ``"<kind> <osm id>"``; ``beds`` from the
        first of :data:`BEDS_TAGS` the feature has (read with :func:`parse_count`), its
        ``beds_source`` ``"OSM beds tag"``, or ``"OSM beds tag: 'many' is not a number"``, or
        ``""`` when it has none. No rows when the extract has no such feature.

    Examples
    --------
    >>> sites = osm_facilities(Path("baltimore_md_2015-03.osm.pbf"))  # doctest: +SKIP
    >>> sites.loc[sites["name"] == "Johns Hopkins Hospital", "osm_id"].tolist()  # doctest: +SKIP
    ['node/2670282444', 'way/113103986']
    """
    pois = site_pois(open_osm(pbf))
    if pois is None or len(pois) == 0:
        return _empty_sites()
    health = pois[is_healthcare(pois).to_numpy()].reset_index(drop=True)
    if len(health) == 0:
        return _empty_sites()
    amenity = tag_column(health, "amenity")
    healthcare = tag_column(health, "healthcare").replace({"yes": "healthcare"})
    kind = amenity.where(amenity.isin(HEALTHCARE_AMENITIES), healthcare).fillna("healthcare")
    sites = _osm_sites(health, kind, candidate=False, source=pbf.name)
    beds, beds_source = osm_beds(health)
    sites["beds"], sites["beds_source"] = beds, beds_source
    sites = sites.drop_duplicates("site_id")
    return sites.sort_values("site_id", kind="stable").reset_index(drop=True)


def osm_beds(features: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Beds of OSM features (pyrosm's frame: tag columns and ``tags``) and where each number
    comes from: the first of :data:`BEDS_TAGS` the feature has, read with :func:`parse_count`
    (``"OSM beds tag"``; ``"OSM beds tag: 'many' is not a number"``, beds NaN); NaN and ``""``
    when it has none."""
    beds = np.full(len(features), np.nan)
    source = np.full(len(features), "", dtype=object)
    for tag in reversed(BEDS_TAGS):  # the preferred tag last: it wins
        values = tag_column(features, tag)
        present = values.notna().to_numpy()
        numbers = values.map(parse_count).to_numpy(dtype=float)
        beds = np.where(present, numbers, beds)
        said = [
            f"OSM {tag} tag"
            if np.isfinite(n)
            else f"OSM {tag} tag: {str(v)[:30]!r} is not a number"
            for v, n in zip(values, numbers, strict=True)
        ]
        source = np.where(present, said, source)
    return beds, source


def _find_column(columns: list[str], names: tuple[str, ...], exclude: set[str]) -> str | None:
    by_name: dict[str, str] = {}
    for column in columns:
        if column not in exclude:
            by_name.setdefault(column.strip().lower(), column)
    return next((by_name[n] for n in names if n in by_name), None)


def file_facilities(
    path: Path,
    *,
    name: str | None = None,
    beds: str | None = None,
    lon: str | None = None,
    lat: str | None = None,
    id: str | None = None,
    kind: str | None = None,
    layer: str | None = None,
) -> gpd.GeoDataFrame:
    """Facilities from a CSV with longitude/latitude (see
    :func:`~geoalloc.inputs.points_table.read_points_table`) or any vector file GeoPandas reads.

    Parameters
    ----------
    path
        A ``.csv``/``.tsv``/``.txt`` table (also compressed, e.g. HIFLD's ``.csv.gz``) or a vector
        file (GeoPackage, GeoJSON, Shapefile …).
    name, beds, id, kind
        The columns with each site's name, beds, id and kind; detected when not given: name from
        :data:`NAME_COLUMNS`, beds from :data:`BEDS_COLUMNS`, kind from :data:`KIND_COLUMNS`
        (any case), id the first unique id-like column (``ID``, ``*_id``, ``code`` …), else
        ``F1``, ``F2`` … by row.
    lon, lat
        A table's longitude/latitude columns (detected when not given).
    layer
        The layer of a multi-layer vector file.

    Returns
    -------
    geopandas.GeoDataFrame
        The columns of :data:`SITE_COLUMNS`, then the file's other columns (HIFLD's ``STATUS``
        among them: keep ``STATUS == "OPEN"`` for open hospitals), in the file's order. ``beds``
        is NaN where the file has no number: a negative one is a code for "unknown" (HIFLD writes
        -999), with ``beds_source`` ``"unknown (BEDS = -999)"``; known numbers have
        ``beds_source`` ``"<file> BEDS"``. ``attrs``: ``source`` and, for a table,
        ``lon_column``/``lat_column``.

    Raises
    ------
    InputError
        The file cannot be read, a given column is not in it, ids are missing or repeated, or a
        table's coordinates are missing or out of range (every problem at once).
    """
    path = Path(path)
    where = path.name
    if is_points_table(path):
        frame = read_points_table(path, lon=lon, lat=lat, where=where, id_column=id)
    else:
        problems = Problems()
        read = read_vector(path, layer, where, problems, lon=lon, lat=lat, id_column=id)
        problems.raise_if_any()
        if read is None or read.crs is None:  # pragma: no cover - reported as problems
            raise InputError(f"{where}: cannot be read")
        frame = read.to_crs(4326)
    columns = [str(c) for c in frame.columns if c != frame.geometry.name]
    coordinates = {frame.attrs.get("lon_column"), frame.attrs.get("lat_column")} - {None}
    missing = [
        f"{key} column {column!r}"
        for key, column in (("name", name), ("beds", beds), ("id", id), ("kind", kind))
        if column is not None and column not in columns
    ]
    if missing:
        raise InputError(
            f"{where}: {', '.join(missing)} not found — columns are: {format_ids(columns, 60)}"
        )
    name = name or _find_column(columns, NAME_COLUMNS, coordinates)
    beds = beds or _find_column(columns, BEDS_COLUMNS, coordinates)
    kind = kind or _find_column(columns, KIND_COLUMNS, coordinates)
    id = id or id_like_column(frame, exclude=tuple(coordinates))
    site_id = _file_ids(frame, id, where)
    kinds = (
        frame[kind].astype(object).where(frame[kind].notna(), "facility")
        if kind
        else pd.Series("facility", index=frame.index)
    ).astype(str)
    names = frame[name] if name else pd.Series(None, index=frame.index, dtype=object)
    named = names.notna() & (names.astype(str).str.strip() != "")
    number, beds_source = _file_beds(frame, beds, path.name)
    not_point = (frame.geom_type != "Point").to_numpy()
    geometry = frame.geometry
    if not_point.any():
        geometry = geometry.where(~not_point, representative_points(frame).geometry)
    sites = gpd.GeoDataFrame(
        {
            "site_id": site_id,
            "name": np.where(named, names.astype(str).str.strip(), kinds + " " + site_id),
            "named": named.to_numpy(),
            "kind": kinds.to_numpy(),
            "candidate": False,
            "beds": number,
            "beds_source": beds_source,
            "osm_id": None,
            "source": path.name,
        },
        geometry=geometry.to_numpy(),
        crs=4326,
    )
    used = {c for c in (name, beds, kind) if c}
    taken = {c.lower() for c in SITE_COLUMNS}
    clashes = [c for c in columns if c not in used and c.lower() in taken]
    if clashes:
        log.info("%s: columns %s left out (same name as a site column)", where, clashes)
    for column in columns:
        if column not in used and column.lower() not in taken:
            sites[column] = frame[column].to_numpy()
    sites.attrs.update(frame.attrs, source=path.name)
    return sites


def _file_ids(frame: pd.DataFrame, column: str | None, where: str) -> np.ndarray:
    if column is None:
        width = len(str(len(frame)))
        return np.array([f"F{i + 1:0{width}d}" for i in range(len(frame))], dtype=object)
    ids = frame[column].astype(object)
    text = ids.astype(str).str.strip()
    bad = ids.isna() | (text == "") | text.duplicated(keep=False)
    if bad.any():
        raise InputError(
            f"{where}: id column {column!r} has missing or repeated values "
            f"({format_ids(text[bad.to_numpy()].unique())}) — give every site its own id"
        )
    return text.to_numpy(dtype=object)


def _file_beds(frame: pd.DataFrame, column: str | None, file: str) -> tuple[np.ndarray, np.ndarray]:
    """Beds (NaN where unknown) and where each number comes from, or why it is unknown."""
    if column is None:
        return np.full(len(frame), np.nan), np.full(len(frame), "", dtype=object)
    raw = frame[column]
    numbers = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    parsed = raw.map(parse_count).to_numpy(dtype=float)  # "~50", "1,200"
    numbers = np.where(np.isnan(numbers), parsed, numbers)
    source = np.full(len(frame), f"{file} {column}", dtype=object)
    negative = numbers < 0
    for value in np.unique(numbers[negative]):
        source[numbers == value] = f"unknown ({column} = {value:g})"
    empty = raw.isna().to_numpy()
    source[empty] = f"unknown ({column} empty)"
    text = np.isnan(numbers) & ~empty
    source[text] = [f"unknown ({column} = {str(v)[:30]!r})" for v in raw[text]]
    return np.where(negative, np.nan, numbers), source


def within_extent(
    sites: gpd.GeoDataFrame, extent: shapely.Geometry, *, where: str
) -> tuple[gpd.GeoDataFrame, int]:
    """The sites inside ``extent`` (on its boundary counts as inside), and how many lie outside.

    Parameters
    ----------
    sites
        Points (any CRS); a table's ``attrs`` ``lon_column``/``lat_column`` name its columns in
        the error.
    extent
        An EPSG:4326 polygon: the region (e.g. where the road network is).
    where
        The sites' file or source, for the error.

    Raises
    ------
    InputError
        No site is inside, but with longitude and latitude swapped some would be: the columns
        look swapped (the message names ``where``, the columns, both extents and the fix); or
        the sites have no CRS.
    """
    if sites.crs is None:
        raise InputError(f"{where}: the sites have no CRS — set one (EPSG:4326 for degrees)")
    points = sites.geometry.to_crs(4326) if not sites.crs.equals(4326) else sites.geometry
    inside = points.intersects(extent).to_numpy()
    if inside.any() or len(sites) == 0:
        return sites[inside], int((~inside).sum())
    swapped = shapely.transform(points.to_numpy(), lambda xy: xy[:, ::-1])
    would = shapely.intersects(swapped, extent)
    if would.any():
        lon, lat = sites.attrs.get("lon_column"), sites.attrs.get("lat_column")
        columns = (
            f"columns {lon!r} (read as longitude) and {lat!r} (read as latitude)"
            if lon and lat
            else "the coordinates"
        )
        fix = (
            f"swap them: give lon = {lat!r} and lat = {lon!r}"
            if lon and lat
            else "swap the x and y of the points"
        )
        minx, miny, maxx, maxy = points.total_bounds
        ex = extent.bounds
        raise InputError(
            f"{where}: none of the {len(sites):,} sites lies in the region (lon {ex[0]:.3f}…"
            f"{ex[2]:.3f}, lat {ex[1]:.3f}…{ex[3]:.3f}; the sites: lon {minx:.3f}…{maxx:.3f}, "
            f"lat {miny:.3f}…{maxy:.3f}), but {int(would.sum()):,} would with longitude and "
            f"latitude swapped: longitude and latitude look swapped in {columns} — {fix}"
        )
    return sites[inside], len(sites)


def osm_candidates(pbf: Path, extent: shapely.Geometry) -> gpd.GeoDataFrame:
    """Public buildings that could host a site (temporary beds, an outreach clinic): ``amenity``
    townhall, community_centre, library or school, and ``building`` public, school or university,
    inside ``extent`` (EPSG:4326).

    Returns
    -------
    geopandas.GeoDataFrame
        The columns of :data:`SITE_COLUMNS` with ``candidate`` True, ``beds`` NaN; ``kind`` the
        amenity value, or ``building=<value>``; a feature both an amenity and a building once
        (as the amenity). Sorted by ``site_id``.
    """
    osm = open_osm(pbf)
    frames = []
    pois = site_pois(osm)
    if pois is not None and len(pois):
        amenity = tag_column(pois, "amenity")
        public = (amenity.isin(CANDIDATE_AMENITIES) & ~is_healthcare(pois)).to_numpy()
        if public.any():
            chosen = pois[public].reset_index(drop=True)
            frames.append(
                _osm_sites(chosen, tag_column(chosen, "amenity"), candidate=True, source=pbf.name)
            )
    buildings = public_buildings(osm)
    if buildings is not None and len(buildings):
        buildings = buildings.reset_index(drop=True)
        kind = "building=" + tag_column(buildings, "building").astype(str)
        frames.append(_osm_sites(buildings, kind, candidate=True, source=pbf.name))
    if not frames:
        return _empty_sites().astype({"candidate": bool})
    sites = pd.concat(frames, ignore_index=True).drop_duplicates("site_id")
    sites = sites[sites.intersects(extent).to_numpy()]
    sites = gpd.GeoDataFrame(sites, geometry="geometry", crs=4326)
    return sites.sort_values("site_id", kind="stable").reset_index(drop=True)


def cell_candidates(
    areas: gpd.GeoDataFrame, population: pd.Series, *, top: int | None = None
) -> gpd.GeoDataFrame:
    """Candidate sites at the populated areas (e.g. grid cells): each area with population above
    0, at its representative point (computed in the areas' metric CRS).

    Parameters
    ----------
    areas
        Polygons (any CRS) with an ``area_id`` column (else the index is the id), and a ``name``
        column when they have one.
    population
        Persons per area, indexed as ``areas``.
    top
        Keep the ``top`` most populated areas only.

    Returns
    -------
    geopandas.GeoDataFrame
        The columns of :data:`SITE_COLUMNS` (``site_id`` ``cell-<area_id>``, ``kind``
        ``"populated cell"``, ``candidate`` True, ``beds`` NaN) plus ``area_id`` and
        ``population``; most populated first (ties by ``area_id``).
    """
    if top is not None and top < 1:
        msg = f"top must be at least 1 (got {top})"
        raise ValueError(msg)
    persons = population.reindex(areas.index).astype(float)
    area_ids = (
        areas["area_id"].astype(str)
        if "area_id" in areas.columns
        else pd.Series(areas.index.astype(str), index=areas.index)
    )
    populated = (persons > 0).to_numpy()
    chosen = areas[populated]
    points = representative_points(chosen[[chosen.geometry.name]])
    ids = area_ids[populated]
    names = (
        chosen["name"].astype(str).to_numpy()
        if "name" in chosen.columns
        else ("cell " + ids).to_numpy()
    )
    sites = gpd.GeoDataFrame(
        {
            "site_id": ("cell-" + ids).to_numpy(),
            "name": names,
            "named": "name" in chosen.columns,
            "kind": "populated cell",
            "candidate": True,
            "beds": np.nan,
            "beds_source": "",
            "osm_id": None,
            "source": "populated areas",
            "area_id": ids.to_numpy(),
            "population": persons[populated].to_numpy(),
        },
        geometry=points.geometry.to_numpy(),
        crs=4326,
    )
    sites = sites.sort_values(["population", "area_id"], ascending=[False, True], kind="stable")
    if top is not None:
        sites = sites.head(top)
    return sites.reset_index(drop=True)
