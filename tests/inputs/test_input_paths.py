"""An input path that is a directory or a symbolic-link loop is named as what it is, not "file not
found" (and a relative loop no longer crashes the scenario's path resolution)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from geoalloc.cli import cli
from tests.helpers import write_chicago_scenario


def _validate(scenario: Path) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["validate", str(scenario)])
    assert "Traceback" not in result.output and "internal error" not in result.output
    return result.exit_code, result.output


def _loop(folder: Path, name: str) -> Path:
    """``name`` → ``name.b`` → ``name``: a symbolic-link loop."""
    os.symlink(f"{name}.b", folder / name)
    os.symlink(name, folder / f"{name}.b")
    return folder / name


@pytest.mark.parametrize(
    ("make", "said"),
    [
        (lambda d: (d / "tracts").mkdir() or d / "tracts", "is a directory that holds no layer"),
        (lambda d: _loop(d, "tracts.gpkg"), "is a symbolic-link loop"),
    ],
    ids=["directory", "loop"],
)
def test_areas_path(tmp_path: Path, shared_data: Path, make, said: str) -> None:
    path = make(tmp_path)
    # relative, as users write it: resolving a relative loop raised RuntimeError
    scenario = write_chicago_scenario(tmp_path, shared_data, areas=Path(path.name))
    code, output = _validate(scenario)
    assert code == 3, output
    line = next(line for line in output.splitlines() if "[areas]" in line)
    assert said in line and path.name in line
    assert "file not found" not in output


@pytest.mark.parametrize(
    ("make", "said"),
    [
        (lambda d: (d / "history").mkdir() or d / "history", "a directory, not a file"),
        (lambda d: _loop(d, "history.csv"), "a symbolic-link loop"),
    ],
    ids=["directory", "loop"],
)
def test_history_and_join_paths(tmp_path: Path, shared_data: Path, make, said: str) -> None:
    path = make(tmp_path)
    scenario = write_chicago_scenario(tmp_path, shared_data, history={"path": path.name})
    code, output = _validate(scenario)
    assert code == 3, output
    assert f"{path}: {said}" in output and "— check [history] path" in output
    history = tmp_path / "admissions.csv"
    history.write_text("hadm_id,los\n1,2.5\n2,4.0\n", encoding="utf-8")
    scenario = write_chicago_scenario(
        tmp_path,
        shared_data,
        history={"path": history.name, "join": {"path": path.name, "on": "hadm_id"}},
    )
    code, output = _validate(scenario)
    assert code == 3, output
    assert f"{path}: {said}" in output and "— check [history] join path" in output


def test_scenario_path_that_is_a_directory(tmp_path: Path) -> None:
    code, output = _validate(tmp_path)
    assert code == 3
    assert f"{tmp_path}: the scenario path is a directory, not a file" in output


def test_run_folder_path_that_is_a_file_or_a_loop(tmp_path: Path) -> None:
    summary = tmp_path / "summary.json"
    summary.write_text("{}", encoding="utf-8")
    code, output = _invoke("report", summary)
    assert code == 3 and "the run folder path is a file, not a folder" in output
    code, output = _invoke("report", _loop(tmp_path, "run"))
    assert code == 3 and "the run folder path is a symbolic-link loop" in output


def _invoke(command: str, path: Path) -> tuple[int, str]:
    result = CliRunner().invoke(cli, [command, str(path)])
    assert "Traceback" not in result.output and "internal error" not in result.output
    return result.exit_code, result.output
