"""``geoalloc robust`` on the real Chicago ICU scenario with an expansion choice
(examples/chicago_robust/icu_robust.toml): a few draws, every tract in the areas layer, and the
robust plan no worse than the mean plan on the draws it was solved on."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from geoalloc.parallel import ComputeOptions
from geoalloc.runs.robust import run_robust, with_robustness
from geoalloc.scenario import load_scenario
from tests.helpers import REPO_ROOT

pytestmark = pytest.mark.slow


def test_chicago_icu_under_uncertainty(shared_data: Path, tmp_path: Path) -> None:
    path = REPO_ROOT / "examples" / "chicago_robust" / "icu_robust.toml"
    scenario = with_robustness(load_scenario(path), draws=4, seed=1)
    scenario = scenario.model_copy(
        update={"robustness": scenario.robustness.model_copy(update={"saa_draws": 4})}
    )
    result = run_robust(scenario, compute=ComputeOptions(executor="serial"))
    areas, sites = result.areas, result.facilities
    assert len(areas) == 878 and areas["p_covered"].between(0, 1).all()
    assert len(sites) == 66 and sites["open"].all()  # every hospital exists and stays open
    assert result.summary["robustness"]["chosen_share_of"] == "expanded_share"
    assert (sites["expanded_share"] > 0).any()  # the draws add ICU beds or ventilators somewhere
    for r in ("icu_beds", "ventilators"):
        assert (sites[f"{r}_added_p10"] <= sites[f"{r}_added_mean"] + 1e-9).all()
        assert (sites[f"{r}_added_mean"] <= sites[f"{r}_added_p90"] + 1e-9).all()
        assert (sites[f"{r}_added"] <= 60).all()  # max_added
    # on the draws it was solved on, the robust plan leaves no more unmet than the mean plan
    comparison = result.summary["robustness"]["comparison"]
    robust = comparison["robust_plan"]["expected_unmet"]["total"]
    mean = comparison["mean_plan"]["expected_unmet"]["total"]
    assert robust <= mean * (1 + 1e-3) + 1e-6
    own = result.summary["robustness"]["kpis"]["own_plans"]["unmet_total"]["mean"]
    assert own <= robust + 1e-6  # each draw's own plan is the best for that draw
    assert np.isfinite(result.summary["robustness"]["per_draw"]["ratio_to_bare_solve"])
    folder = result.write(tmp_path / "run")
    assert (folder / "map.html").stat().st_size > 0
