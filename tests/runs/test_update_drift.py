"""The drift tables of an update: population, capacity, LOS and rates, old data vs new."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geoalloc.demand.history import read_history
from geoalloc.runs.update_drift import capacity_drift, data_drift, population_drift


def test_population_drift_keeps_every_area_and_names_its_status():
    old = pd.Series({"a": 100.0, "b": 200.0, "c": 50.0})
    new = pd.Series({"a": 100.0, "b": 260.0, "d": 10.0})
    table = population_drift(old, new)
    assert list(table.index) == ["a", "b", "c", "d"]
    assert table["status"].tolist() == ["same", "changed", "removed", "added"]
    assert table.loc["b", "change"] == 60.0
    assert table.loc["b", "change_pct"] == pytest.approx(30.0)


def test_capacity_drift_per_site_and_resource():
    old = pd.DataFrame({"beds": [10.0, 20.0], "icu_beds": [2.0, 4.0]}, index=["s1", "s2"])
    new = pd.DataFrame({"beds": [10.0, 25.0], "icu_beds": [2.0, 4.0]}, index=["s1", "s2"])
    table = capacity_drift(old, new, ["beds", "icu_beds"])
    changed = table[table["status"] != "same"]
    assert changed[["site", "resource", "units_old", "units_new"]].values.tolist() == [
        ["s2", "beds", 20.0, 25.0]
    ]
    assert len(table) == 4


NEEDS = pd.DataFrame({"beds": [1.5, 2.5]}, index=["a", "b"])


def test_needs_changes_are_found_without_any_history():
    population = pd.Series({"a": 1000.0, "b": 1000.0})
    capacity = pd.DataFrame({"beds": [10.0]}, index=["s1"])
    surge = NEEDS.mul([1.0, 1.4], axis=0)
    drift = data_drift(
        old_history=None,
        new_history=None,
        old_population=population,
        new_population=population,
        old_capacity=capacity,
        new_capacity=capacity,
        old_needs=NEEDS,
        new_needs=surge,
        resources=["beds"],
    )
    assert drift.changed and drift.los is None and drift.rates is None
    assert drift.lines == ["beds needed: 4.0 → 5.0 units (1 area(s) changed)"]
    assert drift.to_dict()["needs_total"] == {"beds": {"old": 4.0, "new": 5.0}}


def _history(days, start, area=None, years=1.0):
    admit = pd.Timestamp(start) + pd.to_timedelta(np.linspace(0, 300, len(days)), unit="D")
    frame = pd.DataFrame({"admittime": admit, "dischtime": admit + pd.to_timedelta(days, unit="D")})
    if area is not None:
        frame["area"] = area
    from geoalloc.demand.options import HistoryOptions

    options = HistoryOptions(
        path="history.csv", years=years, area_id="area" if area is not None else None
    )
    return read_history(frame, options)


def test_no_change_is_said_when_nothing_changed():
    rng = np.random.default_rng(4)
    days = np.round(rng.exponential(5.0, 200), 3)
    population = pd.Series({"a": 1000.0, "b": 3000.0})
    capacity = pd.DataFrame({"beds": [10.0, 20.0]}, index=["s1", "s2"])
    drift = data_drift(
        old_history=_history(days, "2024-01-01"),
        new_history=_history(days, "2025-01-01"),
        old_population=population,
        new_population=population,
        old_capacity=capacity,
        new_capacity=capacity,
        old_needs=NEEDS,
        new_needs=NEEDS,
        resources=["beds"],
    )
    assert not drift.changed
    assert drift.rates is None  # no area ids: the plan's rates are not the history's
    assert drift.lines[-1].startswith("no change beyond the noise")
    assert drift.to_dict()["changed"] is False


def test_a_longer_stay_and_a_busier_area_are_found():
    rng = np.random.default_rng(6)
    population = pd.Series({"a": 1000.0, "b": 1000.0})
    capacity = pd.DataFrame({"beds": [10.0]}, index=["s1"])
    old_area = np.array(["a"] * 100 + ["b"] * 100, dtype=object)
    new_area = np.array(["a"] * 100 + ["b"] * 200, dtype=object)
    drift = data_drift(
        old_history=_history(np.round(rng.exponential(5.0, 200), 3), "2024-01-01", old_area),
        new_history=_history(np.round(rng.exponential(8.0, 300), 3), "2025-01-01", new_area),
        old_population=population,
        new_population=population,
        old_capacity=capacity,
        new_capacity=capacity,
        old_needs=NEEDS,
        new_needs=NEEDS,
        resources=["beds"],
    )
    assert drift.changed and drift.los is not None and drift.los.changed
    assert drift.rates_by == "area"
    assert drift.rates.loc["b", "changed"] and not drift.rates.loc["a", "changed"]
    assert drift.rates.loc["b", "rate_ratio"] == pytest.approx(2.0)
    assert "1 of 2 changed" in drift.lines[1]
    assert drift.rates.loc["b", "rate_new_per_1000"] == pytest.approx(200.0)


def test_rates_per_age_band_when_the_histories_carry_bands():
    population = pd.Series({"a": 1000.0, "b": 1000.0})
    capacity = pd.DataFrame({"beds": [10.0]}, index=["s1"])
    bands = pd.Series({"50+": 500.0, "other": 1500.0})
    old = _history(np.full(200, 4.0), "2024-01-01", np.array(["a", "b"] * 100, dtype=object))
    new = _history(np.full(300, 4.0), "2025-01-01", np.array(["a", "b"] * 150, dtype=object))
    old.table["age_band"] = ["50+"] * 50 + ["other"] * 150  # 100 and 100 per 1,000 a year
    new.table["age_band"] = ["50+"] * 150 + ["other"] * 150  # 300 and 100 per 1,000 a year
    drift = data_drift(
        old_history=old,
        new_history=new,
        old_population=population,
        new_population=population,
        old_capacity=capacity,
        new_capacity=capacity,
        old_needs=NEEDS,
        new_needs=NEEDS,
        resources=["beds"],
        old_band_population=bands,
        new_band_population=bands,
    )
    table = drift.band_rates
    assert table.loc["50+", "rate_ratio"] == pytest.approx(3.0)
    assert table.loc["other", "rate_ratio"] == pytest.approx(1.0)
    assert bool(table.loc["50+", "changed"]) and not bool(table.loc["other", "changed"])
    assert "per age band: 1 of 2 changed beyond the noise (50+)" in " ".join(drift.lines)
