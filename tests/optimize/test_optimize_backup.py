"""Backup (N-1) coverage in the MCLP: areas covered twice stay covered if one site fails."""

from __future__ import annotations

import pytest
from test_optimize_models import make_problem

from geoalloc.optimize import OptimizeOptions, check_allocation, solve

# Sites A, B, C (all existing, free to close: existing = "may_close"); p = 2. Area "big" (weight 10) is reachable from A and B; area "small" (weight 1)
# only from C. Plain MCLP covers both (A or B, and C: 11). With backup weight 0.5, opening A and B
# covers "big" twice: 10 + 0.5·10 = 15 > 11 + 0 (A/B + C cover each area once).
MINUTES = {("big", "A"): 5.0, ("big", "B"): 6.0, ("small", "C"): 4.0}
DEMAND = {"big": 10.0, "small": 1.0}


@pytest.mark.parametrize("backend", ["arrays", "pulp"])
def test_backup_weight_trades_single_coverage_for_double(backend: str) -> None:
    plain = OptimizeOptions(
        model="mclp", p=2, max_minutes=10, backend=backend, existing="may_close"
    )
    first = solve(make_problem(MINUTES, DEMAND), plain)
    assert set(first.sites.index[first.sites["open"]]) in ({"A", "C"}, {"B", "C"})
    assert first.objective == pytest.approx(11.0)

    backup = plain.model_copy(update={"backup_weight": 0.5})
    second = solve(make_problem(MINUTES, DEMAND), backup)
    assert set(second.sites.index[second.sites["open"]]) == {"A", "B"}
    assert second.objective == pytest.approx(15.0)
    check_allocation(make_problem(MINUTES, DEMAND), backup, second)

    small = plain.model_copy(update={"backup_weight": 0.05})  # 10.5 < 11: first coverage wins
    third = solve(make_problem(MINUTES, DEMAND), small)
    assert set(third.sites.index[third.sites["open"]]) in ({"A", "C"}, {"B", "C"})
