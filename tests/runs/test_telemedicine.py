"""Telemedicine coverage: the hub model by hand, its invariants and checker, the inputs
(connectivity, shares, columns) and the CLI on a tiny crowfly scenario."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from shapely.geometry import Point, box

from geoalloc.cli import cli
from geoalloc.optimize import OptimizeOptions
from geoalloc.optimize.check import CheckError
from geoalloc.optimize.telemedicine import (
    TeleProblem,
    TeleWeights,
    check_telemedicine,
    solve_telemedicine,
)
from geoalloc.runs.telemedicine import connected_by_coverage
from tests.helpers import REPO_ROOT, write_scenario

OPTIONS = OptimizeOptions(solver="highs", max_minutes=10, mip_gap=1e-6)


def tiny(*, budget: float | None = 200.0, b_connected: bool = True) -> TeleProblem:
    """A: 10 h/week, 5 min from the site. B: 10 h/week, no site within T, 40 % divertible.
    One site with 20 h; one hub (max 100 h, opening 100, 10 per hour)."""
    areas = pd.Index(["A", "B"])
    connected = pd.Series([True, b_connected], index=areas)
    return TeleProblem(
        demand=pd.Series([10.0, 10.0], index=areas),
        divertible=pd.Series([4.0, 4.0], index=areas).where(connected, 0.0),
        connected=connected,
        site_hours=pd.Series({"S": 20.0}),
        od=pd.DataFrame({"area": ["A", "B"], "site": ["S", "S"], "minutes": [5.0, 25.0]}),
        hubs=pd.DataFrame({"max_hours": [100.0], "opening_cost": [100.0]}, index=["H"]),
        max_minutes=10.0,
        cost_per_hour=10.0,
        budget=budget,
    )


def test_tiny_known_optimum() -> None:
    plan = solve_telemedicine(tiny(), OPTIONS)
    # A in person (5 min < tele 30), B's 4 divertible hours by the hub (cost 100 + 40 ≤ 200)
    assert plan.status == "optimal"
    assert plan.in_person.set_index("area")["hours"].to_dict() == pytest.approx({"A": 10.0})
    assert plan.tele.set_index("area")["hours"].to_dict() == pytest.approx({"B": 4.0})
    assert plan.unmet.to_dict() == pytest.approx({"A": 0.0, "B": 6.0})
    assert plan.hubs.loc["H", "hours"] == pytest.approx(4.0)
    assert plan.costs["total"] == pytest.approx(140.0)
    assert plan.objective == pytest.approx(10 * 5 + 30 * 4 + 1000 * 6 + 0.001 * 140)


def test_tiny_budget_binds() -> None:
    plan = solve_telemedicine(tiny(budget=120.0), OPTIONS)  # 100 opening + 2 h × 10
    assert plan.hubs.loc["H", "hours"] == pytest.approx(2.0)
    assert plan.unmet["B"] == pytest.approx(8.0)
    plan = solve_telemedicine(tiny(budget=90.0), OPTIONS)  # cannot even open the hub
    assert not plan.hubs.loc["H", "open"] and plan.tele.empty
    assert plan.unmet["B"] == pytest.approx(10.0)


def test_tiny_not_connected_gets_no_hub() -> None:
    plan = solve_telemedicine(tiny(b_connected=False), OPTIONS)
    assert plan.tele.empty
    assert not plan.hubs.loc["H", "open"]
    assert plan.unmet["B"] == pytest.approx(10.0)


def random_problem(seed: int, n: int = 40, sites: int = 4, hubs: int = 5) -> TeleProblem:
    rng = np.random.default_rng(seed)
    areas = pd.Index([f"a{i:02d}" for i in range(n)])
    site_ids = [f"s{j}" for j in range(sites)]
    demand = pd.Series(rng.uniform(1, 20, n), index=areas)
    connected = pd.Series(rng.random(n) < 0.6, index=areas)
    share = pd.Series(rng.uniform(0, 0.6, n), index=areas)
    pairs = [(a, s, float(rng.uniform(1, 40))) for a in areas for s in site_ids]
    return TeleProblem(
        demand=demand,
        divertible=(share * demand).where(connected, 0.0),
        connected=connected,
        site_hours=pd.Series(rng.uniform(20, 80, sites), index=site_ids),
        od=pd.DataFrame(pairs, columns=["area", "site", "minutes"]),
        hubs=pd.DataFrame(
            {"max_hours": rng.uniform(10, 40, hubs), "opening_cost": rng.uniform(50, 200, hubs)},
            index=[f"h{k}" for k in range(hubs)],
        ),
        max_minutes=15.0,
        cost_per_hour=5.0,
        budget=400.0,
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_invariants(seed: int) -> None:
    problem = random_problem(seed)
    plan = solve_telemedicine(problem, OPTIONS)
    physical = solve_telemedicine(replace(problem, hubs=problem.hubs.iloc[0:0]), OPTIONS)
    served = plan.in_person["hours"].sum() + plan.tele["hours"].sum()
    assert served >= physical.in_person["hours"].sum() - 1e-6  # hubs never lose coverage
    assert set(plan.tele["area"]) <= set(problem.connected.index[problem.connected])
    assert (plan.in_person["minutes"] <= problem.max_minutes).all()
    assert (plan.hubs["load"] <= plan.hubs["hours"] + 1e-6).all()
    assert (plan.hubs["hours"] <= problem.hubs["max_hours"].reindex(plan.hubs.index) + 1e-6).all()
    assert plan.costs["total"] <= problem.budget + 1e-6
    # same answer under row reordering
    shuffled = replace(
        problem,
        od=problem.od.sample(frac=1.0, random_state=seed),
        demand=problem.demand.sample(frac=1.0, random_state=seed),
        hubs=problem.hubs.iloc[::-1],
    )
    assert solve_telemedicine(shuffled, OPTIONS).objective == pytest.approx(
        plan.objective, rel=1e-6
    )


def test_checker_catches_tele_service_of_a_non_connected_area() -> None:
    problem = tiny(b_connected=False)
    plan = solve_telemedicine(tiny(), OPTIONS)  # serves B by the hub
    with pytest.raises(CheckError, match="non-connected areas are tele-served: B"):
        check_telemedicine(problem, plan)


def test_checker_catches_hub_over_its_maximum() -> None:
    problem = tiny()
    plan = solve_telemedicine(problem, OPTIONS)
    smaller = replace(problem, hubs=problem.hubs.assign(max_hours=1.0))
    with pytest.raises(CheckError, match="above its maximum"):
        check_telemedicine(smaller, plan)


def test_weights_must_prefer_tele_to_nothing() -> None:
    plan = solve_telemedicine(tiny(), OPTIONS, TeleWeights(unmet_penalty=20.0, tele_minutes=30.0))
    assert plan.tele.empty  # a tele hour "costs" more than an unmet one: the weights say so


def test_coverage_rules() -> None:
    areas = gpd.GeoDataFrame(
        geometry=[box(9.50, 47.0, 9.52, 47.02), box(9.60, 47.0, 9.62, 47.02)],
        index=pd.Index(["west", "east"]),
        crs=4326,
    )
    # covers the west square fully, and 30 % of the east square (not its representative point)
    coverage = gpd.GeoDataFrame(
        geometry=[box(9.49, 46.99, 9.53, 47.03), box(9.60, 46.99, 9.606, 47.03)], crs=4326
    )
    by_point = connected_by_coverage(areas, coverage, None)
    assert by_point.to_dict() == {"west": True, "east": False}
    assert connected_by_coverage(areas, coverage, 0.25).to_dict() == {"west": True, "east": True}
    assert connected_by_coverage(areas, coverage, 0.5).to_dict() == {"west": True, "east": False}


# ------------------------------------------------------------------- scenario and CLI (crowfly)


TELEMEDICINE = {
    "connected": "online",
    "divertible_share": 0.5,
    "visits_per_1000": {"all": 2600.0},
    "minutes_per_visit": 20.0,
    "site_hours": "hours",
    "hub": "is_hub",
    "hub_max_hours": 50.0,
    "hub_opening_cost": 100.0,
    "cost_per_hour": 1.0,
}
VISITS = {"path": "visits.csv", "area_id": "area"}  # a [history] of visits with each one's area


def write_tiny(
    folder: Path,
    telemedicine: dict[str, object] = TELEMEDICINE,
    *,
    age_bands: dict[str, str] | None = None,
    history: dict[str, str] | None = None,
    **area_columns,
) -> Path:
    """Three 1 km squares 0, ~7.6 and ~15 km east of a physician; two hub candidates."""
    columns = {"area": ["near", "mid", "far"], "pop": [1000, 2000, 3000]}
    columns["online"] = [True, True, False]
    columns.update(area_columns)
    squares = [box(x, 47.0, x + 0.013, 47.009) for x in (9.50, 9.60, 9.70)]
    gpd.GeoDataFrame(columns, geometry=squares, crs=4326).to_file(folder / "areas.geojson")
    gpd.GeoDataFrame(
        {"site": ["doc", "hub1", "hub2"], "hours": [100, 0, 0], "is_hub": [False, True, True]},
        geometry=[Point(9.506, 47.0045), Point(9.606, 47.0045), Point(9.706, 47.0045)],
        crs=4326,
    ).to_file(folder / "sites.geojson")
    return write_scenario(
        folder,
        name="tele-tiny",
        areas={"path": "areas.geojson", "id": "area", "population": "pop", "age_bands": age_bands},
        facilities={"path": "sites.geojson", "id": "site", "capacity": {}},
        network={"source": "crowfly"},
        optimize={"max_minutes": 10, "solver": "highs"},
        telemedicine=telemedicine,
        history=history,
    )


def test_cli_run_tiny(tmp_path: Path) -> None:
    scenario = write_tiny(tmp_path)
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["run", str(scenario), "--out", str(out)])
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    figures = summary["telemedicine"]
    # mid and far are beyond 10 min; mid is connected and its half goes to a hub, far has none
    assert figures["people_beyond_t_physical_only"] == 5000
    assert figures["people_gaining_access_through_telemedicine"] == pytest.approx(2000)
    assert figures["people_still_without_any"] == pytest.approx(3000)
    hours_mid = 2000 * 2.6 * 20 / 60 / 52 / 2
    assert sum(figures["physician_hours_by_hub"].values()) == pytest.approx(hours_mid)
    areas = gpd.read_file(out / "results.gpkg", layer="areas").set_index("area_id")
    assert areas["status"].to_dict() == {
        "near": "in person",
        "mid": "telemedicine",
        "far": "still without",
    }
    assert areas.loc["far", "tele_hours"] == 0
    for name in ("map.html", "report.html", "results.gpkg", "summary.json", "manifest.json"):
        assert (out / name).is_file()
    assert "still without" in (out / "report.html").read_text(encoding="utf-8")


def _exit(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(cli, args)
    return result.exit_code, result.output


def test_missing_connectivity_column(tmp_path: Path) -> None:
    scenario = write_tiny(tmp_path, {**TELEMEDICINE, "connected": "broadband"})
    code, output = _exit(["validate", str(scenario)])
    assert code == 3
    assert "[telemedicine] connected: column 'broadband' is not in the areas" in output
    assert "columns are:" in output


def test_negative_share_in_the_scenario(tmp_path: Path) -> None:
    scenario = write_tiny(tmp_path, {**TELEMEDICINE, "divertible_share": -0.2})
    code, output = _exit(["run", str(scenario), "--out", str(tmp_path / "out")])
    assert code == 3
    assert "divertible_share must be between 0 and 1, got -0.2" in output


def test_share_column_out_of_range_lists_areas(tmp_path: Path) -> None:
    telemedicine = {**TELEMEDICINE, "divertible_share": "share"}
    scenario = write_tiny(tmp_path, telemedicine, share=[0.2, 1.5, -0.1])
    code, output = _exit(["validate", str(scenario)])
    assert code == 3
    assert "must be shares between 0 and 1 (ids: mid, far)" in output


def test_bad_connectivity_values_and_hub_column(tmp_path: Path) -> None:
    telemedicine = {**TELEMEDICINE, "hub": "hub_flag"}
    scenario = write_tiny(tmp_path, telemedicine, online=["yes", "maybe", "no"])
    code, output = _exit(["validate", str(scenario)])
    assert code == 3
    assert "'online' must be true/false (or 1/0)" in output and "(ids: mid)" in output
    assert "[telemedicine] hub: column 'hub_flag' is not in the facilities" in output


def test_both_or_no_connectivity_source(tmp_path: Path) -> None:
    scenario = write_tiny(tmp_path, {**TELEMEDICINE, "coverage": "coverage.gpkg"})
    code, output = _exit(["validate", str(scenario)])
    assert code == 3 and "exactly one of connected" in output


def test_validate_ok(tmp_path: Path) -> None:
    code, output = _exit(["validate", str(write_tiny(tmp_path))])
    assert code == 0, output
    assert "3 areas, 3 sites (2 hub candidates)" in output


def test_coverage_file_through_the_cli(tmp_path: Path) -> None:
    # coverage over "far" only: far becomes eligible, mid (connected column not used) does not
    gpd.GeoDataFrame(geometry=[box(9.69, 46.99, 9.72, 47.02)], crs=4326).to_file(
        tmp_path / "coverage.geojson"
    )
    telemedicine = {**TELEMEDICINE, "connected": None, "coverage": "coverage.geojson"}
    scenario = write_tiny(tmp_path, telemedicine)
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["run", str(scenario), "--out", str(out)])
    assert result.exit_code == 0, result.output
    areas = gpd.read_file(out / "results.gpkg", layer="areas").set_index("area_id")
    assert areas["connected"].to_dict() == {"near": False, "mid": False, "far": True}
    assert areas["status"].to_dict() == {
        "near": "in person",
        "mid": "still without",
        "far": "telemedicine",
    }
    manifest = json.loads((out / "manifest.json").read_text())
    assert any(p.endswith("coverage.geojson") for p in manifest["inputs"])


def test_coverage_must_be_polygons(tmp_path: Path) -> None:
    gpd.GeoDataFrame(geometry=[Point(9.7, 47.0)], crs=4326).to_file(tmp_path / "cov.geojson")
    telemedicine = {**TELEMEDICINE, "connected": None, "coverage": "cov.geojson"}
    code, output = _exit(["validate", str(write_tiny(tmp_path, telemedicine))])
    assert code == 3 and "coverage must be polygons, found ['Point']" in output


def test_visits_by_age_band(tmp_path: Path) -> None:
    from geoalloc.runs.telemedicine import check_telemedicine_inputs
    from geoalloc.scenario import load_scenario

    bands = {"old": "65+"}
    telemedicine = {**TELEMEDICINE, "visits_per_1000": {"65+": 5200.0, "other": 2600.0}}
    scenario = write_tiny(tmp_path, telemedicine, age_bands=bands, old=[100, 0, 1000])
    problem, *_ = check_telemedicine_inputs(load_scenario(scenario))
    per_visit = 20 / 60 / 52 / 1000  # hours per visit per week, per 1,000 rate
    expected = {
        "near": 100 * 5200 + 900 * 2600,
        "mid": 2000 * 2600,
        "far": 1000 * 5200 + 2000 * 2600,
    }
    assert problem.demand.to_dict() == pytest.approx(
        {k: v * per_visit for k, v in expected.items()}
    )
    assert problem.divertible.to_dict() == pytest.approx(
        {
            "near": expected["near"] * per_visit / 2,
            "mid": expected["mid"] * per_visit / 2,
            "far": 0.0,
        }
    )
    telemedicine = {**TELEMEDICINE, "visits_per_1000": {"other": 2600.0}}
    write_tiny(tmp_path, telemedicine, age_bands=bands, old=[100, 0, 1000])
    code, output = _exit(["validate", str(scenario)])
    assert code == 3
    assert "[telemedicine]: visits_per_1000 has no rate for age band '65+'" in output


def test_compare_refuses_telemedicine_runs_with_a_clear_message(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from geoalloc.cli import cli

    run = tmp_path / "tele"
    run.mkdir()
    (run / "summary.json").write_text(
        '{"format": 1, "kind": "telemedicine", "model": "telemedicine", "scenario": "x"}'
    )
    (run / "results.gpkg").write_bytes(b"")
    result = CliRunner().invoke(cli, ["compare", str(run), str(run)])
    assert result.exit_code == 2
    assert "compares runs of the planning models" in result.output


def test_sweep_refuses_a_telemedicine_scenario(tmp_path: Path, shared_data: Path) -> None:
    from click.testing import CliRunner

    from geoalloc.cli import cli

    example = REPO_ROOT / "examples" / "liechtenstein_telemedicine"
    result = CliRunner().invoke(
        cli,
        [
            "sweep",
            str(example / "telemedicine.toml"),
            "--vary",
            "optimize.max_minutes=10,15",
            "--out",
            str(tmp_path / "sweep"),
        ],
    )
    assert result.exit_code == 2
    assert "has a [telemedicine] section" in result.output


def test_access_by_group_by_hand() -> None:
    from geoalloc.runs.telemedicine import access_by_group

    # a (100 people) beyond T, half its divertible hours tele-served; b (50) beyond T, none;
    # c (200) within T
    table = pd.DataFrame(
        {
            "population": [100.0, 50.0, 200.0],
            "beyond_t": [True, True, False],
            "people_gaining_access": [50.0, 0.0, 0.0],
        },
        index=["a", "b", "c"],
    )
    bands = pd.DataFrame(
        {"65+": [40.0, 10.0, 20.0], "other": [60.0, 40.0, 180.0]}, index=table.index
    )
    rows = {r["group"]: r for r in access_by_group(table, {"age band": bands})}
    assert rows["65+"]["people_beyond_t_physical_only"] == 50.0
    assert rows["65+"]["people_gaining_access_through_telemedicine"] == pytest.approx(20.0)
    assert rows["65+"]["people_still_without_any"] == pytest.approx(30.0)
    assert rows["other"]["people_beyond_t_physical_only"] == 100.0
    assert rows["other"]["people_gaining_access_through_telemedicine"] == pytest.approx(30.0)
    assert rows["other"]["population"] == 280.0


def test_divertible_share_by_case_mix_from_the_history(tmp_path: Path) -> None:
    # visits history (no LOS needed): mid has 3 PSYCH (70 % divertible) and 1 SURG (10 %) rows →
    # 0.55; near only SURG → 0.10; far has none → the mix of the 5 usable rows, (2.1 + 0.2) / 5
    (tmp_path / "visits.csv").write_text(
        "visit,area,service\n1,mid,PSYCH\n2,mid,PSYCH\n3,mid,PSYCH\n4,mid,SURG\n5,near,SURG\n"
        "6,elsewhere,PSYCH\n"
    )
    shares = {"by": "service", "shares": {"PSYCH": 0.7, "SURG": 0.1}}
    telemedicine = {**TELEMEDICINE, "divertible_share": shares}
    scenario = write_tiny(tmp_path, telemedicine, history=VISITS)
    from geoalloc.runs.telemedicine import check_telemedicine_inputs
    from geoalloc.scenario import load_scenario

    problem, _, _, notes = check_telemedicine_inputs(load_scenario(scenario))
    share = problem.divertible / problem.demand
    assert share["mid"] == pytest.approx(0.55)
    assert share["near"] == pytest.approx(0.10)
    assert share["far"] == 0.0  # not connected: nothing divertible whatever its mix
    joined = " ".join(notes)
    assert "1 history row(s) without a known area" in joined
    assert "take the whole history's mix (0.460): far" in joined


def test_case_mix_shares_need_a_history_with_areas_and_a_share_per_group(tmp_path: Path) -> None:
    shares = {"by": "service", "shares": {"PSYCH": 0.7}}
    telemedicine = {**TELEMEDICINE, "divertible_share": shares}
    scenario = write_tiny(tmp_path, telemedicine)
    result = CliRunner().invoke(cli, ["validate", str(scenario)])
    assert result.exit_code == 3
    assert "need an admissions/visits history with each row's area" in result.output
    (tmp_path / "visits.csv").write_text("visit,area,service\n1,mid,PSYCH\n2,mid,SURG\n")
    write_tiny(tmp_path, telemedicine, history=VISITS)
    result = CliRunner().invoke(cli, ["validate", str(scenario)])
    assert result.exit_code == 3
    assert "history groups without a share: ['SURG']" in result.output


def test_report_rebuilds_a_telemedicine_run(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert (
        CliRunner().invoke(cli, ["run", str(write_tiny(tmp_path)), "--out", str(out)]).exit_code
        == 0
    )
    (out / "map.html").unlink()
    (out / "report.html").unlink()
    result = CliRunner().invoke(cli, ["report", str(out)])
    assert result.exit_code == 0, result.output
    assert "Telemedicine hubs (size: hours)" in (out / "map.html").read_text(encoding="utf-8")
    assert "still without" in (out / "report.html").read_text(encoding="utf-8")
