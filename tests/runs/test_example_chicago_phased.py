"""The time-phased Chicago example (examples/chicago_covid/icu_phased.toml): invariants of its plan,
read back from what `geoalloc run` wrote, and its bad inputs reported as input errors."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import tomllib
from pathlib import Path

import geopandas as gpd
import pytest
from click.testing import CliRunner

from geoalloc.cli import cli
from tests.helpers import REPO_ROOT

EXAMPLE = REPO_ROOT / "examples" / "chicago_covid"
TOL = 1e-6


@pytest.fixture(scope="module")
def run(tmp_path_factory, shared_data: Path) -> Path:
    out = tmp_path_factory.mktemp("phased") / "run"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "geoalloc",
            "-q",
            "run",
            str(EXAMPLE / "icu_phased.toml"),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr
    return out


@pytest.fixture(scope="module")
def outputs(run: Path) -> dict:
    gpkg = run / "results.gpkg"
    return {
        "summary": json.loads((run / "summary.json").read_text()),
        "moves": gpd.read_file(gpkg, layer="moves"),
        "stocks": gpd.read_file(gpkg, layer="stocks"),
        "areas": gpd.read_file(gpkg, layer="areas"),
        "facilities": gpd.read_file(gpkg, layer="facilities"),
    }


@pytest.mark.slow
def test_no_shipment_arrives_before_its_lead_time(outputs) -> None:
    scenario = tomllib.loads((EXAMPLE / "icu_phased.toml").read_text())["deployment"]
    moves = outputs["moves"]
    assert len(moves) > 0
    for row in moves.itertuples():
        travel_and_handling_days = row.minutes / 1440 + scenario["handling_days"]
        earliest = (
            row.depart_day
            + math.ceil(travel_and_handling_days / scenario["period_days"])
            * scenario["period_days"]
        )
        assert row.arrive_day >= earliest
        assert row.arrive_day == row.depart_day + row.lead_periods * scenario["period_days"]
        assert row.minutes <= scenario["max_transfer_minutes"]
        assert row.units == round(row.units) > 0


@pytest.mark.slow
def test_stocks_never_negative_and_every_ventilator_accounted_for(
    outputs, shared_data: Path
) -> None:
    hospitals = gpd.read_file(shared_data / "chicago_kang2020" / "chicago_hospitals.gpkg")
    total = float(hospitals["Total Vent"].sum())  # 1,508; temporary sites start empty
    stocks, moves = outputs["stocks"], outputs["moves"]
    assert (stocks["stock"] >= -TOL).all()
    summary = outputs["summary"]["deployment"]
    for period in range(summary["periods"]):
        at_sites = stocks.loc[stocks["period"] == period, "stock"].sum()
        in_transit = moves.loc[
            (moves["depart_period"] <= period) & (moves["arrive_period"] > period), "units"
        ].sum()
        assert at_sites + in_transit == pytest.approx(total, abs=1e-6)
    # the stock at each site changes by exactly its arrivals minus its departures
    wide = stocks.pivot_table(index="site", columns="period", values="stock")
    for site, levels in wide.iterrows():
        for period in range(1, summary["periods"]):
            arrived = moves.loc[
                (moves["to_site"] == site) & (moves["arrive_period"] == period), "units"
            ].sum()
            left = moves.loc[
                (moves["from_site"] == site) & (moves["depart_period"] == period), "units"
            ].sum()
            assert levels[period] - levels[period - 1] == pytest.approx(arrived - left, abs=1e-6)


@pytest.mark.slow
def test_redeployment_never_leaves_more_unmet_and_nothing_helps_before_it_can_arrive(
    outputs,
) -> None:
    deployment = outputs["summary"]["deployment"]
    resources = outputs["summary"]["resources"]
    for row in deployment["by_period"]:
        for r in resources:
            assert row[f"served_{r}"] + row[f"unmet_{r}"] == pytest.approx(
                row[f"demand_{r}"], rel=1e-9
            )
            assert row[f"served_static_{r}"] + row[f"unmet_static_{r}"] == pytest.approx(
                row[f"demand_{r}"], rel=1e-9
            )
    first = deployment["by_period"][0]  # nothing shipped or set up can be usable in period 0
    for r in resources:
        assert first[f"unmet_{r}"] >= first[f"unmet_static_{r}"] - TOL
    before = deployment["unmet_unit_days"]["without_redeployment"]
    after = deployment["unmet_unit_days"]["with_redeployment"]
    for r in resources:
        assert after[r] <= before[r] + TOL
    assert after["ventilators"] < 0.5 * before["ventilators"]  # the example's point
    assert deployment["solver"]["with_redeployment"]["status"] == "optimal"
    costs = deployment["costs"]
    assert costs["total"] <= 3_000_000 + TOL


@pytest.mark.slow
def test_temporary_sites_and_every_area_in_the_outputs(outputs) -> None:
    deployment = outputs["summary"]["deployment"]
    opened = [t for t in deployment["temporary_sites"] if t["opened"]]
    assert opened
    sites = gpd.read_file(EXAMPLE / "temporary_sites.geojson").set_index("Hospital")
    for t in opened:
        setup = sites.loc[t["site"], "setup_days"]
        assert t["ready_day"] >= t["open_day"] + setup
        # nothing is shipped to a temporary site to be usable before it is ready
        moves = outputs["moves"]
        early = moves[(moves["to_site"] == t["site"]) & (moves["arrive_day"] < t["ready_day"])]
        assert early.empty
    areas = outputs["areas"]
    assert len(areas) == 878
    assert areas["deploy_unmet_ventilators_unit_days"].notna().all()
    facilities = outputs["facilities"]
    assert facilities["temporary"].sum() == len(sites)
    assert set(facilities.loc[facilities["temporary"], "status"]) <= {
        "temporary: opened",
        "temporary: not opened",
    }


# --- bad inputs: geoalloc validate (no solve), exit 3, every problem at once -----------------------


def _scenario(
    tmp_path: Path, shared_data: Path, edit: str = "", sites: gpd.GeoDataFrame | None = None
) -> Path:
    text = (EXAMPLE / "icu_phased.toml").read_text()
    text = text.replace("../../../shared/data", (shared_data).as_posix())
    site_file = tmp_path / "temporary_sites.geojson"
    (sites if sites is not None else gpd.read_file(EXAMPLE / "temporary_sites.geojson")).to_file(
        site_file
    )
    text = text.replace('"temporary_sites.geojson"', f'"{site_file.as_posix()}"')
    path = tmp_path / "scenario.toml"
    path.write_text(text + edit, encoding="utf-8")
    return path


def _validate(path: Path) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["validate", str(path)])
    return result.exit_code, result.output


def test_the_phased_example_validates(tmp_path: Path, shared_data: Path) -> None:
    code, output = _validate(_scenario(tmp_path, shared_data))
    assert code == 0, output
    assert "73 sites" in output


def test_every_deployment_problem_reported_at_once(tmp_path: Path, shared_data: Path) -> None:
    sites = gpd.read_file(EXAMPLE / "temporary_sites.geojson")
    sites.loc[0, "setup_days"] = -2
    sites.loc[1, "fixed_cost"] = None
    path = _scenario(tmp_path, shared_data, sites=sites)
    text = path.read_text()
    text = text.replace("periods = 14", "periods = 20")
    text = text.replace('daily_cost_column = "daily_cost"', 'daily_cost_column = "cost_a_day"')
    text += '\n[[deployment.movable]]\nresource = "monitors"\n'
    path.write_text(text)
    code, output = _validate(path)
    assert code == 3, output
    assert "Traceback" not in output
    assert "resource 'monitors' is not planned" in output
    assert "column 'cost_a_day' is in neither the facilities nor the temporary sites file" in output
    assert "column 'setup_days' must hold numbers ≥ 0 for every temporary site" in output
    assert "TEMP McCormick Place field hospital" in output
    assert "column 'fixed_cost' must hold numbers ≥ 0" in output
    assert "horizon ends on day 60" in output and "has 42 days" in output


def test_unknown_deployment_key_and_reused_site_id(tmp_path: Path, shared_data: Path) -> None:
    code, output = _validate(_scenario(tmp_path, shared_data, "period_length = 3\n"))
    # appended after [[deployment.movable]]: the key lands in the movable entry
    assert code == 3 and "unknown key 'deployment.movable.0.period_length'" in output, output
    sites = gpd.read_file(EXAMPLE / "temporary_sites.geojson")
    sites.loc[0, "Hospital"] = "Mercy Hospital & Medical Center"
    code, output = _validate(_scenario(tmp_path, shared_data, sites=sites))
    assert code == 3, output
    assert "ids already used by the facilities (ids: Mercy Hospital & Medical Center)" in output


def test_a_bad_deployment_fails_the_run_with_exit_3(tmp_path: Path, shared_data: Path) -> None:
    path = _scenario(tmp_path, shared_data)
    path.write_text(path.read_text().replace("period_days = 3", "period_days = 0"))
    done = subprocess.run(
        [sys.executable, "-m", "geoalloc", "run", str(path), "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 3, done.stderr
    assert "deployment.period_days" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_report_rebuild_keeps_the_shipments_on_the_map(run: Path) -> None:
    from click.testing import CliRunner

    from geoalloc.cli import cli

    result = CliRunner().invoke(cli, ["report", str(run)])
    assert result.exit_code == 0, result.output
    assert "Plan: shipments (what moves where and when)" in (run / "map.html").read_text()
