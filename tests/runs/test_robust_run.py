"""``geoalloc robust`` end to end on a tiny instance whose answer is known per draw (see
tests/runs/robust_instance.py): how often each site is chosen, the probability each area is
covered, the robust and the mean plan, one travel matrix for every draw, the same results on every
executor, and a run folder that ``geoalloc report`` opens."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from geoalloc.cli import cli
from geoalloc.parallel import ComputeOptions
from geoalloc.runs import RunFolder
from geoalloc.runs import robust as robust_module
from geoalloc.runs.robust import run_robust, with_robustness
from geoalloc.runs.robust_draws import draw_factors
from geoalloc.scenario import load_scenario
from tests.runs.robust_instance import BEDS_PER_PERSON, POPULATION, SITE_BEDS, write_instance

DRAWS, SAA_DRAWS, SEED = 8, 4, 3


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory, write_scenario):
    folder = tmp_path_factory.mktemp("tiny-robust")
    path = write_instance(folder, write_scenario, robustness={"saa_draws": SAA_DRAWS})
    return with_robustness(load_scenario(path), draws=DRAWS, seed=SEED)


@pytest.fixture(scope="module")
def serial(scenario):
    calls = []
    real = robust_module.travel_matrix_for

    def counted(*args, **kwargs):
        calls.append(kwargs.get("min_horizon"))
        return real(*args, **kwargs)

    robust_module.travel_matrix_for = counted
    try:
        result = run_robust(scenario, compute=ComputeOptions(executor="serial"))
    finally:
        robust_module.travel_matrix_for = real
    return result, calls


def _factors(scenario):
    return draw_factors(scenario.robustness, draws=DRAWS, seed=SEED, n_areas=3)


def test_one_travel_matrix_serves_every_draw(serial) -> None:
    _, calls = serial
    assert calls == [pytest.approx(10 / 0.85)]  # routed once, to the slowest draw's horizon


def test_how_often_each_site_is_chosen(serial, scenario) -> None:
    result, _ = serial
    sites = result.facilities
    factors = _factors(scenario)
    # areas are sorted A, B, C: with p = 2 a draw keeps S2 and the site of the larger of A and C
    a_wins = np.array([f.population[0] > f.population[2] for f in factors])
    assert 0 < a_wins.sum() < DRAWS  # the instance is a real choice
    assert sites.loc["S1", "chosen_share"] == pytest.approx(a_wins.mean())
    assert sites.loc["S3", "chosen_share"] == pytest.approx(1 - a_wins.mean())
    assert sites.loc["S2", "chosen_share"] == 1.0
    assert (sites["expanded_share"] == 0).all()  # nothing is expandable
    # the robust plan keeps the site whose area needs more on average over the SAA draws
    saa_a = np.mean([f.population[0] for f in factors[:SAA_DRAWS]])
    saa_c = np.mean([f.population[2] for f in factors[:SAA_DRAWS]])
    assert bool(sites.loc["S1", "open"]) == (saa_a > saa_c)
    assert bool(sites.loc["S3", "open"]) == (saa_a < saa_c)
    # the mean plan: the same on the mean needs over all draws
    all_a = np.mean([f.population[0] * f.admission * f.los for f in factors])
    all_c = np.mean([f.population[2] * f.admission * f.los for f in factors])
    assert bool(sites.loc["S1", "mean_plan_open"]) == (all_a > all_c)
    assert result.summary["robustness"]["coin_toss_sites"] == sorted(
        s for s in ("S1", "S3") if 0.2 <= sites.loc[s, "chosen_share"] <= 0.8
    )


def test_the_probability_each_area_is_covered(serial, scenario) -> None:
    result, _ = serial
    areas = result.areas
    assert sorted(areas.index) == sorted(POPULATION)  # every input area
    factors = _factors(scenario)
    tolerance = scenario.robustness.coverage_tolerance
    need_b = np.array(
        [POPULATION["B"] * f.population[1] * BEDS_PER_PERSON * f.admission * f.los for f in factors]
    )
    covered_b = need_b - SITE_BEDS["S2"] <= tolerance * need_b + 1e-9
    assert 0 < covered_b.sum() < DRAWS
    assert areas.loc["B", "p_covered"] == pytest.approx(covered_b.mean())
    assert areas.loc["B", "unmet_mean_beds"] == pytest.approx(
        np.maximum(need_b - SITE_BEDS["S2"], 0).mean(), rel=1e-6
    )
    sites = result.facilities
    assert areas.loc["A", "p_covered"] == float(sites.loc["S1", "open"])
    assert areas.loc["C", "p_covered"] == float(sites.loc["S3", "open"])
    assert areas.loc["A", "p_covered_mean_plan"] == float(sites.loc["S1", "mean_plan_open"])


def test_summary_states_the_uncertainty_and_the_comparison(serial) -> None:
    result, _ = serial
    robustness = result.summary["robustness"]
    assert robustness["draws"] == DRAWS and robustness["seed"] == SEED
    assert robustness["saa_draws"] == SAA_DRAWS
    assert robustness["out_of_sample_draws"] == DRAWS - SAA_DRAWS
    assert robustness["uncertainty"]["population_error"] == {
        "value": 0.1,
        "default": 0.1,
        "meaning": robustness["uncertainty"]["population_error"]["meaning"],
    }
    comparison = robustness["comparison"]
    for plan in ("robust_plan", "mean_plan"):
        kpis = robustness["kpis"][plan]
        assert kpis["draws"] == DRAWS
        assert kpis["unmet"]["beds"]["p5"] <= kpis["unmet"]["beds"]["p95"]
        block = comparison[plan]
        assert block["out_of_sample_draws"] == DRAWS - SAA_DRAWS
        assert block["worst_5pct_unmet"]["beds"] >= block["expected_unmet"]["beds"]
    # the draws' own plans are each the best for their draw: never more unmet than a fixed plan
    own = robustness["kpis"]["own_plans"]["unmet"]["beds"]["mean"]
    assert own <= comparison["robust_plan"]["expected_unmet"]["beds"] + 1e-6
    assert set(result.summary["timings_s"]) >= {"read", "travel", "draws", "saa", "evaluate"}
    assert robustness["per_draw"]["bare_solve_s"] > 0


def test_the_folder_opens_with_geoalloc_report(serial, tmp_path: Path) -> None:
    result, _ = serial
    folder = result.write(tmp_path / "run")
    loaded = RunFolder(folder).read()
    assert loaded.kind.name == "robust"
    assert {"p_covered", "p_covered_mean_plan"} <= set(loaded.layers["areas"].columns)
    (folder / "map.html").unlink()
    outcome = CliRunner().invoke(cli, ["report", str(folder)])
    assert outcome.exit_code == 0, outcome.output
    page = (folder / "report.html").read_text()
    assert "Robust plan vs the plan for the mean future" in page and "coin toss" in page
    assert "probability an area is served" in (folder / "map.html").read_text()


@pytest.mark.slow
def test_processes_give_the_serial_results(serial, scenario) -> None:
    result, _ = serial
    parallel = run_robust(scenario, compute=ComputeOptions(executor="processes", workers=2))
    for layer in ("facilities", "areas"):
        a, b = result.layers[layer], parallel.layers[layer]
        assert list(a.columns) == list(b.columns)
        numeric = a.select_dtypes("number").columns
        np.testing.assert_array_equal(a[numeric].to_numpy(), b[numeric].to_numpy())
    for key in ("kpis", "comparison", "draw_factors", "coin_toss_sites"):
        assert result.summary["robustness"][key] == parallel.summary["robustness"][key]


@pytest.mark.slow
@pytest.mark.dask
def test_dask_gives_the_serial_results(serial, scenario) -> None:
    pytest.importorskip("distributed")
    result, _ = serial
    on_dask = run_robust(scenario, compute=ComputeOptions(executor="dask", workers=2))
    for layer in ("facilities", "areas"):
        a, b = result.layers[layer], on_dask.layers[layer]
        numeric = a.select_dtypes("number").columns
        np.testing.assert_array_equal(a[numeric].to_numpy(), b[numeric].to_numpy())
    assert result.summary["robustness"]["kpis"] == on_dask.summary["robustness"]["kpis"]
    assert on_dask.summary["robustness"]["executor"] == "dask"
