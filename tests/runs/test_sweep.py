"""Sweeps without a cluster: keys and values, variants from --vary and CSV, failed variants reported
while the others complete, travel shared only where it may be, and `geoalloc sweep` end to end."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from geoalloc._errors import InputError
from geoalloc.cli import cli
from geoalloc.commands._options import compute_from_cli
from geoalloc.commands.sweep import parse_vary
from geoalloc.parallel import ComputeOptions
from geoalloc.runs import run_scenario
from geoalloc.runs.sweep import (
    Variant,
    apply_variant,
    cartesian_variants,
    check_keys,
    parse_value,
    read_variants_csv,
    sweep_keys,
)
from geoalloc.runs.timings import STAGES
from geoalloc.scenario import load_scenario
from tests.helpers import write_chicago_scenario

PULP_V4 = "ignore:.*in PuLP 4.0.*:DeprecationWarning"  # geoalloc.optimize's call, not ours


@pytest.fixture
def chicago(tmp_path, shared_data):
    return load_scenario(write_chicago_scenario(tmp_path, shared_data, name="chicago-sw"))


def test_parse_value_and_vary():
    assert parse_value("5") == 5
    assert parse_value(" 1.5 ") == 1.5
    assert parse_value("true") is True
    assert parse_value("none") is None
    assert parse_value('"lscp"') == "lscp"
    assert parse_value("lscp") == "lscp"
    assert parse_vary(["optimize.p=5,10,20", "demand.los_days=4.5"]) == {
        "optimize.p": [5, 10, 20],
        "demand.los_days": [4.5],
    }
    with pytest.raises(InputError, match="expected KEY=V1,V2"):
        parse_vary(["optimize.p"])
    with pytest.raises(InputError, match="given twice"):
        parse_vary(["optimize.p=1", "optimize.p=2"])


def test_cartesian_variants_every_combination_in_order():
    variants = cartesian_variants({"optimize.p": [5, 10], "demand.los_days": [4, -1.5]})
    assert [v.name for v in variants] == [
        "001_p5_los_days4",
        "002_p5_los_days-1.5",
        "003_p10_los_days4",
        "004_p10_los_days-1.5",
    ]
    assert variants[3].values == {"optimize.p": 10, "demand.los_days": -1.5}


def test_unknown_key_lists_the_valid_keys(chicago):
    keys = sweep_keys(chicago)
    assert {"optimize.p", "optimize.max_minutes", "demand.los_days"} <= set(keys)
    assert "demand.admissions_per_1000.50+" in keys  # dict entries are keys too
    assert not any(k.startswith(("compute", "name")) for k in keys)
    with pytest.raises(InputError) as caught:
        check_keys(chicago, [Variant("a", {"demand.surge": 1.5, "optimize.p": 3})])
    text = str(caught.value)
    assert "unknown scenario key 'demand.surge'" in text
    assert "valid keys: " in text and "optimize.p" in text and "demand.occupancy_target" in text


def test_apply_variant(chicago):
    changed = apply_variant(
        chicago,
        Variant("v1", {"optimize.p": 12, "demand.admissions_per_1000.50+": 300.0}),
    )
    assert changed.optimize.p == 12
    assert changed.demand.admissions_per_1000 == {"50+": 300.0, "other": 60.0}
    assert changed.name == "chicago-sw-v1"
    assert changed.areas.path == chicago.areas.path
    assert chicago.optimize.p == 40  # the base is not changed
    with pytest.raises(InputError, match="'demand.los_days': Input should be greater than 0"):
        apply_variant(chicago, Variant("bad", {"demand.los_days": -1}))


def test_read_variants_csv(tmp_path):
    path = tmp_path / "variants.csv"
    path.write_text("variant,optimize.p,demand.los_days\nsmall,10,\n,20,4.5\n", encoding="utf-8")
    variants = read_variants_csv(path)
    assert variants == [
        Variant("small", {"optimize.p": 10}),
        Variant("002_p20_los_days4.5", {"optimize.p": 20, "demand.los_days": 4.5}),
    ]
    path.write_text("variant,optimize.p\na,1\na,2\n", encoding="utf-8")
    with pytest.raises(InputError, match="variant name 'a' used twice"):
        read_variants_csv(path)
    with pytest.raises(InputError, match="variants file not found"):
        read_variants_csv(tmp_path / "missing.csv")


def test_compute_from_cli():
    base = ComputeOptions(executor="processes", workers=3)
    assert compute_from_cli(base, None, None, None) == base
    assert compute_from_cli(base, None, None, "tcp://h:8786") == ComputeOptions(
        executor="dask", workers=3, scheduler="tcp://h:8786"
    )
    assert compute_from_cli(base, "serial", 1, None) == ComputeOptions(executor="serial", workers=1)


@pytest.mark.slow
@pytest.mark.filterwarnings(PULP_V4)
def test_sweep_cli_reports_failed_variants_while_others_complete(tmp_path, shared_data):
    scenario = write_chicago_scenario(tmp_path, shared_data, name="chicago-sw")
    table_csv = tmp_path / "variants.csv"
    table_csv.write_text(
        "variant,optimize.p,demand.los_days,demand.resource\n"
        "ok-a,30,,\n"
        "bad-value,30,-1,\n"  # rejected by the scenario model before running
        "no-capacity,30,,icu_beds\n"  # rejected by the pipeline's input checks, on the worker
        "ok-b,45,4.5,\n",
        encoding="utf-8",
    )
    out = tmp_path / "sweep"
    runner = CliRunner()
    result = runner.invoke(
        cli, ["sweep", str(scenario), "--variants", str(table_csv), "--out", str(out), "--json"]
    )
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert [v["status"] for v in printed["variants"]] == ["ok", "failed", "failed", "ok"]

    table = pd.read_csv(out / "kpis.csv")
    by_name = table.set_index("variant")
    assert by_name.loc["bad-value", "error"] == "InputError"
    assert "'demand.los_days': Input should be greater than 0" in by_name.loc["bad-value", "reason"]
    assert by_name.loc["no-capacity", "error"] == "InputError"
    assert "resource 'icu_beds' has no capacity column" in by_name.loc["no-capacity", "reason"]
    assert by_name.loc["ok-a", "sites_open"] == 30 and by_name.loc["ok-b", "sites_open"] == 45
    assert by_name.loc["ok-a", "proven"] and by_name.loc["ok-a", "gap"] <= 0.05
    assert sorted(p.name for p in (out / "variants").iterdir()) == ["ok-a", "ok-b"]
    records = json.loads((out / "kpis.json").read_text())
    assert [r["variant"] for r in records] == ["ok-a", "bad-value", "no-capacity", "ok-b"]
    assert (out / "chart.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    meta = json.loads((out / "sweep.json").read_text())
    assert meta["travel_matrices"] == 1  # p, los_days and resource do not change travel
    assert meta["varied_keys"] == ["optimize.p", "demand.los_days", "demand.resource"]
    # the sweep's own stages, from the clock every run uses (each variant's are in its folder)
    assert list(meta["timings_s"]) == [*STAGES, "variants"]
    assert meta["timings_s"]["travel"] > 0 and meta["timings_s"]["variants"] > 0
    variant = json.loads((out / "variants" / "ok-a" / "summary.json").read_text())
    assert list(variant["timings_s"]) == list(STAGES)
    for name in ("ok-a", "ok-b"):
        assert {"map.html", "results.gpkg", "summary.json", "manifest.json"} <= {
            p.name for p in (out / "variants" / name).iterdir()
        }

    again = runner.invoke(
        cli, ["sweep", str(scenario), "--variants", str(table_csv), "--out", str(out)]
    )
    assert again.exit_code == 2 and "--overwrite" in again.output


@pytest.mark.slow
@pytest.mark.filterwarnings(PULP_V4)
def test_sweep_over_the_standard_uses_one_matrix_per_horizon_and_equals_single_runs(
    tmp_path, shared_data
):
    scenario_path = write_chicago_scenario(tmp_path, shared_data, name="chicago-sw")
    out = tmp_path / "sweep"
    result = CliRunner().invoke(
        cli,
        [
            "sweep",
            str(scenario_path),
            "--vary",
            "optimize.max_minutes=12,30",
            "--vary",
            "optimize.p=30",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads((out / "sweep.json").read_text())["travel_matrices"] == 2
    table = pd.read_csv(out / "kpis.csv")
    base = load_scenario(scenario_path)
    variants = cartesian_variants({"optimize.max_minutes": [12, 30], "optimize.p": [30]})
    for variant, row in zip(variants, table.to_dict(orient="records"), strict=True):
        alone = run_scenario(apply_variant(base, variant)).summary
        assert row["covered_pct"] == alone["plan"]["covered_pct"]
        assert row["minutes_mean"] == pytest.approx(alone["plan"]["minutes_mean"], rel=1e-12)
        assert row["objective"] == pytest.approx(alone["solver"]["objective"], rel=1e-12)
    assert table.loc[0, "covered_pct"] < table.loc[1, "covered_pct"]  # a tighter standard


def test_sweep_cli_usage_errors(tmp_path, shared_data):
    scenario = write_chicago_scenario(tmp_path, shared_data)
    runner = CliRunner()
    neither = runner.invoke(cli, ["sweep", str(scenario)])
    assert neither.exit_code == 2 and "either --vary" in neither.output
    unknown = runner.invoke(cli, ["sweep", str(scenario), "--vary", "demand.surge=1,1.5"])
    assert unknown.exit_code == 3
    assert "unknown scenario key 'demand.surge'" in unknown.output
    assert "valid keys:" in unknown.output
    clash = runner.invoke(
        cli,
        [
            "sweep",
            str(scenario),
            "--vary",
            "optimize.p=3",
            "--executor",
            "serial",
            "--scheduler",
            "tcp://h:1",
        ],
    )
    assert clash.exit_code == 2 and "--scheduler needs the dask executor" in clash.output


@pytest.mark.filterwarnings(PULP_V4)
def test_sweep_where_every_variant_fails_exits_with_their_code(tmp_path, shared_data):
    scenario = write_chicago_scenario(tmp_path, shared_data)
    result = CliRunner().invoke(
        cli,
        ["sweep", str(scenario), "--vary", "demand.los_days=-1,0", "--out", str(tmp_path / "s")],
    )
    assert result.exit_code == 3, result.output
    assert "2 of 2 variant(s) failed" in result.output
    assert (tmp_path / "s" / "kpis.csv").is_file()


@pytest.mark.slow
def test_a_sweep_with_an_unproven_variant_says_so_and_exits_6(tmp_path, shared_data):
    """A variant the solver left far from proven is marked in the table, on its line and in a
    warning, and the sweep exits 6 as a run does (p = 20 of 66 is hard for HiGHS in a second)."""
    scenario = write_chicago_scenario(tmp_path, shared_data, name="chicago-sw", p=20)
    out = tmp_path / "sweep"
    result = CliRunner().invoke(
        cli,
        ["sweep", str(scenario), "--vary", "optimize.time_limit_s=1,2", "--out", str(out)],
    )
    table = pd.read_csv(out / "kpis.csv").set_index("variant")
    if (table["status"] != "ok").any():
        pytest.skip("a variant found no plan at all within its time limit here")
    unproven = table.index[~table["proven"].astype(bool)]
    if unproven.empty:
        pytest.skip("HiGHS proved every variant within its time limit here")
    assert result.exit_code == 6, result.output
    assert f"{len(unproven)} of 2 variant(s) NOT PROVEN" in result.stderr
    for name in unproven:
        assert name in result.stderr
        line = next(x for x in result.stdout.splitlines() if x.strip().startswith(f"{name}:"))
        assert "NOT PROVEN" in line and "gap" in line
