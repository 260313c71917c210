"""The fuzz suite's fixtures: the small real inputs, built once, and the tally of every run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.fuzz.fuzzing import TALLY, build_inputs


@pytest.fixture(scope="session")
def fuzz_inputs(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The inputs every example copies: 16 Chicago tracts, 5 hospitals, a travel table, a history."""
    return build_inputs(shared_data, tmp_path_factory.mktemp("fuzz-inputs"))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """``GEOALLOC_FUZZ_TALLY=FILE``: write every fuzzed run and the counts to FILE (JSON). Runs
    tallied as FAILED (``GEOALLOC_FUZZ_KEEP_GOING``) fail the session."""
    target = os.environ.get("GEOALLOC_FUZZ_TALLY")
    if target and TALLY.runs:
        TALLY.write(Path(target))
    if TALLY.failed and session.exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter) -> None:
    if not TALLY.runs:
        return
    summary = TALLY.summary()
    terminalreporter.section("fuzz tally")
    terminalreporter.write_line(
        f"{summary['cases']} runs, exit codes {summary['exit_codes']}, verdicts "
        f"{summary['verdicts']}, {summary['wall_s']} s"
    )
    for run in TALLY.failed:
        terminalreporter.write_line(f"FAILED {run['family']}: {run['what']}: {run['problems']}")
