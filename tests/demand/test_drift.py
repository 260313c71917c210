"""Drift tests: LOS and admission-rate changes, on hand-checked cases, known shifts and MIMIC-IV."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from geoalloc._errors import InputError
from geoalloc.demand.drift import holm, los_drift, rate_drift


def test_identical_samples_show_no_change():
    days = np.random.default_rng(1).exponential(5.0, 300)
    drift = los_drift(days, days.copy())
    assert not drift.changed
    assert drift.mann_whitney_p == pytest.approx(1.0)
    assert drift.shift_days == 0.0
    assert drift.mean_difference_days == 0.0
    assert drift.verdict.startswith("no LOS change")


def test_hodges_lehmann_shift_by_hand():
    # new − old over all pairs: -1 0 1 1 2 3 3 4 5 → median 2
    drift = los_drift([1.0, 2.0, 3.0], [2.0, 4.0, 6.0])
    assert drift.shift_days == 2.0
    assert drift.median_old_days == 2.0 and drift.median_new_days == 4.0
    assert drift.shift_ci_days[0] <= 2.0 <= drift.shift_ci_days[1]


def test_long_stay_share_interval_is_newcombes_worked_example():
    # Newcombe (1998), Table II example: 56/70 vs 48/80, method 10 → 0.0524 to 0.3339
    old = np.r_[np.full(48, 9.0), np.full(32, 2.0)]
    new = np.r_[np.full(56, 9.0), np.full(14, 2.0)]
    drift = los_drift(old, new, risk_days=7.0)
    assert drift.p_longer_old == pytest.approx(0.6)
    assert drift.p_longer_new == pytest.approx(0.8)
    low, high = drift.p_longer_difference_ci
    assert low == pytest.approx(0.0524, abs=5e-5)
    assert high == pytest.approx(0.3339, abs=5e-5)


def test_mean_difference_interval_is_welchs():
    rng = np.random.default_rng(3)
    old, new = rng.exponential(5.0, 40), rng.exponential(6.0, 60)
    drift = los_drift(old, new)
    ci = stats.ttest_ind(new, old, equal_var=False).confidence_interval(0.95)
    assert drift.mean_difference_ci_days == pytest.approx((ci.low, ci.high), rel=1e-9)


def test_a_known_shift_is_found_with_its_size():
    rng = np.random.default_rng(7)
    old, new = rng.exponential(5.0, 400), rng.exponential(7.0, 400)
    drift = los_drift(old, new, risk_days=7.0)
    assert drift.changed
    assert drift.shift_ci_days[0] > 0  # longer, and the interval says so
    low, high = drift.mean_difference_ci_days
    assert low < 2.0 < high  # the true difference of the means
    true_share_change = np.exp(-7 / 7) - np.exp(-7 / 5)
    low, high = drift.p_longer_difference_ci
    assert low < true_share_change < high
    assert "longer" in drift.verdict


def test_false_alarms_stay_within_the_level_and_real_shifts_are_caught():
    rng = np.random.default_rng(11)
    false_alarms = sum(
        los_drift(rng.lognormal(1.4, 0.8, 120), rng.lognormal(1.4, 0.8, 120)).changed
        for _ in range(200)
    )
    # at most 5 % by design (Bonferroni over two tests); 200 runs: 0.05 + 2.6 sd ≈ 9 %
    assert false_alarms / 200 <= 0.09
    found = sum(
        los_drift(rng.lognormal(1.4, 0.8, 300), rng.lognormal(1.7, 0.8, 300)).changed
        for _ in range(50)
    )
    assert found / 50 >= 0.9  # a 35 % longer median is caught in nine updates out of ten


def test_los_drift_refuses_bad_stays():
    with pytest.raises(InputError, match="not days ≥ 0"):
        los_drift([1.0, -2.0, 3.0], [1.0, 2.0])
    with pytest.raises(InputError, match="at least 2 stays"):
        los_drift([1.0], [1.0, 2.0])
    with pytest.raises(InputError, match="alpha"):
        los_drift([1.0, 2.0], [1.0, 2.0], alpha=1.5)


def test_holm_by_hand():
    # sorted 0.01·3 = 0.03, 0.03·2 = 0.06, 0.04·1 = 0.04 → step-down max: 0.03, 0.06, 0.06
    assert holm(np.array([0.01, 0.04, 0.03])) == pytest.approx([0.03, 0.06, 0.06])
    # 0.5·2 = 1.0, then 0.9·1 = 0.9, never below the step before: 1.0
    assert holm(np.array([0.5, 0.9])) == pytest.approx([1.0, 1.0])


def _rates(admissions, person_years, keys):
    return pd.DataFrame({"admissions": admissions, "person_years": person_years}, index=keys)


def test_rate_ratio_exact_interval_and_p_equal_the_binomial_test():
    old = _rates([10, 20], [1000.0, 500.0], ["a", "b"])
    new = _rates([30, 21], [1000.0, 700.0], ["a", "b"])
    table = rate_drift(old, new)
    for key in ("a", "b"):
        a, b = old.loc[key, "admissions"], new.loc[key, "admissions"]
        e_old, e_new = old.loc[key, "person_years"], new.loc[key, "person_years"]
        test = stats.binomtest(int(b), int(a + b), e_new / (e_old + e_new))
        ci = test.proportion_ci(confidence_level=0.95, method="exact")
        row = table.loc[key]
        assert row["rate_ratio"] == pytest.approx((b / e_new) / (a / e_old))
        assert row["ratio_ci_low"] == pytest.approx(ci.low / (1 - ci.low) * e_old / e_new)
        assert row["ratio_ci_high"] == pytest.approx(ci.high / (1 - ci.high) * e_old / e_new)
    # π0 = 1/2 for "a": the exact two-sided p is scipy's
    assert table.loc["a", "p_value"] == pytest.approx(stats.binomtest(30, 40, 0.5).pvalue)
    assert table.loc["a", "rate_new_per_1000"] == pytest.approx(30.0)
    assert bool(table.loc["a", "changed"]) and not bool(table.loc["b", "changed"])
    assert table["p_adjusted"].tolist() == pytest.approx(holm(table["p_value"].to_numpy()))


def test_rate_drift_keeps_every_key_and_flags_the_unmatched():
    old = _rates([5, 0], [100.0, 100.0], ["a", "b"])
    new = _rates([5, 0, 3], [100.0, 100.0, 50.0], ["a", "b", "c"])
    table = rate_drift(old, new)
    assert list(table.index) == ["a", "b", "c"]
    assert not table.loc["c", "compared"] and not table.loc["c", "changed"]
    assert np.isnan(table.loc["b", "rate_ratio"])  # nothing admitted either time: no ratio
    assert table.loc["a", "p_value"] == pytest.approx(1.0)


def test_rate_drift_refuses_bad_tables():
    good = _rates([1], [10.0], ["a"])
    with pytest.raises(InputError, match="person_years"):
        rate_drift(pd.DataFrame({"admissions": [1]}, index=["a"]), good)
    with pytest.raises(InputError, match="rows b"):
        rate_drift(_rates([1, 2.5], [10.0, 10.0], ["a", "b"]), good)
    with pytest.raises(InputError, match="given twice"):
        rate_drift(_rates([1, 2], [10.0, 10.0], ["a", "a"]), good)


def mimic_periods(mimic) -> pd.DataFrame:
    """MIMIC-IV demo admissions with their real period: dates are shifted per patient, but each
    patient's anchor_year falls in the real anchor_year_group (e.g. 2011 - 2013), so an admission
    ``admit_year - anchor_year`` years after the anchor falls that many years after the group."""
    adm = pd.read_csv(mimic / "hosp" / "admissions.csv.gz", parse_dates=["admittime", "dischtime"])
    patients = pd.read_csv(mimic / "hosp" / "patients.csv.gz")
    adm = adm.merge(patients[["subject_id", "anchor_year", "anchor_year_group"]], on="subject_id")
    group_start = adm["anchor_year_group"].str.slice(0, 4).astype(int)
    real_year = group_start + 1 + (adm["admittime"].dt.year - adm["anchor_year"])
    adm["period"] = np.where(real_year <= 2013, "2011-2013", "2014-2016+")
    adm["los_days"] = (adm["dischtime"] - adm["admittime"]).dt.total_seconds() / 86400
    return adm


def test_mimic_los_drift_between_real_periods(shared_data):
    adm = mimic_periods(shared_data / "mimic_iv_demo_2.2")
    old = adm.loc[adm["period"] == "2011-2013", "los_days"]
    new = adm.loc[adm["period"] == "2014-2016+", "los_days"]
    assert len(old) > 30 and len(new) > 30  # both periods hold admissions
    drift = los_drift(old, new)
    assert drift.n_old + drift.n_new == len(adm)
    assert drift.mean_old_days == pytest.approx(old.mean())
    assert drift.mean_new_days == pytest.approx(new.mean())
    assert drift.mann_whitney_p == pytest.approx(
        stats.mannwhitneyu(new, old, alternative="two-sided").pvalue
    )
