"""The draws of ``geoalloc robust``: reproducible per draw, the factors' stated distributions, and
each draw's needs and travel times computed from the base inputs exactly as stated."""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest

from geoalloc._errors import InputError
from geoalloc.demand.los import LosFit, LosModel
from geoalloc.runs.planning import check_inputs
from geoalloc.runs.robust import check_robust, robust_horizon, with_robustness
from geoalloc.runs.robust_draws import (
    draw_factors,
    draw_inputs,
    draw_problem,
    make_base,
    scaled_los,
)
from geoalloc.runs.travel import od_table, travel_matrix_for
from geoalloc.scenario import load_scenario
from geoalloc.scenario.robustness import RobustnessOptions
from tests.helpers import REPO_ROOT
from tests.runs.robust_instance import (
    ALTERNATIVE_SHARE,
    BEDS_PER_PERSON,
    POPULATION,
    write_instance,
)


def _factors(options: RobustnessOptions, draws: int, seed: int = 1, **kw):
    return draw_factors(options, draws=draws, seed=seed, n_areas=50, **kw)


def test_a_draw_is_the_same_whatever_the_number_of_draws() -> None:
    options = RobustnessOptions()
    few, many = _factors(options, 5), _factors(options, 40)
    again = _factors(options, 5)
    for a, b, c in zip(few, many[:5], again, strict=True):
        assert np.array_equal(a.population, b.population) and a.speed == b.speed
        assert (a.admission, a.los, a.surge) == (b.admission, b.los, b.surge)
        assert np.array_equal(a.population, c.population)
    other = _factors(options, 5, seed=2)
    assert not np.array_equal(few[0].population, other[0].population)


def test_factors_have_the_stated_distributions() -> None:
    options = RobustnessOptions(population_error=0.3, speed_factor=(0.7, 1.2))
    factors = _factors(options, 400, surge=True)
    population = np.concatenate([f.population for f in factors])  # 20,000 area factors
    # mean one: exp(sd·z − sd²/2); the sample mean's sd is sqrt(exp(sd²) − 1) / sqrt(n)
    se = math.sqrt(math.exp(0.3**2) - 1) / math.sqrt(population.size)
    assert abs(population.mean() - 1.0) < 4 * se
    assert np.log(population).std() == pytest.approx(0.3, rel=0.03)
    speeds = np.array([f.speed for f in factors])
    assert speeds.min() >= 0.7 and speeds.max() <= 1.2
    assert speeds.min() < 0.72 and speeds.max() > 1.18  # the whole range is drawn
    for name, sd in (("admission", 0.10), ("los", 0.10), ("surge", 0.20)):
        values = np.array([getattr(f, name) for f in factors])
        se = math.sqrt(math.exp(sd**2) - 1) / math.sqrt(values.size)
        assert abs(values.mean() - 1.0) < 4 * se, name
    # no surge in the scenario: its factor stays 1; an error of 0 draws nothing
    assert {f.surge for f in _factors(options, 20)} == {1.0}
    still = _factors(RobustnessOptions(population_error=0.0, admission_rate_error=0.0), 3)
    assert all(np.all(f.population == 1.0) and f.admission == 1.0 for f in still)


def test_los_bootstrap_factor_from_the_history_rows() -> None:
    values = np.array([1.0, 2.0, 3.0, 10.0])
    factors = _factors(RobustnessOptions(), 200, los_values=values)
    los = np.array([f.los for f in factors])
    # each factor is the mean of 4 of the rows (with replacement) over their mean, 4.0
    assert set(np.round(los * 4.0 * 4, 9)) <= {float(s) for s in range(4, 41)}
    se = values.std() / math.sqrt(len(values)) / values.mean() / math.sqrt(len(los))
    assert abs(los.mean() - 1.0) < 4 * se


def test_scaled_los_scales_every_stay() -> None:
    for fit in (
        LosFit("lognormal", {"mu": 1.2, "sigma": 0.6}),
        LosFit("gamma", {"shape": 2.0, "scale_days": 3.0}),
        LosFit.assumed(5.0),
    ):
        scaled = scaled_los(LosModel(fit), 1.3)
        assert scaled.mean_days == pytest.approx(1.3 * fit.mean_days)
        assert scaled.overall.p_longer(1.3 * 4.0) == pytest.approx(fit.p_longer(4.0))


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory, write_scenario):
    folder = tmp_path_factory.mktemp("tiny-robust-draws")
    scenario = with_robustness(load_scenario(write_instance(folder, write_scenario)))
    inputs = check_inputs(scenario)
    options = scenario.robustness
    matrix = travel_matrix_for(
        scenario,
        inputs.area_points,
        inputs.facilities,
        min_horizon=robust_horizon(scenario, options),
    )
    return scenario, make_base(scenario, inputs, od_table(matrix))


