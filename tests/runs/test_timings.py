"""Where a run's time goes: one clock for every kind of run, ``timings_s`` per stage in summary.json
and manifest.json (write included), in the report and on the console with ``-v``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from geoalloc.cli import cli
from geoalloc.outputs.terminal import timing_lines
from geoalloc.runs import RunFolder
from geoalloc.runs.timings import STAGES, StageClock, stage, timed_run, with_write_time
from tests.helpers import write_chicago_scenario


class Ticks:
    """A time source that advances by the given steps, one per reading (seconds)."""

    def __init__(self, *steps: float) -> None:
        self.steps, self.t = list(steps), 0.0

    def __call__(self) -> float:
        self.t += self.steps.pop(0) if self.steps else 0.0
        return self.t


def test_a_nested_stage_is_not_counted_in_the_outer_one() -> None:
    # readings: open clock 0 | enter evaluate +1 | enter demand +2 | leave demand +4 | leave +8
    clock = StageClock(now=Ticks(0.0, 1.0, 2.0, 4.0, 8.0))
    with clock.stage("evaluate"), clock.stage("demand"):
        pass
    assert clock.seconds == {"evaluate": 2.0 + 8.0, "demand": 4.0}
    assert sum(clock.seconds.values()) == 15.0 - 1.0  # every second since the first stage, once


def test_stages_come_in_pipeline_order_and_write_only_once_written() -> None:
    clock = StageClock(now=Ticks(0.0, 1.0, 1.0, 1.0, 1.0))
    with clock.stage("solve"):
        pass
    with clock.stage("variants"):  # a kind's own stage follows the common ones
        pass
    seconds = clock.as_dict()
    assert list(seconds) == [*(s for s in STAGES if s != "write"), "variants"]
    assert seconds["solve"] == 1.0 and seconds["read"] == 0.0
    written = with_write_time(seconds, 2.5)
    assert list(written) == [*STAGES, "variants"] and written["write"] == 2.5


def test_stage_outside_a_timed_run_does_nothing_and_runs_do_not_share_a_clock() -> None:
    with stage("read"):  # no clock open: nothing to charge, nothing raised
        pass
    with timed_run() as outer:
        with timed_run() as inner, stage("solve"):
            pass
        with stage("read"):
            pass
    assert "solve" in inner.seconds and "solve" not in outer.seconds
    assert "read" in outer.seconds and "read" not in inner.seconds


def test_timing_lines_list_each_stage_and_the_total() -> None:
    lines = timing_lines({"read": 0.25, "solve": 1.5, "write": 0.75})
    assert lines[0] == "time per stage:"
    assert [line.split()[0] for line in lines[1:]] == ["read", "solve", "write", "total"]
    assert lines[-1].split()[1] == "2.50"
    assert timing_lines({}) == []


@pytest.fixture(scope="module")
def verbose_run(tmp_path_factory: pytest.TempPathFactory, shared_data: Path):
    tmp = tmp_path_factory.mktemp("timings")
    path = write_chicago_scenario(tmp, shared_data)
    head, _, _ = path.read_text().partition("[optimize]")
    path.write_text(head + '[optimize]\nmodel = "lscp"\nmax_minutes = 20\n')
    result = CliRunner().invoke(cli, ["-v", "run", str(path), "--out", str(tmp / "run")])
    return result, tmp / "run"


@pytest.mark.slow
def test_summary_and_manifest_on_disk_hold_every_stage_with_write(verbose_run) -> None:
    result, out = verbose_run
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    manifest = json.loads((out / "manifest.json").read_text())
    assert list(summary["timings_s"]) == list(STAGES)
    assert all(v >= 0 for v in summary["timings_s"].values())
    assert summary["timings_s"]["write"] > 0  # the folder was written: that took some time
    assert summary["timings_s"]["solve"] > 0
    assert manifest["timings_s"] == summary["timings_s"]


@pytest.mark.slow
def test_verbose_prints_the_stage_table_on_stderr(verbose_run) -> None:
    result, out = verbose_run
    summary = json.loads((out / "summary.json").read_text())
    assert "time per stage:" in result.stderr and "time per stage:" not in result.stdout
    table = result.stderr[result.stderr.index("time per stage:") :].splitlines()
    assert [line.split()[0] for line in table[1:8]] == [*STAGES, "total"]
    assert table[6].split()[1] == f"{summary['timings_s']['write']:.2f}"


@pytest.mark.slow
def test_the_report_shows_the_stages_and_write_once_rebuilt(verbose_run, tmp_path: Path) -> None:
    _, out = verbose_run
    first = (out / "report.html").read_text()  # written inside the write stage: before its end
    assert "run step solve" in first and "run time (before write)" in first
    assert "in summary.json (this page is written in it)" in first
    copy = tmp_path / "run"
    copy.mkdir()
    for path in out.iterdir():
        copy.joinpath(path.name).write_bytes(path.read_bytes())
    RunFolder(copy).rebuild_outputs()
    rebuilt = (copy / "report.html").read_text()
    assert "run step write" in rebuilt and "run time (all steps)" in rebuilt
    assert "this page is written in it" not in rebuilt
