"""Reading and checking inputs: areas, facilities, joins, districts, origins.

Readers collect *every* problem of a file into a :class:`~geoalloc._validate.Problems` and return
``None`` when the file cannot be used at all, so that ``geoalloc validate`` reports everything at once.
Areas and facilities given as GeoDataFrames (:class:`~geoalloc.scenario.FrameSource`, from
:func:`geoalloc.plan`) go through the same checks; their problems name the "areas GeoDataFrame" or
"facilities GeoDataFrame" instead of a file. A layer is any vector file GeoPandas reads, an OSM
``.pbf`` through a ``layer`` spec, or a table of points with longitude/latitude columns (CSV, TSV,
text, also compressed: :mod:`geoalloc.inputs.points_table`).
"""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoalloc._validate import (
    CORRUPT_COMPRESSION,
    Problems,
    columns_found,
    file_problem,
    format_ids,
    looks_like_columns,
    unreadable_table,
)
from geoalloc.inputs.coordinates import (
    as_web_mercator,
    check_coordinates,
    degrees_check,
    extent_text,
    within_degrees,
)
from geoalloc.inputs.points_table import (
    COLUMNS_FIX,
    has_wkt_column,
    is_points_table,
    points_table,
)
from geoalloc.scenario import AreasOptions, FacilitiesOptions, FrameSource, TableJoin
from geoalloc.travel.geodesy import metric_crs

log = logging.getLogger(__name__)

AREA_GEOMETRIES = {"Polygon", "MultiPolygon", "Point"}
_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0", ""}
#: how to name the coordinate columns of a table of points read where no lon/lat keys exist
RENAME_COORDINATES = "name its coordinate columns longitude and latitude (or lon/lat, x/y)"


def read_vector(
    path: Path,
    layer: str | None,
    where: str,
    problems: Problems,
    *,
    lon: str | None = None,
    lat: str | None = None,
    id_column: str | None = None,
    columns_fix: str = RENAME_COORDINATES,
) -> gpd.GeoDataFrame | None:
    """A layer of a vector file, an OSM ``.pbf`` (through a ``layer`` spec) or a table of points
    with longitude/latitude columns (``.csv``/``.tsv``/``.txt``, also compressed: see
    :mod:`geoalloc.inputs.points_table`; ``lon``/``lat`` name its columns, ``id_column`` names
    its rows in problems, ``columns_fix`` says how to name the coordinate columns).

    Every problem goes to ``problems``; ``None`` when the file cannot be used at all.
    """
    why = file_problem(path, directory_ok=True)  # a File Geodatabase is a folder
    if why is not None:
        problems.add(
            where,
            f"{path} is {why}" if why != "not found" else f"file not found: {path}",
            "check the path in the scenario file (relative paths start at the scenario's folder)",
        )
        return None
    from geoalloc.inputs.osm_layers import is_osm_pbf

    wkt = lon is None and lat is None and has_wkt_column(path)  # GDAL reads its geometry
    if is_points_table(path) and not path.is_dir() and not wkt:
        if layer is not None:
            problems.add(
                where, f"{path.name} is a table of points: it has no layers", "remove the layer key"
            )
            return None
        return points_table(
            path, where, problems, lon=lon, lat=lat, id_column=id_column, columns_fix=columns_fix
        )
    if lon is not None or lat is not None:
        problems.add(
            where,
            "lon/lat name the coordinate columns of a table (.csv, .tsv, .txt); "
            f"{path.name} is not one: its own geometry places its rows",
            "remove the lon/lat keys",
        )
        return None
    if is_osm_pbf(path):
        return _read_osm(path, layer, where, problems)
    try:
        frame = gpd.read_file(path, layer=layer)
    except Exception as exc:  # pyogrio raises several types; all mean "cannot read this file"
        if path.is_dir():
            problems.add(
                where,
                f"{path} is a directory that holds no layer GeoPandas reads",
                "give a vector file (GeoPackage, GeoJSON, Shapefile, ...) or a File Geodatabase",
            )
            return None
        problems.add(
            where,
            f"cannot read {path}{f' layer {layer!r}' if layer else ''}: {exc}",
            "give a vector file GeoPandas reads (GeoPackage, GeoJSON, Shapefile, ...)",
        )
        return None
    if len(frame) == 0:
        problems.add(where, f"{path} has no rows", "give a file with at least one feature")
        return None
    if frame.crs is None:
        return _assume_degrees(frame, path, where, problems)
    if frame.crs.is_geographic and not degrees_check(frame, path, where, problems):
        return None
    return frame


