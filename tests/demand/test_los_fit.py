"""LOS distributions: parameter recovery for exact and banded data, the open last band."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from geoalloc._errors import InputError
from geoalloc.demand.history import parse_band, read_history
from geoalloc.demand.los import LosFit, fit_los, fit_los_model, los_table


def to_band(days: np.ndarray) -> list[str]:
    """Band LOS like the hospital-stay data sets: 0-10, 11-20, …, 91-100, More than 100 Days."""
    whole = np.floor(days).astype(int)
    out = []
    for d in whole:
        if d > 100:
            out.append("More than 100 Days")
        elif d <= 10:
            out.append("0-10")
        else:
            lo = (d - 1) // 10 * 10 + 1
            out.append(f"{lo}-{lo + 9}")
    return out


def test_parse_band():
    assert parse_band("0-10") == (0.0, 11.0)
    assert parse_band("11-20") == (11.0, 21.0)
    assert parse_band("More than 100 Days") == (101.0, math.inf)
    assert parse_band("> 30") == (31.0, math.inf)
    assert parse_band("100+") == (100.0, math.inf)
    assert parse_band("7") == (7.0, 8.0)
    for bad in ("ten days", "20-10", "", None, 3.0):
        assert parse_band(bad) is None


def test_exact_lognormal_recovered():
    rng = np.random.default_rng(42)
    x = rng.lognormal(mean=1.6, sigma=0.7, size=4000)
    fit = fit_los(x, x)
    assert fit.distribution == "lognormal"
    assert fit.params["mu"] == pytest.approx(1.6, abs=0.04)
    assert fit.params["sigma"] == pytest.approx(0.7, abs=0.03)
    # the MLE of a lognormal is the mean and (population) SD of log x: closed form
    assert fit.params["mu"] == pytest.approx(np.log(x).mean(), abs=1e-5)
    assert fit.params["sigma"] == pytest.approx(np.log(x).std(), abs=1e-5)


def test_exact_gamma_recovered_and_chosen_by_aic():
    rng = np.random.default_rng(7)
    x = rng.gamma(shape=2.5, scale=3.0, size=4000)
    fit = fit_los(x, x)
    assert fit.distribution == "gamma"
    assert fit.params["shape"] == pytest.approx(2.5, rel=0.06)
    assert fit.params["scale_days"] == pytest.approx(3.0, rel=0.06)
    assert fit.aic == min(fit.candidates.values())
    assert set(fit.candidates) == {"lognormal", "gamma", "weibull", "exponential"}


def test_zero_los_rows_are_kept():
    x = np.array([0.0, 0.0, 1.2, 2.5, 3.1, 4.0, 6.5, 9.0])
    fit = fit_los(x, x)
    assert fit.n == 8 and math.isfinite(fit.aic)


def test_banded_fit_recovers_parameters_and_open_band_is_not_biasing():
    rng = np.random.default_rng(2024)
    mu, sigma = 3.5, 0.8  # median 33 d; 8 % of stays fall in the open band "More than 100 Days"
    x = rng.lognormal(mu, sigma, size=20_000)
    history = read_history(pd.DataFrame({"Stay": to_band(x)}))
    assert history.kind == "banded"
    assert (history.table["los_high_days"] == np.inf).mean() == pytest.approx(0.08, abs=0.01)
    fit = fit_los(history.table["los_low_days"], history.table["los_high_days"])
    assert fit.distribution == "lognormal"
    assert fit.params["mu"] == pytest.approx(mu, abs=0.02)
    assert fit.params["sigma"] == pytest.approx(sigma, abs=0.02)
    true_mean = math.exp(mu + sigma**2 / 2)
    assert fit.mean_days == pytest.approx(true_mean, rel=0.03)
    assert fit.p_longer(101) == pytest.approx((x >= 101).mean(), abs=0.005)
    # the naive way (open band at its lower edge, others at the midpoint) is biased low: this test
    # could tell the difference
    lo, hi = history.table["los_low_days"], history.table["los_high_days"]
    naive = np.where(np.isinf(hi), lo, (lo + hi) / 2)
    assert naive.mean() < 0.95 * true_mean


def test_banded_gamma_recovered():
    rng = np.random.default_rng(5)
    x = rng.gamma(3.0, 10.0, size=20_000)
    history = read_history(pd.DataFrame({"Stay": to_band(x)}))
    fit = fit_los(
        history.table["los_low_days"], history.table["los_high_days"], distributions=["gamma"]
    )
    assert fit.params["shape"] == pytest.approx(3.0, rel=0.05)
    assert fit.params["scale_days"] == pytest.approx(10.0, rel=0.05)


def test_los_table_groups_and_empirical_figures():
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(
        {
            "los": np.r_[rng.lognormal(1.0, 0.5, 300), rng.lognormal(2.0, 0.5, 200), [3.0, 4.0]],
            "ward": ["a"] * 300 + ["b"] * 200 + ["c"] * 2,
        }
    )
    history = read_history(frame, group_by=["ward"])
    table = los_table(history, by=["ward"], risk_days=7)
    assert list(table["group"]) == ["(all)", "a", "b", "c"]
    assert list(table["n"]) == [502, 300, 200, 2]
    b = frame.loc[frame["ward"] == "b", "los"]
    row = table.set_index("group").loc["b"]
    assert row["mean_days"] == pytest.approx(b.mean())
    assert row["median_days"] == pytest.approx(b.median())
    assert row["p90_days"] == pytest.approx(b.quantile(0.9))
    assert row["p_los_gt_k"] == pytest.approx((b > 7).mean())
    assert row["fit_p_los_gt_k"] == pytest.approx((b > 7).mean(), abs=0.05)
    assert table.set_index("group").loc["c", "distribution"] == "-"  # 2 rows: no fit


def test_banded_empirical_risk_only_at_band_edges():
    frame = pd.DataFrame({"Stay": ["0-10"] * 6 + ["11-20"] * 3 + ["More than 100 Days"]})
    history = read_history(frame)
    at_edge = los_table(history, risk_days=11).iloc[0]
    assert at_edge["p_los_gt_k"] == pytest.approx(0.4)
    assert math.isnan(los_table(history, risk_days=7).iloc[0]["p_los_gt_k"])


def test_classifier_fits_with_enough_rows_and_refuses_otherwise():
    rng = np.random.default_rng(3)
    n = 1000
    group = rng.choice(["short", "long"], size=n)
    los = np.where(group == "long", rng.lognormal(2.5, 0.4, n), rng.lognormal(1.0, 0.4, n))
    history = read_history(pd.DataFrame({"los": los, "g": group}), group_by=["g"])
    model = fit_los_model(history, risk_days=7, seed=1)
    clf = model.classifier
    assert clf["status"] == "fitted"
    assert clf["auc_mean"] > 0.9  # the group almost decides long stay
    assert clf["brier"] < clf["brier_baseline"]
    assert sum(c["rows"] for c in clf["calibration"]) == n
    small = read_history(pd.DataFrame({"los": los[:50], "g": group[:50]}), group_by=["g"])
    refused = fit_los_model(small, risk_days=7).classifier
    assert refused["status"] == "not_fitted" and "too little data" in refused["reason"]


def test_assumed_los_is_exponential_with_the_given_mean():
    fit = LosFit.assumed(5.0)
    assert fit.mean_days == pytest.approx(5.0)
    assert fit.p_longer(5.0) == pytest.approx(math.exp(-1))
    with pytest.raises(ValueError):
        LosFit.assumed(0.0)


def test_degenerate_rows_do_not_run_the_fit_off():
    """Every row the same tiny LOS: the gamma's likelihood ran off to a mean of 1e21 days (a plan
    'no solution: Empty', exit 5) and the lognormal's mean overflowed. A fit whose mean is no
    number or lies far beyond every row is left out; rows of 1e300 days give an input error, not
    an OverflowError."""
    rows = np.full(275, 1.8e-204)
    fit = fit_los(rows, rows)
    assert 0 < fit.mean_days <= 1.0  # at most a day: within the rows' scale, not 1e21 days
    assert "gamma" not in fit.candidates and "lognormal" not in fit.candidates
    huge = np.full(275, 1e300)
    with pytest.raises(InputError, match="no LOS distribution could be fitted"):
        fit_los(huge, huge)
    month = np.full(50, 30.0)  # alike but ordinary: fitted as before
    assert fit_los(month, month).mean_days == pytest.approx(30.0)


def test_exponential_quantiles_are_scipys_without_importing_it() -> None:
    # an assumed LOS (no history) is exponential: its median and p90 are computed in closed
    # form, as scipy.stats.expon does, so a run need not import scipy.stats for them
    from scipy import stats

    rng = np.random.default_rng(7)
    for scale in [*rng.uniform(0.1, 40.0, 60), 1.0, 5.0]:
        fit = LosFit.assumed(float(scale))
        frozen = stats.expon(scale=scale)
        for q in [*rng.uniform(0.0, 1.0, 20), 0.0, 0.5, 0.9, 0.99]:
            assert fit.quantile_days(float(q)) == float(frozen.ppf(q))
        assert fit.median_days == float(frozen.median())


def test_weights_equal_repeated_rows_and_zero_weight_drops_a_row():
    rng = np.random.default_rng(5)
    days = np.round(rng.gamma(2.0, 3.0, 120), 2)
    repeat = np.where(np.arange(120) % 3 == 0, 2, 1)  # every third stay counted twice
    weighted = fit_los(days, days, weights=repeat.astype(float))
    repeated = fit_los(np.repeat(days, repeat), np.repeat(days, repeat))
    assert weighted.distribution == repeated.distribution
    assert weighted.params == pytest.approx(repeated.params, rel=1e-6)
    assert weighted.loglik == pytest.approx(repeated.loglik, rel=1e-9)
    dropped = fit_los(days, days, weights=(np.arange(120) >= 20).astype(float))
    alone = fit_los(days[20:], days[20:])
    assert dropped.params == pytest.approx(alone.params, rel=1e-9)
    assert dropped.n == 100
    with pytest.raises(InputError, match="weights"):
        fit_los(days, days, weights=-np.ones(120))