def test_a_draws_needs_follow_its_factors(tiny) -> None:
    scenario, base = tiny
    (factors,) = draw_factors(
        base.options, draws=1, seed=7, n_areas=len(base.area_ids), surge=base.surge
    )
    inputs = draw_inputs(base, factors)
    pf = dict(zip(base.area_ids, factors.population, strict=True))
    for area, people in POPULATION.items():
        expected = people * pf[area] * BEDS_PER_PERSON * factors.admission * factors.los
        assert inputs.needs.loc[area, "beds"] == pytest.approx(expected, rel=1e-9)
        assert inputs.areas.loc[area, "pop"] == pytest.approx(people * pf[area])
    assert base.inputs.areas.loc["A", "pop"] == POPULATION["A"]  # the base is left as it was


def test_a_draws_travel_minutes_are_divided_by_its_speed(tiny) -> None:
    scenario, base = tiny
    options = base.options.model_copy(update={"speed_factor": (0.5, 0.5)})
    (slow,) = draw_factors(options, draws=1, seed=1, n_areas=3)
    problem = draw_problem(base, slow)
    pairs = base.od.set_index(["area", "site"])["minutes"]
    for row in problem.od.itertuples():
        assert row.minutes == pytest.approx(pairs[(row.area, row.site)] / 0.5)
    # pairs beyond the standard at the draw's speed are dropped, those within kept
    within = base.od[base.od["minutes"] / 0.5 <= scenario.optimize.max_minutes]
    assert len(problem.od) == len(within) > 0
    # the matrix reaches the standard at the slowest speed: 10 min / 0.85
    assert robust_horizon(scenario, base.options) == pytest.approx(10 / 0.85)


def test_the_surge_part_of_admissions_takes_the_surge_factor(
    tmp_path: Path, write_scenario
) -> None:
    demand = {
        "resource": "beds",
        "admissions_per_1000": {"all": 100.0},
        "los_days": 5.0,
        "occupancy_target": 1.0,
        "surge_multiplier": 3.0,
    }
    scenario = with_robustness(
        load_scenario(write_instance(tmp_path, write_scenario, demand=demand))
    )
    inputs = check_inputs(scenario)
    base = make_base(
        scenario,
        inputs,
        od_table(travel_matrix_for(scenario, inputs.area_points, inputs.facilities)),
    )
    assert base.surge
    (factors,) = draw_factors(base.options, draws=1, seed=3, n_areas=3, surge=True)
    assert factors.surge != 1.0
    needs = draw_inputs(base, factors).needs
    pf = factors.population[0]  # area A, the first id
    multiplier = factors.admission * (1.0 + 2.0 * factors.surge)  # the surge part is 3 − 1
    expected = POPULATION["A"] * pf * BEDS_PER_PERSON * factors.los * multiplier
    assert needs.loc["A", "beds"] == pytest.approx(expected, rel=1e-9)


def test_a_draw_may_take_the_alternative_population(tmp_path: Path, write_scenario) -> None:
    from geoalloc.runs.robust_draws import DrawFactors

    robustness = {"population_alternative": "pop_other"}
    path = write_instance(tmp_path, write_scenario, robustness=robustness)
    scenario = with_robustness(load_scenario(path))
    inputs = check_robust(scenario)
    base = make_base(
        scenario,
        inputs,
        od_table(travel_matrix_for(scenario, inputs.area_points, inputs.facilities)),
    )
    factors = draw_factors(base.options, draws=200, seed=1, n_areas=3, alternative=True)
    taken = np.array([f.alternative for f in factors])
    assert abs(taken.mean() - 0.5) < 4 * 0.5 / math.sqrt(len(taken))
    # the other factors are those of the draws without the alternative: it is drawn last
    plain = draw_factors(base.options, draws=200, seed=1, n_areas=3)
    assert [f.speed for f in factors] == [f.speed for f in plain]
    pf = np.array([1.0, 1.1, 0.9])
    other = DrawFactors(
        k=0, population=pf, admission=1.0, los=1.0, speed=1.0, surge=1.0, alternative=True
    )
    needs = draw_inputs(base, other).needs["beds"]
    for i, area in enumerate("ABC"):
        people = POPULATION[area] * ALTERNATIVE_SHARE[area] * pf[i]
        assert needs[area] == pytest.approx(people * BEDS_PER_PERSON, rel=1e-9)
    missing = write_instance(
        tmp_path, write_scenario, robustness={"population_alternative": "nope"}
    )
    with pytest.raises(InputError, match="population_alternative.*'nope'"):
        check_robust(with_robustness(load_scenario(missing)))
    # a column that is not persons: each bad row named by its area id
    for column, values, match in [
        ("pop_text", ["many", "1", "2"], "is not a number \\(ids: A\\)"),
        ("pop_negative", [1.0, -1.0, 2.0], "is negative \\(ids: B\\)"),
    ]:
        path = write_instance(
            tmp_path, write_scenario, robustness={"population_alternative": column}
        )
        areas = gpd.read_file(tmp_path / "areas.gpkg")
        areas[column] = values
        areas.to_file(tmp_path / "areas.gpkg")
        with pytest.raises(
            InputError, match=f"population_alternative: areas column '{column}' {match}"
        ):
            check_robust(with_robustness(load_scenario(path)))


