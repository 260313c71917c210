"""Needs per area and resource, surge curves, admission rates from history, scenario options."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from geoalloc._errors import InputError
from geoalloc.demand import area_needs, planned_resources
from geoalloc.demand.erlang import erlang_b, servers_for_blocking
from geoalloc.demand.history import read_history
from geoalloc.demand.los import LosFit, LosModel, fit_los_model
from geoalloc.demand.options import DemandOptions, HistoryOptions
from geoalloc.demand.summary import fit_history, los_summary
from geoalloc.demand.surge import census, sir_new_infections, survival_weights

ALL = ["beds", "icu_beds", "ventilators", "nurses", "physicians"]


def areas() -> pd.DataFrame:
    return pd.DataFrame(
        {"pop": [10_000.0, 36_500.0], "old": [2_000.0, 0.0], "surge": [1.0, 2.0]},
        index=pd.Index(["a1", "a2"], name="area"),
    )


def test_hand_checked_needs_for_every_resource():
    options = DemandOptions(resources=ALL, admissions_per_1000={"all": 100.0}, los_days=5.0)
    needs = area_needs(areas(), population="pop", age_bands={}, options=options)
    a1 = needs.loc["a1"]
    per_day = 10_000 * 100 / 1000 / 365  # 2.7397 admissions a day
    bed_days = per_day * 5.0
    assert a1["admissions_per_day"] == pytest.approx(per_day)
    assert a1["bed_days_per_day"] == pytest.approx(bed_days)
    assert a1["long_stay_admissions_per_day"] == pytest.approx(per_day * math.exp(-7 / 5))
    assert a1["beds"] == pytest.approx(bed_days / 0.85)
    icu_beds = 0.08 * bed_days / 0.75
    assert a1["icu_beds"] == pytest.approx(icu_beds)
    assert a1["ventilators"] == pytest.approx(0.5 * icu_beds)
    coverage = 168 / (40 * 0.85)
    weighted = bed_days * 0.92 + 2.5 * bed_days * 0.08
    assert a1["nurses"] == pytest.approx(0.2 * weighted * coverage)
    assert a1["physicians"] == pytest.approx(0.05 * weighted * coverage)
    # extensive: needs scale with population
    assert needs.loc["a2", "beds"] == pytest.approx(3.65 * a1["beds"])
    assert planned_resources(options) == ALL


def test_default_options_keep_the_original_contract():
    options = DemandOptions()
    needs = area_needs(
        areas(),
        population="pop",
        age_bands={"old": "65+"},
        options=options.model_copy(update={"admissions_per_1000": {"65+": 300.0, "other": 80.0}}),
    )
    assert planned_resources(options) == ["beds"]
    expected = (2_000 * 300 + 8_000 * 80) / 1000 / 365 * 5.0 / 0.85
    assert needs.loc["a1", "beds"] == pytest.approx(expected)
    assert {"admissions_per_day", "bed_days_per_day", "beds"} <= set(needs.columns)


def test_erlang_b_capacity_method_and_surge_column():
    options = DemandOptions(
        capacity_method="erlang_b", blocking_target=0.01, surge_multiplier="surge"
    )
    needs = area_needs(areas(), population="pop", age_bands={}, options=options)
    a2 = needs.loc["a2"]
    assert a2["admissions_per_day"] == pytest.approx(36_500 * 0.1 / 365 * 2.0)  # surge ×2
    c = a2["beds"]
    assert c == servers_for_blocking(a2["bed_days_per_day"], 0.01)
    assert (
        erlang_b(int(c), a2["bed_days_per_day"])
        <= 0.01
        < erlang_b(int(c) - 1, a2["bed_days_per_day"])
    )
    with pytest.raises(InputError, match="surge_multiplier names column 'nope'"):
        area_needs(
            areas(), population="pop", age_bands={}, options=DemandOptions(surge_multiplier="nope")
        )
    bad = areas().assign(surge=[1.0, -1.0])
    with pytest.raises(InputError, match="a2"):
        area_needs(
            bad, population="pop", age_bands={}, options=DemandOptions(surge_multiplier="surge")
        )


def test_census_of_constant_admissions_is_admissions_times_mean_los():
    for fit in (LosFit.assumed(5.0), LosFit("lognormal", {"mu": 1.2, "sigma": 0.9})):
        w = survival_weights(fit)
        base = np.array([3.0, 10.0])
        c = census(np.repeat(base[None, :], 30, axis=0), w, base)
        assert c[0] == pytest.approx(base * fit.mean_days, rel=0.01)
        assert c[-1] == pytest.approx(base * fit.mean_days, rel=0.01)


def test_surge_table_peak_and_day():
    mult = [1.0] * 10 + [2.0] * 20 + [1.0] * 40
    options = DemandOptions(
        resources=["beds", "icu_beds"], surge={"kind": "table", "multipliers": mult}
    )
    needs = area_needs(areas(), population="pop", age_bands={}, options=options)
    base = needs["bed_days_per_day"] / 0.85
    # 20 days at ×2 with a 5-day exponential LOS: census rises to 1 + (1 − e^(−20/5)) ≈ 1.98 × base
    assert needs["beds_peak"].to_numpy() == pytest.approx(base.to_numpy() * 1.98, rel=0.01)
    assert (needs["beds_peak_day"] == 29).all()
    assert (needs["beds"] == base).all()  # plan_for_peak is off
    peak = area_needs(
        areas(),
        population="pop",
        age_bands={},
        options=options.model_copy(
            update={"surge": options.surge.model_copy(update={"plan_for_peak": True})}
        ),
    )
    assert (peak["beds"] == needs["beds_peak"]).all()


def test_sir_curve():
    from geoalloc.demand.options import SurgeOptions

    s = SurgeOptions(kind="sir", days=365, doubling_time_days=4, infectious_days=14)
    new = sir_new_infections(s)
    # early growth doubles every 4 days; final size below 1; one peak
    assert new[9] / new[5] == pytest.approx(2.0, rel=0.05)
    assert 0.5 < new.sum() < 1.0
    assert 0 < new.argmax() < 364
    slower = sir_new_infections(s.model_copy(update={"social_distancing": 0.3}))
    assert slower.argmax() > new.argmax() and slower.max() < new.max()
    options = DemandOptions(resources=["beds", "icu_beds", "ventilators"], surge=s)
    needs = area_needs(areas(), population="pop", age_bands={}, options=options)
    assert (needs["beds_peak"] > needs["beds"]).all()
    assert (needs["ventilators_peak"] > needs["ventilators"]).all()
    # both areas follow the same SIR fractions: same peak day, census after infections peak
    assert needs["beds_peak_day"].nunique() == 1
    assert needs["beds_peak_day"].iloc[0] >= new.argmax()


def test_surge_table_from_csv(tmp_path):
    path = tmp_path / "surge.csv"
    pd.DataFrame({"day": [2, 0, 1], "multiplier": [1.5, 1.0, 3.0]}).to_csv(path, index=False)
    options = DemandOptions(surge={"kind": "table", "path": path})
    needs = area_needs(areas(), population="pop", age_bands={}, options=options)
    assert (needs["beds_peak_day"] == 2).all()
    pd.DataFrame({"day": [0, 1], "multiplier": [1.0, -1.0]}).to_csv(path, index=False)
    with pytest.raises(InputError, match="negative"):
        area_needs(areas(), population="pop", age_bands={}, options=options)


def test_rates_and_los_from_history_with_area_ids():
    history_frame = pd.DataFrame(
        {
            "area": ["a1"] * 30 + ["a2"] * 63 + ["zz"],
            "los": [4.0] * 94,
        }
    )
    opts = HistoryOptions(path="-", los="los", area_id="area", years=2.0)
    history = read_history(history_frame, opts, area_ids=["a1", "a2"])
    assert history.problems.counts == {"unknown_area": 1}
    model = fit_los_model(history, risk_days=7)
    needs = area_needs(areas(), population="pop", age_bands={}, options=DemandOptions(), los=model)
    rate = 93 / 2.0 / 46_500 * 1000  # per 1,000 a year, all areas pooled
    assert needs.loc["a1", "admissions_per_day"] == pytest.approx(10_000 * rate / 1000 / 365)
    assert needs.loc["a1", "bed_days_per_day"] == pytest.approx(
        needs.loc["a1", "admissions_per_day"] * model.mean_days
    )


def test_options_validation():
    with pytest.raises(ValidationError, match="unknown"):
        DemandOptions(resources=["beds", "helicopters"])
    with pytest.raises(ValidationError, match="primary"):
        DemandOptions(resource="beds", resources=["nurses", "beds"])
    assert DemandOptions(resources=["nurses", "beds"]).resource == "nurses"
    with pytest.raises(ValidationError, match="multipliers"):
        DemandOptions(surge={"kind": "table"})
    with pytest.raises(ValidationError):
        DemandOptions(extra_key=1)
    assert DemandOptions(
        staff_per_occupied_bed={"midwives": 0.1}, resources=["midwives"]
    ).planned == ["midwives"]
    assert DemandOptions(coverage_factor=5.0).staff_coverage_factor == 5.0


def test_fit_history_and_summary_are_json_ready(tmp_path):
    import json

    path = tmp_path / "h.csv"
    pd.DataFrame({"los": [1.0, 2.0, 3.0, 5.0, 8.0, 13.0, -1.0], "ward": list("aabbbba")}).to_csv(
        path, index=False
    )
    model = fit_history(HistoryOptions(path=path, group_by=["ward"]), DemandOptions(risk_days=7))
    summary = los_summary(
        model,
        needs=area_needs(
            areas(), population="pop", age_bands={}, options=DemandOptions(), los=model
        ),
    )
    text = json.dumps(summary, allow_nan=False)
    assert '"negative_los": 1' in text
    assert summary["los"]["risk_days"] == 7
    assert summary["needs_total"]["admissions_per_day"] == pytest.approx(46_500 * 0.1 / 365)
    assumed = fit_history(None, DemandOptions(los_days=4.0))
    assert assumed.mean_days == pytest.approx(4.0)
    assert los_summary(assumed)["los"]["source"].startswith("assumed")
    assert isinstance(LosModel.assumed(3.0).table, pd.DataFrame)


def test_scenario_history_path_is_resolved(tmp_path, write_scenario):
    from geoalloc.scenario import load_scenario

    path = write_scenario(
        tmp_path,
        name="t",
        areas={"path": "areas.gpkg", "id": "id", "population": "pop"},
        facilities={"path": "fac.gpkg", "id": "id", "capacity": {"beds": "beds"}},
        history={"path": "data/adm.csv", "group_by": ["admission_type"]},
        demand={"resources": ["beds", "nurses"], "surge": {"kind": "table", "path": "surge.csv"}},
    )
    scenario = load_scenario(path)
    assert scenario.history.path == (tmp_path / "data" / "adm.csv").resolve()
    assert scenario.demand.surge.path == (tmp_path / "surge.csv").resolve()
    assert scenario.demand.planned == ["beds", "nurses"]


def test_los_per_age_band_weights_bed_days():
    from geoalloc.demand.los import fit_los

    rng = np.random.default_rng(9)
    old = rng.lognormal(2.2, 0.5, 60)  # ~10 days
    young = rng.lognormal(0.6, 0.5, 80)  # ~2 days
    frame = pd.DataFrame(
        {"los": np.r_[old, young, [3.0]], "band": ["65+"] * 60 + ["other"] * 80 + ["unknown"]}
    )
    history = read_history(frame, HistoryOptions(path="-", los="los", age_band="band"))
    model = fit_los_model(history, risk_days=7)
    options = DemandOptions(admissions_per_1000={"65+": 300.0, "other": 80.0})
    needs = area_needs(
        areas(), population="pop", age_bands={"old": "65+"}, options=options, los=model
    )
    f_old, f_young = fit_los(old, old), fit_los(young, young)
    adm_old, adm_other = 2_000 * 0.3 / 365, 8_000 * 0.08 / 365
    a1 = needs.loc["a1"]
    assert a1["admissions_per_day"] == pytest.approx(adm_old + adm_other)
    assert a1["bed_days_per_day"] == pytest.approx(
        adm_old * f_old.mean_days + adm_other * f_young.mean_days
    )
    assert a1["long_stay_admissions_per_day"] == pytest.approx(
        adm_old * f_old.p_longer(7) + adm_other * f_young.p_longer(7)
    )
    # a2 has nobody over 65: only the young LOS counts
    assert needs.loc["a2", "bed_days_per_day"] == pytest.approx(
        36_500 * 0.08 / 365 * f_young.mean_days
    )


def test_area_surge_matches_area_needs_peaks_and_goes_to_the_summary():
    import json

    from geoalloc.demand import area_surge

    options = DemandOptions(
        resources=["beds", "ventilators"],
        surge={"kind": "sir", "days": 200, "social_distancing": 0.2},
    )
    args = {"population": "pop", "age_bands": {}, "options": options}
    needs = area_needs(areas(), **args)
    surge = area_surge(areas(), **args)
    assert surge.peaks["beds_peak"].to_numpy() == pytest.approx(needs["beds_peak"].to_numpy())
    assert surge.daily["beds"].max() == pytest.approx(needs["beds_peak"].sum())  # same peak day
    summary = los_summary(LosModel.assumed(5.0), needs=needs, surge=surge)
    json.dumps(summary, allow_nan=False)
    assert summary["surge"]["peak_day"] == int(needs["beds_peak_day"].iloc[0])
    assert len(summary["surge"]["daily"]) == 200
    assert area_surge(areas(), population="pop", age_bands={}, options=DemandOptions()) is None
