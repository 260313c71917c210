"""The time-phased Chicago example (examples/chicago_covid/icu_phased.toml): invariants of its plan,
read back from what `geoalloc run` wrote, and its bad inputs reported as input errors."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import tomllib
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner

from geoalloc.cli import cli
from tests.helpers import REPO_ROOT
from tests.readme_figures import ReadmeFigures

EXAMPLE = REPO_ROOT / "examples" / "chicago_covid"
TOL = 1e-6
UPDATE_SECTION = "### When the wave turns out bigger"
AS_OF_DAY = 9


@pytest.fixture(scope="module")
def run(tmp_path_factory, shared_data: Path) -> Path:
    out = tmp_path_factory.mktemp("phased") / "run"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "geoalloc",
            "-q",
            "run",
            str(EXAMPLE / "icu_phased.toml"),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr
    return out


@pytest.fixture(scope="module")
def outputs(run: Path) -> dict:
    gpkg = run / "results.gpkg"
    return {
        "summary": json.loads((run / "summary.json").read_text()),
        "moves": gpd.read_file(gpkg, layer="moves"),
        "stocks": gpd.read_file(gpkg, layer="stocks"),
        "areas": gpd.read_file(gpkg, layer="areas"),
        "facilities": gpd.read_file(gpkg, layer="facilities"),
    }


@pytest.mark.slow
def test_no_shipment_arrives_before_its_lead_time(outputs) -> None:
    scenario = tomllib.loads((EXAMPLE / "icu_phased.toml").read_text())["deployment"]
    moves = outputs["moves"]
    assert len(moves) > 0
    for row in moves.itertuples():
        travel_and_handling_days = row.minutes / 1440 + scenario["handling_days"]
        earliest = (
            row.depart_day
            + math.ceil(travel_and_handling_days / scenario["period_days"])
            * scenario["period_days"]
        )
        assert row.arrive_day >= earliest
        assert row.arrive_day == row.depart_day + row.lead_periods * scenario["period_days"]
        assert row.minutes <= scenario["max_transfer_minutes"]
        assert row.units == round(row.units) > 0


@pytest.mark.slow
def test_stocks_never_negative_and_every_ventilator_accounted_for(
    outputs, shared_data: Path
) -> None:
    hospitals = gpd.read_file(shared_data / "chicago_kang2020" / "chicago_hospitals.gpkg")
    total = float(hospitals["Total Vent"].sum())  # 1,508; temporary sites start empty
    stocks, moves = outputs["stocks"], outputs["moves"]
    assert (stocks["stock"] >= -TOL).all()
    summary = outputs["summary"]["deployment"]
    for period in range(summary["periods"]):
        at_sites = stocks.loc[stocks["period"] == period, "stock"].sum()
        in_transit = moves.loc[
            (moves["depart_period"] <= period) & (moves["arrive_period"] > period), "units"
        ].sum()
        assert at_sites + in_transit == pytest.approx(total, abs=1e-6)
    # the stock at each site changes by exactly its arrivals minus its departures
    wide = stocks.pivot_table(index="site", columns="period", values="stock")
    for site, levels in wide.iterrows():
        for period in range(1, summary["periods"]):
            arrived = moves.loc[
                (moves["to_site"] == site) & (moves["arrive_period"] == period), "units"
            ].sum()
            left = moves.loc[
                (moves["from_site"] == site) & (moves["depart_period"] == period), "units"
            ].sum()
            assert levels[period] - levels[period - 1] == pytest.approx(arrived - left, abs=1e-6)


@pytest.mark.slow
def test_redeployment_never_leaves_more_unmet_and_nothing_helps_before_it_can_arrive(
    outputs,
) -> None:
    deployment = outputs["summary"]["deployment"]
    resources = outputs["summary"]["resources"]
    for row in deployment["by_period"]:
        for r in resources:
            assert row[f"served_{r}"] + row[f"unmet_{r}"] == pytest.approx(
                row[f"demand_{r}"], rel=1e-9
            )
            assert row[f"served_static_{r}"] + row[f"unmet_static_{r}"] == pytest.approx(
                row[f"demand_{r}"], rel=1e-9
            )
    first = deployment["by_period"][0]  # nothing shipped or set up can be usable in period 0
    for r in resources:
        assert first[f"unmet_{r}"] >= first[f"unmet_static_{r}"] - TOL
    before = deployment["unmet_unit_days"]["without_redeployment"]
    after = deployment["unmet_unit_days"]["with_redeployment"]
    for r in resources:
        assert after[r] <= before[r] + TOL
    assert after["ventilators"] < 0.5 * before["ventilators"]  # the example's point
    assert deployment["solver"]["with_redeployment"]["status"] == "optimal"
    costs = deployment["costs"]
    assert costs["total"] <= 3_000_000 + TOL


@pytest.mark.slow
def test_temporary_sites_and_every_area_in_the_outputs(outputs) -> None:
    deployment = outputs["summary"]["deployment"]
    opened = [t for t in deployment["temporary_sites"] if t["opened"]]
    assert opened
    sites = gpd.read_file(EXAMPLE / "temporary_sites.geojson").set_index("Hospital")
    for t in opened:
        setup = sites.loc[t["site"], "setup_days"]
        assert t["ready_day"] >= t["open_day"] + setup
        # nothing is shipped to a temporary site to be usable before it is ready
        moves = outputs["moves"]
        early = moves[(moves["to_site"] == t["site"]) & (moves["arrive_day"] < t["ready_day"])]
        assert early.empty
    areas = outputs["areas"]
    assert len(areas) == 878
    assert areas["deploy_unmet_ventilators_unit_days"].notna().all()
    facilities = outputs["facilities"]
    assert facilities["temporary"].sum() == len(sites)
    assert set(facilities.loc[facilities["temporary"], "status"]) <= {
        "temporary: opened",
        "temporary: not opened",
    }


# --- bad inputs: geoalloc validate (no solve), exit 3, every problem at once -----------------------


def _scenario(
    tmp_path: Path, shared_data: Path, edit: str = "", sites: gpd.GeoDataFrame | None = None
) -> Path:
    text = (EXAMPLE / "icu_phased.toml").read_text()
    text = text.replace("../../../shared/data", (shared_data).as_posix())
    site_file = tmp_path / "temporary_sites.geojson"
    (sites if sites is not None else gpd.read_file(EXAMPLE / "temporary_sites.geojson")).to_file(
        site_file
    )
    text = text.replace('"temporary_sites.geojson"', f'"{site_file.as_posix()}"')
    path = tmp_path / "scenario.toml"
    path.write_text(text + edit, encoding="utf-8")
    return path


def _validate(path: Path) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["validate", str(path)])
    return result.exit_code, result.output


def test_the_phased_example_validates(tmp_path: Path, shared_data: Path) -> None:
    code, output = _validate(_scenario(tmp_path, shared_data))
    assert code == 0, output
    assert "73 sites" in output


def test_every_deployment_problem_reported_at_once(tmp_path: Path, shared_data: Path) -> None:
    sites = gpd.read_file(EXAMPLE / "temporary_sites.geojson")
    sites.loc[0, "setup_days"] = -2
    sites.loc[1, "fixed_cost"] = None
    path = _scenario(tmp_path, shared_data, sites=sites)
    text = path.read_text()
    text = text.replace("periods = 14", "periods = 20")
    text = text.replace('daily_cost_column = "daily_cost"', 'daily_cost_column = "cost_a_day"')
    text += '\n[[deployment.movable]]\nresource = "monitors"\n'
    path.write_text(text)
    code, output = _validate(path)
    assert code == 3, output
    assert "Traceback" not in output
    assert "resource 'monitors' is not planned" in output
    assert "column 'cost_a_day' is in neither the facilities nor the temporary sites file" in output
    assert "column 'setup_days' must hold numbers ≥ 0 for every temporary site" in output
    assert "TEMP McCormick Place field hospital" in output
    assert "column 'fixed_cost' must hold numbers ≥ 0" in output
    assert "horizon ends on day 60" in output and "has 42 days" in output


def test_unknown_deployment_key_and_reused_site_id(tmp_path: Path, shared_data: Path) -> None:
    code, output = _validate(_scenario(tmp_path, shared_data, "period_length = 3\n"))
    # appended after [[deployment.movable]]: the key lands in the movable entry
    assert code == 3 and "unknown key 'deployment.movable.0.period_length'" in output, output
    sites = gpd.read_file(EXAMPLE / "temporary_sites.geojson")
    sites.loc[0, "Hospital"] = "Mercy Hospital & Medical Center"
    code, output = _validate(_scenario(tmp_path, shared_data, sites=sites))
    assert code == 3, output
    assert "ids already used by the facilities (ids: Mercy Hospital & Medical Center)" in output


def test_a_bad_deployment_fails_the_run_with_exit_3(tmp_path: Path, shared_data: Path) -> None:
    path = _scenario(tmp_path, shared_data)
    path.write_text(path.read_text().replace("period_days = 3", "period_days = 0"))
    done = subprocess.run(
        [sys.executable, "-m", "geoalloc", "run", str(path), "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 3, done.stderr
    assert "deployment.period_days" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_report_rebuild_keeps_the_shipments_on_the_map(run: Path) -> None:
    from click.testing import CliRunner

    from geoalloc.cli import cli

    result = CliRunner().invoke(cli, ["report", str(run)])
    assert result.exit_code == 0, result.output
    assert "Plan: shipments (what moves where and when)" in (run / "map.html").read_text()


# --- plans without waste, and the README's figures ------------------------------------------------


@pytest.mark.slow
def test_no_shipments_cancel_out(run: Path, outputs) -> None:
    """Nothing is shipped both ways between two sites in a period, nor round a ring of sites, and
    temporary sites say `open` exactly when their status says opened."""
    moves = outputs["moves"]
    pairs = set(zip(moves["from_site"], moves["to_site"], moves["depart_period"], strict=True))
    assert not {(a, b, t) for a, b, t in pairs if (b, a, t) in pairs}
    # the solver's plan sent 19 Ingalls → Roseland on day 0 and 1 back the same day
    ingalls = moves[moves["from_site"] == "Ingalls Memorial Hospital"]
    assert ingalls.loc[ingalls["to_site"] == "Roseland Community Hospital", "units"].sum() > 0
    back = moves[
        (moves["from_site"] == "Roseland Community Hospital")
        & (moves["to_site"] == "Ingalls Memorial Hospital")
    ]
    assert back.empty
    facilities = outputs["facilities"]
    temporary = facilities[facilities["temporary"]]
    assert (temporary["open"] == (temporary["status"] == "temporary: opened")).all()
    assert temporary["open"].sum() == sum(
        t["opened"] for t in outputs["summary"]["deployment"]["temporary_sites"]
    )
    site_status = outputs["summary"]["site_status"]
    assert site_status == facilities["status"].value_counts().to_dict()
    # what was taken out is said in the report
    cancelled = outputs["summary"]["deployment"]["cancelled_moves"]
    report = (run / "report.html").read_text(encoding="utf-8")
    assert cancelled["units"] > 0 and "cancelled out in the solver's plan" in report


#: the README's short names of the hospitals it quotes
SHORT = {
    "Loyola": "Foster G. McGaw Hospital - Loyola Univ. Medical Center",
    "MacNeal": "MacNeal Hospital",
    "Lutheran General": "Advocate Lutheran General Hospital",
    "Evanston": "Evanston Hospital",
    "Ingalls": "Ingalls Memorial Hospital",
    "Roseland": "Roseland Community Hospital",
    "Palos": "Palos Community Hospital",
    "Holy Cross": "Holy Cross Hospital",
    "Resurrection": "Resurrection Medical Center",
    "Saint Francis": "Presence Saint Francis Hospital",
    "Swedish Covenant": "Swedish Covenant Hospital",
}


def _largest(units: pd.Series, names: list[str]) -> list[float]:
    """The units of the named hospitals, checked to be the largest (ties allowed)."""
    ids = [SHORT[n] for n in names]
    rest = units.drop(index=ids)
    assert units[ids].min() >= (rest.max() if len(rest) else 0), (names, units.nlargest(8))
    return [float(units[i]) for i in ids]


@pytest.mark.slow
def test_every_figure_of_the_readme_comes_from_the_run(outputs, shared_data: Path) -> None:
    """The time-phased section of the README, figure by figure, against the run."""
    scenario = tomllib.loads((EXAMPLE / "icu_phased.toml").read_text())
    optimize, deployment = scenario["optimize"], scenario["deployment"]
    (movable,) = deployment["movable"]
    multipliers = scenario["demand"]["surge"]["multipliers"]
    crest = max(range(len(multipliers)), key=multipliers.__getitem__)
    back = next(d for d in range(crest, len(multipliers)) if multipliers[d] == 1.0)
    sites = gpd.read_file(EXAMPLE / "temporary_sites.geojson")
    field = sites[sites["kind"] == "field hospital"]
    mobile = sites[sites["kind"] == "mobile unit"]
    horizon = deployment["period_days"] * deployment["periods"]
    summary = outputs["summary"]
    figures = summary["deployment"]
    moves, areas = outputs["moves"], outputs["areas"]
    before = figures["unmet_unit_days"]["without_redeployment"]
    after = figures["unmet_unit_days"]["with_redeployment"]
    hospitals = gpd.read_file(shared_data / "chicago_kang2020" / "chicago_hospitals.gpkg")
    day0, later = moves[moves["depart_day"] == 0], moves[moves["depart_day"] > 0]
    biggest = moves.loc[moves["units"].idxmax()]
    opened = [t for t in figures["temporary_sites"] if t["opened"]]
    to_temporary = moves[moves["to_site"].isin([t["site"] for t in opened])]
    periods = pd.DataFrame(figures["by_period"])
    first = periods.iloc[0]
    worst = periods.loc[periods["unmet_static_ventilators"].idxmax()]
    costs = figures["costs"]
    beyond = areas["baseline_minutes"].isna() | (
        areas["baseline_minutes"] > optimize["max_minutes"]
    )

    readme = ReadmeFigures(EXAMPLE / "README.md", start="## Six weeks", end=UPDATE_SECTION)
    fig = readme.figure
    fig(
        "admissions ×{} at its crest on day {}, back to ×{} by day {}",
        multipliers[crest],
        crest,
        multipliers[back],
        back,
    )
    fig(
        "A COVID wave fills ICUs: {} % of occupied bed-days in ICU and {} ventilators per ICU bed",
        100 * scenario["demand"]["icu_share"],
        scenario["demand"]["ventilators_per_icu_bed"],
    )
    icu = tomllib.loads((EXAMPLE / "icu.toml").read_text())["demand"]
    fig("(`icu.toml`: {} % and {})", 100 * icu["icu_share"], icu["ventilators_per_icu_bed"])
    readme.count(
        "McCormick Place (where Chicago did open an alternate care facility in April 2020) and {} points",
        len(sites) - 1,
    )
    fig("leaves beyond {} minutes of any hospital", optimize["max_minutes"])
    readme.count("{} field hospitals", len(field))
    fig(
        "({}–{} beds, {}–{} days to set up, USD {}–{} M to open + USD {}–{} k a day)",
        field["Total_Bed"].min(),
        field["Total_Bed"].max(),
        field["setup_days"].min(),
        field["setup_days"].max(),
        field["fixed_cost"].min() / 1e6,
        field["fixed_cost"].max() / 1e6,
        field["daily_cost"].min() / 1e3,
        field["daily_cost"].max() / 1e3,
    )
    readme.count("{} mobile units (", len(mobile))
    (unit,) = mobile.drop(columns=["Hospital", "geometry"]).drop_duplicates().to_dict("records")
    fig(
        "({} beds, {} ICU beds and room for {} ventilators, {} days, USD {} k + USD {} k a day)",
        unit["Total_Bed"],
        unit["Adult ICU"],
        unit["Total Vent"],
        unit["setup_days"],
        unit["fixed_cost"] / 1e3,
        unit["daily_cost"] / 1e3,
    )
    fig(
        "USD {} per ventilator shipped + USD {} per ventilator per minute of driving, between "
        "hospitals up to {} minutes apart, {} day of handling",
        movable["cost_per_unit"],
        movable["cost_per_unit_minute"],
        deployment["max_transfer_minutes"],
        deployment["handling_days"],
    )
    fig(
        "Planning in {}-day periods over {} days ({} periods)",
        deployment["period_days"],
        horizon,
        deployment["periods"],
    )
    assert set(moves["lead_periods"]) == {1}
    fig(
        "(lead = ⌈(minutes ÷ {} + {} day) ÷ {} days⌉ = {} period)",
        1440,
        deployment["handling_days"],
        deployment["period_days"],
        1,
    )
    fig("Budget: USD {} M", optimize["budget"] / 1e6)
    fig(
        "Unmet demand costs {} demand-minutes per unit-day; USD {} weigh as one",
        optimize["unmet_penalty_minutes"],
        1 / optimize["cost_weight"],
    )
    gap = figures["solver"]["with_redeployment"]["gap"]
    assert figures["solver"]["with_redeployment"]["status"] == "optimal"
    fig("certified optimal within {} %", 100 * gap)
    fig("| unmet unit-days over the {} days |", horizon)
    for label, r in (("ventilators", "ventilators"), ("beds", "beds"), ("ICU beds", "icu_beds")):
        change = 100 * (after[r] / before[r] - 1)
        fig(f"| {label} | {{}} | {{}} ({{}} %) |", before[r], after[r], change, what=label)
    fig(
        "{} of the region's {} ventilators move, in {} shipments",
        moves["units"].sum(),
        hospitals["Total Vent"].sum(),
        len(moves),
    )
    fig(
        "**On day {}**, ahead of the wave, {} ventilators leave in {} shipments",
        0,
        day0["units"].sum(),
        len(day0),
    )
    names = ["Loyola", "MacNeal", "Lutheran General", "Evanston"]
    fig(
        "(Loyola {}, MacNeal {}, Lutheran General {}, Evanston {} …)",
        *_largest(day0.groupby("from_site")["units"].sum(), names),
    )
    names = ["Holy Cross", "Resurrection", "Saint Francis"]
    fig(
        "(Holy Cross {}, Resurrection {}, Saint Francis {} …)",
        *_largest(day0.groupby("to_site")["units"].sum(), names),
    )
    assert (SHORT["MacNeal"], SHORT["Holy Cross"]) == (biggest["from_site"], biggest["to_site"])
    fig(
        "the largest single shipment is {} from MacNeal to Holy Cross ({} minutes), usable from "
        "day {}",
        biggest["units"],
        biggest["minutes"],
        biggest["arrive_day"],
    )
    fig(
        "**On days {}–{}**, as the wave moves, the other {} leave in {} shipments",
        later["depart_day"].min(),
        later["depart_day"].max(),
        later["units"].sum(),
        len(later),
    )
    names = ["Loyola", "Lutheran General", "Ingalls", "Palos", "MacNeal"]
    fig(
        "Loyola ({}), Lutheran General ({}), Ingalls ({}), Palos ({}) and MacNeal ({})",
        *_largest(moves.groupby("from_site")["units"].sum(), names),
    )
    names = ["Resurrection", "Holy Cross", "Saint Francis", "Swedish Covenant"]
    fig(
        "Resurrection ({}), Holy Cross ({}), Saint Francis ({}) and Swedish Covenant ({})",
        *_largest(moves.groupby("to_site")["units"].sum(), names),
    )
    cancelled = figures["cancelled_moves"]
    assert len(cancelled["moves"]) == 2, (
        "the README tells of 2 shipments that cancelled out in the solver's plan; this run took "
        f"out {cancelled['moves']}: say what it took out"
    )
    returned, resent = sorted(cancelled["moves"], key=lambda m: m["depart_day"])
    assert (returned["from_site"], returned["to_site"]) == (resent["to_site"], resent["from_site"])
    assert (returned["from_site"], returned["to_site"]) == (SHORT["Roseland"], SHORT["Ingalls"])
    fig(
        "sent {} ventilator from Roseland back to Ingalls on day {} and {} more from Ingalls to "
        "Roseland on day {}",
        returned["units"],
        returned["depart_day"],
        resent["units"],
        resent["depart_day"],
    )
    fig(
        "({} ventilators in {} shipments, USD {} of shipping",
        cancelled["units"],
        cancelled["shipments"],
        cancelled["transfer_cost"],
    )
    # the four mobile units, named, open on day 0, ready on day 3, 10 ventilators each that day
    assert sorted(t["site"] for t in opened) == sorted(mobile["Hospital"])
    for name in ("Auburn Gresham", "Brighton Park", "Des Plaines", "South Deering"):
        assert f"TEMP {name} mobile unit" in {t["site"] for t in opened}
    (open_day,) = {t["open_day"] for t in opened}
    (ready_day,) = {t["ready_day"] for t in opened}
    assert to_temporary.groupby("to_site")["units"].sum().eq(10).all()
    (arrive_day,) = set(to_temporary["arrive_day"])
    fig("the {} mobile units (Auburn Gresham", len(opened))
    fig(
        "open on day {} and take patients from day {}; each receives {} ventilators on day {}",
        open_day,
        ready_day,
        10,
        arrive_day,
    )
    field_cost = field["fixed_cost"] + field["daily_cost"] * horizon
    fig("at USD {}–{} M for the six weeks", field_cost.min() / 1e6, field_cost.max() / 1e6)
    fig(
        "nothing can help in the first period (days {}–{}): no shipment or mobile unit is usable "
        "before day {}",
        first["start_day"],
        first["end_day"],
        ready_day,
    )
    fig(
        "unmet ventilators there are {} without and {} with redeployment ({} ventilator in use on "
        "day {} leaves to be used elsewhere from day {})",
        first["unmet_static_ventilators"],
        first["unmet_ventilators"],
        first["unmet_ventilators"] - first["unmet_static_ventilators"],
        0,
        ready_day,
    )
    fig(
        "At the crest (days {}–{}) unmet ventilators fall from {} to {}",
        worst["start_day"],
        worst["end_day"],
        worst["unmet_static_ventilators"],
        worst["unmet_ventilators"],
    )
    fig(
        "Costs: USD {} M (opening {} M, running {} M, shipping {} M)",
        *(costs[k] / 1e6 for k in ("total", "opening", "running", "transfers")),
    )
    fig("tracts beyond {} minutes of every hospital", optimize["max_minutes"])
    fig(
        "{} of the {} ventilator unit-days still unmet are in those {} tracts",
        areas.loc[beyond, "deploy_unmet_ventilators_unit_days"].sum(),
        after["ventilators"],
        int(beyond.sum()),
    )
    readme.not_figures("geoalloc 0.1.0", "April 2020")
    readme.verify()


@pytest.fixture(scope="module")
def update(run: Path) -> Path:
    """The plan updated on day 9 with the bigger wave (the README's second command)."""
    out = run.parent / "day9"
    done = subprocess.run(
        [
            *(sys.executable, "-m", "geoalloc", "-q", "update", str(run)),
            *("--scenario", str(EXAMPLE / "icu_phased_bigger_surge.toml")),
            *("--as-of-day", str(AS_OF_DAY), "--out", str(out)),
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr
    return out


@pytest.mark.slow
def test_the_day_9_update_keeps_what_left_and_its_readme_figures(outputs, update: Path) -> None:
    """Nothing that left before day 9 changes, nothing new leaves before it, the update is never
    worse than keeping the schedule, and the README's figures are the update's."""
    summary = json.loads((update / "summary.json").read_text())
    figures = summary["update"]
    assert figures["kind"] == "deployment" and figures["first_change_day"] == AS_OF_DAY
    moves = gpd.read_file(update / "results.gpkg", layer="moves")
    parent_moves = outputs["moves"]
    columns = ["resource", "from_site", "to_site", "units", "depart_day", "arrive_day"]

    def early(table: pd.DataFrame) -> pd.DataFrame:
        rows = table.loc[table["depart_day"] < AS_OF_DAY, columns]
        return rows.sort_values(columns).reset_index(drop=True)

    pd.testing.assert_frame_equal(early(moves), early(parent_moves), check_dtype=False)
    changes = pd.DataFrame(figures["change_rows"])
    added = changes[changes["change"] == "shipment added"]
    cancelled = changes[changes["change"] == "shipment cancelled"]
    assert (added["depart_day"] >= AS_OF_DAY).all() and (cancelled["depart_day"] >= AS_OF_DAY).all()
    kept, new = figures["kept"]["unmet_unit_days"], figures["new"]["unmet_unit_days"]
    assert figures["new"]["objective"] <= figures["kept"]["objective"] * (1 + TOL)
    for fixed in ("beds", "icu_beds"):  # they cannot move
        assert new[fixed] == pytest.approx(kept[fixed], rel=TOL)

    readme = ReadmeFigures(EXAMPLE / "README.md", start=UPDATE_SECTION)
    readme.figure("the plan updated on day {}", AS_OF_DAY)
    readme.figure("excess over the ordinary admissions {} times the plan's", 1.6)
    readme.figure("crest ×{} instead of ×{}", 2.28, 1.8)
    readme.figure("opened before day {}", AS_OF_DAY)
    readme.figure("leaves on day {} at the earliest", AS_OF_DAY)
    readme.figure("--as-of-day {} --out", AS_OF_DAY)
    readme.figure("the two runs take ~{} minutes", 4)
    readme.figure("nothing which left before day {} changed", AS_OF_DAY)
    readme.figure("{} shipments added", len(added))
    readme.figure("and {} cancelled", len(cancelled))
    readme.figure("({} ventilators moved differently)", figures["units_changed"]["ventilators"])
    readme.figure(
        "fall from {} if the schedule is kept to {}", kept["ventilators"], new["ventilators"]
    )
    readme.not_figures("icu-phased-day9")
    readme.verify()
