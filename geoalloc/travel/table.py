"""Travel minutes computed elsewhere, used as is: a long table ``origin, destination, minutes``.

Public-transport times from r5py, OSRM or Valhalla tables, an ArcGIS OD cost matrix, or a table
written by ``geoalloc travel`` drive a plan through a scenario's ``[network]``::

    [network]
    source = "matrix"
    path = "od.parquet"          # CSV (.csv, .csv.gz) or Parquet
    origin = "origin"            # the column names; these are the defaults
    destination = "destination"
    minutes = "minutes"

The origins are the areas' ids and the destinations the sites' ids, read as text (``01001`` stays
``01001``). A pair missing from the table is unreachable, as is a pair of ``inf`` minutes; a point
that reaches nothing is flagged, never dropped. With a cut-off (``max_minutes``), pairs above it
are left out exactly as the routed matrix leaves them out (sparse result).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import sparse

from geoalloc._errors import InputError
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
from geoalloc.travel.matrix import FLAG_COLUMNS, TravelMatrix, unreached_flags
from geoalloc.travel.options import TABLE_COLUMNS

log = logging.getLogger(__name__)

_NO_MINUTES = {"", "nan", "na", "n/a", "null", "none"}


def _where(path: Path) -> str:
    return f"travel table {path}"


def _kind(path: Path) -> str:
    name = path.name.lower()
    if name.endswith((".csv", ".csv.gz")):
        return "csv"
    if name.endswith(".parquet"):
        return "parquet"
    msg = (
        f"{_where(path)}: unsupported file type — give a CSV (.csv, .csv.gz) or Parquet "
        "(.parquet) file in [network] path"
    )
    raise InputError(msg)


def _present_columns(path: Path, kind: str) -> list[str]:
    if kind == "csv":
        return [str(c) for c in pd.read_csv(path, nrows=0).columns]
    import pyarrow.parquet as pq

    return [n for n in pq.read_schema(path).names if not n.startswith("__index_level_")]


def _read_columns(path: Path, columns: dict[str, str]) -> pd.DataFrame:
    """The table's ``columns`` (key → column name) as read: every cell of a CSV as text."""
    where = _where(path)
    why = file_problem(path)
    if why is not None:
        what = "file not found" if why == "not found" else why
        msg = f"{where}: {what} — check [network] path (relative to the scenario file)"
        raise InputError(msg)
    kind = _kind(path)
    if kind == "parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            msg = f"{where}: reading Parquet needs pyarrow — pip install pyarrow, or give a CSV"
            raise InputError(msg) from None
    wanted = list(dict.fromkeys(columns.values()))

    def cannot_read(exc: Exception) -> InputError:
        if isinstance(exc, CORRUPT_COMPRESSION):
            return InputError(unreadable_table(where, exc, "[network] path"))
        label = "CSV" if kind == "csv" else "Parquet"
        msg = f"{where}: cannot read it as {label} ({type(exc).__name__}: {excerpt(exc, 160)})"
        return InputError(msg)

    try:
        present = _present_columns(path, kind)
    except (ValueError, OSError, *CORRUPT_COMPRESSION) as exc:  # pandas' and pyarrow's included
        raise cannot_read(exc) from None
    missing = [f"{key} = {name!r}" for key, name in columns.items() if name not in present]
    if missing and not looks_like_columns(present):
        raise InputError(f"{where}: {columns_found(present)}")
    if missing:
        msg = (
            f"{where}: column(s) not found: {', '.join(missing)}; the table's columns are "
            f"{', '.join(map(repr, present))} — set [network] origin, destination and minutes "
            "to the names of its id and minutes columns"
        )
        raise InputError(msg)
    try:
        if kind == "csv":
            # every cell as text: 01001 stays 01001, and an id such as "NA" stays an id
            frame = pd.read_csv(
                path, usecols=wanted, dtype=str, keep_default_na=False, na_values=[""]
            )
        else:
            frame = pd.read_parquet(path, columns=wanted)
    except (ValueError, OSError, *CORRUPT_COMPRESSION) as exc:
        raise cannot_read(exc) from None
    return pd.DataFrame({key: frame[name] for key, name in columns.items()})


def _as_text(values: pd.Series) -> pd.Series:
    """Ids as stripped text, ``<NA>`` where missing (whole floats lose their ``.0``: a numeric id
    column with gaps is stored as floats)."""
    if values.dtype.kind == "f":
        given = values.dropna()
        if np.isfinite(given).all() and (given == np.floor(given)).all():
            values = values.astype("Int64")
    text = values.astype("string").str.strip()
    return text.mask(text == "")


def _row_labels(path: Path, positions: np.ndarray) -> list[str]:
    """Where rows are in the file: CSV lines (the header is line 1), Parquet rows from 1."""
    if _kind(path) == "csv":
        return [f"line {i + 2}" for i in positions]
    return [f"row {i + 1}" for i in positions]


