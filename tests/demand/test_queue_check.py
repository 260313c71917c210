"""Queue check: simulated blocking and waits agree with Erlang-B / Erlang-C within their CI."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from geoalloc._errors import InputError
from geoalloc.demand.erlang import erlang_b, erlang_c_mean_wait
from geoalloc.demand.los import LosFit, LosModel
from geoalloc.demand.options import DemandOptions
from geoalloc.demand.queue import queue_check, simulate_loss

LOGNORMAL_MEAN5 = LosFit("lognormal", {"mu": math.log(5.0) - 0.5 * 0.8**2, "sigma": 0.8})


def test_simulated_blocking_agrees_with_erlang_b_for_a_lognormal_los():
    # 10 beds, 6.216 Erlangs: the published 5 % point. Erlang-B is insensitive to the LOS
    # distribution, so a heavy-tailed lognormal LOS must give the same blocking.
    assert LOGNORMAL_MEAN5.mean_days == pytest.approx(5.0)
    options = DemandOptions(simulation_days=3000, simulation_replications=20)
    load = pd.DataFrame({"bed_days_per_day": [6.216]}, index=pd.Index(["H1"], name="site"))
    cap = pd.DataFrame({"beds": [10.0]}, index=pd.Index(["H1"], name="site"))
    out = queue_check(load, cap, LOGNORMAL_MEAN5, options=options, seed=11).loc["H1"]
    assert out["blocking_erlang_b"] == pytest.approx(0.05, rel=5e-3)
    assert out["sim_blocking_ci_low"] <= out["blocking_erlang_b"] <= out["sim_blocking_ci_high"]
    assert out["sim_blocking_ci_high"] - out["sim_blocking_ci_low"] < 0.01  # a tight CI
    assert out["sim_occupancy"] == pytest.approx(out["expected_occupancy"], rel=0.03)
    assert out["arrivals_per_day"] == pytest.approx(6.216 / 5.0)


def test_simulation_can_tell_a_wrong_server_count():
    # the same run against 9 beds: Erlang-B(10) lies outside its CI, so the check above can fail
    rng = np.random.default_rng(3)
    runs = [
        simulate_loss(6.216 / 5.0, 9, LOGNORMAL_MEAN5, rng=rng, days=3000, warmup_days=50)[0]
        for _ in range(10)
    ]
    assert np.mean(runs) > erlang_b(10, 6.216) + 0.015
    assert np.mean(runs) == pytest.approx(erlang_b(9, 6.216), abs=0.01)


def test_simulated_wait_agrees_with_erlang_c_when_queuing_is_allowed():
    options = DemandOptions(queue_allowed=True, simulation_days=4000, simulation_replications=20)
    load = pd.DataFrame({"bed_days_per_day": [3.5]}, index=["H"])
    cap = pd.DataFrame({"beds": [5.0]}, index=["H"])
    exp_los = LosModel.assumed(2.0)  # M/M/c: Erlang-C assumes an exponential LOS
    out = queue_check(load, cap, exp_los, options=options, seed=5).loc["H"]
    expected = erlang_c_mean_wait(5, 3.5, 2.0)
    assert out["mean_wait_days_erlang_c"] == pytest.approx(expected)
    assert out["sim_mean_wait_ci_low"] <= expected <= out["sim_mean_wait_ci_high"]
    assert out["sim_wait_probability"] == pytest.approx(out["wait_probability_erlang_c"], abs=0.03)
    assert out["sim_blocking"] == 0.0


def test_units_convert_back_to_arrivals_and_table_shape():
    # load in units of beds = bed-days per day ÷ occupancy target (0.85) → 17 units = 14.45 Erlangs
    options = DemandOptions(simulation_days=200, simulation_replications=3, occupancy_target=0.85)
    load = pd.DataFrame({"beds": [17.0, 0.0, 4.0]}, index=["b", "a", "c"])
    cap = pd.DataFrame({"beds": [20.9, 3.0, 0.0]}, index=["b", "a", "c"])
    out = queue_check(load, cap, LosModel.assumed(5.0), options=options, seed=1)
    assert list(out.index) == ["a", "b", "c"]  # sorted ids
    b = out.loc["b"]
    assert b["offered_load_erlangs"] == pytest.approx(14.45)
    assert b["arrivals_per_day"] == pytest.approx(14.45 / 5.0)
    assert b["servers"] == 20  # capacity rounded down to whole beds
    assert b["blocking_erlang_b"] == pytest.approx(erlang_b(20, 14.45))
    assert b["servers_for_blocking_target"] >= 1
    assert bool(b["meets_blocking_target"]) == (erlang_b(20, 14.45) <= 0.05)
    assert out.loc["a", "blocking_erlang_b"] == 0.0 and math.isnan(out.loc["a", "sim_blocking"])
    assert out.loc["c", "blocking_erlang_b"] == 1.0 and out.loc["c", "sim_blocking"] == 1.0
    assert math.isnan(b["mean_wait_days_erlang_c"])  # queuing not allowed
    # same seed, same numbers; another seed, other numbers
    again = queue_check(load, cap, LosModel.assumed(5.0), options=options, seed=1)
    pd.testing.assert_frame_equal(out, again)
    other = queue_check(load, cap, LosModel.assumed(5.0), options=options, seed=2)
    assert other.loc["b", "sim_blocking"] != b["sim_blocking"]


def test_bad_queue_inputs():
    options = DemandOptions()
    cap = pd.DataFrame({"beds": [5.0]}, index=["x"])
    with pytest.raises(InputError, match="load table"):
        queue_check(
            pd.DataFrame({"other": [1.0]}, index=["x"]), cap, LosModel.assumed(5), options=options
        )
    with pytest.raises(InputError, match="negative"):
        queue_check(
            pd.DataFrame({"beds": [-1.0]}, index=["x"]), cap, LosModel.assumed(5), options=options
        )
    with pytest.raises(InputError, match="bed-like"):
        queue_check(cap, cap, LosModel.assumed(5), options=options, resource="nurses")


def test_queue_check_plan_reads_an_allocation_sites_table():
    from geoalloc.demand.queue import queue_check_plan

    sites = pd.DataFrame(
        {
            "open": [True, False, True],
            "existing": [True, False, False],
            "beds_before": [10.0, 0.0, 0.0],
            "beds_after": [12.0, 0.0, 6.0],
            "beds_load": [10.0, 0.0, 5.0],
        },
        index=pd.Index(["s1", "s2", "s3"], name="site"),
    )
    options = DemandOptions(simulation_days=100, simulation_replications=2)
    out = queue_check_plan(sites, LosModel.assumed(4.0), options=options, seed=0)
    assert list(out.index) == ["s1", "s3"]  # the closed site is left out
    assert out.loc["s1", "servers"] == 12
    assert out.loc["s1", "offered_load_erlangs"] == pytest.approx(10.0 * 0.85)
    with pytest.raises(InputError, match="icu_beds_load"):
        queue_check_plan(sites, LosModel.assumed(4.0), options=options, resource="icu_beds")
