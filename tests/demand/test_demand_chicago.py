"""Real data end to end for the demand part: Chicago tracts × MIMIC LOS → needs → queue check."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geoalloc.demand import (
    DemandOptions,
    HistoryOptions,
    area_needs,
    fit_history,
    los_summary,
    queue_check,
)

gpd = pytest.importorskip("geopandas")


@pytest.mark.slow
def test_chicago_needs_and_queue_check(shared_data):
    tracts = gpd.read_file(shared_data / "chicago_kang2020" / "chicago_tracts_pop.gpkg")
    tracts = tracts.set_index("GEOID")
    hospitals = gpd.read_file(shared_data / "chicago_kang2020" / "chicago_hospitals.gpkg")
    hospitals.index = pd.Index([f"h{i:02d}" for i in range(len(hospitals))], name="site")
    history = HistoryOptions(
        path=shared_data / "mimic_iv_demo_2.2" / "hosp" / "admissions.csv.gz",
        group_by=["admission_type"],
    )
    options = DemandOptions(
        resources=["beds", "icu_beds", "ventilators", "nurses"],
        admissions_per_1000={"50+": 220.0, "other": 70.0},
        simulation_replications=10,
    )
    los = fit_history(history, options)
    needs = area_needs(
        tracts, population="TotalPop", age_bands={"OverFifty": "50+"}, options=options, los=los
    )
    # extensive totals: persons × rates / 365, × the MIMIC mean LOS
    over50, total = tracts["OverFifty"].sum(), tracts["TotalPop"].sum()
    adm = (over50 * 220 + (total - over50) * 70) / 1000 / 365
    assert needs["admissions_per_day"].sum() == pytest.approx(adm)
    assert needs["bed_days_per_day"].sum() == pytest.approx(adm * los.mean_days)
    assert needs["beds"].sum() == pytest.approx(adm * los.mean_days / 0.85)
    assert (needs[["beds", "icu_beds", "ventilators", "nurses"]] >= 0).all().all()

    # every tract's beds to its nearest hospital (a stand-in for a plan), against today's beds
    pts = tracts.geometry.to_crs(32616).representative_point()
    hos = hospitals.geometry.to_crs(32616).representative_point()
    dist = np.hypot(
        pts.x.to_numpy()[:, None] - hos.x.to_numpy()[None, :],
        pts.y.to_numpy()[:, None] - hos.y.to_numpy()[None, :],
    )
    nearest = hospitals.index[dist.argmin(axis=1)]
    load = needs.groupby(np.asarray(nearest))[["beds"]].sum()
    capacity = hospitals[["Total_Bed"]].rename(columns={"Total_Bed": "beds"}).astype(float)
    queue = queue_check(load, capacity, los, options=options, seed=0)
    assert len(queue) == len(hospitals) == 66
    busy = queue[(queue["blocking_erlang_b"] > 1e-3) & (queue["blocking_erlang_b"] < 0.999)]
    assert len(busy) >= 10
    half = (busy["sim_blocking_ci_high"] - busy["sim_blocking_ci_low"]) / 2
    gap = (busy["sim_blocking"] - busy["blocking_erlang_b"]).abs()
    assert (gap <= 2 * half + 0.002).all()
    assert (busy["sim_occupancy"] - busy["expected_occupancy"]).abs().max() < 0.01
    summary = los_summary(los, needs=needs, queue=queue)
    assert len(summary["queue_check"]) == 66
    assert summary["los"]["fit"]["mean_days"] == pytest.approx(los.mean_days)
