"""geoalloc update / follow / lineage on a tiny instance whose answers are known by hand.

Three 1-km areas 20 km apart (EPSG:3067), each with a site at its centre, crow-fly travel: each
area reaches only its own site within the 10-minute standard. S1 (at A) and S2 (at B) exist, S3
(at C) is a candidate; every site has 150 beds; ``p = 2``. Beds needed per area: population × 100
admissions per 1,000 a year × 5 days ÷ 365 (0.00137 a person). The plan (A 40,000, B 60,000,
C 20,000 people: 54.8, 82.2 and 27.4 beds) keeps S1 and S2 and leaves C's 27.4 beds unmet. The
new data (C grows to 80,000: 109.6 beds) make S3 worth more than S1: the fresh plan opens S3 and
closes S1 (two changes), leaving A's 54.8 beds unmet instead of C's 109.6.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner
from shapely.geometry import Point

import geoalloc
from geoalloc._errors import InputError
from geoalloc.cli import cli
from geoalloc.runs.lineage import broken_links, read_chain
from tests.helpers import TINY_DEMAND, TINY_NETWORK, write_row_areas

BEDS_PER_PERSON = 100 / 1000 * 5 / 365
X_M = {"A": 0.0, "B": 20_000.0, "C": 40_000.0}
SITE_AREA = {"S1": "A", "S2": "B", "S3": "C"}
ORIGIN = (380_000.0, 6_670_000.0)
PLAN_POPULATION = {"A": 40_000.0, "B": 60_000.0, "C": 20_000.0}
NEW_POPULATION = {"A": 40_000.0, "B": 60_000.0, "C": 80_000.0}
OUTAGE_S1 = '\n[outage]\nclosed_sites = ["S1"]\n'


def _areas(path: Path, population: dict[str, float]) -> Path:
    return write_row_areas(path, population, X_M, ORIGIN)


def _sites(path: Path, sites=("S1", "S2", "S3")) -> Path:
    x0, y0 = ORIGIN
    gpd.GeoDataFrame(
        {"id": list(sites), "beds": [150.0] * len(sites), "candidate": [s == "S3" for s in sites]},
        geometry=[Point(x0 + X_M[SITE_AREA[s]], y0) for s in sites],
        crs=3067,
    ).to_file(path)
    return path


def _scenario(folder: Path, write_scenario, *, model="capacitated", **extra) -> Path:
    _areas(folder / "areas.gpkg", PLAN_POPULATION)
    _sites(folder / "sites.gpkg")
    optimize = {"model": model, "p": 2, "max_minutes": 10, "time_limit_s": 30}
    return write_scenario(
        folder,
        name="tiny-update",
        areas={"path": "areas.gpkg", "id": "id", "population": "pop"},
        facilities={
            "path": "sites.gpkg",
            "id": "id",
            "capacity": {"beds": "beds"},
            "candidate": "candidate",
        },
        network=TINY_NETWORK,
        demand=TINY_DEMAND,
        optimize=optimize,
        **extra,
    )


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory, write_scenario) -> Path:
    folder = tmp_path_factory.mktemp("plan")
    geoalloc.run(_scenario(folder, write_scenario)).write(folder / "run")
    return folder / "run"


@pytest.fixture(scope="module")
def new_areas(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _areas(tmp_path_factory.mktemp("new") / "areas.gpkg", NEW_POPULATION)


def _open(result) -> list[str]:
    sites = result.facilities
    return sorted(sites.index[sites["open"].astype(bool)])


def test_the_plan_by_hand(plan: Path) -> None:
    summary = json.loads((plan / "summary.json").read_text())
    assert summary["unmet"]["beds"] == pytest.approx(20_000 * BEDS_PER_PERSON)


def test_unlimited_changes_equal_a_fresh_plan(plan, new_areas, tmp_path) -> None:
    result = geoalloc.update(plan, areas=new_areas, out=tmp_path / "u")
    assert _open(result) == ["S2", "S3"]
    update = result.summary["update"]
    assert sorted((r["site"], r["change"]) for r in update["change_rows"]) == [
        ("S1", "close"),
        ("S3", "open"),
    ]
    assert update["new"]["unmet"]["beds"] == pytest.approx(40_000 * BEDS_PER_PERSON)
    assert update["kept"]["unmet"]["beds"] == pytest.approx(80_000 * BEDS_PER_PERSON)
    scenario = geoalloc.load_scenario(plan.parent / "scenario.toml")
    fresh = geoalloc.run(
        scenario.model_copy(update={"areas": scenario.areas.model_copy(update={"path": new_areas})})
    )
    assert _open(fresh) == _open(result)
    assert fresh.summary["unmet"] == pytest.approx(result.summary["unmet"])
    # what each change buys, undone alone: without S3, C's 54.8 beds are unmet again; without
    # closing S1, S1 serves A's 27.4 beds (p is the plan's, not imposed on a fixed plan)
    value = {r["change"]: r["unmet_avoided"] for r in update["change_rows"]}
    assert value["open"] == pytest.approx(80_000 * BEDS_PER_PERSON)
    assert value["close"] == pytest.approx(-40_000 * BEDS_PER_PERSON)
    assert update["drift"]["population"] == {"same": 2, "changed": 1}
    assert update["access"]["areas_gained"] == 1 and update["access"]["areas_lost"] == 1


def test_no_change_allowed_keeps_the_plan_and_says_what_it_costs(plan, new_areas) -> None:
    result = geoalloc.update(plan, areas=new_areas, max_changes=0)
    assert _open(result) == ["S1", "S2"]
    update = result.summary["update"]
    assert update["change_rows"] == []
    assert update["new"]["unmet"] == update["kept"]["unmet"]
    one = geoalloc.update(plan, areas=new_areas, max_changes=1)  # a swap is two changes
    assert _open(one) == ["S1", "S2"]
    # the swap avoids 109.6 − 54.8 = 54.8 beds net: worth two site changes at 20 beds each, not
    # at 100 each
    assert _open(geoalloc.update(plan, areas=new_areas, site_change_cost=20)) == ["S2", "S3"]
    assert _open(geoalloc.update(plan, areas=new_areas, site_change_cost=100)) == ["S1", "S2"]
    # never worse than keeping the plan
    for limit in (0, 1, None):
        r = geoalloc.update(plan, areas=new_areas, max_changes=limit)
        assert r.summary["unmet"]["beds"] <= r.summary["update"]["kept"]["unmet"]["beds"] + 1e-9


def test_the_folder_names_its_parent_and_the_chain_is_checked(plan, new_areas, tmp_path) -> None:
    out = tmp_path / "u1"
    geoalloc.update(plan, areas=new_areas, out=out).write(out)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["parent"]["kind"] == "planning"
    assert (out / manifest["parent"]["folder"]).resolve() == plan.resolve()
    assert manifest["update"]["new_inputs"]["areas"]["sha256"]
    run = geoalloc.runs.RunFolder(out).read()
    assert run.kind.name == "update" and "changes" in run.layers and "kept_facilities" in run.layers
    report = (out / "report.html").read_text()
    assert "what changed in the data, and in the plan" in report
    assert "No new admissions: the LOS and admission rates are the plan's" in report
    page = (out / "map.html").read_text()
    assert "Plan kept" in page and "Update: changes" in page and "opened by the update" in page
    chain = read_chain(out)
    assert [step.parent_link for step in chain] == ["none", "ok"]
    assert [step.kpis["sites_open"] for step in chain] == [2, 2]
    assert broken_links(chain) == []
    # a chain whose parent was rerun since says so
    moved = tmp_path / "parent-copy"
    shutil.copytree(plan, moved)
    out2 = tmp_path / "u2"
    geoalloc.update(moved, areas=new_areas, out=out2).write(out2)
    (moved / "manifest.json").write_text((moved / "manifest.json").read_text() + "\n")
    chain = read_chain(out2)
    assert chain[0].parent_link == "changed"
    assert "has changed since" in broken_links(chain)[0]
    result = CliRunner().invoke(cli, ["lineage", str(out2)])
    assert result.exit_code == 3 and "has changed since" in result.output


def test_a_new_history_with_longer_stays_is_found_and_pooled(tmp_path, write_scenario) -> None:
    def history(path: Path, days: list[float]) -> Path:
        admit = pd.Timestamp("2024-01-01") + pd.to_timedelta(range(len(days)), unit="D")
        pd.DataFrame(
            {"admittime": admit, "dischtime": admit + pd.to_timedelta(days, unit="D")}
        ).to_csv(path, index=False)
        return path

    import numpy as np

    rng = np.random.default_rng(3)
    stays = np.round(rng.exponential(5.0, 300), 3)
    old = history(tmp_path / "old.csv", list(stays))
    same = history(tmp_path / "same.csv", list(rng.permutation(stays)))  # the same stays, re-dated
    longer = history(tmp_path / "longer.csv", list(np.round(rng.exponential(9.0, 300), 3)))
    folder = tmp_path / "p"
    folder.mkdir()
    path = _scenario(folder, write_scenario, history={"path": str(old), "years": 1.0})
    geoalloc.run(path).write(folder / "run")
    found = geoalloc.update(folder / "run", history=longer, skip_below_noise=True)
    drift = found.summary["update"]["drift"]
    assert drift["changed"] and drift["los"]["changed"] and drift["los"]["shift_days"] > 0
    assert not found.summary["update"]["kept_by_rule"]
    from geoalloc.outputs.update_report import update_section

    assert "refitted on old and new admissions, each counted once" in " ".join(
        update_section(found.summary)
    )
    kept = geoalloc.update(folder / "run", history=same, skip_below_noise=True)
    assert not kept.summary["update"]["drift"]["changed"]
    assert kept.summary["update"]["kept_by_rule"] and kept.summary["update"]["change_rows"] == []
    # pooled with the old stays ("all"), the mean LOS lies between the two samples'
    pooled = found.summary["demand_model"]["los"]["mean_days"]
    new_only = geoalloc.update(folder / "run", history=longer, pool="new")
    assert 5.0 < pooled < new_only.summary["demand_model"]["los"]["mean_days"]
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"when": ["2024-01-01"], "stay": [3.0]}).to_csv(bad, index=False)
    with pytest.raises(InputError, match="same columns as the plan's history"):
        geoalloc.update(folder / "run", history=bad)


def test_bad_updates_exit_3_naming_the_culprit(plan, new_areas, tmp_path, write_scenario) -> None:
    runner = CliRunner()
    out = str(tmp_path / "out")
    # a facilities change that removes a site the plan uses
    fewer = _sites(tmp_path / "fewer.gpkg", sites=("S2", "S3"))
    result = runner.invoke(cli, ["update", str(plan), "--facilities", str(fewer), "--out", out])
    assert result.exit_code == 3 and "S1" in result.output
    assert f"{fewer}: 1 site(s) open in the plan are missing" in result.output
    assert '[outage] closed_sites = ["S1"]' in result.output  # and how to close it instead
    # a run folder of another kind of plan
    folder = tmp_path / "pm"
    folder.mkdir()
    geoalloc.run(_scenario(folder, write_scenario, model="p-median")).write(folder / "run")
    result = runner.invoke(cli, ["update", str(folder / "run"), "--out", out])
    assert result.exit_code == 3 and "p-median" in result.output
    # not a run folder
    result = runner.invoke(cli, ["update", str(tmp_path), "--out", out])
    assert result.exit_code == 3
    # the plan's input changed since the plan
    copy = tmp_path / "copy"
    shutil.copytree(plan.parent, copy)
    geoalloc.run(copy / "scenario.toml").write(copy / "run2")
    _areas(copy / "areas.gpkg", NEW_POPULATION)
    result = runner.invoke(cli, ["update", str(copy / "run2"), "--out", out])
    assert result.exit_code == 3 and "has changed since the plan was made" in result.output
    result = runner.invoke(cli, ["update", str(plan), "--max-units", "beds", "--out", out])
    assert result.exit_code == 2


def test_a_site_closed_as_the_refusal_says_closes_outside_the_changes(plan, tmp_path) -> None:
    closed = plan.parent / "s1_closed.toml"  # the plan's scenario with the [outage] section added
    closed.write_text((plan.parent / "scenario.toml").read_text() + OUTAGE_S1)
    with pytest.raises(InputError, match=r"p = 2 asks for exactly 2.*set p = 1"):
        geoalloc.update(plan, scenario=closed, max_changes=0, out=tmp_path / "refused")
    text = closed.read_text().replace("p = 2", "p = 1")  # S1's place stays vacant
    closed.write_text(text)
    result = geoalloc.update(plan, scenario=closed, max_changes=0, out=tmp_path / "out")
    assert _open(result) == ["S2"]  # S1 closed although no change is allowed
    assert result.summary["update"]["changes"] == 0


def test_follow_applies_each_file_once_and_survives_a_failure(plan, tmp_path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _areas(inbox / "2024-01.gpkg", NEW_POPULATION)
    broken = inbox / "2024-02.gpkg"
    broken.write_text("not a geopackage")
    runner = CliRunner()
    args = ["follow", str(plan), str(inbox), "--as", "areas", "--pattern", "*.gpkg"]
    args += ["--out-root", str(tmp_path / "chain")]
    first = runner.invoke(cli, args)
    assert first.exit_code == 3  # the broken file stops the run …
    assert (tmp_path / "chain" / "2024-01" / "summary.json").is_file()  # … after the first
    assert not (tmp_path / "chain" / "2024-02").exists()  # and leaves no half-written folder
    _areas(broken, {"A": 40_000.0, "B": 90_000.0, "C": 80_000.0})
    second = runner.invoke(cli, args)
    assert second.exit_code == 0, second.output
    assert "2024-01.gpkg: already applied" in second.output
    assert "2024-02.gpkg: applied" in second.output
    chain = read_chain(tmp_path / "chain" / "2024-02")
    assert [step.parent_link for step in chain] == ["none", "ok", "ok"]
    third = runner.invoke(cli, args)
    assert third.output.count("already applied") == 2


def test_a_new_file_that_is_not_there_is_named_by_its_option(plan, tmp_path) -> None:
    """Not "check the path in the scenario file": the path came with the update."""
    missing = tmp_path / "missing.gpkg"
    with pytest.raises(InputError, match=r"update --areas .*missing\.gpkg: not found — check"):
        geoalloc.update(plan, areas=missing)
    result = CliRunner().invoke(
        cli,
        [
            "update",
            str(plan),
            "--history",
            str(tmp_path / "none.csv"),
            "--out",
            str(tmp_path / "o"),
        ],
    )
    assert result.exit_code == 3 and "update --history" in result.output
    assert "none.csv: not found" in result.output


# --- the surge refitted to daily admissions ---------------------------------------------------

#: the plan's surge: CHIME's SIR on the tiny region's 120,000 people (10 % of infections
#: admitted, so that 4 weeks of admissions tell doubling times apart), doubling every 4 days from
#: 1 in 500 infected; the re-plan plans for its peak
PLAN_SURGE = {
    "kind": "sir",
    "days": 60,
    "doubling_time_days": 4.0,
    "initial_infected_share": 2e-3,
    "hospitalised_share": 0.1,
    "plan_for_peak": True,
}


def _daily_admissions(path: Path, doubling_time_days: float, seed: int, days: int = 28) -> Path:
    """Poisson admissions a day, baseline + the SIR's surge admissions for the tiny region."""
    import numpy as np

    from geoalloc.demand.options import SurgeOptions
    from geoalloc.demand.surge import sir_new_infections

    surge = SurgeOptions(**{**PLAN_SURGE, "doubling_time_days": doubling_time_days, "days": days})
    population = sum(PLAN_POPULATION.values())
    expected = population * BEDS_PER_PERSON / 5 + population * 0.1 * sir_new_infections(surge)
    counts = np.random.default_rng(seed).poisson(expected)
    dates = pd.date_range("2020-03-01", periods=days, freq="D").strftime("%Y-%m-%d")
    pd.DataFrame({"date": dates, "admissions": counts}).to_csv(path, index=False)
    return path