def _assume_degrees(
    frame: gpd.GeoDataFrame, path: Path, where: str, problems: Problems
) -> gpd.GeoDataFrame:
    """A layer with no CRS (a shapefile without its ``.prj``, a GeoPackage layer with an undefined
    CRS): taken as EPSG:4326 when its coordinates are plainly longitude/latitude degrees (with a
    warning, and the run checks that it lies on the network: :mod:`geoalloc.runs.geography`),
    else refused with the fix. (A GeoJSON without a ``crs`` member is EPSG:4326 by its standard
    and is read so, never as a layer without a CRS.)"""
    bounds = frame.total_bounds
    how = f"ogr2ogr -a_srs EPSG:{{code}} fixed.gpkg {path.name}, or gdf.set_crs({{code}}) in geopandas"
    if len(frame) and within_degrees(bounds):
        message = (
            f"{path.name} has no CRS; its coordinates ({extent_text(bounds)}) are degrees, "
            "so they are taken as longitude/latitude (EPSG:4326) — if they are, set it in the "
            f"file to silence this: {how.format(code=4326)}"
        )
        log.warning("%s: %s", where, message)
        problems.note(where, message)
        return frame.set_crs(4326)
    problems.add(
        where,
        f"{path} has no CRS, and its coordinates ({extent_text(bounds)}) are not "
        "longitude/latitude degrees" + as_web_mercator(bounds),
        "set the CRS they are in (a shapefile keeps it in the .prj file beside it; the data's "
        f"source names it, e.g. a UTM zone): {how.format(code='<code>')}",
    )
    return frame


def read_frame(source: FrameSource, where: str, problems: Problems) -> gpd.GeoDataFrame | None:
    """A layer given as a GeoDataFrame, checked as :func:`read_vector` checks a file: a
    GeoDataFrame with an active geometry column, at least one row and a CRS.

    A named index that is no column (a frame indexed by its ids) becomes a column again, so the id
    column can name it. Returns a copy; ``None``, with a problem, if the frame cannot be used.
    """
    frame = source.frame
    if not isinstance(frame, gpd.GeoDataFrame):
        problems.add(
            where,
            f"a {type(frame).__name__}, not a GeoDataFrame",
            "make one with geopandas.GeoDataFrame(frame, geometry=..., crs=...)",
        )
        return None
    try:
        frame.geometry  # noqa: B018 - raises when the frame has no active geometry column
    except AttributeError:
        problems.add(
            where, "has no active geometry column", "set one with gdf.set_geometry(column)"
        )
        return None
    if len(frame) == 0:
        problems.add(where, "has no rows", "give a frame with at least one row")
        return None
    if frame.crs is None:
        problems.add(
            where,
            "has no CRS",
            "set one with gdf.set_crs(...) (e.g. gdf.set_crs(4326) for longitude/latitude)",
        )
    names = [n for n in frame.index.names if n is not None]
    if names and len(names) == frame.index.nlevels and not set(names) & set(frame.columns):
        return frame.reset_index()
    return frame.reset_index(drop=True)


def read_layer(
    source: Path | FrameSource,
    layer: str | None,
    where: str,
    problems: Problems,
    *,
    lon: str | None = None,
    lat: str | None = None,
    id_column: str | None = None,
    columns_fix: str = RENAME_COORDINATES,
) -> gpd.GeoDataFrame | None:
    """:func:`read_frame` for a GeoDataFrame, :func:`read_vector` for a file (the keyword
    options are for a table of points)."""
    if isinstance(source, FrameSource):
        return read_frame(source, where, problems)
    return read_vector(
        source,
        layer,
        where,
        problems,
        lon=lon,
        lat=lat,
        id_column=id_column,
        columns_fix=columns_fix,
    )


def source_label(section: str, source: Path | FrameSource) -> str:
    """Where problems in a layer are: ``"[areas] tracts.gpkg"``, or ``"areas GeoDataFrame"``."""
    return source.name if isinstance(source, FrameSource) else f"{section} {source.name}"


