"""The README's "Keeping the plan current" figures, recomputed from the example's runs (real data:
chicago_kang2020 and the MIMIC-IV demo in ../shared/data)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from click.testing import CliRunner

import geoalloc
from geoalloc.cli import cli
from geoalloc.runs.lineage import read_chain

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "keeping_current"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def chicago(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    assert (shared_data / "chicago_kang2020").is_dir()
    root = tmp_path_factory.mktemp("keeping-current")
    geoalloc.run(EXAMPLE / "plan.toml").write(root / "plan")
    surge = geoalloc.update(
        root / "plan", scenario=EXAMPLE / "surge.toml", max_changes=4, out=root / "surge"
    )
    surge.write(root / "surge")
    closed = geoalloc.update(
        root / "surge", scenario=EXAMPLE / "christ_closed.toml", max_changes=2, out=root / "closed"
    )
    closed.write(root / "closed")
    return {"root": root, "surge": surge.summary, "closed": closed.summary}


def test_the_surge_update(chicago: dict) -> None:
    summary = chicago["surge"]
    update = summary["update"]
    assert summary["demand"]["beds"] == pytest.approx(6016.8, abs=0.05)
    assert update["kept"]["unmet"]["beds"] == pytest.approx(483.8, abs=0.05)
    assert update["new"]["unmet"]["beds"] == pytest.approx(29.8, abs=0.05)
    rows = {(r["change"], r["site"]): r for r in update["change_rows"]}
    assert set(rows) == {
        ("open", "University of Illinois Hospital and Health Science"),
        ("open", "Ingalls Memorial Hospital"),
        ("close", "Advocate Trinity Hospital"),
        ("close", "Presence Saint Francis Hospital"),
    }
    opened = rows[("open", "University of Illinois Hospital and Health Science")]
    assert opened["unmet_avoided"] == pytest.approx(471.3, abs=0.05)
    assert rows[("open", "Ingalls Memorial Hospital")]["unmet_avoided"] == pytest.approx(
        379.0, abs=0.05
    )
    assert update["access"]["areas_lost"] == 3
    assert update["access"]["population_lost"] == pytest.approx(14_397)


def test_the_surge_frontier_row_of_two_changes(chicago: dict) -> None:
    from geoalloc.optimize.replan import disruption_frontier
    from geoalloc.runs.planning import build_problem, check_inputs
    from geoalloc.runs.travel import od_table
    from geoalloc.runs.update import current_plan, read_parent

    scenario = geoalloc.load_scenario(EXAMPLE / "surge.toml")
    inputs = check_inputs(scenario)
    problem = build_problem(scenario, inputs, od_table(inputs.travel_matrix(scenario)))
    parent = read_parent(chicago["root"] / "plan")
    front = disruption_frontier(
        problem, scenario.optimize, current_plan(parent.facilities, ["beds"]), [0, 2]
    )
    assert front["unmet"].round(1).tolist() == [483.8, 193.8]
    assert front["travel_demand_minutes"].round(0).tolist() == [71_559, 81_909]


def test_a_hospital_out_of_service(chicago: dict) -> None:
    update = chicago["closed"]["update"]
    assert update["closed_by_data"] == ["Advocate Christ Medical Center"]
    assert update["kept"]["unmet"]["beds"] == pytest.approx(791.0, abs=0.05)
    assert update["new"]["unmet"]["beds"] == pytest.approx(653.0, abs=0.05)
    assert sorted((r["change"], r["site"]) for r in update["change_rows"]) == [
        ("close", "Swedish Covenant Hospital"),
        ("open", "John H Stroger Hospital"),
    ]
    chain = read_chain(chicago["root"] / "closed")
    assert [step.parent_link for step in chain] == ["none", "ok", "ok"]


def test_mimic_periods_change_nothing_beyond_the_noise(shared_data: Path, tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("mimic_periods", EXAMPLE / "mimic_periods.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    periods = module.admissions_by_period(shared_data / "mimic_iv_demo_2.2")
    assert {k: len(v) for k, v in periods.items()} == {
        "2011-2013": 78,
        "2014-2016": 128,
        "2017-2021": 69,
    }
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for label, table in periods.items():
        table.to_csv(
            (tmp_path if label == "2011-2013" else inbox) / f"admissions_{label}.csv", index=False
        )
    scenario = geoalloc.load_scenario(EXAMPLE / "plan_mimic.toml")
    assert scenario.history is not None
    first = tmp_path / "admissions_2011-2013.csv"
    scenario = scenario.model_copy(
        update={"history": scenario.history.model_copy(update={"path": first})}
    )
    geoalloc.run(scenario).write(tmp_path / "plan")
    args = ["follow", str(tmp_path / "plan"), str(inbox), "--out-root", str(tmp_path / "u")]
    result = CliRunner().invoke(cli, [*args, "--skip-below-noise"])
    assert result.exit_code == 0, result.output
    assert "mean 7.54 → 6.67 days, Mann–Whitney p = 0.27, Kolmogorov–Smirnov p = 0.3" in (
        result.output
    )
    assert "mean 7.00 → 6.51 days, Mann–Whitney p = 0.35, Kolmogorov–Smirnov p = 0.4" in (
        result.output
    )
    assert result.output.count("plan kept as it is") == 2
    again = CliRunner().invoke(cli, [*args, "--skip-below-noise"])
    assert again.output.count("already applied") == 2


def test_the_surge_refit_on_the_synthetic_series(shared_data: Path) -> None:
    """The README's surge-refit figures: the fit alone (the update's re-plan is the plan's)."""
    import numpy as np

    from geoalloc.demand.surge_fit import DailyAdmissions, fit_surge, surge_drift

    assert (shared_data / "chicago_kang2020").is_dir()
    spec = importlib.util.spec_from_file_location(
        "surge_admissions", EXAMPLE / "surge_admissions.py"
    )
    assert spec is not None and spec.loader is not None
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    baseline, population = example.scenario_baseline()
    assert baseline == pytest.approx(912.0, abs=0.05)
    table = example.synthetic_admissions()
    assert len(table) == 35 and table["date"].iloc[0] == "2020-03-09"
    plan = geoalloc.load_scenario(EXAMPLE / "plan_sir.toml").demand.surge

    def fit(days: int):
        series = DailyAdmissions(
            day=np.arange(days), admissions=table["admissions"].to_numpy(float)[:days]
        )
        return fit_surge(series, plan, baseline_admissions_per_day=baseline, population=population)

    result = fit(35)
    row = result.parameter("doubling_time_days")
    assert (row["estimate"], row["ci_low"], row["ci_high"]) == pytest.approx(
        (3.24, 2.93, 3.58), abs=0.005
    )
    assert result.pearson_dispersion == pytest.approx(0.77, abs=0.005)
    drift = surge_drift(result)
    assert drift.changed and "growing faster than the plan assumed" in drift.verdict
    early = fit(28).parameter("doubling_time_days")
    assert (early["ci_low"], early["ci_high"]) == pytest.approx((2.8, 4.7), abs=0.05)
    # the surge's bed peak, plan's curve vs the refit (as the runs' summary.json give them)
    from geoalloc._validate import Problems
    from geoalloc.demand.area_needs import area_surge
    from geoalloc.inputs.read import read_areas

    scenario = geoalloc.load_scenario(EXAMPLE / "plan_sir.toml")
    areas = read_areas(scenario.areas, Problems())
    peaks = []
    for surge in (plan, result.surge):
        daily = area_surge(
            areas,
            population=scenario.areas.population,
            age_bands=scenario.areas.age_bands,
            options=scenario.demand.model_copy(update={"surge": surge}),
        ).daily
        peaks.append((round(float(daily["beds"].max())), int(daily["beds"].to_numpy().argmax())))
    assert peaks == [(14_899, 85), (18_183, 58)]