@pytest.mark.slow
def test_daily_admissions_refit_the_surge_and_the_plan(tmp_path, write_scenario) -> None:
    folder = tmp_path / "p"
    folder.mkdir()
    path = _scenario(folder, write_scenario)
    text = (
        path.read_text()
        + "\n[demand.surge]\n"
        + "".join(
            f"{k} = {str(v).lower() if isinstance(v, bool) else v!r}\n".replace("'", '"')
            for k, v in PLAN_SURGE.items()
        )
    )
    path.write_text(text)
    geoalloc.run(path).write(folder / "run")
    # admissions as the plan expects them: no drift, the plan is kept
    like_plan = _daily_admissions(tmp_path / "like_plan.csv", 4.0, seed=1)
    kept = geoalloc.update(folder / "run", surge_admissions=like_plan, skip_below_noise=True)
    surge = kept.summary["update"]["drift"]["surge"]
    assert surge["kind"] == "sir" and surge["days_observed"] == 28
    assert not surge["changed"] and "consistent with the plan" in surge["verdict"]
    assert kept.summary["update"]["kept_by_rule"]
    # a surge doubling every 8 days: found, and the re-plan runs on the refitted curve
    slower = _daily_admissions(tmp_path / "slower.csv", 8.0, seed=2)
    out = tmp_path / "u"
    result = CliRunner().invoke(
        cli,
        ["update", str(folder / "run"), "--surge-admissions", str(slower), "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert "growing slower than the plan assumed" in result.output
    summary = json.loads((out / "summary.json").read_text())
    surge = summary["update"]["drift"]["surge"]
    row = surge["parameters"][0]
    assert surge["changed"] and row["name"] == "doubling_time_days"
    assert row["ci_low"] <= 8.0 <= row["ci_high"] and row["ci_high"] < 8.0 * 3
    assert surge["first_date"] == "2020-03-01"
    manifest = json.loads((out / "manifest.json").read_text())
    refit = manifest["scenario"]["demand"]["surge"]
    assert refit["doubling_time_days"] == pytest.approx(row["estimate"])
    assert manifest["update"]["new_inputs"]["surge_admissions"]["sha256"]
    from geoalloc.runs.manifest import sha256_file

    assert manifest["inputs"][str(slower.resolve())]["sha256"] == sha256_file(slower)
    # a slower surge peaks lower: fewer beds needed at the peak than the plan's
    assert (
        summary["demand_model"]["surge"]["peak"]["beds"]
        < json.loads((folder / "run" / "summary.json").read_text())["demand_model"]["surge"][
            "peak"
        ]["beds"]
    )
    assert "surge doubling time (28 days observed)" in (out / "report.html").read_text()
    # a bad row is named by its line
    bad = tmp_path / "bad.csv"
    bad.write_text(slower.read_text().replace("2020-03-05", "2020-03-04"))
    result = CliRunner().invoke(
        cli,
        ["update", str(folder / "run"), "--surge-admissions", str(bad), "--out", str(out) + "2"],
    )
    assert result.exit_code == 3 and "line(s) 5, 6" in result.output
    # unattended: each day's file refits the surge of the update before, once
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    table = pd.read_csv(slower)
    for days in (21, 28):
        table.head(days).to_csv(inbox / f"admissions_day{days}.csv", index=False)
    args = ["follow", str(folder / "run"), str(inbox), "--as", "surge-admissions"]
    result = CliRunner().invoke(cli, [*args, "--out-root", str(tmp_path / "chain")])
    assert result.exit_code == 0, result.output
    assert result.output.count("applied →") == 2 and "surge: doubling time" in result.output
    last = json.loads((tmp_path / "chain" / "admissions_day28" / "summary.json").read_text())
    assert last["update"]["drift"]["surge"]["days_observed"] == 28
    again = CliRunner().invoke(cli, [*args, "--out-root", str(tmp_path / "chain")])
    assert again.output.count("already applied") == 2


def test_daily_admissions_on_a_plan_without_a_surge_exit_3(plan, tmp_path) -> None:
    daily = _daily_admissions(tmp_path / "daily.csv", 4.0, seed=1)
    result = CliRunner().invoke(
        cli, ["update", str(plan), "--surge-admissions", str(daily), "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 3
    assert "has no [demand.surge] to refit — add one to the scenario" in result.output