def read_polygons(
    path: Path,
    where: str,
    what: str,
    problems: Problems,
    *,
    layer: str | None = None,
    fix: str | None = None,
) -> gpd.GeoDataFrame | None:
    """A polygon layer (road closures, network coverage, districts, areas); None, with a problem
    (file, CRS or geometry type; ``fix`` is what the geometry-type problem says to do), if
    unusable."""
    layer = read_vector(path, layer, where, problems)
    if layer is None or layer.crs is None:
        return None
    kinds = set(layer.geometry.dropna().geom_type) - {"Polygon", "MultiPolygon"}
    if kinds:
        problems.add(where, f"{what} must be polygons, found {sorted(kinds)}", fix)
        return None
    return layer


def _read_osm(path: Path, layer: str | None, where: str, problems: Problems):
    """An OSM ``.pbf`` read through a ``layer`` spec (see :mod:`geoalloc.inputs.osm_layers`)."""
    from geoalloc.inputs.osm_layers import SPEC_HELP, parse_layer_spec, read_osm_layer

    if layer is None:
        problems.add(where, f"{path.name} is an OSM file: say which features to read", SPEC_HELP)
        return None
    try:
        spec = parse_layer_spec(layer)
    except ValueError as exc:
        problems.add(where, str(exc))
        return None
    frame = read_osm_layer(path, spec)
    if len(frame) == 0:
        problems.add(
            where,
            f"{path.name} has no {spec.kind} with {spec.key} in {list(spec.values)}",
            "check the tag and its values (e.g. admin_level differs by country)",
        )
        return None
    return frame


def join_table(
    frame: gpd.GeoDataFrame, join: TableJoin, where: str, problems: Problems
) -> gpd.GeoDataFrame | None:
    """``frame`` with the columns of the CSV ``join.path`` matched on ``join.on`` (as text).

    Every table key must match a layer row (a typo would silently lose a fact); duplicate keys in
    either are errors. With ``how = "inner"`` the layer rows without a table row are dropped and
    listed as a note. The table's columns replace same-named layer columns.
    """
    where = f"{where} join {join.path.name}"
    why = file_problem(join.path)
    if why is not None:
        problems.add(
            where,
            f"{join.path} is {why}" if why != "not found" else f"file not found: {join.path}",
            "check the join path (relative to the scenario file)",
        )
        return None
    try:
        table = pd.read_csv(join.path, dtype={join.on: str})
    except (ValueError, OSError, *CORRUPT_COMPRESSION) as exc:  # ParserError is a ValueError
        problems.add(where, unreadable_table(join.path, exc, "join path"), "give a UTF-8 CSV file")
        return None
    if join.on not in table.columns and not looks_like_columns(table.columns):
        problems.add(where, f"{join.path}: {columns_found(table.columns)}")
        return None
    ok = True
    for name, columns in (("layer", frame.columns), ("table", table.columns)):
        if join.on not in columns:
            problems.add(
                where,
                f"key column {join.on!r} not in the {name}",
                columns_found(c for c in columns if c != "geometry"),
            )
            ok = False
    if not ok:
        return None
    layer_keys = frame[join.on].astype(str).str.strip()
    table_keys = table[join.on].astype(str).str.strip()
    for name, keys in (("layer", layer_keys), ("table", table_keys)):
        dup = keys[keys.duplicated(keep=False)]
        if len(dup):
            problems.add(
                where,
                f"duplicate keys in the {name}'s {join.on!r}",
                "make them unique",
                ids=sorted(set(dup)),
            )
            ok = False
    unmatched = sorted(set(table_keys) - set(layer_keys))
    if unmatched:
        problems.add(
            where,
            f"table keys with no row in the layer's {join.on!r}",
            "fix their spelling or remove them",
            ids=unmatched,
        )
        ok = False
    if not ok:
        return None
    dropped = sorted(set(layer_keys) - set(table_keys))
    if dropped and join.how == "inner":
        problems.note(
            where, f"{len(dropped)} layer row(s) not in the table, left out: {', '.join(dropped)}"
        )
    values = table.drop(columns=[join.on]).set_index(table_keys)
    keep = (
        layer_keys.isin(table_keys) if join.how == "inner" else pd.Series(True, index=frame.index)
    )
    out = frame.loc[keep.to_numpy()].drop(columns=[c for c in values.columns if c in frame.columns])
    joined = values.reindex(layer_keys[keep.to_numpy()].to_numpy())
    for column in joined.columns:
        out[column] = joined[column].to_numpy()
    return out.reset_index(drop=True)


