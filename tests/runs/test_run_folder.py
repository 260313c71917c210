"""The run folder: typed and versioned summary, one reader for report and compare, old or foreign
folders refused with exit 3, and the run kind registry."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from geoalloc._errors import InputError
from geoalloc.cli import cli
from geoalloc.runs import RunFolder, kind_for, kind_named, registered, run_scenario
from geoalloc.runs.schema import FORMAT_VERSION, PlanningSummary, required_keys
from geoalloc.scenario import load_scenario
from tests.helpers import REPO_ROOT, write_chicago_scenario


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    tmp = tmp_path_factory.mktemp("folder")
    path = write_chicago_scenario(tmp, shared_data)
    head, _, _ = path.read_text().partition("[optimize]")
    path.write_text(head + '[optimize]\nmodel = "lscp"\nmax_minutes = 20\n')
    return run_scenario(load_scenario(path)).write(tmp / "run")


def test_the_summary_holds_its_format_kind_and_every_required_key(folder: Path) -> None:
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["format"] == FORMAT_VERSION and summary["kind"] == "planning"
    assert required_keys(PlanningSummary) <= set(summary)
    run = RunFolder(folder).read()
    assert run.kind is kind_named("planning")
    assert {"areas", "facilities", "assignments", "catchments"} <= set(run.layers)


def _copy_with(folder: Path, tmp_path: Path, **changes: object) -> Path:
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    summary = json.loads((copy / "summary.json").read_text())
    for key, value in changes.items():
        if value is None:
            summary.pop(key)
        else:
            summary[key] = value
    (copy / "summary.json").write_text(json.dumps(summary))
    return copy


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"format": None}, "no run-folder format version"),
        ({"format": FORMAT_VERSION + 1}, "newer than this geoalloc reads"),
        ({"format": "one"}, "is not one this geoalloc reads"),
        ({"kind": "replanning"}, "unknown run kind 'replanning'"),
        ({"plan": None}, "key 'plan' missing"),
    ],
)
def test_an_old_or_foreign_folder_is_refused_with_exit_3(
    folder: Path, tmp_path: Path, changes: dict, message: str
) -> None:
    copy = _copy_with(folder, tmp_path, **changes)
    with pytest.raises(InputError, match=message):
        RunFolder(copy).read()
    for command in (["report", str(copy)], ["compare", str(folder), str(copy)]):
        result = CliRunner().invoke(cli, command)
        assert result.exit_code == 3, result.output
        assert message in result.output and "Traceback" not in result.output


def test_report_rebuilds_from_the_folder(folder: Path, tmp_path: Path) -> None:
    copy = _copy_with(folder, tmp_path)
    (copy / "map.html").unlink()
    (copy / "report.html").unlink()
    result = CliRunner().invoke(cli, ["report", str(copy)])
    assert result.exit_code == 0, result.output
    assert (copy / "map.html").stat().st_size > 0 and (copy / "report.html").stat().st_size > 0


def test_every_scenario_has_exactly_one_kind(shared_data: Path) -> None:
    examples = REPO_ROOT / "examples"
    expected = {
        "icu_phased.toml": "deployment",
        "telemedicine.toml": "telemedicine",
        "icu.toml": "planning",
        "ventilators.toml": "planning",
    }
    for name, kind in expected.items():
        (path,) = examples.rglob(name)
        scenario = load_scenario(path)
        assert kind_for(scenario).name == kind
        assert scenario.optimize_reader() == kind  # [optimize] keys are judged for that kind
    assert [k.name for k in registered()][-1] == "planning"  # the fallback is asked last


def test_a_new_kind_is_one_registration(shared_data: Path) -> None:
    """A kind registered at run time is asked before the fallback, and nothing else changes."""
    from geoalloc.runs import kinds

    class Replanning:
        name = "replanning-test"
        layers = ("areas",)
        optional_layers = ()
        summary_schema = PlanningSummary
        comparable = False

        def handles(self, scenario):
            return scenario.name == "replan-me"

        def check(self, scenario):  # pragma: no cover - not run here
            raise NotImplementedError

        run = report_html = summary_lines = build_map = check

    kind = Replanning()
    kinds.register(kind)
    try:
        covid = REPO_ROOT / "examples" / "chicago_covid" / "icu.toml"
        scenario = load_scenario(covid)
        assert kind_for(scenario).name == "planning"
        assert kind_for(scenario.model_copy(update={"name": "replan-me"})) is kind
        with pytest.raises(ValueError, match="already registered"):
            kinds.register(kind)
    finally:
        kinds._KINDS.remove(kind)
