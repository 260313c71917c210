"""Pooling old and new admissions: the weights of each rule and the years they cover."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geoalloc._errors import InputError
from geoalloc.demand.los import fit_los
from geoalloc.demand.pooling import pool_weights, weighted_years

ADMIT = pd.to_datetime(["2024-01-01", "2024-07-01", "2024-12-31", "2025-06-30"])
NEW = np.array([False, False, True, True])


def test_new_and_all():
    assert pool_weights(ADMIT, NEW, "new").tolist() == [0, 0, 1, 1]
    assert pool_weights(ADMIT, NEW, "all").tolist() == [1, 1, 1, 1]


def test_window_keeps_the_last_days_inclusive():
    # 2025-06-30 back 365 days is 2024-06-30: the July and later admissions are in
    assert pool_weights(ADMIT, NEW, "window", window_days=365).tolist() == [0, 1, 1, 1]
    as_of = pd.Timestamp("2025-06-30")
    days_back = (as_of - ADMIT[1]).days  # 364
    assert pool_weights(ADMIT, NEW, "window", window_days=days_back).tolist() == [0, 1, 1, 1]
    assert pool_weights(ADMIT, NEW, "window", window_days=days_back - 1).tolist() == [0, 0, 1, 1]


def test_exponential_halves_every_half_life():
    weights = pool_weights(ADMIT, NEW, "exponential", half_life_days=181)
    assert weights[3] == 1.0
    assert weights[2] == pytest.approx(0.5)  # 181 days before the latest
    expected = 0.5 ** ((pd.Timestamp("2025-06-30") - ADMIT[0]).days / 181)
    assert weights[0] == pytest.approx(expected)


def test_weighted_years_make_a_constant_rate_come_out_right():
    # one admission a day for three years: 365.25 a year, whatever the rule
    admit = pd.date_range("2022-01-01", periods=3 * 365, freq="D")
    old = np.zeros(len(admit), dtype=bool)
    for rule, kwargs in (
        ("all", {}),
        ("window", {"window_days": 200}),
        ("exponential", {"half_life_days": 90}),
    ):
        w = pool_weights(admit, old, rule, **kwargs)
        years = weighted_years(rule, years=len(admit) / 365.25, **kwargs)
        assert w.sum() / years == pytest.approx(365.25, rel=0.01), rule
    assert weighted_years("new", years=3, new_years=0.5) == 0.5


def test_pooled_los_fit_leans_to_the_new_stays():
    rng = np.random.default_rng(2)
    old = rng.exponential(5.0, 600)
    new = rng.exponential(8.0, 600)
    admit = pd.Series(
        list(pd.date_range("2023-01-01", periods=600, freq="12h"))
        + list(pd.date_range("2024-01-01", periods=600, freq="12h"))
    )
    days = np.round(np.concatenate([old, new]), 3)
    is_new = np.r_[np.zeros(600, bool), np.ones(600, bool)]
    means = {
        rule: fit_los(days, days, weights=pool_weights(admit, is_new, rule)).mean_days
        for rule in ("all", "exponential", "new")
    }
    assert means["all"] < means["exponential"] < means["new"]


def test_pooling_refuses_what_it_cannot_use():
    with pytest.raises(InputError, match="no readable date"):
        pool_weights(["2024-01-01", "not a date"], [False, True], "window")
    with pytest.raises(InputError, match="unknown pooling rule"):
        pool_weights(ADMIT, NEW, "median")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="half_life_days"):
        pool_weights(ADMIT, NEW, "exponential", half_life_days=0)
    with pytest.raises(InputError, match="years the new admissions"):
        weighted_years("new", years=2)


def _mimic_period_histories(mimic):
    from geoalloc.demand.history import read_history

    adm = pd.read_csv(mimic / "hosp" / "admissions.csv.gz")
    patients = pd.read_csv(mimic / "hosp" / "patients.csv.gz")
    adm = adm.merge(patients[["subject_id", "anchor_year", "anchor_year_group"]], on="subject_id")
    real_year = (
        adm["anchor_year_group"].str.slice(0, 4).astype(int)
        + 1
        + pd.to_datetime(adm["admittime"]).dt.year
        - adm["anchor_year"]
    )
    cols = ["hadm_id", "admittime", "dischtime"]
    old = read_history(adm.loc[real_year <= 2013, cols])
    new = read_history(adm.loc[real_year > 2013, cols])
    return old, new


def test_pooled_mimic_periods_fit_like_their_rows(shared_data):
    from geoalloc.demand.los import fit_los_model
    from geoalloc.demand.pooling import pooled_history

    old, new = _mimic_period_histories(shared_data / "mimic_iv_demo_2.2")
    every = pooled_history(old, new, "all")
    assert len(every.table) == len(old.table) + len(new.table)
    both = pd.concat([old.table, new.table])
    alone = fit_los(both["los_low_days"], both["los_high_days"])
    assert fit_los_model(every, classifier=False).overall.params == pytest.approx(alone.params)
    only_new = fit_los_model(pooled_history(old, new, "new"), classifier=False).overall
    assert only_new.params == pytest.approx(fit_los_model(new, classifier=False).overall.params)
    assert only_new.n == len(new.table)
    # (MIMIC's dates are shifted per patient, so date-weighted rules only check the weights here)
    recent = pooled_history(old, new, "exponential", half_life_days=365).table["weight"]
    assert recent.max() == 1.0 and (recent > 0).all()
