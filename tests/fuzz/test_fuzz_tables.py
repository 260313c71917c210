"""Fuzzing the input tables: cells of the areas, sites, travel table and history broken to NaN,
±inf, huge, negative, empty, text and unicode; ids duplicated, emptied or made unicode. One test per
table."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.fuzzing import (
    AREA_ID,
    AREAS_FILE,
    BEDS,
    HISTORY_FILE,
    HISTORY_SECTION,
    MATRIX_NETWORK,
    OVER_FIFTY,
    POPULATION,
    SITE_ID,
    SITES_FILE,
    TRAVEL_FILE,
    Case,
    base_sections,
    fuzz_settings,
    run_case,
)
from tests.fuzz.strategies import EDGE_TEXT, bad_cells, cell_is_count

pytestmark = [pytest.mark.fuzz, pytest.mark.slow]

#: the rows of each table (fixed by the inputs: 16 areas, 5 sites, 80 pairs, 275 admissions)
ROWS = {AREAS_FILE: 16, SITES_FILE: 5, TRAVEL_FILE: 80, HISTORY_FILE: 275}


def _cells(draw, table: str) -> tuple[list[int], list[object]]:
    """Some rows of ``table`` and a bad value for each."""
    rows = draw(st.lists(st.integers(0, ROWS[table] - 1), min_size=1, max_size=4, unique=True))
    values = [draw(bad_cells) for _ in rows]
    return rows, values


def _set_cells(frame: pd.DataFrame, column: str, rows: list[int], values: list[object]):
    """``values`` into ``rows`` of ``column``; in a table read as text (a CSV), as text: None is an
    empty cell, floats as Python writes them (``nan``, ``inf``, ``1e+308``)."""
    as_text = not pd.api.types.is_numeric_dtype(frame[column])
    if as_text or any(isinstance(v, str) for v in values):
        frame[column] = frame[column].astype(object)
    else:  # an integer column takes NaN and inf as floats
        frame[column] = frame[column].astype(float)
    for row, value in zip(rows, values, strict=True):
        if as_text:
            value = "" if value is None else str(value)
        frame.loc[frame.index[row], column] = math.nan if value is None else value
    return frame


def _edit_layer(name: str, edit) -> callable:
    def prepare(folder: Path) -> None:
        import geopandas as gpd

        frame = gpd.read_file(folder / name)
        edit(frame).to_file(folder / name)

    return prepare


def _edit_csv(name: str, edit) -> callable:
    def prepare(folder: Path) -> None:
        frame = pd.read_csv(folder / name, dtype=str, keep_default_na=False)
        edit(frame).to_csv(folder / name, index=False)

    return prepare


@st.composite
def id_edits(draw, table: str):
    """Ids broken: one row's id made another's (duplicate), emptied, or unicode text (valid)."""
    rows = draw(st.lists(st.integers(0, ROWS[table] - 1), min_size=1, max_size=3, unique=True))
    how = draw(st.sampled_from(("duplicate", "empty", "unicode")))
    text = draw(st.sampled_from(("ünïcødé", "病院", "🏥 1", "NA", "0")))
    return rows, how, text


def _break_ids(frame: pd.DataFrame, column: str, rows: list[int], how: str, text: str):
    frame[column] = frame[column].astype(object)
    for i, row in enumerate(rows):
        if how == "duplicate":
            frame.loc[frame.index[row], column] = frame[column].iloc[(row + 1) % len(frame)]
        elif how == "empty":
            frame.loc[frame.index[row], column] = None
        else:
            frame.loc[frame.index[row], column] = f"{text}-{i}"
    return frame


@st.composite
def area_cases(draw):
    part = draw(st.sampled_from(("population", "over fifty", "ids")))
    sections = base_sections()
    if part == "ids":
        rows, how, text = draw(id_edits(AREAS_FILE))
        prepare = _edit_layer(AREAS_FILE, lambda f: _break_ids(f, AREA_ID, rows, how, text))
        what = f"{AREA_ID} rows {rows}: {how}"
        case = Case("areas table", what, (AREA_ID,), how != "unicode")
        return case, sections, prepare
    column = POPULATION if part == "population" else OVER_FIFTY
    rows, values = _cells(draw, AREAS_FILE)
    prepare = _edit_layer(AREAS_FILE, lambda f: _set_cells(f, column, rows, values))
    what = f"{column} rows {rows} = {values!r}"
    if all(cell_is_count(v) for v in values):  # usable counts; the bands may now exceed the total
        case = Case("areas table", what, (POPULATION, OVER_FIFTY), False)
        return case, sections, prepare
    case = Case("areas table", what, (column,), invalid=True)
    return case, sections, prepare


@fuzz_settings(12)
@given(drawn=area_cases())
def test_areas_table(fuzz_inputs: Path, drawn) -> None:
    case, sections, prepare = drawn
    run_case(fuzz_inputs, case, sections, prepare=prepare)


@st.composite
def site_cases(draw):
    sections = base_sections()
    if draw(st.booleans()):
        rows, how, text = draw(id_edits(SITES_FILE))
        prepare = _edit_layer(SITES_FILE, lambda f: _break_ids(f, SITE_ID, rows, how, text))
        what = f"{SITE_ID} rows {rows}: {how}"
        case = Case("sites table", what, (SITE_ID,), how != "unicode")
        return case, sections, prepare
    rows, values = _cells(draw, SITES_FILE)
    prepare = _edit_layer(SITES_FILE, lambda f: _set_cells(f, BEDS, rows, values))
    case = Case(
        "sites table",
        f"{BEDS} rows {rows} = {values!r}",
        (BEDS,),
        invalid=not all(cell_is_count(v) for v in values),
    )
    return case, sections, prepare


@fuzz_settings(10)
@given(drawn=site_cases())
def test_sites_table(fuzz_inputs: Path, drawn) -> None:
    case, sections, prepare = drawn
    run_case(fuzz_inputs, case, sections, prepare=prepare)


@st.composite
def travel_cases(draw):
    sections = base_sections()
    sections["network"] = dict(MATRIX_NETWORK)
    part = draw(st.sampled_from(("minutes", "origin", "destination", "drop rows")))
    if part == "minutes":
        rows, values = _cells(draw, TRAVEL_FILE)
        prepare = _edit_csv(TRAVEL_FILE, lambda f: _set_cells(f, "minutes", rows, values))
        invalid = not all(cell_is_count(v, inf_ok=True) for v in values)
        what = f"minutes rows {rows} = {values!r}"
        case = Case("travel table", what, ("minutes", TRAVEL_FILE), invalid)
        return case, sections, prepare
    if part == "drop rows":  # pairs left out are unreachable: allowed
        rows = draw(st.lists(st.integers(0, ROWS[TRAVEL_FILE] - 1), min_size=1, unique=True))
        prepare = _edit_csv(TRAVEL_FILE, lambda f: f.drop(index=f.index[rows]))
        what = f"{len(rows)} rows dropped"
        return Case("travel table", what, (TRAVEL_FILE,), invalid=False), sections, prepare
    rows = draw(st.lists(st.integers(0, ROWS[TRAVEL_FILE] - 1), min_size=1, max_size=3))
    text = draw(st.sampled_from(("", " ", *EDGE_TEXT)))

    def edit(frame: pd.DataFrame) -> pd.DataFrame:
        for row in rows:
            frame.loc[frame.index[row], part] = text
        return frame

    what = f"{part} rows {rows} = {text!r}"
    case = Case("travel table", what, (part, TRAVEL_FILE), True)
    return case, sections, _edit_csv(TRAVEL_FILE, edit)


@fuzz_settings(10)
@given(drawn=travel_cases())
def test_travel_table(fuzz_inputs: Path, drawn) -> None:
    case, sections, prepare = drawn
    run_case(fuzz_inputs, case, sections, prepare=prepare)


@st.composite
def history_cases(draw):
    sections = {**base_sections(), "history": dict(HISTORY_SECTION)}
    rows, values = _cells(draw, HISTORY_FILE)
    if draw(st.booleans()):  # a whole column of nonsense, not a few rows
        rows = list(range(ROWS[HISTORY_FILE]))
        values = [values[0]] * len(rows)
    prepare = _edit_csv(HISTORY_FILE, lambda f: _set_cells(f, "los", rows, values))
    what = f"los rows {rows[:4]}{'…' if len(rows) > 4 else ''} = {values[:4]!r}"
    # rows without a usable LOS are left out of the fit with a warning naming the file and rows
    invalid = not all(cell_is_count(v) for v in values)
    case = Case(
        "history table",
        what,
        ("los", HISTORY_FILE),
        invalid,
        warning_ok=len(rows) < ROWS[HISTORY_FILE],
    )
    return case, sections, prepare


@fuzz_settings(8)
@given(drawn=history_cases())
def test_history_table(fuzz_inputs: Path, drawn) -> None:
    case, sections, prepare = drawn
    run_case(fuzz_inputs, case, sections, prepare=prepare)