def _missing_columns(
    frame: pd.DataFrame, wanted: dict[str, str], where: str, problems: Problems
) -> bool:
    """Report every scenario key whose column is absent; True if any is."""
    missing = False
    for key, column in wanted.items():
        if column not in frame.columns:
            available = ", ".join(c for c in frame.columns if c != "geometry")
            problems.add(
                where, f"column {column!r} (from {key}) not found", f"columns are: {available}"
            )
            missing = True
    return missing


def _check_ids(frame: pd.DataFrame, column: str, where: str, problems: Problems) -> pd.Index:
    ids = frame[column]
    null = ids.isna()
    if null.any():
        problems.add(
            where,
            f"{int(null.sum())} row(s) have no id in column {column!r}",
            "give every row an id",
            ids=[f"row {i + 1}" for i in np.flatnonzero(null)],
        )
    as_text = ids.astype(str).str.strip()
    dup = as_text[~null & as_text.duplicated(keep=False)]
    if len(dup):
        problems.add(
            where,
            f"duplicate ids in column {column!r}",
            "make the ids unique",
            ids=sorted(set(dup)),
        )
    return pd.Index(as_text, name="id")


#: An area's population (or age band) must be below this: more than live on Earth is a typo.
MAX_POPULATION = 1e10
#: A site's capacity of any resource must be below this many units.
MAX_CAPACITY_UNITS = 1e7


#: numbers that stand for "unknown" in published tables (HIFLD, ArcGIS exports: -999)
UNKNOWN_CODES = (-999, -9999)


def _unknown_code_fix(column: str, codes: np.ndarray) -> str:
    code = ", ".join(f"{c:g}" for c in sorted(codes))
    return (
        f"{code} is not a count but 'unknown' in HIFLD and other published tables: fill in the "
        f"real numbers, or leave these rows out of the file (keep rows with {column} >= 0, e.g. "
        f"a spreadsheet filter, or pandas: table[table[{column!r}] >= 0].to_csv(...))"
    )


def _check_quantity(
    frame: pd.DataFrame,
    column: str,
    ids: pd.Index,
    where: str,
    what: str,
    problems: Problems,
    *,
    ceiling: float,
    unit: str,
) -> pd.Series:
    """``column`` as numbers indexed by ``ids``; every row that is not a number, empty, negative,
    infinite or at least ``ceiling`` is a problem naming the column and the ids."""
    values = pd.to_numeric(frame[column], errors="coerce")
    values.index = ids
    non_numeric = values.isna() & frame[column].notna().to_numpy()
    missing = frame[column].isna().to_numpy()
    if non_numeric.any():
        problems.add(
            where,
            f"{what} column {column!r} is not a number",
            "fix these rows",
            ids=ids[non_numeric],
        )
    if missing.any():
        problems.add(
            where,
            f"{what} column {column!r} is empty (NaN)",
            "fill in a value (0 if none)",
            ids=ids[missing],
        )
    negative = (values < 0).to_numpy()
    if negative.any():
        codes = values[negative].isin(UNKNOWN_CODES).to_numpy()
        problems.add(
            where,
            f"{what} column {column!r} is negative",
            _unknown_code_fix(column, values[negative][codes].unique())
            if codes.all()
            else "fix these rows",
            ids=ids[negative],
        )
    infinite = np.isinf(values.to_numpy(dtype=float)) & ~negative
    if infinite.any():
        problems.add(
            where, f"{what} column {column!r} is infinite", "give a number", ids=ids[infinite]
        )
    too_large = (values >= ceiling).to_numpy() & ~infinite
    if too_large.any():
        problems.add(
            where,
            f"{what} column {column!r} is {ceiling:,.0f} or more, beyond any real {unit}",
            "check these rows (a unit or a decimal point?)",
            ids=ids[too_large],
        )
    return values


def check_persons_column(
    frame: pd.DataFrame, column: str, where: str, problems: Problems
) -> pd.Series:
    """Check that ``column`` of ``frame`` (indexed by area id) holds counts of persons, as the
    ``[areas]`` population column must: every row that is not a number, empty, negative,
    infinite or implausibly large is a problem in ``problems`` naming ``where``, the column and
    the area ids.

    Parameters
    ----------
    frame
        The areas, indexed by id.
    column
        The column to check (it must exist).
    where
        The scenario key that names the column, e.g. ``"[access] population_column"``.
    problems
        Where the problems are added.

    Returns
    -------
    pandas.Series
        The column as numbers (NaN where it is not one).
    """
    return _check_quantity(
        frame, column, frame.index, where, "areas", problems, ceiling=MAX_POPULATION, unit="area"
    )


