"""geoalloc update of a time-phased deployment run, on the tiny instance of
tests/runs/phased_instance.py whose answers are known by hand.

The plan: A 40,000 people (54.8 beds), B none — nothing moves. The new data: B 20,000 (27.4 beds a
day). Sent from S1 in period t, 28 beds serve B from period t + 2: updated as of day 0 (nothing
happened yet) B goes without on days 0 and 1 (54.8 unit-days); as of day 2 on days 0 to 3
(109.6); the plan kept, on all five days (137.0).
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pytest
from click.testing import CliRunner

import geoalloc
from geoalloc._errors import InputError
from geoalloc.cli import cli
from tests.runs.phased_instance import (
    BEDS_PER_PERSON,
    DEPLOYMENT,
    PERIODS,
    write_areas,
    write_plan,
    write_sites,
)


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory, write_scenario) -> Path:
    folder = tmp_path_factory.mktemp("phased")
    return write_plan(folder, write_scenario, {"A": 40_000.0, "B": 0.0}, deployment=DEPLOYMENT)


@pytest.fixture(scope="module")
def surge_at_b(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_areas(
        tmp_path_factory.mktemp("new") / "areas.gpkg", {"A": 40_000.0, "B": 20_000.0}
    )


def _unit_days(result, key: str = "new") -> float:
    return result.summary["update"][key]["unmet_unit_days"]["beds"]


def test_the_plan_moves_nothing(plan: Path) -> None:
    summary = json.loads((plan / "summary.json").read_text())
    assert summary["kind"] == "deployment"
    assert summary["deployment"]["moves"] == []


@pytest.mark.slow
def test_changes_wait_for_their_lead_time(plan, surge_at_b, tmp_path) -> None:
    b_per_day = 20_000 * BEDS_PER_PERSON  # 27.4 beds
    fresh = geoalloc.update(plan, areas=surge_at_b, out=tmp_path / "u0")
    assert _unit_days(fresh) == pytest.approx(2 * b_per_day)
    assert _unit_days(fresh, "kept") == pytest.approx(PERIODS * b_per_day)
    late = geoalloc.update(plan, areas=surge_at_b, as_of_day=2)
    assert _unit_days(late) == pytest.approx(4 * b_per_day)
    for result in (fresh, late):  # never worse than keeping the schedule
        assert _unit_days(result) <= _unit_days(result, "kept") + 1e-9
    update = late.summary["update"]
    assert (update["as_of_period"], update["first_change_day"]) == (2, 2)
    a_per_day = 40_000 * BEDS_PER_PERSON
    assert update["period_demand"]["beds"] == pytest.approx(
        {"old": PERIODS * a_per_day, "new": PERIODS * (a_per_day + b_per_day)}
    )
    [row] = update["change_rows"]
    assert row["change"] == "shipment added"
    assert (row["from_site"], row["to_site"], row["units"]) == ("S1", "S2", 28.0)
    assert (row["depart_day"], row["arrive_day"], row["lead_periods"]) == (2, 4, 2)
    assert update["changes"] == 28.0  # units shipped differently
    # the folder is a deployment run's, with the update's changes layer
    folder = late.write(tmp_path / "u2")
    changes = gpd.read_file(folder / "results.gpkg", layer="changes")
    assert list(changes["to_site"]) == ["S2"]
    moves = gpd.read_file(folder / "results.gpkg", layer="moves")
    assert list(moves["depart_day"]) == [2]
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["update"]["as_of_day"] == 2
    assert manifest["parent"]["kind"] == "deployment"


@pytest.mark.slow
def test_no_change_allowed_keeps_the_schedule_and_never_worse(plan, surge_at_b) -> None:
    kept = geoalloc.update(plan, areas=surge_at_b, max_changes=0)
    assert kept.summary["update"]["change_rows"] == []
    assert _unit_days(kept) == pytest.approx(PERIODS * 20_000 * BEDS_PER_PERSON)
    assert kept.summary["deployment"]["moves"] == []
    # 10 beds may move: sent on day 0, they serve B from day 2
    ten = geoalloc.update(plan, areas=surge_at_b, max_changes=10)
    assert ten.summary["update"]["changes"] == 10.0
    assert _unit_days(ten) == pytest.approx(PERIODS * 20_000 * BEDS_PER_PERSON - 3 * 10)
    assert _unit_days(ten) <= _unit_days(ten, "kept") + 1e-9


@pytest.fixture(scope="module")
def shipping_plan(tmp_path_factory: pytest.TempPathFactory, write_scenario) -> Path:
    """A plan that sends 28 beds to B on day 0 (B: 20,000 people)."""
    folder = tmp_path_factory.mktemp("left")
    return write_plan(folder, write_scenario, {"A": 40_000.0, "B": 20_000.0}, deployment=DEPLOYMENT)


@pytest.mark.slow
def test_a_shipment_that_left_is_kept(shipping_plan: Path, tmp_path: Path) -> None:
    # B's demand vanishes and A grows to 137 beds a day. Updated as of day 1, the 28 beds are on
    # their way (back no earlier than day 5, after the horizon): S1 has 122 beds, A goes without
    # 15 a day. As of day 0, nothing moves.
    plan, folder = shipping_plan, tmp_path
    moves = json.loads((plan / "summary.json").read_text())["deployment"]["moves"]
    assert [(m["depart_day"], m["units"]) for m in moves] == [(0, 28.0)]
    new = write_areas(folder / "new.gpkg", {"A": 100_000.0, "B": 0.0})
    short = 100_000 * BEDS_PER_PERSON - 122
    after = geoalloc.update(plan, areas=new, as_of_day=1)
    assert _unit_days(after) == pytest.approx(PERIODS * short)
    assert [(m["depart_day"], m["units"]) for m in after.summary["deployment"]["moves"]] == [
        (0, 28.0)
    ]
    assert after.summary["update"]["change_rows"] == []
    before = geoalloc.update(plan, areas=new, as_of_day=0)
    assert _unit_days(before) == pytest.approx(0.0)
    [row] = before.summary["update"]["change_rows"]
    assert (row["change"], row["units"], row["depart_day"]) == ("shipment cancelled", 28.0, 0)


def test_bad_updates_exit_3_naming_the_culprit(
    plan, shipping_plan, surge_at_b, tmp_path, write_scenario
) -> None:
    runner = CliRunner()
    for day, words in ((5, "outside the plan's horizon"), (-1, "outside the plan's horizon")):
        out = runner.invoke(
            cli,
            [
                "update",
                str(plan),
                "--areas",
                str(surge_at_b),
                "--as-of-day",
                str(day),
                "--out",
                str(tmp_path / f"bad{day}"),
            ],
        )
        assert out.exit_code == 3, out.output
        assert words in out.output and "days 0 … 4" in out.output
    gone = write_sites(tmp_path / "sites.gpkg", ("S1",))
    with pytest.raises(InputError, match="not in the new facilities.*S2"):
        geoalloc.update(shipping_plan, facilities=gone)
    daily = tmp_path / "daily.csv"  # a surge refit is not made for a deployment: said, not ignored
    daily.write_text("day,admissions\n" + "".join(f"{d},{10 + d}\n" for d in range(10)))
    with pytest.raises(InputError, match="not done for time-phased deployments"):
        geoalloc.update(plan, surge_admissions=daily)
    planning = tmp_path / "planning"
    planning.mkdir()
    planning_run = write_plan(planning, write_scenario, {"A": 40_000.0, "B": 0.0})
    out = runner.invoke(
        cli,
        ["update", str(planning_run), "--as-of-day", "2", "--out", str(tmp_path / "bad")],
    )
    assert out.exit_code == 3, out.output
    assert "time-phased deployment" in out.output
