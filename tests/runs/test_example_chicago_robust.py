"""The Chicago robust example (examples/chicago_robust) tells its story on the real data.

The README's figures are those of ``geoalloc robust icu_robust.toml --draws 10``; this test reruns
that command and recomputes every figure of the README up to its 200-draw section (whose figures
come from ``bench/robust_draws.py``, too slow for the suite).
"""

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest

from geoalloc.runs.robust import LOW_COVERAGE
from tests.helpers import REPO_ROOT
from tests.readme_figures import ReadmeFigures

pytestmark = pytest.mark.slow
EXAMPLE = REPO_ROOT / "examples" / "chicago_robust"
DRAWS = 10


@pytest.fixture(scope="module")
def run(tmp_path_factory, shared_data: Path) -> Path:
    folder = tmp_path_factory.mktemp("robust") / "run"
    done = subprocess.run(
        [sys.executable, "-m", "geoalloc", "-q", "robust", str(EXAMPLE / "icu_robust.toml")]
        + ["--draws", str(DRAWS), "--seed", "1", "--out", str(folder)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    return folder


def test_every_figure_of_the_readme_comes_from_the_run(run: Path) -> None:
    scenario = tomllib.loads((EXAMPLE / "icu_robust.toml").read_text())
    uncertainty, optimize = scenario["robustness"], scenario["optimize"]
    summary = json.loads((run / "summary.json").read_text())
    robustness = summary["robustness"]
    sites = gpd.read_file(run / "results.gpkg", layer="facilities").set_index("name")
    areas = gpd.read_file(run / "results.gpkg", layer="areas")
    n = robustness["draws"]
    assert n == DRAWS and robustness["draws_solved"] == n
    assert robustness["chosen_share_of"] == "expanded_share"  # every hospital stays open
    assert sites["open"].all() and sites["mean_plan_open"].all()

    readme = ReadmeFigures(EXAMPLE / "README.md", end="## 200 draws")
    fig = readme.figure
    # --- the data and the assumptions, as the scenario states them
    fig("{} census tracts", summary["areas"])
    fig("{} hospitals with beds", summary["sites"])
    network = scenario["network"]
    fig("crow-fly ({} km/h, circuity {})", network["speed_kph"], network["circuity"])
    standard = optimize["max_minutes"]
    for pattern in (
        "care within {} minutes whatever",
        "hospitals within {} minutes, capacity-limited",
        "no hospital within {} minutes, or only",
        "near the {}-minute line are in reach",
        "near the {}-minute line move",
        "the {}-minute reach of a real road graph",
    ):
        fig(pattern, standard)
    scale = scenario["facilities"]["capacity_scale"]
    fig("half ({} %) of each hospital's", 100 * scale["icu_beds"])
    assert scale["ventilators"] == scale["icu_beds"]
    module, most = optimize["module_size"], optimize["max_added"]
    fig("ICU beds in modules of {}, at most {} per hospital", module["icu_beds"], most["icu_beds"])
    fig("ventilators in fives, at most {}", most["ventilators"])
    assert module["ventilators"] == 5
    fig("population is off by about ±{} %", 100 * uncertainty["population_error"])
    fig("admission rates are off by about ±{} %", 100 * uncertainty["admission_rate_error"])
    fig("mean length of stay by about ±{} %", 100 * uncertainty["los_error"])
    low, high = uncertainty["speed_factor"]
    fig("road speeds are {}–{} % of", 100 * low, 100 * high)
    fig("the COVID-19 surge is off by about ±{} %", 100 * uncertainty["surge_error"])
    fig("solved on the first {} draws", uncertainty["saa_draws"])
    fig("at most {} % of its need", 100 * uncertainty["coverage_tolerance"])

    # --- which hospitals get ICU beds or ventilators
    fig("With {} draws (", n)
    fig("reruns the {}-draw command", n)
    fig("With {} draws a share is a count out of {}, and all {} are", n, n, n)
    fig("the tracts covered in fewer than {} % of the draws", 100 * LOW_COVERAGE)
    times = (sites["expanded_share"] * n).round().astype(int)
    shriners, kindred, roseland = (
        "Shriners Hospitals for Children",
        "Kindred Chicago Central Hospital",
        "Roseland Community Hospital",
    )
    fig("Shriners Hospitals for Children** in {} of the {} draws", times[shriners], n)
    fig(
        "{} ICU beds and {} ventilators there on average",
        sites.loc[shriners, "icu_beds_added_mean"],
        sites.loc[shriners, "ventilators_added_mean"],
    )
    fig("Kindred Chicago Central Hospital** ({} of {})", times[kindred], n)
    fig("Roseland Community Hospital** ({} of {})", times[roseland], n)
    assert set(times[times > 0].index) == {shriners, kindred, roseland}
    assert (
        sites.loc[kindred, "ventilators_added_p90"] == sites.loc[roseland, "ventilators_added_p90"]
    )
    fig("get {} ventilators in some futures", sites.loc[kindred, "ventilators_added_p90"])
    fig("the other {} hospitals in none", int((times == 0).sum()))
    robust = sites[["icu_beds_added", "ventilators_added"]]
    mean = sites[["mean_plan_icu_beds_added", "mean_plan_ventilators_added"]]
    fig(
        "The robust plan adds {} ICU beds and {} ventilators at Shriners",
        *robust.loc[shriners],
    )
    fig("and {} ventilators each at Kindred and Roseland", robust.loc[kindred, "ventilators_added"])
    assert robust.loc[roseland, "ventilators_added"] == robust.loc[kindred, "ventilators_added"]
    assert robust.drop(index=[shriners, kindred, roseland]).to_numpy().sum() == 0
    assert robust.loc[[kindred, roseland], "icu_beds_added"].sum() == 0
    fig(
        "The plan for the mean future adds the same {} ICU beds and {} ventilators",
        *mean.loc[shriners],
    )
    assert mean.drop(index=[shriners]).to_numpy().sum() == 0
    fig("{} units in all against {}", summary["costs"]["expansion"], mean.to_numpy().sum())
    fig(
        "The extra {} ventilators buy little",
        robust["ventilators_added"].sum() - mean["mean_plan_ventilators_added"].sum(),
    )

    # --- which tracts are covered
    p = areas["p_covered"]
    below, never = p < LOW_COVERAGE, p == 0
    fig(
        "{} of the {} tracts ({} of {} people) are served within the standard in fewer than {} %",
        int(below.sum()),
        len(areas),
        areas.loc[below, "population"].sum(),
        areas["population"].sum(),
        100 * LOW_COVERAGE,
    )
    assert robustness["areas_below"]["count"] == int(below.sum())
    fig("{} of them ({} people) in none", int(never.sum()), areas.loc[never, "population"].sum())
    # the expansion does not change who is covered: the same under every plan
    assert np.array_equal(p, areas["p_covered_mean_plan"])
    assert np.array_equal(p, areas["p_covered_own_plans"])

    # --- the KPIs under the robust plan, mean and 5th–95th percentiles over the draws
    kpis = robustness["kpis"]["robust_plan"]
    for resource, label in (
        ("icu_beds", "ICU beds"),
        ("ventilators", "ventilators"),
        ("beds", "beds"),
    ):
        stats = kpis["unmet"][resource]
        fig(f"unmet {label}: {{}} ({{}}–{{}})", stats["mean"], stats["p5"], stats["p95"])
    covered = kpis["covered_pct"]
    fig(
        "people served within the standard: {} % ({}–{} %)",
        covered["mean"],
        covered["p5"],
        covered["p95"],
    )

    # --- the robust plan against the plan for the mean future, on the same draws
    comparison = robustness["comparison"]
    fig(
        "expected unmet ventilators: {} under the robust plan, {} under the mean plan",
        comparison["robust_plan"]["expected_unmet"]["ventilators"],
        comparison["mean_plan"]["expected_unmet"]["ventilators"],
    )
    for r in ("beds", "icu_beds"):
        assert comparison["robust_plan"]["expected_unmet"][r] == pytest.approx(
            comparison["mean_plan"]["expected_unmet"][r], abs=1e-6
        )
    fig(
        "worst {} % of draws: {} and {}",
        5,
        comparison["robust_plan"]["worst_5pct_unmet"]["ventilators"],
        comparison["mean_plan"]["worst_5pct_unmet"]["ventilators"],
    )
    assert robustness["saa_draws"] == n  # 10 draws: all of them in sample
    fig(
        "±{} % on population, ±{} % on the surge",
        100 * uncertainty["population_error"],
        100 * uncertainty["surge_error"],
    )

    readme.not_figures(
        "COVID-19",
        "spring 2020",
        "ACS 2018",
        "Kang et al. 2020",
        "geoalloc 0.1.0",
        "--draws 10 --seed 1",
        "--draws 200 --seed 1",
        "--workers 2",
        "seed 1",
        "maps/icu-robust-10",
        "19 s on a busy 2-core machine",
        'A probability of 0.7 means "in 70 % of the futures',
        "the 200-draw run below",
    )
    readme.verify()
