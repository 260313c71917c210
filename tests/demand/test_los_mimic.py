"""The real MIMIC-IV demo: LOS per admission type, ICU LOS, P(LOS > 7 d) against plain pandas."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest
from click.testing import CliRunner

from geoalloc.cli import cli
from geoalloc.demand.history import read_history
from geoalloc.demand.los import fit_los_model


@pytest.fixture(scope="module")
def mimic(shared_data):
    return shared_data / "mimic_iv_demo_2.2"


def pandas_admissions(mimic) -> pd.DataFrame:
    """Independent computation: plain pandas on the same file."""
    adm = pd.read_csv(mimic / "hosp" / "admissions.csv.gz")
    los = (pd.to_datetime(adm["dischtime"]) - pd.to_datetime(adm["admittime"])) / pd.Timedelta(
        days=1
    )
    return adm.assign(los=los)


def test_admissions_by_type_equal_pandas(mimic):
    adm = pandas_admissions(mimic)
    history = read_history(mimic / "hosp" / "admissions.csv.gz", group_by=["admission_type"])
    assert history.problems.n_bad == 0 and len(history.table) == len(adm) == 275
    model = fit_los_model(history, risk_days=7)
    table = model.table.set_index(["by", "group"])
    overall = table.loc[("(all)", "(all)")]
    assert overall["mean_days"] == pytest.approx(adm["los"].mean(), rel=1e-9)
    assert overall["median_days"] == pytest.approx(adm["los"].median(), rel=1e-9)
    assert overall["p90_days"] == pytest.approx(adm["los"].quantile(0.9), rel=1e-9)
    assert overall["p_los_gt_k"] == pytest.approx((adm["los"] > 7).mean())
    # PROVENANCE.md: mean 6.9 d, median 4.9 d
    assert round(overall["mean_days"], 1) == 6.9 and round(overall["median_days"], 1) == 4.9
    expected = adm.groupby("admission_type")["los"].agg(
        n="size", mean="mean", median="median", p90=lambda s: s.quantile(0.9)
    )
    expected["p7"] = adm.groupby("admission_type")["los"].apply(lambda s: (s > 7).mean())
    for kind, row in expected.iterrows():
        got = table.loc[("admission_type", kind)]
        assert got["n"] == row["n"]
        assert got["mean_days"] == pytest.approx(row["mean"], rel=1e-9)
        assert got["median_days"] == pytest.approx(row["median"], rel=1e-9)
        assert got["p90_days"] == pytest.approx(row["p90"], rel=1e-9)
        assert got["p_los_gt_k"] == pytest.approx(row["p7"])
    # the fitted overall distribution keeps the mean and is close on the LOS risk
    assert model.mean_days == pytest.approx(adm["los"].mean(), rel=0.05)
    assert model.risk == pytest.approx((adm["los"] > 7).mean(), abs=0.06)


def test_icu_los_equals_the_los_column(mimic):
    icu = pd.read_csv(mimic / "icu" / "icustays.csv.gz")
    history = read_history(mimic / "icu" / "icustays.csv.gz")  # intime/outtime recognised
    assert history.los_from == "outtime - intime"
    table = fit_los_model(history, risk_days=7).table.iloc[0]
    assert table["n"] == len(icu) == 140
    assert table["mean_days"] == pytest.approx(icu["los"].mean(), rel=1e-9)
    assert table["median_days"] == pytest.approx(icu["los"].median(), rel=1e-9)
    assert table["p_los_gt_k"] == pytest.approx((icu["los"] > 7).mean())
    assert round(table["mean_days"], 1) == 3.7 and round(table["median_days"], 1) == 2.2


def test_cli_json_on_mimic(mimic):
    adm = pandas_admissions(mimic)
    path = mimic / "hosp" / "admissions.csv.gz"
    result = CliRunner().invoke(
        cli, ["los", str(path), "--by", "admission_type", "--risk-days", "7", "--json"]
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["rows"]["rows_used"] == 275
    urgent = next(r for r in out["table"] if r["group"] == "URGENT")
    sub = adm.loc[adm["admission_type"] == "URGENT", "los"]
    assert urgent["n"] == len(sub)
    assert urgent["mean_days"] == pytest.approx(sub.mean())
    assert urgent["p_los_gt_k"] == pytest.approx((sub > 7).mean())
    assert out["classifier"]["status"] in {"fitted", "not_fitted"}


@pytest.mark.slow
def test_cli_subprocess_text_table(mimic):
    path = mimic / "icu" / "icustays.csv.gz"
    run = subprocess.run(
        [sys.executable, "-m", "geoalloc", "los", str(path), "--by", "first_careunit"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert "140 of 140 rows used" in lines[0]
    assert "P(>7d)" in lines[1]
    assert lines[2].split()[:3] == ["(all)", "(all)", "140"]
    assert "0.143" in lines[2]  # 20 of 140 ICU stays last more than 7 days
    assert "not fitted: too little data" in run.stdout


def test_cli_reports_bad_rows_and_strict_exit_code(tmp_path):
    path = tmp_path / "h.csv"
    pd.DataFrame({"los": [1.0, 2.0, -1.0, 3.0, 4.0, 5.0]}).to_csv(path, index=False)
    runner = CliRunner()
    ok = runner.invoke(cli, ["los", str(path)])
    assert ok.exit_code == 0
    assert "5 of 6 rows used" in ok.output
    assert "1 row(s) with negative LOS in column 'los' (rows: row 4 = '-1.0')" in ok.output
    strict = runner.invoke(cli, ["los", str(path), "--strict"])
    assert strict.exit_code == 3 and "negative LOS" in strict.output
    nolos = tmp_path / "n.csv"
    pd.DataFrame({"a": [1]}).to_csv(nolos, index=False)
    bad = runner.invoke(cli, ["los", str(nolos)])
    assert bad.exit_code == 3 and "--los" in bad.output
    named = runner.invoke(cli, ["los", str(nolos), "--los", "a"])
    assert named.exit_code == 0
