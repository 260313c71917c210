"""Read an admissions history into LOS intervals, counting (never silently dropping) bad rows.

Two shapes are understood: exact LOS (admission and discharge timestamps, or an LOS in days) and
banded LOS (``"0-10"``, ``"11-20"``, …, ``"More than 100 Days"``), which is interval-censored.
Every row becomes an interval ``[los_low_days, los_high_days)`` on the LOS axis: exact rows have
``los_low_days == los_high_days == los_days``, banded rows the band, the open last band
``los_high_days = inf``.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from geoalloc._errors import InputError
from geoalloc._validate import (
    CORRUPT_COMPRESSION,
    columns_found,
    excerpt,
    file_problem,
    format_ids,
    looks_like_columns,
    unreadable_table,
)
from geoalloc.demand.options import HistoryJoin, HistoryOptions

log = logging.getLogger(__name__)

SECONDS_PER_DAY = 86_400.0
DAYS_PER_YEAR = 365.25

_TIMESTAMP_PAIRS = (
    ("admittime", "dischtime"),
    ("intime", "outtime"),
    ("admission_date", "discharge_date"),
    ("admit_date", "discharge_date"),
    ("admitted", "discharged"),
)
_LOS_NAMES = ("los", "los_days", "length_of_stay", "lengthofstay")
_BAND_NAMES = ("stay", "los_band", "stay_band")
_ID_NAMES = ("hadm_id", "stay_id", "case_id", "admission_id", "id")

#: The longest LOS a history row may have, days (ten years): a longer one is a unit mix-up
#: (minutes, hours) or a placeholder such as 99999, and would dominate every fit.
MAX_HISTORY_LOS_DAYS = 3652.5

#: Problem reasons, in report order.
REASONS = {
    "missing_timestamp": "admission or discharge time missing",
    "bad_timestamp": "admission or discharge time not a date",
    "discharge_before_admission": "discharge before admission",
    "missing_los": "LOS missing or not a number",
    "infinite_los": "infinite LOS",
    "negative_los": "negative LOS",
    "implausible_los": f"LOS over {MAX_HISTORY_LOS_DAYS:g} days (ten years: a unit mix-up?)",
    "unknown_band": "LOS band not understood",
    "missing_area": "area id missing",
    "unknown_area": "area id that no area has",
    "missing_age": "age missing or not a number (or no row in the joined table)",
}

_RANGE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:-|–|to)\s*(\d+(?:\.\d+)?)\s*(?:days?)?\s*$", re.I)
_OPEN_RE = re.compile(r"^\s*(?:more\s+than|over|>)\s*(\d+(?:\.\d+)?)\s*(?:days?)?\s*$", re.I)
_PLUS_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*\+\s*(?:days?)?\s*$", re.I)
_SINGLE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:days?)?\s*$", re.I)


def parse_band(label: object) -> tuple[float, float] | None:
    """LOS interval ``[low, high)`` in days for a band label, or None when it is not understood.

    Bands count whole days: ``"0-10"`` covers 0 … 10 whole days, i.e. ``[0, 11)``; ``"11-20"`` is
    ``[11, 21)``; ``"More than 100 Days"`` (or ``"> 100"``) is ``[101, inf)``; ``"100+"`` is
    ``[100, inf)``; ``"7"`` is ``[7, 8)``. So consecutive bands tile the axis without gaps.
    """
    if not isinstance(label, str):
        return None
    if m := _RANGE_RE.match(label):
        low, high = float(m[1]), float(m[2])
        return (low, high + 1.0) if high >= low else None
    if m := _OPEN_RE.match(label):
        return float(m[1]) + 1.0, math.inf
    if m := _PLUS_RE.match(label):
        return float(m[1]), math.inf
    if m := _SINGLE_RE.match(label):
        return float(m[1]), float(m[1]) + 1.0
    return None


#: bad values shown per reason in a problem line
SHOWN_VALUES = 5


@dataclass(frozen=True)
class HistoryProblems:
    """Rows of a history left out of the LOS fit, counted by reason with example row ids (and,
    in ``lines``, the column and the values found there)."""

    n_rows: int
    counts: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[str]] = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=dict)
    """reason → the column(s) the bad values are in"""
    values: dict[str, list[str]] = field(default_factory=dict)
    """reason → the first bad values, as short escaped excerpts (one per example row)"""

    @property
    def n_bad(self) -> int:
        """Rows left out (a row counts once, under its first problem)."""
        return sum(self.counts.values())

    def lines(self, where: str = "history") -> list[str]:
        """One human-readable line per reason: the file, the column, the count and the first
        rows (with the value found, where there is one column to look at)."""
        return [self._line(where, reason, n) for reason, n in self.counts.items()]

    def _line(self, where: str, reason: str, n: int) -> str:
        column = f" in column {self.columns[reason]}" if reason in self.columns else ""
        values = self.values.get(reason)
        if values:
            shown = [f"{row} = {v}" for row, v in zip(self.examples[reason], values, strict=False)]
            rows = format_ids(shown[:SHOWN_VALUES]) + (
                f" (and {n - SHOWN_VALUES} more)" if n > SHOWN_VALUES else ""
            )
        else:
            rows = format_ids(self.examples[reason])
        return f"{where}: {n} row(s) with {REASONS[reason]}{column} (rows: {rows})"

    def to_dict(self) -> dict:
        return {
            "rows": self.n_rows,
            "rows_used": self.n_rows - self.n_bad,
            "rows_left_out": {r: n for r, n in self.counts.items()},
            "examples": {r: list(v) for r, v in self.examples.items()},
        }


@dataclass(frozen=True)
class History:
    """An admissions history as LOS intervals, ready for fitting.

    Attributes
    ----------
    table
        One row per usable admission: ``los_low_days``, ``los_high_days`` (equal for exact LOS;
        ``inf`` for an open last band), ``los_days`` (exact LOS or NaN), the group columns, and
        ``area`` / ``age_band`` / ``admit`` when the history has them.
    kind
        ``"exact"`` or ``"banded"``.
    los_from
        How LOS was obtained, e.g. ``"dischtime - admittime"``.
    groups
        Case-mix columns available in ``table``.
    problems
        Rows left out, by reason.
    years
        Years the history covers (from ``[history] years`` or the span of admission times).
    """

    table: pd.DataFrame
    kind: Literal["exact", "banded"]
    los_from: str
    groups: list[str]
    problems: HistoryProblems
    source: str = ""
    years: float | None = None


def _find(columns: Sequence[str], names: Sequence[str]) -> str | None:
    lower = {c.lower(): c for c in columns}
    for name in names:
        if name in lower:
            return lower[name]
    return None


def read_table(
    path: Path, role: str = "[history] path", *, text_columns: Sequence[str | None] = ()
) -> pd.DataFrame:
    """A CSV (optionally compressed) or Parquet table; ``role`` names the scenario key in errors.

    ``text_columns`` (ids, join keys) are read as text, so that ``01001`` stays ``01001`` and
    keys match whatever type the other side was stored with.
    """
    why = file_problem(path)
    if why is not None:
        msg = f"{path}: {'file not found' if why == 'not found' else why} — check {role}"
        raise InputError(msg)
    text = [c for c in text_columns if c]
    name = path.name.lower()
    try:
        if name.endswith((".parquet", ".pq")):
            frame = pd.read_parquet(path)
        else:
            frame = pd.read_csv(path, low_memory=False, dtype=dict.fromkeys(text, str))
    except (ValueError, OSError, pd.errors.ParserError, *CORRUPT_COMPRESSION) as exc:
        raise InputError(unreadable_table(path, exc, role)) from None
    for column in text:
        if column in frame.columns:
            frame[column] = frame[column].astype("string").str.strip().astype(object)
    return frame


def age_band_labels(age_years: pd.Series, min_years: dict[str, float]) -> pd.Series:
    """The band of each age: the label with the highest minimum at or below it, else ``other``."""
    labels = pd.Series("other", index=age_years.index, dtype=object)
    for label, lowest in sorted(min_years.items(), key=lambda item: item[1]):
        labels[age_years >= lowest] = label
    return labels


def read_rows(options: HistoryOptions, path: Path | None = None) -> pd.DataFrame:
    """The history's rows as read (``path``, default ``options.path``), with ``[history] join``
    applied: for uses that need the rows themselves rather than their LOS."""
    path = Path(path) if path is not None else options.path
    keys = [options.area_id, options.id, options.join.on if options.join else None]
    raw = read_table(path, text_columns=keys)
    return _joined(raw, str(path), options.join) if options.join is not None else raw


def _joined(raw: pd.DataFrame, where: str, join: HistoryJoin) -> pd.DataFrame:
    """``raw`` left-joined with the table at ``join.path`` on ``join.on`` (rows kept, in order)."""
    other = read_table(join.path, "[history] join path", text_columns=[join.on])
    missing = [
        f"{name}: key column '{join.on}' ([history] join on) not found; {columns_found(t.columns)}"
        for name, t in ((where, raw), (str(join.path), other))
        if join.on not in t.columns
    ]
    if missing:
        not_tables = [
            f"{name}: {columns_found(t.columns)}"
            for name, t in ((where, raw), (str(join.path), other))
            if not looks_like_columns(t.columns)
        ]
        raise InputError(not_tables or missing)
    repeated = other[join.on][other[join.on].duplicated()]
    if len(repeated):
        msg = (
            f"{join.path}: key '{join.on}' repeats for {format_ids(repeated.astype(str).unique())}"
            " — the joined table needs one row per key"
        )
        raise InputError(msg)
    other = other.rename(
        columns={c: f"{c}_joined" for c in other.columns if c in raw and c != join.on}
    )
    return raw.merge(other, on=join.on, how="left", validate="many_to_one")


def read_history(
    source: str | Path | pd.DataFrame,
    options: HistoryOptions | None = None,
    *,
    area_ids: Sequence[object] | pd.Index | None = None,
    group_by: Sequence[str] | None = None,
    strict: bool = False,
) -> History:
    """Read a history file (or table) into LOS intervals.

    Parameters
    ----------
    source
        CSV / CSV.gz / Parquet file, or a DataFrame already read.
    options
        Column mapping; unset columns are recognised by name (see :class:`HistoryOptions`).
    area_ids
        Ids of the scenario's areas; history rows with another area id are counted as bad.
    group_by
        Case-mix columns (overrides ``options.group_by``); they must exist.
    strict
        Raise an :class:`InputError` listing every bad row reason instead of leaving rows out.

    Returns
    -------
    History
        Bad rows are left out of ``table`` and counted in ``problems`` (also logged as a warning).
    """
    if options is None:
        options = HistoryOptions(
            path=Path(source) if not isinstance(source, pd.DataFrame) else Path("-")
        )
    if isinstance(source, pd.DataFrame):
        raw, where = source.reset_index(drop=True), "history"
    else:
        raw, where = read_rows(options, Path(source)), str(source)
    columns = list(raw.columns)
    problems_in_mapping = []
    table_like = looks_like_columns(columns)

    def need(col: str | None, what: str) -> None:
        if col is not None and col not in raw.columns:
            problems_in_mapping.append(
                f"{where}: column '{col}' ({what}) not found; {columns_found(columns)}"
            )

    groups = list(group_by) if group_by is not None else list(options.group_by)
    for key, what in (
        (options.admit, "admission time"),
        (options.discharge, "discharge time"),
        (options.los, "LOS in days"),
        (options.los_band, "LOS band"),
        (options.area_id, "area id"),
        (options.age_band, "age band"),
        (options.age, "age in years"),
        (options.id, "row id"),
    ):
        need(key, what)
    for g in groups:
        need(g, "group")
    if (options.admit is None) != (options.discharge is None):
        problems_in_mapping.append(
            f"{where}: give both admission and discharge time columns, or neither"
        )
    if problems_in_mapping:
        raise InputError(
            problems_in_mapping if table_like else f"{where}: {columns_found(columns)}"
        )

    admit, discharge, los_col, band_col = (
        options.admit,
        options.discharge,
        options.los,
        options.los_band,
    )
    if admit is None and los_col is None and band_col is None:
        for a, d in _TIMESTAMP_PAIRS:
            fa, fd = _find(columns, [a]), _find(columns, [d])
            if fa and fd:
                admit, discharge = fa, fd
                break
        else:
            los_col = _find(columns, _LOS_NAMES)
            if los_col is None:
                band_col = _find(columns, _BAND_NAMES)
    if admit is None and los_col is None and band_col is None:
        if not table_like:
            raise InputError(f"{where}: {columns_found(columns)}")
        msg = (
            f"{where}: no LOS found — name the columns: admission and discharge times "
            f"([history] admit/discharge), an LOS in days ([history] los) or a banded "
            f"LOS ([history] los_band); {columns_found(columns)}"
        )
        raise InputError(msg)

    id_col = options.id or _find(columns, _ID_NAMES)
    n = len(raw)
    labels = (
        raw[id_col].astype(str).radd(f"{id_col}=")
        if id_col
        else pd.Series([f"row {i + 2}" for i in range(n)])  # +2: header line, 1-based
    )
    reason = pd.Series([None] * n, dtype=object)

    def flag(mask: pd.Series | np.ndarray, key: str) -> None:
        mask = pd.Series(np.asarray(mask, dtype=bool)) & reason.isna()
        reason[mask] = key

    low = pd.Series(np.nan, index=raw.index)
    high = pd.Series(np.nan, index=raw.index)
    exact = pd.Series(np.nan, index=raw.index)
    admit_times = None
    kind: Literal["exact", "banded"]
    if admit is not None:
        blank_a, blank_d = raw[admit].isna(), raw[discharge].isna()
        t_a = pd.to_datetime(raw[admit], errors="coerce")
        t_d = pd.to_datetime(raw[discharge], errors="coerce")
        flag(blank_a | blank_d, "missing_timestamp")
        flag(t_a.isna() | t_d.isna(), "bad_timestamp")
        days = (t_d - t_a).dt.total_seconds() / SECONDS_PER_DAY
        flag(days < 0, "discharge_before_admission")
        flag(days > MAX_HISTORY_LOS_DAYS, "implausible_los")
        exact, low, high = days, days, days
        kind, los_from = "exact", f"{discharge} - {admit}"
        admit_times = t_a
    elif los_col is not None:
        days = pd.to_numeric(raw[los_col], errors="coerce").astype(float)
        flag(days.isna(), "missing_los")
        flag(np.isinf(days), "infinite_los")
        flag(days < 0, "negative_los")
        flag(days > MAX_HISTORY_LOS_DAYS, "implausible_los")
        exact, low, high = days, days, days
        kind, los_from = "exact", f"{los_col} (days)"
    else:
        parsed = raw[band_col].map(parse_band)
        flag(parsed.isna(), "unknown_band")
        low = parsed.map(lambda b: b[0] if b else np.nan).astype(float)
        high = parsed.map(lambda b: b[1] if b else np.nan).astype(float)
        kind, los_from = "banded", f"{band_col} (bands)"

    table = pd.DataFrame({"los_low_days": low, "los_high_days": high, "los_days": exact})
    if id_col:
        table["row_id"] = raw[id_col]
    for g in groups:
        table[g] = raw[g].astype(object).where(raw[g].notna(), "(missing)").astype(str)
    if options.age_band:
        table["age_band"] = raw[options.age_band].astype(object)
    if options.age:
        age_years = pd.to_numeric(raw[options.age], errors="coerce")
        flag(age_years.isna(), "missing_age")
        table["age_band"] = age_band_labels(age_years, options.age_band_min_years)
    if admit_times is not None:
        table["admit"] = admit_times
    if options.area_id:
        area = raw[options.area_id]
        flag(area.isna(), "missing_area")
        table["area"] = area
        if area_ids is not None:
            known = {str(a) for a in area_ids}
            flag(~area.astype(str).isin(known) & area.notna(), "unknown_area")

    # the column each reason is about (one column: its values are shown with the rows)
    stamps = f"{admit!r}/{discharge!r}"
    column_of: dict[str, str | None] = {
        "missing_timestamp": stamps,
        "bad_timestamp": stamps,
        "discharge_before_admission": stamps,
        "implausible_los": los_col if admit is None else stamps,
        "missing_los": los_col,
        "infinite_los": los_col,
        "negative_los": los_col,
        "unknown_band": band_col,
        "missing_area": options.area_id,
        "unknown_area": options.area_id,
        "missing_age": options.age,
    }
    counts: dict[str, int] = {}
    examples: dict[str, list[str]] = {}
    columns_of: dict[str, str] = {}
    values: dict[str, list[str]] = {}
    for key in REASONS:
        mask = (reason == key).to_numpy()
        if mask.any():
            counts[key] = int(mask.sum())
            examples[key] = labels[mask].tolist()
            column = column_of.get(key)
            if column is None:
                continue
            if column in raw.columns:  # one column: its bad values are shown
                columns_of[key] = repr(column)
                shown = raw[column][mask].head(SHOWN_VALUES)
                values[key] = ["(empty)" if pd.isna(v) else excerpt(v, 20) for v in shown]
            else:
                columns_of[key] = column
    problems = HistoryProblems(
        n_rows=n, counts=counts, examples=examples, columns=columns_of, values=values
    )
    if problems.n_bad:
        lines = problems.lines(where)
        if strict:
            raise InputError(lines, header=f"{problems.n_bad} bad row(s) in the history {where}")
        for line in lines:
            log.warning("%s — left out of the LOS fit", line)
    good = reason.isna().to_numpy()
    if not good.any():
        msg = (
            f"{where}: none of its {n} row(s) has a usable LOS"
            if n
            else f"{where}: no rows (only a header) — give a history with at least one admission"
        )
        raise InputError(problems.lines(where) or [msg], header=msg)

    years = options.years
    if years is None and admit_times is not None:
        span = admit_times[good].max() - admit_times[good].min()
        span_years = span.total_seconds() / SECONDS_PER_DAY / DAYS_PER_YEAR
        years = span_years if span_years > 0 else None
    return History(
        table=table[good].reset_index(drop=True),
        kind=kind,
        los_from=los_from,
        groups=groups,
        problems=problems,
        source=where,
        years=years,
    )
