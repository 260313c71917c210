"""Fuzzing the scenario file: every numeric key at and beyond its documented range, wrong types,
unicode and nonsense where names and choices go. One test per family of keys."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.fuzzing import (
    HISTORY_SECTION,
    MATRIX_NETWORK,
    Case,
    base_sections,
    fuzz_settings,
    run_case,
)
from tests.fuzz.strategies import (
    ALL_KEYS,
    DEMAND_KEYS,
    NETWORK_KEYS,
    OPTIMIZE_KEYS,
    TEXT,
    Bound,
    culprits_of,
    is_number_text,
    numbers,
    set_key,
    wrong_types,
)

pytestmark = [pytest.mark.fuzz, pytest.mark.slow]


@st.composite
def numeric_cases(draw, family: str, keys: dict[tuple[str, ...], Bound]):
    key = draw(st.sampled_from(sorted(keys)))
    value = draw(numbers)
    sections = base_sections()
    set_key(sections, key, value)
    what = f"[{key[0]}] {'.'.join(key[1:])} = {value!r}"
    invalid = not keys[key].allows(value)
    solver_limit = frozenset({5}) if key[-1] == "time_limit_s" else frozenset()
    case = Case(family, what, culprits_of(key), invalid, extra_exits=solver_limit)
    return case, sections


def _run(inputs: Path, drawn) -> None:
    case, sections = drawn
    run_case(inputs, case, sections)


@fuzz_settings(12)
@given(drawn=numeric_cases("demand values", DEMAND_KEYS))
def test_demand_values(fuzz_inputs: Path, drawn) -> None:
    _run(fuzz_inputs, drawn)


@fuzz_settings(8)
@given(drawn=numeric_cases("network values", NETWORK_KEYS))
def test_network_values(fuzz_inputs: Path, drawn) -> None:
    _run(fuzz_inputs, drawn)


@fuzz_settings(12)
@given(drawn=numeric_cases("optimize values", OPTIMIZE_KEYS))
def test_optimize_values(fuzz_inputs: Path, drawn) -> None:
    _run(fuzz_inputs, drawn)


@st.composite
def wrong_type_cases(draw):
    key = draw(st.sampled_from(sorted(ALL_KEYS)))
    value = draw(wrong_types)
    sections = base_sections()
    set_key(sections, key, value)
    culprits = culprits_of(key)
    if key == ("demand", "surge_multiplier") and isinstance(value, str):
        culprits += (value,)  # text names an areas column with a multiplier per area
    # a quoted number ("30") is read as the number, as pydantic reads it: judged by its range
    invalid = not (is_number_text(value) and ALL_KEYS[key].allows(float(value)))
    what = f"[{key[0]}] {'.'.join(key[1:])} = {value!r}"
    case = Case("wrong types", what, culprits, invalid)
    return case, sections


@fuzz_settings(8)
@given(drawn=wrong_type_cases())
def test_wrong_types(fuzz_inputs: Path, drawn) -> None:
    _run(fuzz_inputs, drawn)


#: keys whose value is a name (a column, a resource, a model, a file): text anywhere
NAME_KEYS = {
    ("name",): "name",
    ("areas", "id"): "column",
    ("areas", "population"): "column",
    ("facilities", "id"): "column",
    ("facilities", "capacity", "beds"): "column",
    ("demand", "resource"): "choice",
    ("optimize", "model"): "choice",
    ("network", "source"): "file",
    ("network", "mode"): "choice",
}


#: a scenario name is a folder name (geoalloc/scenario/model.py)
_FOLDER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


@st.composite
def name_cases(draw):
    key = draw(st.sampled_from(sorted(NAME_KEYS)))
    text = draw(
        st.one_of(TEXT, st.sampled_from(("", "ünïcødé", "病院 🏥", "a/b", "place", "../x")))
    )
    if key == ("network", "source") and text in ("crowfly", "matrix") or text.startswith("place:"):
        text = "x" + text  # a valid source, or an online download: not this test's business
    sections = base_sections()
    if key == ("name",):
        sections = {"name": text, **sections}  # type: ignore[dict-item]
    else:
        set_key(sections, key, text)
    culprits = (".".join(key), key[-1], text) if text.strip() else (".".join(key), key[-1])
    what = f"{'.'.join(key)} = {text!r}"
    invalid = not _FOLDER_NAME.fullmatch(text) if key == ("name",) else True
    case = Case("names and choices", what, culprits, invalid)
    return case, sections


@fuzz_settings(10)
@given(drawn=name_cases())
def test_names_and_choices(fuzz_inputs: Path, drawn) -> None:
    """A column, resource, model, mode or file that does not exist, or a name that is no folder
    name: refused (exit 3) with the key or the text named."""
    _run(fuzz_inputs, drawn)


@pytest.mark.parametrize("variant", ["crowfly", "travel table", "history"])
def test_the_unbroken_scenario_runs_in_silence(fuzz_inputs: Path, variant: str) -> None:
    """The scenario every example breaks runs as is: exit 0, every output, nothing on stderr (a
    warning of its own would pass for one about the broken input)."""
    sections = base_sections()
    if variant == "travel table":
        sections["network"] = dict(MATRIX_NETWORK)
    elif variant == "history":
        sections["history"] = dict(HISTORY_SECTION)
    case = Case("unbroken", variant, (), invalid=False)
    outcome = run_case(fuzz_inputs, case, sections)
    assert (outcome.exit_code, outcome.stderr) == (0, "")