def read_travel_table(
    path: str | Path,
    *,
    origin: str = TABLE_COLUMNS["origin"],
    destination: str = TABLE_COLUMNS["destination"],
    minutes: str = TABLE_COLUMNS["minutes"],
) -> pd.DataFrame:
    """A travel table, checked: every problem in it is reported at once.

    Parameters
    ----------
    path
        CSV (``.csv``, ``.csv.gz``) or Parquet file, one row per (origin, destination) pair.
    origin, destination, minutes
        Its column names: origin ids, destination ids, travel time in minutes.

    Returns
    -------
    pandas.DataFrame
        Columns ``origin``, ``destination`` (ids as text) and ``minutes`` (floats ≥ 0; ``inf``
        where the table says unreachable), in the file's row order.

    Raises
    ------
    InputError
        A missing column (the message names the columns present), a row without an id, minutes
        that are not a number, missing (empty, NaN) or negative (the message names the rows), or
        an (origin, destination) pair given twice.
    """
    path = Path(path)
    table, problems = _checked(path, origin, destination, minutes)
    problems.raise_if_any(header=f"{len(problems.errors)} problem(s) in {_where(path)}")
    return table


def _checked(
    path: Path, origin: str, destination: str, minutes: str
) -> tuple[pd.DataFrame, Problems]:
    """The table as :func:`read_travel_table` returns it, and the problems found in it."""
    columns = {"origin": origin, "destination": destination, "minutes": minutes}
    raw = _read_columns(path, columns)
    where = _where(path)
    problems = Problems()
    table = pd.DataFrame(
        {"origin": _as_text(raw["origin"]), "destination": _as_text(raw["destination"])}
    )
    if not len(raw):
        problems.add(where, "the table has no rows", "give one row per (origin, destination) pair")
    for key in ("origin", "destination"):
        bad = np.flatnonzero(table[key].isna().to_numpy())
        if len(bad):
            problems.add(
                where,
                f"{len(bad)} row(s) have no id in column {columns[key]!r}",
                "give every row both ids, or drop those rows",
                ids=_row_labels(path, bad),
            )
    given = raw["minutes"]
    if given.dtype == bool:
        given = given.astype(object)  # True/False are not minutes
    number = pd.to_numeric(given, errors="coerce").astype(float)
    text = given.astype("string").str.strip().str.lower()
    no_minutes = given.isna() | text.isin(_NO_MINUTES).fillna(False)
    checks = (
        (
            number.isna() & ~no_minutes,
            "minutes that are not a number",
            "write plain numbers of minutes, e.g. 12.5",
        ),
        (
            no_minutes,
            "no minutes (empty or NaN)",
            "drop those rows: a pair missing from the table is unreachable",
        ),
        (number < 0, "negative minutes", "travel times are minutes ≥ 0; fix those rows"),
    )
    for mask, what, fix in checks:
        bad = np.flatnonzero(mask.to_numpy(bool))
        if len(bad):
            problems.add(
                where,
                f"{len(bad)} row(s) in column {columns['minutes']!r} have {what}",
                fix,
                ids=_row_labels(path, bad),
            )
    both = table["origin"].notna() & table["destination"].notna()
    repeated = table[both & table.duplicated(["origin", "destination"], keep=False)]
    if len(repeated):
        pairs = [
            f"{o} → {d} ({', '.join(_row_labels(path, np.asarray(rows)))})"
            for (o, d), rows in repeated.groupby(["origin", "destination"]).groups.items()
        ]
        problems.add(
            where,
            f"{len(pairs)} (origin, destination) pair(s) appear more than once",
            "keep one row per pair",
            ids=pairs,
        )
    table["minutes"] = number.to_numpy()
    return table, problems


def _ids(points: gpd.GeoDataFrame | pd.Index | Sequence, role: str) -> pd.Index:
    ids = points.index if isinstance(points, pd.DataFrame) else pd.Index(points)
    as_text = pd.Index([str(i) for i in ids])
    if not as_text.is_unique:
        msg = f"{role}s: ids are not unique ({format_ids(as_text[as_text.duplicated()].unique())})"
        raise InputError(msg)
    return ids.copy()


