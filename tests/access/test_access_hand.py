"""The accessibility indices on tiny cases computed by hand: 2 areas × 2 sites, a pair exactly at
the cut-off, an area with nothing in reach, and the inputs refused (a swapped table among them)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geoalloc import InputError
from geoalloc.access import (
    KANG_STEPS,
    Decay,
    access_index,
    balanced_fca,
    gravity,
    supply_potential,
    two_step_fca,
)
from geoalloc.travel.matrix import TravelMatrix

# areas A (1,000 people) and B (3,000); sites S (10 beds) and T (2 beds); B–S is beyond 30 min
PAIRS = pd.DataFrame(
    {
        "area": ["A", "A", "B", "B"],
        "site": ["S", "T", "T", "S"],
        "minutes": [5.0, 20.0, 10.0, 40.0],
    }
)
DEMAND = pd.Series({"A": 1000.0, "B": 3000.0})
SUPPLY = pd.Series({"S": 10.0, "T": 2.0})


def test_2sfca_by_hand():
    index = two_step_fca(PAIRS, DEMAND, SUPPLY, max_minutes=30)
    # S serves A only: 10 / 1000; T serves A and B: 2 / 4000
    assert index.ratio["A"] == pytest.approx(10 / 1000 + 2 / 4000, rel=1e-12)
    assert index.ratio["B"] == pytest.approx(2 / 4000, rel=1e-12)
    assert index.per_1000.tolist() == pytest.approx([10.5, 0.5], rel=1e-12)
    assert index.site_ratio.tolist() == pytest.approx([0.01, 0.0005], rel=1e-12)
    assert index.method == "2sfca"
    # every bed is shared out: the population-weighted sum is the supply
    assert (index.ratio * DEMAND).sum() == pytest.approx(SUPPLY.sum(), rel=1e-12)


def test_e2sfca_steps_by_hand():
    index = two_step_fca(PAIRS, DEMAND, SUPPLY, max_minutes=30, decay=Decay.step(KANG_STEPS))
    # weights: A–S 5 min → 1, A–T 20 min → 0.68 (20 is in the 10–20 zone), B–T 10 min → 1
    t_ratio = 2 / (1000 * 0.68 + 3000 * 1.0)
    assert index.ratio["A"] == pytest.approx(10 / 1000 + 0.68 * t_ratio, rel=1e-12)
    assert index.ratio["B"] == pytest.approx(t_ratio, rel=1e-12)
    assert index.method == "e2sfca"
    assert (index.ratio * DEMAND).sum() == pytest.approx(SUPPLY.sum(), rel=1e-12)


def test_bfca_by_hand():
    index = balanced_fca(PAIRS, DEMAND, SUPPLY, max_minutes=30)
    # A's people split half to S, half to T; T's service split half to A, half to B
    s_ratio, t_ratio = 10 / (1000 * 0.5), 2 / (1000 * 0.5 + 3000)
    assert index.site_ratio.tolist() == pytest.approx([s_ratio, t_ratio], rel=1e-12)
    assert index.ratio["A"] == pytest.approx(s_ratio + 0.5 * t_ratio, rel=1e-12)
    assert index.ratio["B"] == pytest.approx(0.5 * t_ratio, rel=1e-12)
    # no level of service counted twice
    assert index.ratio.sum() == pytest.approx(index.site_ratio.sum(), rel=1e-12)


def test_gravity_by_hand():
    index = gravity(PAIRS, DEMAND, SUPPLY, decay=Decay.inverse_power(1.0))
    s_demand = 1000 / 5 + 3000 / 40  # no cut-off: B–S counts too
    t_demand = 1000 / 20 + 3000 / 10
    assert index.ratio["A"] == pytest.approx(10 / 5 / s_demand + 2 / 20 / t_demand, rel=1e-12)
    assert index.ratio["B"] == pytest.approx(10 / 40 / s_demand + 2 / 10 / t_demand, rel=1e-12)
    assert (index.ratio * DEMAND).sum() == pytest.approx(SUPPLY.sum(), rel=1e-12)


def test_potential_by_hand():
    index = supply_potential(PAIRS, DEMAND, SUPPLY, max_minutes=30, decay=Decay.none())
    assert index.ratio.tolist() == [12.0, 2.0]


def test_a_site_exactly_at_the_cut_off_counts():
    pairs = pd.DataFrame({"area": ["A", "B"], "site": ["S", "S"], "minutes": [30.0, 30.000001]})
    index = two_step_fca(pairs, DEMAND, SUPPLY, max_minutes=30)
    assert index.ratio["A"] == pytest.approx(10 / 1000, rel=1e-12)  # at 30: in
    assert index.ratio["B"] == 0.0  # a millionth of a minute beyond: out
    assert index.sites_in_reach.tolist() == [1, 0]
    # the step zones are inclusive at their upper bounds, as the catchment is
    weights = Decay.step(KANG_STEPS).weights(np.array([0.0, 10.0, 10.0001, 20.0, 30.0, 30.01]))
    assert weights.tolist() == [1.0, 1.0, 0.68, 0.68, 0.22, 0.0]


def test_an_area_with_nothing_in_reach_is_kept_with_zero():
    demand = pd.Series({"A": 1000.0, "B": 3000.0, "C": 500.0})  # C has no pair at all
    for method in ("2sfca", "e2sfca", "bfca", "gravity"):
        index = access_index(PAIRS, demand, SUPPLY, method=method, max_minutes=30)
        assert index.ratio.index.tolist() == ["A", "B", "C"], method
        assert index.ratio["C"] == 0.0, method
        assert index.nothing_in_reach.tolist() == [False, False, True], method
    # a site with no supply is not "in reach" (a candidate site of the baseline)
    index = two_step_fca(PAIRS, demand, pd.Series({"S": 0.0, "T": 2.0}), max_minutes=30)
    assert index.sites_in_reach.tolist() == [1, 1, 0]


def test_frame_and_units():
    frame = two_step_fca(PAIRS, DEMAND, SUPPLY, max_minutes=30).to_frame()
    assert frame.columns.tolist() == ["per_1000", "ratio", "sites_in_reach", "nothing_in_reach"]
    assert frame["per_1000"].tolist() == pytest.approx((frame["ratio"] * 1000).tolist())


def test_a_swapped_table_is_named_as_such():
    swapped = PAIRS.rename(columns={"area": "site", "site": "area"})
    with pytest.raises(InputError, match="runs the wrong way"):
        two_step_fca(swapped, DEMAND, SUPPLY, max_minutes=30)


@pytest.mark.parametrize(
    ("pairs", "demand", "supply", "match"),
    [
        (PAIRS.assign(area=["A", "A", "X", "B"]), DEMAND, SUPPLY, "area ids not in the demand"),
        (PAIRS.assign(site=["S", "T", "Z", "S"]), DEMAND, SUPPLY, "site ids not in the supply"),
        (PAIRS.assign(minutes=[5.0, -1.0, 10.0, np.nan]), DEMAND, SUPPLY, "2 pair"),
        (pd.concat([PAIRS, PAIRS.head(1)]), DEMAND, SUPPLY, "more than once"),
        (PAIRS, pd.Series({"A": -1.0, "B": 3000.0}), SUPPLY, "negative for area ids A"),
        (PAIRS, DEMAND, pd.Series({"S": np.nan, "T": 2.0}), "site ids S"),
        (PAIRS.drop(columns="minutes"), DEMAND, SUPPLY, "no column"),
    ],
)
def test_bad_inputs_are_refused(pairs, demand, supply, match):
    with pytest.raises(InputError, match=match):
        two_step_fca(pairs, demand, supply, max_minutes=30)


def test_options_are_checked():
    with pytest.raises(InputError, match="increase"):
        Decay.step([[20, 1.0], [10, 0.5]])
    with pytest.raises(InputError, match="sigma_minutes"):
        Decay.gaussian(0.0)
    with pytest.raises(InputError, match="max_minutes"):
        two_step_fca(PAIRS, DEMAND, SUPPLY, max_minutes=-5)
    with pytest.raises(InputError, match="takes no decay"):
        access_index(PAIRS, DEMAND, SUPPLY, method="2sfca", max_minutes=30, decay=Decay.gaussian(9))
    with pytest.raises(InputError, match="not one of"):
        access_index(PAIRS, DEMAND, SUPPLY, method="3sfca", max_minutes=30)


def test_a_travel_matrix_is_taken_and_its_horizon_checked():
    minutes = np.array([[5.0, 20.0], [np.inf, 10.0]])
    matrix = TravelMatrix(pd.Index(["A", "B"]), pd.Index(["S", "T"]), minutes)
    from_matrix = two_step_fca(matrix, DEMAND, SUPPLY, max_minutes=30)
    from_table = two_step_fca(PAIRS, DEMAND, SUPPLY, max_minutes=30)
    pd.testing.assert_series_equal(from_matrix.ratio, from_table.ratio)
    short = TravelMatrix(pd.Index(["A", "B"]), pd.Index(["S", "T"]), minutes, max_minutes=20.0)
    with pytest.raises(InputError, match="stops at 20 minutes"):
        two_step_fca(short, DEMAND, SUPPLY, max_minutes=30)


def test_the_row_order_does_not_matter():
    shuffled = PAIRS.sample(frac=1.0, random_state=3)
    for method in ("2sfca", "e2sfca", "bfca", "gravity"):
        a = access_index(PAIRS, DEMAND, SUPPLY, method=method, max_minutes=30)
        b = access_index(shuffled, DEMAND, SUPPLY, method=method, max_minutes=30)
        np.testing.assert_allclose(a.ratio, b.ratio, rtol=1e-12)


def test_the_readme_example_runs_and_says_what_it_shows(capsys):
    import re

    from tests.helpers import REPO_ROOT

    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Access indices (2SFCA, E2SFCA, BFCA, gravity)\n", 1)[1]
    (block,) = re.findall(r"```python\n(.*?)```", section.split("\n## ", 1)[0], flags=re.S)
    exec(compile(block, "README.md", "exec"), {})  # noqa: S102 - the README's own example
    printed = capsys.readouterr().out.split("\n")
    assert printed[0].split() == ["per_1000", "ratio", "sites_in_reach", "nothing_in_reach"]
    # c reaches nothing: kept, with 0 and flagged
    area, per_1000, ratio, in_reach, nothing = printed[-2].split()
    assert (area, float(per_1000), float(ratio), in_reach, nothing) == ("c", 0, 0, "0", "True")


def test_a_swapped_matrix_and_a_categorical_table():
    minutes = np.array([[5.0, np.inf], [20.0, 10.0]])  # sites S, T (rows) → areas A, B
    swapped = TravelMatrix(pd.Index(["S", "T"]), pd.Index(["A", "B"]), minutes)
    with pytest.raises(InputError, match="runs the wrong way"):
        two_step_fca(swapped, DEMAND, SUPPLY, max_minutes=30)
    categorical = PAIRS.astype({"area": "category", "site": "category"})
    for method in ("2sfca", "bfca"):
        a = access_index(categorical, DEMAND, SUPPLY, method=method, max_minutes=30)
        b = access_index(PAIRS, DEMAND, SUPPLY, method=method, max_minutes=30)
        pd.testing.assert_series_equal(a.ratio, b.ratio)
