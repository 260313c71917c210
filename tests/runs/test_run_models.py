"""Every location model, the equity options, costs and a surge run from scenario files on the real
Chicago tracts and hospitals (crowfly), through the whole pipeline."""

import json
from pathlib import Path

import geopandas as gpd
import pytest

from geoalloc.runs import run_scenario, write_run
from geoalloc.scenario import load_scenario
from tests.helpers import write_chicago_scenario

pytestmark = pytest.mark.slow


def _scenario(tmp_path: Path, shared_data: Path, optimize: str, extra: str = "", **kw) -> Path:
    path = write_chicago_scenario(tmp_path, shared_data, **kw)
    text = path.read_text()
    head, _, _ = text.partition("[optimize]")
    path.write_text(head + "[optimize]\n" + optimize + "\n" + extra)
    return path


@pytest.mark.parametrize(
    "optimize",
    [
        # the 66 hospitals are existing sites: the models choose among them when they may close
        'model = "lscp"\nexisting = "may_close"\nmax_minutes = 20',
        'model = "mclp"\np = 10\nexisting = "may_close"\nmax_minutes = 10',
        'model = "mclp"\np = 10\nbackup_weight = 0.5\nexisting = "may_close"\nmax_minutes = 10',
        'model = "p-median"\np = 20\nexisting = "may_close"\nmax_minutes = 30',
        'model = "p-center"\np = 20\nexisting = "may_close"\nmax_minutes = 30',
    ],
)
def test_classic_models_run_from_a_scenario(
    tmp_path: Path, shared_data: Path, optimize: str
) -> None:
    result = run_scenario(load_scenario(_scenario(tmp_path, shared_data, optimize)))
    summary = result.summary
    areas = result.layers["areas"]
    assert len(areas) == 878 and areas["status"].notna().all()
    assert summary["solver"]["status"] in {"optimal", "feasible"}
    assert summary["served"]["beds"] + summary["unmet"]["beds"] == pytest.approx(
        summary["demand"]["beds"]
    )
    if "p = " in optimize:
        assert summary["plan"]["sites_open"] == int(optimize.split("p = ")[1].split()[0])
    if "backup_weight" in optimize:  # N-1: more people keep coverage if one site fails
        assert summary["plan"]["covered_twice_population"] > 0
        assert any("backup coverage" in note for note in summary["solver"]["notes"])
    assigned = result.layers["assignments"]
    standard = float(optimize.split("max_minutes = ")[1])
    assert assigned["minutes"].max() <= standard + 1e-9


def test_capacitated_with_costs_equity_frontier_and_surge(
    tmp_path: Path, shared_data: Path
) -> None:
    chicago = shared_data / "chicago_kang2020"
    tracts = gpd.read_file(chicago / "chicago_tracts_pop.gpkg")
    tracts["district"] = tracts["TRACTCE"].str[
        :2
    ]  # an equity group per census-tract block of codes
    tracts.to_file(tmp_path / "tracts.gpkg")
    hospitals = gpd.read_file(chicago / "chicago_hospitals.gpkg")
    hospitals["opening_cost"] = 1_000_000.0
    hospitals.to_file(tmp_path / "hospitals.gpkg")
    optimize = """model = "capacitated"
p = 30
max_minutes = 30
equity_group_column = "district"
coverage_floor = 0.5
frontier_floors = [0.0, 0.9]
opening_cost_column = "opening_cost"
time_limit_s = 60
"""
    surge = """
[demand.surge]
kind = "sir"
days = 60
doubling_time_days = 5.0
hospitalised_share = 0.02
"""
    scenario = _scenario(
        tmp_path,
        shared_data,
        optimize,
        extra=surge,
        areas=tmp_path / "tracts.gpkg",
        facilities=tmp_path / "hospitals.gpkg",
    )
    result = run_scenario(load_scenario(scenario))
    summary = result.summary
    assert summary["plan"]["sites_open"] == 30
    assert [row["floor"] for row in summary["frontier"]] == [0.0, 0.9]
    assert 0 <= summary["plan"]["worst_group_covered_pct"] <= 100
    assert len(summary["plan"]["groups"]) > 1
    assert list(summary["frontier"][0])[:2] == ["worst_group_coverage", "mean_minutes"]
    assert len(summary["surge"]["needed"]) == 60
    assert summary["demand_model"]["surge"]["peak"]["beds"] > 0
    out = write_run(result, tmp_path / "run")
    written = json.loads((out / "summary.json").read_text())
    assert written["frontier"] == json.loads(json.dumps(summary["frontier"]))
    assert (out / "report.html").read_text().count(
        "<img"
    ) >= 3  # coverage, utilisation, surge/frontier


def test_unreachable_equity_floor_exits_4_with_the_reason(
    tmp_path: Path, shared_data: Path
) -> None:
    import subprocess
    import sys

    tracts = gpd.read_file(shared_data / "chicago_kang2020" / "chicago_tracts_pop.gpkg")
    tracts["district"] = tracts["TRACTCE"].str[:2]
    tracts.to_file(tmp_path / "tracts.gpkg")
    optimize = """model = "capacitated"
p = 30
max_minutes = 15
equity_group_column = "district"
coverage_floor = 0.5
"""
    scenario = _scenario(tmp_path, shared_data, optimize, areas=tmp_path / "tracts.gpkg")
    done = subprocess.run(
        [sys.executable, "-m", "geoalloc", "run", str(scenario)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 4, done.stderr
    assert (
        "equity group '55': only 0.0% of its demand has any site within the standard" in done.stderr
    )
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "maps").exists()


def test_priority_column_from_a_scenario(tmp_path: Path, shared_data: Path) -> None:
    from click.testing import CliRunner

    from geoalloc.cli import cli

    optimize = 'model = "capacitated"\np = 20\nmax_minutes = 10\npriority_column = "OverFifty"\n'
    result = run_scenario(load_scenario(_scenario(tmp_path, shared_data, optimize)))
    assert result.summary["solver"]["status"] in {"optimal", "feasible"}
    bad = _scenario(tmp_path, shared_data, optimize.replace('"OverFifty"', '"Severity"'))
    checked = CliRunner().invoke(cli, ["validate", str(bad)])
    assert checked.exit_code == 3
    assert "column 'Severity' is not in the areas file" in checked.output
