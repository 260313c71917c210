"""Points with ids from any vector file or a table with longitude/latitude columns, the id column
inferred when it is not given."""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geoalloc._errors import InputError
from geoalloc._validate import Problems
from geoalloc.inputs.points_table import COLUMNS_FIX, is_points_table, points_table

_ID_NAME = re.compile(r"(^|_)(id|fid|code|key)$|^id", re.IGNORECASE)


def read_points(
    path: Path,
    id_column: str | None,
    role: str,
    *,
    lon: str | None = None,
    lat: str | None = None,
    columns_fix: str = COLUMNS_FIX,
) -> tuple[gpd.GeoDataFrame, str]:
    """A vector file, or a table with longitude/latitude columns (``.csv``/``.tsv``/``.txt``, also
    compressed; ``lon``/``lat`` name its columns, else they are detected: see
    :mod:`geoalloc.inputs.points_table`), as points indexed by id; returns the layer and a note on
    the id used. ``columns_fix`` says how to name a table's coordinate columns.

    Without ``id_column``, the first column whose name looks like an id (``id``, ``*_id``,
    ``fid``, ``code``…) and whose values are unique and non-missing is used; else the first
    unique integer or text column; else the row number.
    """
    if is_points_table(path):
        problems = Problems()
        table = points_table(
            path,
            f"{role}s file {path}",
            problems,
            lon=lon,
            lat=lat,
            id_column=id_column,
            columns_fix=columns_fix,
        )
        problems.raise_if_any()
        assert table is not None
        layer = table
    elif lon is not None or lat is not None:
        msg = (
            f"{role}s file {path}: lon/lat name the coordinate columns of a table (.csv, .tsv, "
            ".txt); a vector file's own geometry places its rows"
        )
        raise InputError(msg)
    else:
        try:
            layer = gpd.read_file(path)
        except Exception as exc:  # pyogrio raises its own DataSourceError and friends
            msg = f"{role}s file {path}: not a readable vector file ({type(exc).__name__}: {exc})"
            raise InputError(msg) from exc
    if layer.crs is None:
        msg = f"{role}s file {path}: the layer has no CRS — set one in the file (e.g. EPSG:4326)"
        raise InputError(msg)
    return index_by_id(layer, id_column, role, path)


def id_like_column(layer: pd.DataFrame, exclude: tuple[str, ...] = ()) -> str | None:
    """The first column whose name looks like an id and whose values are unique and non-missing;
    else the first unique, complete integer or text column; else ``None``."""
    geometry = layer.geometry.name if isinstance(layer, gpd.GeoDataFrame) else "geometry"
    columns = [c for c in layer.columns if c != geometry and c not in exclude]

    def usable(col: str) -> bool:
        values = layer[col]
        kind = values.dtype.kind
        text_or_int = kind in "iu" or kind == "O" or isinstance(values.dtype, pd.StringDtype)
        return text_or_int and values.notna().all() and values.is_unique

    for col in [c for c in columns if _ID_NAME.search(str(c))] + columns:
        if usable(col):
            return col
    return None


def index_by_id(
    layer: gpd.GeoDataFrame, id_column: str | None, role: str, path: Path
) -> tuple[gpd.GeoDataFrame, str]:
    """``layer`` indexed by its ids and a note on the id used (see :func:`read_points`).

    A given ``id_column`` must exist and hold unique, non-missing values (else
    :class:`~geoalloc._errors.InputError` naming ``path`` and the values); without one, the id
    column is inferred as :func:`read_points` says (:func:`id_like_column`).
    """
    columns = [c for c in layer.columns if c != layer.geometry.name]
    if id_column is not None:
        if id_column not in layer.columns:
            msg = (
                f"{role} id column {id_column!r} is not a column of {path} "
                f"(columns: {', '.join(map(str, columns))})"
            )
            raise InputError(msg)
        ids = layer[id_column]
        dupes = ids[ids.duplicated() | ids.isna()]
        if len(dupes):
            msg = (
                f"{role} id column {id_column!r} in {path} has duplicate or missing values: "
                f"{list(dupes.unique()[:20])}"
            )
            raise InputError(msg)
        return layer.set_index(id_column), f"{role} ids from column {id_column!r}"
    col = id_like_column(layer)
    if col is not None:
        return layer.set_index(col), f"{role} ids from column {col!r} (first unique id-like column)"
    layer.index = pd.RangeIndex(len(layer), name=f"{role}_row")
    return layer, f"{role} ids are row numbers (no unique id-like column)"
