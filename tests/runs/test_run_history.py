"""`geoalloc run` with a [history]: the MIMIC-IV demo admissions give the LOS; the queue check and
LOS risk land in summary.json and results.gpkg (Chicago tracts and hospitals, crowfly)."""

from pathlib import Path

import pandas as pd
import pytest

from geoalloc.runs import run_scenario
from geoalloc.scenario import load_scenario
from tests.helpers import write_chicago_scenario

pytestmark = pytest.mark.slow


def test_history_drives_los_queue_and_risk(tmp_path: Path, shared_data: Path) -> None:
    admissions = shared_data / "mimic_iv_demo_2.2" / "hosp" / "admissions.csv.gz"
    history = {"path": admissions, "group_by": ["admission_type"]}
    scenario_path = write_chicago_scenario(tmp_path, shared_data, history=history)
    result = run_scenario(load_scenario(scenario_path))
    model = result.summary["demand_model"]
    # independent figures from the same file
    frame = pd.read_csv(admissions, parse_dates=["admittime", "dischtime"])
    los_days = (frame["dischtime"] - frame["admittime"]).dt.total_seconds() / 86400
    assert model["los"]["source"] == "history"
    assert model["los"]["los_risk_empirical"] == pytest.approx((los_days > 7).mean())
    queue = pd.DataFrame(model["queue_check"])
    sites = result.layers["facilities"]
    open_sites = sites[sites["open"]]
    assert len(queue) == len(open_sites) == 40
    assert {"beds_blocking_erlang_b", "beds_sim_blocking", "beds_expected_occupancy"} <= set(
        sites.columns
    )
    assert open_sites["beds_blocking_erlang_b"].between(0, 1).all()
    # beds needed follow the fitted mean LOS, not the scenario's los_days
    areas = result.layers["areas"]
    mean_los = model["los"]["mean_days"]
    assert mean_los == pytest.approx(los_days.mean(), rel=0.2)
    ratio = areas["bed_days_per_day"] / areas["admissions_per_day"]
    assert ratio.dropna().between(mean_los * 0.999, mean_los * 1.001).all()
    assert "long_stay_admissions_per_day" in areas.columns
