"""Priority weights on unmet demand: scarce capacity goes where the weight is high."""

from __future__ import annotations

import pandas as pd
import pytest
from test_optimize_models import make_problem

from geoalloc._errors import InputError
from geoalloc.optimize import OptimizeOptions, check_allocation, solve


def _one_bed_two_areas(priority: dict | None):
    # one site with 1 bed, two areas needing 1 bed each, the low-priority area is even closer
    return make_problem(
        {("low", "S"): 1.0, ("high", "S"): 5.0},
        {"low": 1.0, "high": 1.0},
        {"S": 1.0},
        priority=None if priority is None else pd.Series(priority),
    )


@pytest.mark.parametrize("backend", ["arrays", "pulp"])
def test_scarce_bed_goes_to_the_high_priority_area(backend: str) -> None:
    options = OptimizeOptions(model="capacitated", max_minutes=30, backend=backend)
    plain = solve(_one_bed_two_areas(None), options)
    assert plain.unmet["beds"].to_dict() == pytest.approx({"low": 0.0, "high": 1.0})  # nearer wins
    weighted = solve(_one_bed_two_areas({"low": 1.0, "high": 3.0}), options)
    assert weighted.unmet["beds"].to_dict() == pytest.approx({"low": 1.0, "high": 0.0})
    # lexicographic (the default): one bed is unmet whoever gets it (goal 1); the last goal
    # prices who is left short at the penalty × weight: 5 minutes + 1000 × 1 (low left short)
    # against 1 minute + 1000 × 3 (high left short)
    levels = {level["key"]: level["value"] for level in weighted.objective_detail["levels"]}
    assert levels["unmet"] == pytest.approx(1.0)
    assert weighted.objective == pytest.approx(5.0 + options.unmet_penalty_minutes * 1.0)
    check_allocation(_one_bed_two_areas({"low": 1.0, "high": 3.0}), options, weighted)
    # weighted: 5 minutes for the served area + 1 unmet bed × penalty × weight 1
    summed = options.model_copy(update={"objective": "weighted"})
    same = solve(_one_bed_two_areas({"low": 1.0, "high": 3.0}), summed)
    assert same.unmet["beds"].to_dict() == pytest.approx({"low": 1.0, "high": 0.0})
    assert same.objective == pytest.approx(5.0 + summed.unmet_penalty_minutes * 1.0)


def test_negative_priority_is_an_input_error() -> None:
    with pytest.raises(InputError, match="priority"):
        solve(_one_bed_two_areas({"low": -1.0, "high": 1.0}), OptimizeOptions(model="capacitated"))
