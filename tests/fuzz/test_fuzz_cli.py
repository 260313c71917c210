"""Fuzzing the command line: mistakes in commands, options and their values end in exit 2 with the
mistaken word named; and a handful of the other families' cases through a real process, where
nothing of pytest or CliRunner stands between geoalloc and the shell."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.fuzzing import (
    Case,
    base_sections,
    check_outcome,
    fuzz_settings,
    run_case,
    run_in_process,
    run_subprocess,
    scenario_folder,
    write_case_scenario,
)
from tests.fuzz.strategies import DEMAND_KEYS, TEXT
from tests.fuzz.test_fuzz_files import file_cases
from tests.fuzz.test_fuzz_scenario import numeric_cases, wrong_type_cases
from tests.fuzz.test_fuzz_tables import area_cases, site_cases

pytestmark = [pytest.mark.fuzz, pytest.mark.slow]

COMMANDS = ("compare", "demo", "frontier", "los", "report", "run", "solvers", "sweep", "travel")
WORD = st.text(alphabet=st.characters(categories=("L", "N")), min_size=1, max_size=8)


def _not_int(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return True
    return False


@st.composite
def usage_cases(draw):
    """``(args with SCENARIO standing for the scenario file, culprits)``."""
    mistake = draw(
        st.sampled_from(
            ("command", "option", "workers", "executor", "missing", "extra", "no value", "flag")
        )
    )
    word = draw(WORD)
    if mistake == "command":
        name = draw(st.one_of(WORD, st.sampled_from(("Run", "runn", "validat", "ünï"))))
        if name in COMMANDS or name == "validate":
            name += "x"
        return [name, "SCENARIO"], (name,)
    if mistake == "option":
        return ["run", "SCENARIO", f"--{word}"], (f"--{word}",)
    if mistake == "workers":
        value = draw(TEXT.filter(_not_int).filter(lambda t: not t.startswith("-")))
        return ["run", "SCENARIO", "--workers", value], ("--workers",)
    if mistake == "executor":
        value = draw(WORD.filter(lambda w: w not in ("serial", "processes", "dask")))
        return ["run", "SCENARIO", "--executor", value], ("--executor",)
    if mistake == "missing":
        return ["run"], ("SCENARIO.toml",)
    if mistake == "extra":
        return ["run", "SCENARIO", word], (word,)
    if mistake == "no value":
        return ["run", "SCENARIO", "--out"], ("--out",)
    return ["run", "SCENARIO", "--overwrite=yes"], ("--overwrite",)


def _usage(inputs: Path, args: list[str], culprits: tuple[str, ...], *, subprocess: bool) -> None:
    with scenario_folder(inputs) as folder:
        scenario = write_case_scenario(folder, base_sections())
        argv = [str(scenario) if a == "SCENARIO" else a for a in args]
        out_dir = folder / "maps" / "fuzz"  # where a run would write: nothing may appear there
        outcome = run_subprocess(argv, folder) if subprocess else run_in_process(argv)
        case = Case("command line", " ".join(args), culprits, invalid=True)
        check_outcome(case, outcome, out_dir, usage=True)


@fuzz_settings(10)
@given(drawn=usage_cases())
def test_command_line_mistakes(fuzz_inputs: Path, drawn) -> None:
    """A mistaken command, option or option value: exit 2, naming it."""
    args, culprits = drawn
    _usage(fuzz_inputs, args, culprits, subprocess=False)


@fuzz_settings(2)
@given(drawn=usage_cases())
def test_command_line_mistakes_in_a_process(fuzz_inputs: Path, drawn) -> None:
    args, culprits = drawn
    _usage(fuzz_inputs, args, culprits, subprocess=True)


#: cases of the other families, drawn for a real process
ANY_CASE = st.one_of(
    numeric_cases("demand values", DEMAND_KEYS),
    wrong_type_cases(),
    area_cases(),
    site_cases(),
    file_cases(),
)


@fuzz_settings(3)
@given(drawn=ANY_CASE)
def test_cases_in_a_process(fuzz_inputs: Path, drawn) -> None:
    """``python -m geoalloc run`` on broken inputs: the exit code and stderr the shell sees."""
    case, sections, *prepare = drawn
    prepare_files = prepare[0] if prepare else None
    run_case(fuzz_inputs, case, sections, prepare=prepare_files, subprocess_run=True)
