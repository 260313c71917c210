import numpy as np
import pandas as pd
import pytest

from geoalloc.runs.evaluate import access_kpis, area_status, weighted_gini, weighted_quantile


def test_weighted_quantile_matches_repeated_values() -> None:
    values = np.array([10.0, 20.0, 30.0])
    weights = np.array([1.0, 2.0, 1.0])
    repeated = np.array([10.0, 20.0, 20.0, 30.0])
    assert weighted_quantile(values, weights, 0.5) == np.quantile(
        repeated, 0.5, method="inverted_cdf"
    )
    assert weighted_quantile(values, weights, 0.9) == 30.0
    assert np.isnan(weighted_quantile(values, np.zeros(3), 0.5))


def test_gini_equal_and_concentrated() -> None:
    assert weighted_gini(np.array([5.0, 5.0, 5.0]), np.ones(3)) == pytest.approx(0.0)
    # one of two equal groups has everything: Gini = 0.5 for two groups
    assert weighted_gini(np.array([0.0, 10.0]), np.ones(2)) == pytest.approx(0.5)


def test_access_kpis_by_hand() -> None:
    minutes = pd.Series([5.0, 25.0, np.inf], index=["a", "b", "c"])
    population = pd.Series([100.0, 300.0, 50.0], index=["a", "b", "c"])
    kpis = access_kpis(minutes, population, max_minutes=20)
    assert kpis["covered_population"] == 100.0
    assert kpis["covered_pct"] == pytest.approx(100 * 100 / 450)
    assert kpis["unreachable_population"] == 50.0
    assert kpis["minutes_mean"] == pytest.approx((5 * 100 + 25 * 300) / 400)
    assert kpis["minutes_max"] == 25.0
    assert kpis["worst_decile_minutes"] == 25.0


def test_area_status() -> None:
    demand = pd.DataFrame({"beds": [2.0, 2.0, 2.0, 0.0, 1.0]}, index=list("abcde"))
    unmet = pd.DataFrame({"beds": [0.0, 1.0, 2.0, 0.0, 1.0]}, index=list("abcde"))
    reachable = pd.Series([True, True, True, True, False], index=list("abcde"))
    status = area_status(demand, unmet, reachable)
    assert status.to_dict() == {
        "a": "served",
        "b": "partly served",
        "c": "unserved",
        "d": "no demand",
        "e": "unreachable",
    }


def test_group_coverage_by_hand() -> None:
    from geoalloc.runs.evaluate import group_coverage

    minutes = pd.Series([5.0, 25.0, 8.0, np.inf], index=list("abcd"))
    population = pd.Series([100.0, 300.0, 50.0, 50.0], index=list("abcd"))
    groups = pd.Series(["north", "north", "south", "south"], index=list("abcd"))
    result = group_coverage(minutes, population, groups, max_minutes=10)
    by_group = {row["group"]: row for row in result["groups"]}
    assert by_group["north"]["covered_pct"] == pytest.approx(25.0)
    assert by_group["south"]["covered_pct"] == pytest.approx(50.0)
    assert result["worst_group_covered_pct"] == pytest.approx(25.0)
    assert group_coverage(minutes, population, None, 10) == {}


def test_covered_twice_by_hand() -> None:
    from geoalloc.runs.evaluate import covered_twice

    od = pd.DataFrame(
        {"area": ["a", "a", "b", "c"], "site": ["S", "T", "S", "U"], "minutes": [1, 2, 3, 4]}
    )
    population = pd.Series([10.0, 20.0, 30.0], index=list("abc"))
    result = covered_twice(od, pd.Index(["S", "T", "U"]), population)
    assert result["covered_twice_population"] == 10.0
    assert result["covered_twice_pct"] == pytest.approx(100 * 10 / 60)
    assert covered_twice(od, pd.Index(["S"]), population)["covered_twice_population"] == 0.0


def test_baseline_unmet_counts_overflow_above_todays_capacity() -> None:
    from geoalloc.runs.evaluate import baseline_loads

    # a and b go to S (capacity 2 beds, 4 arrive: half is unmet, pro rata); c goes to T (room
    # to spare); d has no existing site within 10 minutes
    demand = pd.DataFrame({"beds": [3.0, 1.0, 1.0, 2.0]}, index=["a", "b", "c", "d"])
    nearest = pd.DataFrame(
        {"site": ["S", "S", "T", "T"], "minutes": [2.0, 5.0, 1.0, 30.0]}, index=demand.index
    )
    capacity = pd.DataFrame({"beds": [2.0, 5.0]}, index=["S", "T"])
    load, unmet = baseline_loads(demand, nearest, 10.0, capacity=capacity)
    assert load["beds"].to_dict() == {"S": 4.0, "T": 1.0}  # what arrives, above capacity at S
    assert unmet["beds"].to_dict() == pytest.approx({"a": 1.5, "b": 0.5, "c": 0.0, "d": 2.0})
    # without capacity only the area beyond the standard is unmet
    _, uncapped = baseline_loads(demand, nearest, 10.0)
    assert uncapped["beds"].to_dict() == {"a": 0.0, "b": 0.0, "c": 0.0, "d": 2.0}