def test_robustness_values_are_checked(tmp_path: Path, write_scenario) -> None:
    path = write_instance(tmp_path, write_scenario, robustness={"speed_factor": [1.2, 0.8]})
    with pytest.raises(InputError, match="speed_factor"):
        load_scenario(path)
    with pytest.raises(InputError, match=r"the lower factor first \(e\.g\. \[0\.85, 1\.15\]"):
        load_scenario(path)
    scenario = load_scenario(write_instance(tmp_path, write_scenario))
    assert scenario.robustness is None
    assert with_robustness(scenario).robustness == RobustnessOptions()  # the defaults
    assert with_robustness(scenario, draws=7, seed=3).robustness.draws == 7
    with pytest.raises(InputError, match="draws"):
        with_robustness(scenario, draws=0)


def test_with_a_history_the_los_factor_scales_the_fitted_stays(shared_data: Path) -> None:
    """The resource-limited Chicago scenario fits LOS per age band to the MIMIC-IV demo
    admissions: a draw's LOS factor scales every band's fitted stay, so the bed-days too."""
    from geoalloc.runs.robust_draws import DrawFactors

    path = REPO_ROOT / "examples" / "chicago_resource_limited" / "ventilators.toml"
    scenario = with_robustness(load_scenario(path))
    inputs = check_inputs(scenario)
    base = make_base(
        scenario,
        inputs,
        od_table(travel_matrix_for(scenario, inputs.area_points, inputs.facilities)),
    )
    assert base.los_values is not None and len(base.los_values) > 50
    (drawn,) = draw_factors(
        base.options, draws=1, seed=1, n_areas=len(base.area_ids), los_values=base.los_values
    )
    assert drawn.los != 1.0
    ones = np.ones(len(base.area_ids))
    same = DrawFactors(k=0, population=ones, admission=1.0, los=1.0, speed=1.0, surge=1.0)
    longer = DrawFactors(k=0, population=ones, admission=1.0, los=1.25, speed=1.0, surge=1.0)
    before = draw_inputs(base, same).needs["bed_days_per_day"]
    after = draw_inputs(base, longer).needs["bed_days_per_day"]
    np.testing.assert_allclose(before, inputs.needs["bed_days_per_day"], rtol=1e-9)
    np.testing.assert_allclose(after, 1.25 * before, rtol=2e-3)


def test_saa_draws_above_draws_is_noted(tmp_path: Path, write_scenario) -> None:
    """Capped at draws (documented), and said so: no draw is left for the out-of-sample check."""

    def notes(robustness: dict) -> list[str]:
        path = write_instance(tmp_path, write_scenario, robustness=robustness)
        scenario = with_robustness(load_scenario(path))
        inputs = check_robust(scenario)
        od = od_table(travel_matrix_for(scenario, inputs.area_points, inputs.facilities))
        return make_base(scenario, inputs, od).notes

    assert notes({"draws": 5, "saa_draws": 8}) == [
        "[robustness] saa_draws = 8 is more than the 5 draws: the robust plan is solved on all 5 "
        "(set saa_draws ≤ draws, or more draws, to keep draws it is not solved on for an "
        "out-of-sample check)"
    ]
    assert notes({"draws": 5}) == []  # the default saa_draws (20), capped without a word