def table_matrix(
    path: str | Path,
    origins: gpd.GeoDataFrame | pd.Index | Sequence,
    destinations: gpd.GeoDataFrame | pd.Index | Sequence,
    *,
    max_minutes: float | None = None,
    origin: str = TABLE_COLUMNS["origin"],
    destination: str = TABLE_COLUMNS["destination"],
    minutes: str = TABLE_COLUMNS["minutes"],
) -> TravelMatrix:
    """The :class:`TravelMatrix` from ``origins`` to ``destinations`` that a travel table gives.

    Parameters
    ----------
    path
        The table (see :func:`read_travel_table`).
    origins, destinations
        Layers indexed by id (only the ids are used: no geometry is needed), or the ids; typically
        areas and sites. Every id in the table must be one of them (compared as text).
    max_minutes
        Cut-off, minutes: only pairs within it are kept, as a sparse matrix (as the routed and
        crowfly matrices are); ``None`` gives a dense matrix with ``inf`` for missing pairs.
    origin, destination, minutes
        The table's column names.

    Returns
    -------
    TravelMatrix
        Minutes as given; flags for the points that reach nothing (no pair, or none within
        ``max_minutes``); no snapping distances.

    Raises
    ------
    InputError
        Every problem of :func:`read_travel_table`, and ids in the table that match no origin or
        no destination (named, with the column).
    """
    if max_minutes is not None and not max_minutes >= 0:
        msg = f"max_minutes must be a non-negative number of minutes, got {max_minutes!r}"
        raise InputError(msg)
    path = Path(path)
    origin_ids = _ids(origins, "origin")
    destination_ids = _ids(destinations, "destination")
    table, problems = _checked(path, origin, destination, minutes)
    where = _where(path)
    columns = {"origin": origin, "destination": destination}
    known = {
        "origin": pd.Index([str(i) for i in origin_ids]),
        "destination": pd.Index([str(i) for i in destination_ids]),
    }
    positions = {key: known[key].get_indexer(table[key]) for key in columns}
    unknown = {
        key: table[key][(positions[key] < 0) & table[key].notna().to_numpy()].unique()
        for key in columns
    }
    for key, other in (("origin", "destination"), ("destination", "origin")):
        if not len(unknown[key]):
            continue
        ids = known[key]
        examples = format_ids(ids, limit=3) if len(ids) else "none"
        fix = (
            f"the table's {key}s must be the {'areas' if key == 'origin' else 'sites'}' ids ("
            f"{'[areas]' if key == 'origin' else '[facilities]'} id): fix those ids or drop "
            "their rows"
        )
        unpadded = {i.lstrip("0"): i for i in ids if i.isdigit() and i.startswith("0")}
        lost = [i for i in unknown[key] if i in unpadded]
        if lost:
            fix = (
                f"{len(lost)} of them are ids without their leading zeros ({lost[0]} for "
                f"{unpadded[lost[0]]}): write the ids as text in the table"
            )
        elif pd.Index(unknown[key]).isin(known[other]).all():
            fix = (
                f"they are {other} ids: the columns look swapped — set [network] {key} = "
                f"{columns[other]!r} and {other} = {columns[key]!r}"
            )
        problems.add(
            where,
            f"{len(unknown[key])} id(s) in column {columns[key]!r} match none of the "
            f"{len(ids)} {key}s (ids such as {examples})",
            fix,
            ids=sorted(unknown[key]),
        )
    problems.raise_if_any(header=f"{len(problems.errors)} problem(s) in {where}")

    n_o, n_d = len(origin_ids), len(destination_ids)
    rows, cols = positions["origin"], positions["destination"]
    values = table["minutes"].to_numpy(float)
    order = np.lexsort((cols, rows))
    rows, cols, values = rows[order], cols[order], values[order]
    if max_minutes is None:
        matrix: np.ndarray | sparse.coo_array = np.full((n_o, n_d), np.inf)
        matrix[rows, cols] = values
        reach_o = np.isfinite(matrix).any(axis=1) if n_d else np.zeros(n_o, bool)
        reach_d = np.isfinite(matrix).any(axis=0) if n_o else np.zeros(n_d, bool)
    else:
        keep = values <= max_minutes
        rows, cols, values = rows[keep], cols[keep], values[keep]
        matrix = sparse.coo_array((values, (rows, cols)), shape=(n_o, n_d))
        reach_o = np.bincount(rows, minlength=n_o) > 0
        reach_d = np.bincount(cols, minlength=n_d) > 0
    flags: list[dict] = []
    if n_o and n_d:  # else nothing to reach: not the points' fault
        flags += unreached_flags(origin_ids, np.flatnonzero(~reach_o), "origin", max_minutes)
        flags += unreached_flags(
            destination_ids, np.flatnonzero(~reach_d), "destination", max_minutes
        )
    within = "" if max_minutes is None else f", {len(values):,} within {max_minutes:g} minutes"
    log.info(
        "travel table %s: %s of %s origin-destination pairs given%s",
        path,
        f"{len(table):,}",
        f"{n_o * n_d:,}",
        within,
    )
    return TravelMatrix(
        origin_ids=origin_ids,
        destination_ids=destination_ids,
        minutes=matrix,
        max_minutes=max_minutes,
        flags=pd.DataFrame(flags, columns=FLAG_COLUMNS, dtype=object),
    )
