"""Refitting the surge curve to daily admissions: series drawn from CHIME's SIR with known
parameters (Poisson counts, fixed seeds), and the files a planner may give by mistake.

The region: 2.7 million people (about Chicago's), 800 baseline admissions a day, CHIME's 2.5 % of
infections admitted; the truth doubles every 4 days from 1 in 10,000 infected, seen for 30 days.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geoalloc._errors import InputError
from geoalloc.demand.options import SurgeOptions
from geoalloc.demand.surge import sir_new_infections
from geoalloc.demand.surge_fit import (
    MIN_DAYS,
    DailyAdmissions,
    fit_surge,
    read_daily_admissions,
    surge_drift,
)

POPULATION = 2.7e6
BASELINE = 800.0
TRUTH = SurgeOptions(
    kind="sir", doubling_time_days=4.0, initial_infected_share=1e-4, hospitalised_share=0.025
)
DAYS = 30


def expected(surge: SurgeOptions, days: int = DAYS) -> np.ndarray:
    new = sir_new_infections(surge.model_copy(update={"days": days}))
    return BASELINE + POPULATION * surge.hospitalised_share * surge.market_share * new


def series(counts: np.ndarray) -> DailyAdmissions:
    return DailyAdmissions(day=np.arange(len(counts)), admissions=np.asarray(counts, float))


def fit(counts: np.ndarray, plan: SurgeOptions):
    return fit_surge(
        series(counts), plan, baseline_admissions_per_day=BASELINE, population=POPULATION
    )


def test_poisson_counts_recover_the_doubling_time_within_its_interval() -> None:
    counts = np.random.default_rng(20).poisson(expected(TRUTH)).astype(float)
    plan = TRUTH.model_copy(update={"doubling_time_days": 8.0})  # the plan: twice as slow
    result = fit(counts, plan)
    row = result.parameter("doubling_time_days")
    assert row["ci_low"] < row["estimate"] < row["ci_high"]
    assert row["ci_low"] <= 4.0 <= row["ci_high"]
    assert row["ci_high"] < 8.0  # the data rule the plan's doubling time out
    share = result.parameter("initial_infected_share")
    assert share["ci_low"] < share["estimate"] < share["ci_high"]
    assert share["ci_low"] <= 1e-4 <= share["ci_high"]
    assert 0.5 < result.pearson_dispersion < 1.5  # Poisson counts: dispersion near 1
    drift = surge_drift(result)
    assert drift.changed and "growing faster than the plan assumed" in drift.verdict
    assert result.p_value < 0.001
    # held at the plan's values, and said so
    held = result.parameters.set_index("name")
    assert not held.loc["hospitalised_share", "fitted"]
    assert result.surge.hospitalised_share == plan.hospitalised_share
    assert result.surge.days == plan.days


def test_a_noiseless_series_gives_back_its_parameters() -> None:
    result = fit(expected(TRUTH), TRUTH.model_copy(update={"doubling_time_days": 6.0}))
    assert result.surge.doubling_time_days == pytest.approx(4.0, rel=1e-3)
    assert result.surge.initial_infected_share == pytest.approx(1e-4, rel=1e-3)
    assert result.pearson_dispersion < 1e-6
    assert np.allclose(result.daily["expected"], result.daily["observed"], rtol=1e-4)


def test_the_refitted_surge_starts_on_the_first_observed_day() -> None:
    """The surge handed to the re-plan, run by the planning code, gives the fitted curve."""
    counts = np.random.default_rng(5).poisson(expected(TRUTH)).astype(float)
    result = fit(counts, TRUTH)
    replayed = expected(result.surge, days=DAYS)
    assert np.allclose(replayed, result.daily["expected"].to_numpy(), rtol=1e-9)


def test_data_like_the_plan_report_no_drift() -> None:
    counts = np.random.default_rng(11).poisson(expected(TRUTH)).astype(float)
    drift = surge_drift(fit(counts, TRUTH))
    assert not drift.changed
    assert "consistent with the plan" in drift.verdict
    assert drift.fit.p_value > 0.05
    block = drift.to_dict()
    assert block["parameters"][0]["name"] == "doubling_time_days"
    json.dumps(block, allow_nan=False)  # summary.json is strict JSON


def test_a_surge_twice_as_slow_as_the_plan_is_drift() -> None:
    slow = TRUTH.model_copy(update={"doubling_time_days": 8.0, "initial_infected_share": 4e-4})
    counts = np.random.default_rng(12).poisson(expected(slow)).astype(float)
    drift = surge_drift(fit(counts, TRUTH))
    assert drift.changed and "growing slower than the plan assumed" in drift.verdict
    row = drift.fit.parameter("doubling_time_days")
    assert row["ci_low"] <= 8.0 <= row["ci_high"]


def test_a_table_surge_takes_the_observed_days_and_keeps_the_rest() -> None:
    plan = SurgeOptions(
        kind="table", multipliers=[1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7, 1.8, 2.0]
    )
    like_plan = np.random.default_rng(3).poisson(BASELINE * np.array(plan.multipliers[:8]))
    result = fit_surge(
        series(like_plan), plan, baseline_admissions_per_day=BASELINE, population=POPULATION
    )
    multipliers = result.surge.multipliers
    assert multipliers is not None and len(multipliers) == 10
    assert multipliers[:8] == pytest.approx(list(like_plan / BASELINE))
    assert multipliers[8:] == [1.8, 2.0]
    assert not surge_drift(result).changed
    doubled = np.random.default_rng(4).poisson(2 * BASELINE * np.array(plan.multipliers[:8]))
    drift = surge_drift(
        fit_surge(
            series(doubled), plan, baseline_admissions_per_day=BASELINE, population=POPULATION
        )
    )
    assert drift.changed and "2.0" in drift.verdict
    block = drift.to_dict()
    json.dumps(block, allow_nan=False)
    assert block["population"] is None and block["daily"][0]["expected"] == BASELINE


def test_a_plan_without_a_surge_cannot_be_refitted() -> None:
    with pytest.raises(InputError, match=r"add one to the scenario"):
        fit(expected(TRUTH), SurgeOptions())
    with pytest.raises(InputError, match="hospitalised_share"):
        fit(expected(TRUTH), TRUTH.model_copy(update={"hospitalised_share": 0.0}))


def _csv(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_a_dated_file_is_read_with_its_gaps(tmp_path: Path) -> None:
    rows = [f"2020-03-{d:02d},{800 + d}" for d in (1, 2, 3, 5, 6, 7, 8, 9)]
    path = _csv(tmp_path / "a.csv", "date,admissions\n" + "\n".join(reversed(rows)) + "\n")
    got = read_daily_admissions(path)
    assert list(got.day) == [0, 1, 2, 4, 5, 6, 7, 8]
    assert got.first_date == pd.Timestamp("2020-03-01")
    assert got.admissions[-1] == 809.0


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("when,admissions\n2020-03-01,1\n", r"needs a 'date' \(YYYY-MM-DD\) or 'day'"),
        ("date,count\n2020-03-01,1\n", r"needs an 'admissions' column"),
        (
            "day,admissions\n" + "".join(f"{d},{-1 if d == 3 else 5}\n" for d in range(9)),
            r"1 row\(s\) with admissions missing, not a number or negative \(line\(s\) 5\)",
        ),
        (
            "day,admissions\n" + "".join(f"{d},{'many' if d == 6 else 5}\n" for d in range(9)),
            r"\(line\(s\) 8\)",
        ),
        (
            "date,admissions\n" + "".join(f"2020-03-{min(d, 7) + 1:02d},5\n" for d in range(9)),
            r"the same date more than once .*line\(s\) 9, 10",
        ),
        ("date,admissions\n2020-03-01,4\n03/02/2020,5\n", r"a date that is not one .*line\(s\) 3"),
        ("day,admissions\n0,4\n1.5,5\n", r"not a whole number \(line\(s\) 3\)"),
        ("day,admissions\n" + "".join(f"{d},3\n" for d in range(3)), rf"at least {MIN_DAYS} days"),
        ("day,admissions\n" + "".join(f"{d},0\n" for d in range(9)), "no growth to fit"),
        ("day,admissions\n", r"0 day\(s\) of admissions"),
        ("date,admissions\n", r"0 day\(s\) of admissions"),
    ],
)
def test_bad_files_exit_3_naming_the_culprit(tmp_path: Path, text: str, match: str) -> None:
    path = _csv(tmp_path / "bad.csv", text)
    with pytest.raises(InputError, match=match) as info:
        read_daily_admissions(path)
    assert info.value.exit_code == 3 and str(path) in str(info.value)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        read_daily_admissions(tmp_path / "nope.csv")
