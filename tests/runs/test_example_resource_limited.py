"""The resource-limited worked example (examples/chicago_resource_limited) tells its story on the
real data: the small stock and the budget go where they are needed, every ZIP code keeps its floor,
and the report says who is left without and why."""

from __future__ import annotations

from pathlib import Path

import pytest

from geoalloc.runs import run_scenario, write_run
from geoalloc.scenario import load_scenario
from tests.helpers import REPO_ROOT

pytestmark = pytest.mark.slow

EXAMPLE = REPO_ROOT / "examples" / "chicago_resource_limited"


@pytest.fixture(scope="module")
def scenario(shared_data: Path):
    del shared_data  # the example's paths point at ../shared; the fixture skips when it is absent
    return load_scenario(EXAMPLE / "ventilators.toml")


@pytest.fixture(scope="module")
def result(scenario):
    return run_scenario(scenario)


def _served_share_by_zip(result):
    areas = result.layers["areas"]
    by_zip = areas.groupby("zip")[["demand_ventilators", "served_ventilators"]].sum()
    by_zip = by_zip[by_zip["demand_ventilators"] > 0]
    return by_zip["served_ventilators"] / by_zip["demand_ventilators"]


def test_small_stock_and_budget_are_all_used(result) -> None:
    summary = result.summary
    sites = result.layers["facilities"]
    stock = sites["ventilators_before"].sum()
    assert stock == 42  # 5 % of each hospital's ventilators, rounded down
    assert summary["costs"]["expansion_ventilators"] == pytest.approx(600_000)  # 20 bought
    assert sites["ventilators_after"].sum() == pytest.approx(stock + 20)
    served = summary["served"]["ventilators"]
    assert served <= stock + 20 + 1e-6
    assert served + summary["unmet"]["ventilators"] == pytest.approx(
        summary["demand"]["ventilators"]
    )
    assert summary["unmet"]["ventilators"] > 0.5 * summary["demand"]["ventilators"]


def test_floors_hold_in_every_zip_code(result, scenario) -> None:
    floor = scenario.optimize.coverage_floor
    share = _served_share_by_zip(result)
    assert len(share) > 60
    assert share.min() >= floor - 1e-6


def test_without_the_floor_some_zip_codes_get_nothing(result, scenario) -> None:
    loose = scenario.model_copy(
        update={"optimize": scenario.optimize.model_copy(update={"coverage_floor": None})}
    )
    free = run_scenario(loose)
    share = _served_share_by_zip(free)
    assert (share < 1e-6).sum() >= 5  # the floor is what protects them
    # the floor costs nothing in ventilators served: the same stock is used either way
    assert free.summary["served"]["ventilators"] == pytest.approx(
        result.summary["served"]["ventilators"], rel=1e-6
    )


def test_everyone_left_short_is_explained_by_the_binding_budget(result) -> None:
    shortfall = result.summary["shortfall"]
    reasons = {row["reason"] for row in shortfall["by_reason"]}
    assert reasons == {"budget"}  # every tract reaches a hospital within 20 minutes
    areas = result.layers["areas"]
    short = areas[areas["unmet_ventilators"] > 1e-6]
    assert len(shortfall["areas"]) == len(short)
    assert short["unmet_reason"].str.contains("ventilators: budget").all()


def test_priority_weights_follow_the_los_risk_by_age(result) -> None:
    areas = result.layers["areas"]
    share = areas["long_stay_admissions_per_day"] / areas["admissions_per_day"]
    # MIMIC-IV demo: P(LOS > 7 d) is 0.326 for 50+ and 0.350 below 50 (empirical), so areas
    # with more over-50s have a slightly lower weight; all lie between the two bands' fits
    assert share.dropna().between(0.30, 0.40).all()
    assert share.dropna().std() > 0


def test_report_and_layers_list_who_is_left_without(result, tmp_path: Path) -> None:
    out = write_run(result, tmp_path / "run")
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "Who is left without, and why" in report
    assert "the budget is spent" in report
    import geopandas as gpd

    layer = gpd.read_file(out / "results.gpkg", layer="shortfall")
    assert set(layer["reason"]) == {"budget"}
    assert len(layer) == len(result.summary["shortfall"]["areas"])
