"""``geoalloc robust``: what it refuses, with which exit code and words, before anything is solved;
and one whole run as a subprocess."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from geoalloc.cli import cli
from tests.runs.robust_instance import write_instance


def _robust(*args: str):
    return CliRunner().invoke(cli, ["robust", *args])


@pytest.mark.parametrize("draws", ["0", "-3", "many"])
def test_draws_must_be_a_positive_number(tmp_path: Path, write_scenario, draws: str) -> None:
    path = write_instance(tmp_path, write_scenario)
    result = _robust(str(path), "--draws", draws, "--out", str(tmp_path / "out"))
    assert result.exit_code == 2, result.output
    assert "--draws" in result.output and not (tmp_path / "out").exists()


def test_a_bad_robustness_value_is_exit_3_naming_the_key(tmp_path: Path, write_scenario) -> None:
    path = write_instance(tmp_path, write_scenario, robustness={"population_error": -0.1})
    result = _robust(str(path), "--out", str(tmp_path / "out"))
    assert result.exit_code == 3, result.output
    assert "population_error" in result.output and "Traceback" not in result.output
    path = write_instance(tmp_path, write_scenario, robustness={"draws": 10, "colour": 1})
    result = _robust(str(path), "--out", str(tmp_path / "out"))
    assert result.exit_code == 3 and "colour" in result.output


def test_a_model_other_than_capacitated_is_refused(tmp_path: Path, write_scenario) -> None:
    optimize = {"model": "p-median", "p": 2, "max_minutes": 10}
    path = write_instance(tmp_path, write_scenario, optimize=optimize)
    result = _robust(str(path), "--draws", "3", "--out", str(tmp_path / "out"))
    assert result.exit_code == 2, result.output
    assert "capacitated" in result.output and "p-median" in result.output
    assert not (tmp_path / "out").exists()


def test_an_existing_folder_is_kept_without_overwrite(tmp_path: Path, write_scenario) -> None:
    path = write_instance(tmp_path, write_scenario)
    (tmp_path / "out").mkdir()
    result = _robust(str(path), "--draws", "3", "--out", str(tmp_path / "out"))
    assert result.exit_code == 2 and "--overwrite" in result.output


def test_a_whole_run_prints_its_figures_and_timings(tmp_path: Path, write_scenario) -> None:
    path = write_instance(tmp_path, write_scenario)
    out = tmp_path / "run"
    result = CliRunner().invoke(
        cli, ["-v", "robust", str(path), "--draws", "3", "--seed", "2", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "3 draws (seed 2, serial), robust plan on 3" in result.output  # saa_draws capped
    assert "expected unmet units: robust plan" in result.output
    assert "saa" in result.output and "draws" in result.output  # -v: seconds per stage
    summary = json.loads((out / "summary.json").read_text())
    assert summary["kind"] == "robust" and summary["robustness"]["seed"] == 2