def _check_geometry(frame: gpd.GeoDataFrame, ids: pd.Index, where: str, problems: Problems) -> bool:
    """Report empty, invalid and out-of-range geometries; True if every coordinate can be placed."""
    geometry = frame.geometry
    empty = (geometry.isna() | geometry.is_empty).to_numpy()
    if empty.any():
        problems.add(
            where,
            "empty or missing geometry",
            "give these rows a geometry or remove them",
            ids=ids[empty],
        )
    invalid = ~empty & ~geometry.is_valid.to_numpy()
    if invalid.any():
        problems.add(
            where,
            "invalid geometry (e.g. self-intersecting)",
            "repair it (shapely.make_valid, QGIS 'Fix geometries')",
            ids=ids[invalid],
        )
    return check_coordinates(frame, ids, where, problems)


_PERSONS = {"ceiling": MAX_POPULATION, "unit": "area"}


def read_areas(options: AreasOptions, problems: Problems) -> gpd.GeoDataFrame | None:
    """Demand areas indexed by their id (as text), with ``population`` and band columns as numbers.

    ``options.path`` is a file or a GeoDataFrame (:class:`~geoalloc.scenario.FrameSource`); both
    get the same checks. Every problem goes to ``problems``; ``None`` if the areas are unusable.
    """
    where = source_label("[areas]", options.path)
    frame = read_layer(options.path, options.layer, where, problems, id_column=options.id)
    if frame is not None and options.join is not None:
        frame = join_table(frame, options.join, "[areas]", problems)
    if frame is None:
        return None
    wanted = {"id": options.id}
    source = options.population_source()
    computed_bands = options.population_source_bands()
    if source is None:
        wanted["population"] = options.population
    if options.name is not None:
        wanted["name"] = options.name
    wanted |= {f"age_bands.{c}": c for c in options.age_bands if c not in computed_bands}
    if _missing_columns(frame, wanted, where, problems):
        return None
    ids = _check_ids(frame, options.id, where, problems)
    if source is not None:
        if problems or frame.crs is None:
            return None  # no population can be placed in areas with bad ids or no CRS
        if source == "population_points":
            frame[options.population] = _population_from_points(frame, ids, options, problems)
        else:
            total, band_totals = _population_from_source(frame, ids, options, problems)
            frame[options.population] = total
            for column, values in band_totals.items():
                frame[column] = values
        if problems:
            return None
    population = _check_quantity(
        frame, options.population, ids, where, "population", problems, **_PERSONS
    )
    bands = {
        c: _check_quantity(
            frame, c, ids, where, f"age band {options.age_bands[c]!r}", problems, **_PERSONS
        )
        for c in options.age_bands
    }
    if bands:
        band_sum = np.sum([b.to_numpy(dtype=float) for b in bands.values()], axis=0)
        over = band_sum > population.to_numpy(dtype=float) + 1e-9
        if over.any():
            problems.add(
                where,
                f"age bands ({', '.join(bands)}) add up to more than {options.population!r}",
                "check the band columns",
                ids=ids[over],
            )
    _check_geometry(frame, ids, where, problems)
    kinds = set(frame.geometry.dropna().geom_type) - AREA_GEOMETRIES
    if kinds:
        problems.add(where, f"areas must be polygons (or points), found {sorted(kinds)}")
    elif not problems and frame.crs is not None:
        _note_slivers(frame, ids, where, problems)
    areas = gpd.GeoDataFrame(
        frame.drop(columns=[options.id]), geometry=frame.geometry.name, crs=frame.crs
    )
    areas.index = ids
    areas[options.population] = population
    for column, values in bands.items():
        areas[column] = values
    if options.districts is not None and not problems:
        areas[options.districts.column] = _district_of(areas, options, problems)
    if options.origins is not None and not problems:
        lon, lat = _origins_of(areas, options, problems)
        areas[ORIGIN_LON], areas[ORIGIN_LAT] = lon, lat
    return areas


#: areas columns with the point each area's trips start from (EPSG:4326), when [areas] origins
ORIGIN_LON, ORIGIN_LAT = "origin_lon", "origin_lat"


