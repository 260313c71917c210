"""A real ``geoalloc run`` stopped from outside: Ctrl-C (SIGINT) exits 130 and SIGTERM 143 with one
line and no traceback, wherever they land (start-up, the solve, writing the folder), and leave
nothing behind; SIGKILL during ``--overwrite`` keeps the previous run and the next run cleans up;
of two runs to one folder the second is refused (exit 2) and the first completes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from geoalloc.runs import RunFolder
from tests.helpers import REPO_ROOT, write_chicago_scenario

pytestmark = pytest.mark.slow  # each test runs the Chicago scenario in a subprocess


@pytest.fixture
def scenario(tmp_path: Path, shared_data: Path) -> Path:
    return write_chicago_scenario(tmp_path, shared_data)


def _start(*args: str | Path) -> subprocess.Popen:
    """``python -m geoalloc -v ARGS`` with this checkout first on the path."""
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "geoalloc", "-v", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _wait_for(proc: subprocess.Popen, text: str) -> list[str]:
    """Read the log on stderr until a line holds ``text`` (the run is at that stage)."""
    assert proc.stderr is not None
    lines = []
    for line in proc.stderr:
        lines.append(line)
        if text in line:
            return lines
    pytest.fail(f"the run ended before logging {text!r}:\n{''.join(lines)}")


def _finish(proc: subprocess.Popen, before: list[str] | None = None) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=300)
    return proc.returncode, out, "".join(before or []) + err


def _hidden(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith("."))


@pytest.mark.parametrize(
    ("sig", "stage", "code", "line"),
    [
        (signal.SIGINT, "capacitated model:", 130, "geoalloc: interrupted (Ctrl-C)"),
        (signal.SIGTERM, "map:", 143, "geoalloc: terminated (SIGTERM)"),
    ],
    ids=["ctrl-c during the solve", "sigterm while writing the folder"],
)
def test_a_stopped_run_exits_with_the_signal_code_and_leaves_nothing(
    scenario: Path, tmp_path: Path, sig: signal.Signals, stage: str, code: int, line: str
) -> None:
    out = tmp_path / "maps" / "run"
    proc = _start("run", scenario, "--out", out)
    before = _wait_for(proc, stage)
    proc.send_signal(sig)
    returncode, stdout, stderr = _finish(proc, before)
    assert returncode == code, stderr
    assert stderr.rstrip().splitlines()[-1] == line
    assert "Traceback" not in stderr and "Aborted" not in stderr
    assert "terminate called" not in stderr  # the solver's threads were stopped, not abandoned
    assert stdout == ""
    assert not out.exists()
    assert not out.parent.exists()  # the folder the run created for its output is gone again


@pytest.mark.parametrize("when", [0.3, 0.8, "travel:"])
def test_ctrl_c_at_any_point_of_start_up_exits_130_without_a_traceback(
    scenario: Path, tmp_path: Path, when: float | str
) -> None:
    proc = _start("run", scenario, "--out", tmp_path / "run")
    before = []
    if isinstance(when, str):  # a stage of the log: the run has read its inputs
        before = _wait_for(proc, when)
    else:  # seconds: within the imports, however fast the machine
        time.sleep(when)
    proc.send_signal(signal.SIGINT)  # wherever it lands: the same answer
    returncode, _, stderr = _finish(proc, before)
    # 130, or killed by SIGINT itself — which a shell also reports as 130: CPython ends that way
    # when the interrupt landed in code an extension module ran while being imported
    assert returncode in (130, -signal.SIGINT), stderr
    assert stderr.rstrip().splitlines()[-1] == "geoalloc: interrupted (Ctrl-C)"
    assert "Traceback" not in stderr


@pytest.mark.parametrize("delay_s", [0.0, 0.05, 0.2])
def test_ctrl_c_after_the_run_has_ended_changes_nothing(
    scenario: Path, tmp_path: Path, delay_s: float
) -> None:
    out = tmp_path / "run"
    proc = _start("run", scenario, "--out", out)
    before = _wait_for(proc, "total")  # the last line: the interpreter is shutting down
    time.sleep(delay_s)
    proc.send_signal(signal.SIGINT)
    returncode, stdout, stderr = _finish(proc, before)
    assert (out / "summary.json").is_file()  # the run was complete before the signal came
    assert "Traceback" not in stderr
    assert stdout.startswith("scenario ")  # what the run printed was flushed, not lost
    if returncode != 0:  # it came while the command was still returning: the usual answer
        assert returncode == 130, stderr
        assert stderr.rstrip().splitlines()[-1] == "geoalloc: interrupted (Ctrl-C)"
    # else the command had ended: ignored while the interpreter shut down (never killed by it,
    # which left no line and exit -2)


def test_a_kill_during_overwrite_keeps_the_previous_run_and_the_next_run_cleans_up(
    scenario: Path, tmp_path: Path
) -> None:
    parent = tmp_path / "maps"
    out = parent / "run"
    returncode, _, stderr = _finish(_start("run", scenario, "--out", out))
    assert returncode == 0, stderr
    previous = json.loads((out / "summary.json").read_text())

    proc = _start("run", scenario, "--out", out, "--overwrite")
    _wait_for(proc, "map:")  # the new folder is being written beside the previous one
    proc.kill()
    proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    assert RunFolder(out).read().summary == previous  # intact
    assert any(".geoalloc-tmp-" in name for name in _hidden(parent))  # what the kill left

    returncode, _, stderr = _finish(_start("run", scenario, "--out", parent / "another"))
    assert returncode == 0, stderr
    assert _hidden(parent) == []
    assert RunFolder(out).read().summary == previous


def test_of_two_runs_to_one_folder_the_second_is_refused_and_the_first_completes(
    scenario: Path, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    first = _start("run", scenario, "--out", out)
    before = _wait_for(first, "INFO")  # it holds the folder from its start
    first.send_signal(signal.SIGSTOP)  # still holding it while the second one starts
    try:
        returncode, stdout, stderr = _finish(_start("run", scenario, "--out", out, "--overwrite"))
    finally:
        first.send_signal(signal.SIGCONT)
    assert returncode == 2, stderr
    assert f"is being written by another geoalloc run (pid {first.pid})" in stderr
    assert "map:" not in stdout
    returncode, stdout, stderr = _finish(first, before)
    assert returncode == 0, stderr
    assert f"map: {out}/map.html" in stdout
    RunFolder(out).read()  # complete
    assert _hidden(tmp_path) == []


def test_an_interrupt_that_surfaces_as_an_import_error_is_still_ctrl_c(
    scenario: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C while an extension module initialises (the solver's, imported when the solve
    starts) comes out of the import as ``ImportError: initialization failed``: the signal
    handler's record makes it exit 130 with the interrupt's line, not 1 as an internal error."""
    from click.testing import CliRunner

    import geoalloc.cli
    import geoalloc.commands.run

    def solver_import_hit_by_ctrl_c(*args: object, **kwargs: object) -> None:
        try:
            geoalloc.cli._raise_interrupted(signal.SIGINT, None)
        except KeyboardInterrupt:
            raise ImportError("initialization failed") from None

    monkeypatch.setattr(geoalloc.cli, "_stopped_by", [])
    monkeypatch.setattr(geoalloc.commands.run, "run_scenario", solver_import_hit_by_ctrl_c)
    result = CliRunner().invoke(
        geoalloc.cli.cli, ["run", str(scenario), "--out", str(tmp_path / "r")]
    )
    assert result.exit_code == 130, result.output
    assert "geoalloc: interrupted (Ctrl-C)" in result.output
    assert "internal error" not in result.output
    # without a signal, the same error is a bug: exit 1
    monkeypatch.setattr(geoalloc.cli, "_stopped_by", [])
    monkeypatch.setattr(
        geoalloc.commands.run,
        "run_scenario",
        lambda *a, **k: (_ for _ in ()).throw(ImportError("initialization failed")),
    )
    result = CliRunner().invoke(
        geoalloc.cli.cli, ["run", str(scenario), "--out", str(tmp_path / "s")]
    )
    assert result.exit_code == 1
    assert "internal error: ImportError" in result.output
