"""Points from a table with longitude/latitude columns: CSV, TSV or text, also compressed
(``.gz``, ``.bz2``, ``.xz``, ``.zip``) — the form most facility lists come in (e.g. HIFLD's
hospitals, healthsites.io exports, a spreadsheet saved as CSV).

The coordinate columns are given, or detected from their names (any case, surrounding spaces
ignored): longitude from :data:`LON_NAMES`, latitude from :data:`LAT_NAMES`, the explicit names
before ``x``/``y`` (HIFLD has both ``X``/``Y`` and ``LONGITUDE``/``LATITUDE``, which agree; an
ArcGIS export may hold web-mercator metres in ``X``/``Y``). Values are WGS84 degrees (EPSG:4326).

A row with a missing, non-numeric or out-of-range coordinate is a problem naming it (by its id
when the id column is known, else by its line in the file: the header is line 1) and is left out
of the points returned — the problem fails the read, so nothing is silently dropped. The other
columns keep their text when they hold codes with leading zeros (ids, ZIP or FIPS codes), and
become numbers when every value is one.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geoalloc._validate import (
    CORRUPT_COMPRESSION,
    Problems,
    columns_found,
    excerpt,
    file_problem,
    format_ids,
    looks_like_columns,
    unreadable_table,
)
from geoalloc.inputs.coordinates import check_coordinates, degrees_check

log = logging.getLogger(__name__)

#: file names read as tables of points (before an optional compression suffix)
TABLE_SUFFIXES = (".csv", ".tsv", ".txt")
#: compressions pandas reads by the file name's suffix
COMPRESSION_SUFFIXES = (".gz", ".bz2", ".xz", ".zip")
#: column names taken as longitude, in order of preference (compared in lower case)
LON_NAMES = ("longitude", "lon", "lng", "long", "x")
#: column names taken as latitude, in order of preference (compared in lower case)
LAT_NAMES = ("latitude", "lat", "y")
#: generic names, taken only when no explicit longitude/latitude name is there
GENERIC_NAMES = frozenset({"x", "y"})
#: delimiters a one-column header is split on again (``;`` from spreadsheets in decimal-comma locales)
OTHER_DELIMITERS = (";", "\t", "|")
#: codes kept as text: a leading zero before another digit (``0001336420``, ``01039``)
_ZERO_PADDED = re.compile(r"^[+-]?0\d")
_DECIMAL_COMMA = re.compile(r"^\s*[+-]?\d+,\d+\s*$")
#: how to say which columns hold the coordinates (the scenario's words; a command gives its own)
COLUMNS_FIX = 'say which columns hold them: lon = "<column>", lat = "<column>"'


def is_points_table(path: Path) -> bool:
    """True if ``path``'s name is that of a table of points (``.csv``, ``.tsv``, ``.txt``, each
    maybe compressed: ``hospitals.csv.gz``)."""
    suffixes = [s.lower() for s in path.suffixes[-2:]]
    if suffixes and suffixes[-1] in COMPRESSION_SUFFIXES:
        suffixes.pop()
    return bool(suffixes) and suffixes[-1] in TABLE_SUFFIXES


def has_wkt_column(path: Path) -> bool:
    """True if ``path`` is a plain ``.csv``/``.tsv`` with a ``WKT`` column: GDAL's CSV driver reads
    its geometry from that column (a layer without a CRS), as it always has."""
    if path.suffix.lower() not in (".csv", ".tsv") or not path.is_file():
        return False
    try:
        header = pd.read_csv(path, nrows=0, sep=None, engine="python", encoding="utf-8-sig")
    except (ValueError, OSError):
        return False
    return any(str(c).strip().upper() == "WKT" for c in header.columns)


def read_points_table(
    path: Path,
    *,
    lon: str | None = None,
    lat: str | None = None,
    where: str = "points",
    id_column: str | None = None,
) -> gpd.GeoDataFrame:
    """A table with longitude/latitude columns as EPSG:4326 points.

    Parameters
    ----------
    path
        A CSV, TSV or text table (also ``.gz``, ``.bz2``, ``.xz``, ``.zip``); UTF-8 (a byte-order
        mark is fine) or, failing that, Windows-1252; comma, semicolon, tab or ``|`` separated.
    lon, lat
        The longitude and latitude columns (degrees, WGS84); detected from :data:`LON_NAMES` /
        :data:`LAT_NAMES` (any case) when not given.
    where
        What the problems are about, e.g. ``"[facilities] hospitals.csv"``.
    id_column
        A column naming the rows in problems (else their line in the file).

    Returns
    -------
    geopandas.GeoDataFrame
        Every column of the table, and the points (EPSG:4326) in ``geometry``; indexed 0..n-1.
        ``attrs`` holds ``source`` (the file's name) and ``lon_column``/``lat_column``.

    Raises
    ------
    InputError
        Every problem at once: a file that cannot be read or has no rows, no coordinate columns
        (naming the names looked for and the columns found), rows with a missing, non-numeric or
        out-of-range coordinate (by id or line), projected coordinates (metres) in the columns.

    Examples
    --------
    >>> sites = read_points_table(Path("hifld_hospitals.csv.gz"), where="HIFLD")  # doctest: +SKIP
    >>> sites.attrs["lon_column"], sites.attrs["lat_column"]  # doctest: +SKIP
    ('LONGITUDE', 'LATITUDE')
    """
    problems = Problems()
    where = where if path.name in where else f"{where} {path.name}"
    frame = points_table(path, where, problems, lon=lon, lat=lat, id_column=id_column)
    problems.raise_if_any()
    for note in problems.notes:
        log.info(note)
    assert frame is not None
    return frame


def points_table(
    path: Path,
    where: str,
    problems: Problems,
    *,
    lon: str | None = None,
    lat: str | None = None,
    id_column: str | None = None,
    columns_fix: str = COLUMNS_FIX,
) -> gpd.GeoDataFrame | None:
    """:func:`read_points_table` for readers that collect problems: every problem goes to
    ``problems`` (what was assumed, e.g. the columns detected, to its notes); ``None`` when the
    table cannot give points at all. ``columns_fix``: how to name the coordinate columns."""
    why = file_problem(path)
    if why is not None:
        problems.add(
            where,
            f"{path} is {why}" if why != "not found" else f"file not found: {path}",
            "check the path",
        )
        return None
    table = _read_text_table(path, where, problems)
    if table is None:
        return None
    if not looks_like_columns(table.columns) and lon is None and lat is None:
        problems.add(where, f"no longitude/latitude columns: {columns_found(table.columns)}")
        return None
    columns = _coordinate_columns(table, lon, lat)
    if isinstance(columns, str):
        problems.add(where, columns, columns_fix)
        return None
    lon_column, lat_column, detected = columns
    labels = _row_labels(table, id_column)
    x = _degrees(table[lon_column], "longitude", lon_column, labels, where, problems)
    y = _degrees(table[lat_column], "latitude", lat_column, labels, where, problems)
    usable = ~(np.isnan(x) | np.isnan(y))
    points = gpd.GeoDataFrame(
        _typed_columns(table.drop(columns=[c for c in ("geometry",) if c in table.columns])),
        geometry=gpd.points_from_xy(np.where(usable, x, 0.0), np.where(usable, y, 0.0)),
        crs=4326,
    )
    points.loc[~usable, "geometry"] = None
    points[lon_column], points[lat_column] = x, y
    subject = (
        f"columns {lon_column!r}/{lat_column!r} of {path.name} were taken as longitude/latitude "
        "(EPSG:4326)"
    )
    fix = f"convert them to longitude/latitude degrees, or {columns_fix}"
    if not degrees_check(points, path, where, problems, subject=subject, fix=fix):
        return None
    in_range = np.ones(len(points), dtype=bool)
    if not check_coordinates(points, labels, where, problems):
        with np.errstate(invalid="ignore"):
            in_range = (np.abs(x) <= 180) & (np.abs(y) <= 90)
    keep = usable & in_range
    if detected:
        problems.note(
            where,
            f"points from columns {lon_column!r} (longitude) and {lat_column!r} (latitude), "
            "taken as WGS84 degrees (EPSG:4326)",
        )
    points = points.loc[keep].reset_index(drop=True)
    points.attrs.update(source=path.name, lon_column=lon_column, lat_column=lat_column)
    return points


def _read_text_table(path: Path, where: str, problems: Problems) -> pd.DataFrame | None:
    """The table as text columns (missing cells NaN); ``None``, with a problem, if unreadable."""
    plain = path.name.lower()
    for suffix in COMPRESSION_SUFFIXES:
        plain = plain.removesuffix(suffix)
    sep = "\t" if plain.endswith(".tsv") else ","
    table = None
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            table = _read_csv(path, sep, encoding)
        except UnicodeDecodeError:
            continue
        except pd.errors.EmptyDataError:
            problems.add(where, f"{path} is empty", "give a table with a header row and rows")
            return None
        except (ValueError, OSError, *CORRUPT_COMPRESSION) as exc:
            problems.add(where, unreadable_table(path, exc, where), "give a UTF-8 CSV file")
            return None
        if encoding != "utf-8-sig":
            problems.note(where, f"{path.name} is not UTF-8: read as Windows-1252 (cp1252)")
        break
    if table is None:
        problems.add(
            where, f"{path} is neither UTF-8 nor Windows-1252 text", "save it as UTF-8 CSV"
        )
        return None
    if len(table) == 0:
        problems.add(where, f"{path} has a header but no rows", "give a table with rows")
        return None
    return table


def _read_csv(path: Path, sep: str, encoding: str) -> pd.DataFrame:
    table = pd.read_csv(path, sep=sep, dtype=str, encoding=encoding)
    if table.shape[1] == 1:  # one column: a semicolon- (or tab-, pipe-) separated file?
        header = str(table.columns[0])
        other = next((d for d in OTHER_DELIMITERS if d in header and d != sep), None)
        if other is not None:
            table = pd.read_csv(path, sep=other, dtype=str, encoding=encoding)
    return table


def _coordinate_columns(
    table: pd.DataFrame, lon: str | None, lat: str | None
) -> tuple[str, str, bool] | str:
    """The longitude and latitude columns and whether they were detected; or why there are none."""
    columns = [str(c) for c in table.columns]
    found: dict[str, str | None] = {}
    wrong = []
    for axis, given, names in (("longitude", lon, LON_NAMES), ("latitude", lat, LAT_NAMES)):
        if given is not None:
            match = _given_column(columns, given)
            if match is None:
                wrong.append(f"{axis} column {given!r} not found")
            found[axis] = match
        else:
            found[axis] = _detected_column(columns, names)
    if wrong:
        return "; ".join(wrong) + f" ({columns_found(columns)})"
    if found["longitude"] is not None and found["latitude"] is not None:
        return str(found["longitude"]), str(found["latitude"]), lon is None or lat is None
    looked = [
        f"{axis} ({', '.join(names)})"
        for axis, names in (("longitude", LON_NAMES), ("latitude", LAT_NAMES))
        if found[axis] is None
    ]
    have = [f"{axis} {column!r}" for axis, column in found.items() if column is not None]
    return (
        f"no {' and no '.join(looked)} column (any case)"
        + (f", only {have[0]}" if have else "")
        + f"; {columns_found(columns)}"
    )


def _given_column(columns: list[str], name: str) -> str | None:
    if name in columns:
        return name
    folded = [c for c in columns if c.strip().lower() == name.strip().lower()]
    return folded[0] if len(folded) == 1 else None


def _detected_column(columns: list[str], names: tuple[str, ...]) -> str | None:
    by_name: dict[str, str] = {}
    for column in columns:
        by_name.setdefault(column.strip().lower(), column)
    explicit = [n for n in names if n not in GENERIC_NAMES]
    for name in explicit + [n for n in names if n in GENERIC_NAMES]:
        if name in by_name:
            return by_name[name]
    return None


def _row_labels(table: pd.DataFrame, id_column: str | None) -> pd.Index:
    """Each row's id (from ``id_column`` when it is a column and set) or ``line N``."""
    lines = pd.Index([f"line {i + 2}" for i in range(len(table))])
    if id_column is None or id_column not in table.columns:
        return lines
    ids = table[id_column]
    return pd.Index(np.where(ids.isna(), lines, ids.astype(str).str.strip()))


def _degrees(
    raw: pd.Series, axis: str, column: str, labels: pd.Index, where: str, problems: Problems
) -> np.ndarray:
    """``raw`` as floats (NaN where missing or not a number, each reported by row)."""
    text = raw.astype("string").str.strip()
    comma = text.str.match(_DECIMAL_COMMA.pattern).fillna(False).to_numpy(dtype=bool)
    text = text.where(~comma, text.str.replace(",", ".", regex=False))
    values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)
    missing = raw.isna().to_numpy() | (text == "").fillna(True).to_numpy(dtype=bool)
    if missing.any():
        problems.add(
            where,
            f"{int(missing.sum())} row(s) have no {axis} in column {column!r}",
            "fill in their coordinates or remove these rows",
            ids=labels[missing],
        )
    not_number = np.isnan(values) & ~missing
    if not_number.any():
        shown = format_ids(dict.fromkeys(excerpt(v, 20) for v in raw[not_number]), limit=3)
        problems.add(
            where,
            f"{axis} column {column!r} is not a number (e.g. {shown})",
            "give decimal degrees (e.g. -76.88, not 76°52'W)",
            ids=labels[not_number],
        )
    return values


def _typed_columns(table: pd.DataFrame) -> pd.DataFrame:
    """Columns whose every value is a number become numbers; codes with leading zeros and any
    column with text stay text."""
    typed = {}
    for column in table.columns:
        values = table[column]
        present = values.dropna().str.strip()
        if len(present) == 0 or present.str.match(_ZERO_PADDED.pattern).any():
            typed[column] = values
            continue
        numbers = pd.to_numeric(present, errors="coerce")
        typed[column] = values if numbers.isna().any() else pd.to_numeric(values.str.strip())
    return pd.DataFrame(typed, index=table.index)