def area_origins(areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One point per area (EPSG:4326) where its trips start: the ``[areas] origins`` point, else
    the representative point of its polygon."""
    points = representative_points(areas)
    if ORIGIN_LON in areas.columns:
        given = areas[ORIGIN_LON].notna().to_numpy()
        chosen = gpd.points_from_xy(areas[ORIGIN_LON], areas[ORIGIN_LAT], crs=4326)
        points.loc[given, points.geometry.name] = chosen[given]
    return points


def _origins_of(
    areas: gpd.GeoDataFrame, options: AreasOptions, problems: Problems
) -> tuple[pd.Series, pd.Series]:
    """The ``[areas] origins`` point of each area as lon/lat (NaN where none is given)."""
    origins = options.origins
    assert origins is not None
    where = f"[areas] origins {origins.path.name}"
    lon = pd.Series(np.nan, index=areas.index)
    lat = pd.Series(np.nan, index=areas.index)
    frame = read_vector(
        origins.path,
        origins.layer,
        where,
        problems,
        lon=origins.lon,
        lat=origins.lat,
        id_column=origins.id,
        columns_fix=f"in [areas] origins {COLUMNS_FIX}",
    )
    if frame is None or _missing_columns(frame, {"id": origins.id}, where, problems):
        return lon, lat
    if frame.crs is None:
        return lon, lat
    ids = frame[origins.id].astype(str)
    repeated = ids[ids.duplicated(keep=False) & ids.isin(areas.index)]
    if len(repeated):
        problems.add(
            where,
            "more than one origin for an area",
            "keep one point per area",
            ids=repeated.unique(),
        )
        return lon, lat
    points = representative_points(frame[[frame.geometry.name]])
    points.index = ids.to_numpy()
    known = points[points.index.isin(areas.index)]
    lon[known.index] = known.geometry.x.to_numpy()
    lat[known.index] = known.geometry.y.to_numpy()
    unused = ids[~ids.isin(areas.index)]
    if len(unused):
        problems.note(
            where,
            f"{len(unused)} point(s) belong to no area and are ignored: "
            f"{format_ids(unused.unique())}",
        )
    missing = areas.index[lon.isna()]
    if len(missing):
        problems.note(
            where,
            f"{len(missing)} area(s) have no origin point and start from their "
            f"polygon's representative point: {format_ids(missing)}",
        )
    outside = _outside_own_area(areas.loc[known.index], known)
    if len(outside):
        problems.note(
            where, f"origin point outside its own area for {format_ids(outside)} — check the ids"
        )
    return lon, lat


def _outside_own_area(areas: gpd.GeoDataFrame, points: gpd.GeoDataFrame) -> pd.Index:
    shapes = areas.geometry.to_crs(4326)
    inside = shapes.intersects(points.geometry.reindex(shapes.index), align=False)
    return shapes.index[~inside.to_numpy()]


#: the group label of areas that lie in no district polygon
NO_DISTRICT = "(no district)"
#: an area is in a district only when they share at least this part of the area
MIN_DISTRICT_SHARE = 0.01
#: polygons smaller than this (m²) have no real extent: slivers, reported and placed by their point
MIN_AREA_M2 = 1.0


def _note_slivers(frame: gpd.GeoDataFrame, ids: pd.Index, where: str, problems: Problems) -> None:
    """Polygons under :data:`MIN_AREA_M2`: kept (their point places them), but worth a look."""
    polygonal = frame.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()
    area_m2 = frame.geometry.to_crs(metric_crs(frame.geometry)).area.to_numpy()
    tiny = polygonal & (area_m2 < MIN_AREA_M2)
    if tiny.any():
        problems.note(
            where,
            f"{int(tiny.sum())} area polygon(s) smaller than {MIN_AREA_M2:g} m² (slivers): each "
            f"is placed at its representative point — check their geometry: {format_ids(ids[tiny])}",
        )


def _district_of(areas: gpd.GeoDataFrame, options: AreasOptions, problems: Problems) -> pd.Series:
    """The id of the district polygon sharing the largest area with each area (at least
    :data:`MIN_DISTRICT_SHARE` of it; for point areas: the polygon holding it), measured in the
    areas' UTM zone."""
    districts = options.districts
    assert districts is not None
    where = f"[areas] districts {districts.path.name}"
    label = pd.Series(NO_DISTRICT, index=areas.index, dtype=object)
    frame = read_polygons(districts.path, where, "districts", problems, layer=districts.layer)
    if frame is None or _missing_columns(frame, {"id": districts.id}, where, problems):
        return label
    if districts.column in areas.columns:
        problems.add(
            where,
            f"column {districts.column!r} exists in the areas already",
            "choose another [areas] districts column",
        )
        return label
    utm = metric_crs(areas.geometry)
    projected = areas.geometry.to_crs(utm)
    # areas without a real extent (points, or slivers under MIN_AREA_M2) count by their point
    tiny = projected.area.to_numpy() < MIN_AREA_M2
    geometry = np.where(tiny, projected.representative_point(), projected)
    shapes = gpd.GeoDataFrame(geometry=geometry, index=areas.index, crs=utm)
    polygons = frame[[districts.id, frame.geometry.name]].to_crs(utm).reset_index(drop=True)
    pairs = gpd.sjoin(shapes, polygons, how="inner", predicate="intersects")
    # the district sharing the largest area with each area
    own_shapes = shapes.geometry.reindex(pairs.index).to_numpy()
    overlap = shapely.area(
        shapely.intersection(
            own_shapes, polygons.geometry.to_numpy()[pairs["index_right"].to_numpy()]
        )
    )
    own = shapely.area(own_shapes)
    pairs = pairs.assign(_overlap=overlap)
    # slivers from boundaries drawn apart are not membership: a polygon area needs a real share
    pairs = pairs[(own == 0) | (overlap >= MIN_DISTRICT_SHARE * own)]
    pairs = pairs.sort_values("_overlap", ascending=False, kind="stable")
    best = pairs[~pairs.index.duplicated(keep="first")]
    found = best[districts.id].reindex(areas.index)
    label[found.notna()] = found[found.notna()].astype(str)
    outside = areas.index[found.isna()]
    if len(outside):
        problems.note(
            where,
            f"{len(outside)} area(s) lie in no district and are grouped as {NO_DISTRICT!r}: "
            f"{format_ids(outside)}",
        )
    return label


def _population_from_points(
    frame: gpd.GeoDataFrame, ids: pd.Index, options: AreasOptions, problems: Problems
) -> np.ndarray:
    """``[areas] population_points`` summed into the areas (see geoalloc.inputs.population_points)."""
    from geoalloc._errors import InputError
    from geoalloc.inputs.population_points import sum_points_into_areas

    points = options.population_points
    where = f"[areas] population_points {points.path.name}"
    areas = gpd.GeoDataFrame(geometry=frame.geometry.to_numpy(), index=ids, crs=frame.crs)
    try:
        result = sum_points_into_areas(points.path, areas, value=points.value)
    except InputError as exc:
        for problem in exc.problems:
            problems.add(where, problem)
        return np.zeros(len(frame))
    problems.note(
        where,
        f"{result.points:,} points summed into the areas ({result.method}); "
        f"{result.unmatched_points:,} points (value {result.unmatched_value:,.0f}) fall in no area",
    )
    return result.totals.reindex(ids).fillna(0.0).to_numpy()


def _population_from_source(
    frame: gpd.GeoDataFrame, ids: pd.Index, options: AreasOptions, problems: Problems
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The population (and its age bands) from ``[areas] population_raster`` (exact zonal sums,
    :mod:`geoalloc.inputs.population_raster`) or ``population_census`` (area-weighted
    interpolation, :mod:`geoalloc.inputs.population_census`); the note says both totals: the
    areas' and the source's over the same extent."""
    from geoalloc._errors import InputError
    from geoalloc.inputs.population_census import census_population
    from geoalloc.inputs.population_raster import raster_population

    areas = gpd.GeoDataFrame(geometry=frame.geometry.to_numpy(), index=ids, crs=frame.crs)
    raster, census = options.population_raster, options.population_census
    try:
        if raster is not None:
            where = f"[areas] population_raster {raster.path.name}"
            estimate = raster_population(
                raster.path, areas, band=raster.band, band_paths=raster.age_bands or None
            )
        else:
            assert census is not None
            where = f"[areas] population_census {census.path.name}"
            estimate = census_population(
                census.path,
                census.column,
                areas,
                layer=census.layer,
                band_columns=census.age_bands or None,
            )
    except InputError as exc:
        for problem in exc.problems:
            problems.add(where, problem)
        return np.zeros(len(frame)), {}
    problems.note(where, estimate.summary())
    for note in estimate.notes:
        problems.note(where, note)
    bands = {c: estimate.bands[c].reindex(ids).to_numpy() for c in estimate.bands.columns}
    return estimate.totals.reindex(ids).to_numpy(), bands


def _as_bool(
    frame: pd.DataFrame, column: str, ids: pd.Index, where: str, problems: Problems
) -> pd.Series:
    raw = frame[column]
    if raw.dtype == bool:
        values = raw.copy()
    else:
        text = raw.astype(str).str.strip().str.lower()
        bad = ~text.isin(_TRUE | _FALSE) | raw.isna()
        if bad.any():
            problems.add(
                where,
                f"column {column!r} must be true/false (or 1/0)",
                "fix these rows",
                ids=ids[bad.to_numpy()],
            )
        values = text.isin(_TRUE)
    values.index = ids
    return values.astype(bool)


def read_facilities(
    options: FacilitiesOptions, problems: Problems, *, crs: object | None = None
) -> gpd.GeoDataFrame | None:
    """Sites indexed by id (as text): one float column per resource, ``existing``, ``name``, points.

    ``options.path`` is a file or a GeoDataFrame (:class:`~geoalloc.scenario.FrameSource`); both
    get the same checks. Non-point geometries become a representative point, and a layer in another CRS than ``crs`` is
    reprojected; both are reported as notes.
    """
    where = source_label("[facilities]", options.path)
    frame = read_layer(
        options.path,
        options.layer,
        where,
        problems,
        lon=options.lon,
        lat=options.lat,
        id_column=options.id,
        columns_fix=f"in [facilities] {COLUMNS_FIX}",
    )
    if frame is not None and options.join is not None:
        frame = join_table(frame, options.join, "[facilities]", problems)
    if frame is None:
        return None
    wanted = {"id": options.id} | {f"capacity.{r}": c for r, c in options.capacity.items()}
    if options.name:
        wanted["name"] = options.name
    if options.candidate:
        wanted["candidate"] = options.candidate
    if _missing_columns(frame, wanted, where, problems):
        return None
    ids = _check_ids(frame, options.id, where, problems)
    sites = gpd.GeoDataFrame(frame.copy(), geometry=frame.geometry.name, crs=frame.crs)
    sites.index = ids
    for resource, column in options.capacity.items():
        sites[resource] = _check_quantity(
            frame,
            column,
            ids,
            where,
            f"capacity of {resource!r}",
            problems,
            ceiling=MAX_CAPACITY_UNITS,
            unit="site",
        ).astype(float)
    candidate = (
        _as_bool(frame, options.candidate, ids, where, problems)
        if options.candidate
        else pd.Series(False, index=ids)
    )
    for resource, factor in options.capacity_scale.items():
        before = float(sites[resource].sum())
        sites[resource] = np.floor(sites[resource] * factor + 1e-9)
        beyond = (sites[resource] >= MAX_CAPACITY_UNITS).to_numpy()
        if beyond.any():  # the file's capacities were checked; a factor may still blow them up
            problems.add(
                where,
                f"capacity of {resource!r} scaled by {factor:g} ([facilities] capacity_scale) "
                f"reaches {MAX_CAPACITY_UNITS:,.0f} units or more at a site",
                "check the factor: it scales the file's capacities (0.5 keeps half of them)",
                ids=ids[beyond],
            )
        problems.note(
            where,
            f"capacity of {resource!r} scaled by {factor:g} ([facilities] capacity_scale), "
            f"rounded down: {before:,.0f} → {float(sites[resource].sum()):,.0f} in total",
        )
    sites["existing"] = ~candidate
    sites["name"] = frame[options.name].astype(str).to_numpy() if options.name else ids.to_numpy()
    placeable = _check_geometry(frame, ids, where, problems)
    not_point = (sites.geom_type != "Point").to_numpy() & ~(
        sites.geometry.isna() | sites.geometry.is_empty
    ).to_numpy()
    if not_point.any() and sites.crs is not None and placeable:
        projected = sites.geometry.to_crs(metric_crs(sites.geometry))
        points = projected.representative_point().to_crs(sites.crs)
        sites.loc[not_point, sites.geometry.name] = points[not_point]
        problems.note(
            where, f"{int(not_point.sum())} non-point geometries replaced by a representative point"
        )
    if crs is not None and sites.crs is not None and not sites.crs.equals(crs):
        problems.note(where, f"reprojected from {sites.crs.to_string()} to the areas' CRS")
        sites = sites.to_crs(crs)
    return sites


def representative_points(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One point per row, computed in a local projected CRS, returned in EPSG:4326."""
    projected = frame.geometry.to_crs(metric_crs(frame.geometry))
    points = projected.representative_point().to_crs(4326)
    return gpd.GeoDataFrame(geometry=points, index=frame.index, crs=4326)
