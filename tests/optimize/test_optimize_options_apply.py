"""[optimize] keys the chosen model does not read are refused (exit 3), as unknown keys are; keys at
their default, the examples and the demo scenario are never refused."""

from pathlib import Path
from typing import get_args

import pytest
from click.testing import CliRunner
from pydantic import ValidationError

from geoalloc._errors import InputError
from geoalloc.cli import cli
from geoalloc.inputs.demo import SCENARIO_TOML
from geoalloc.optimize.options import (
    APPLIES_TO,
    INAPPLICABLE,
    ModelName,
    OptimizeOptions,
    inapplicable_keys,
)
from geoalloc.runs.sweep import Variant, apply_variant
from geoalloc.scenario import load_scenario
from tests.helpers import REPO_ROOT, write_chicago_scenario

REPO = REPO_ROOT
MODELS: tuple[ModelName, ...] = get_args(ModelName)

#: a value other than the default for every key
SAMPLE = {
    "model": "capacitated",
    "p": 3,
    "add": 2,
    "existing": "may_close",
    "objective": "weighted",
    "max_minutes": 12.0,
    "weight": "population",
    "solver": "cbc",
    "backend": "pulp",
    "time_limit_s": 5.0,
    "hard_time_limit_s": 9.0,
    "mip_gap": 0.01,
    "acceptable_gap": 0.2,
    "unmet_penalty_minutes": 500.0,
    "allow_unmet": False,
    "minutes_weight": 2.0,
    "cost_weight": 0.01,
    "opening_cost_column": "opening_cost",
    "operating_cost_column": "operating_cost",
    "allow_closing": True,
    "cost_per_unit": {"beds": 100.0},
    "module_size": {"beds": 10.0},
    "continuous_expansion": True,
    "max_size_columns": {"beds": "max_beds"},
    "max_added": {"beds": 20.0},
    "budget": 1000.0,
    "resource_budgets": {"beds": 500.0},
    "couplings": [{"resource": "vents", "per": "beds", "max_ratio": 0.5}],
    "single_source": True,
    "equity_group_column": "district",
    "coverage_floor": 0.5,
    "minimax_weight": 1.0,
    "frontier_floors": [0.0, 0.5],
    "backup_weight": 0.5,
    "priority_column": "severity",
    "explain": True,
    "threads": 2,
}

CASES = [(key, model) for key in SAMPLE if key != "model" for model in MODELS]

MINIMAL = """\
name = "apply"
[areas]
path = "areas.gpkg"
id = "id"
population = "pop"
[facilities]
path = "sites.gpkg"
id = "id"
capacity = { beds = "beds" }
[network]
source = "crowfly"
"""


def _scenario(tmp_path: Path, optimize: str, extra: str = "") -> Path:
    path = tmp_path / "scenario.toml"
    path.write_text(MINIMAL + "[optimize]\n" + optimize + "\n" + extra, encoding="utf-8")
    return path


def test_the_table_has_every_key_and_the_samples_are_not_defaults() -> None:
    fields = OptimizeOptions.model_fields
    assert set(APPLIES_TO) == set(fields) == set(SAMPLE)
    for key, value in SAMPLE.items():
        assert value != fields[key].get_default(call_default_factory=True), key
    for row in APPLIES_TO.values():
        assert row.models and set(row.models) <= set(MODELS)


@pytest.mark.parametrize(("key", "model"), CASES)
def test_each_key_is_refused_on_a_model_that_does_not_read_it(key: str, model: str) -> None:
    row = APPLIES_TO[key]
    given = {"model": model, key: SAMPLE[key]}
    if model in row.models:
        options = OptimizeOptions.model_validate(given)
        assert inapplicable_keys(options, kind="deployment") == {}
        if row.weighted_only and model == "capacitated":
            # a weight of the capacitated model's one sum: refused with the lexicographic
            # objective (the default), read with objective = "weighted"
            message = inapplicable_keys(options, kind="planning")[key]
            assert message.startswith(f"[optimize] {key}: not used by the capacitated model's")
            assert message.endswith('set objective = "weighted" to trade them at the weights given')
            options = OptimizeOptions.model_validate(given | {"objective": "weighted"})
        assert inapplicable_keys(options, kind="planning") == {}
        return
    expected = f"[optimize] {key}: not used by model '{model}' — it applies to: " + ", ".join(
        m for m in MODELS if m in row.models
    )
    if row.deployment:
        # the time-phased model reads it whatever the model: refused only where the run is known
        options = OptimizeOptions.model_validate(given)
        assert inapplicable_keys(options, kind="deployment") == {}
        message = inapplicable_keys(options, kind="planning")[key]
    else:
        with pytest.raises(ValidationError) as caught:
            OptimizeOptions.model_validate(given)
        (error,) = caught.value.errors()
        assert error["type"] == INAPPLICABLE
        message = error["msg"]
        assert inapplicable_keys(OptimizeOptions.model_construct(**given), kind="deployment")
    assert message.startswith(expected)
    assert message.endswith("; remove it or change model")


def test_defaults_never_trip_the_check() -> None:
    defaults = {
        key: info.get_default(call_default_factory=True)
        for key, info in OptimizeOptions.model_fields.items()
    }
    for model in MODELS:
        explicit = OptimizeOptions.model_validate(defaults | {"model": model})
        for kind in ("planning", "deployment", None):
            assert inapplicable_keys(OptimizeOptions(model=model), kind=kind) == {}
            assert inapplicable_keys(explicit, kind=kind) == {}
    for kind in ("planning", "deployment", "telemedicine", None):
        assert inapplicable_keys(OptimizeOptions(), kind=kind) == {}


def test_a_dumped_and_revalidated_section_stays_valid() -> None:
    # what a sweep variant does with the base scenario: every key comes back as set
    for model in MODELS:
        # add is given instead of p (counting new sites only), with the existing sites kept
        sample = {k: v for k, v in SAMPLE.items() if model in APPLIES_TO[k].models and k != "add"}
        options = OptimizeOptions.model_validate(sample | {"model": model})
        again = OptimizeOptions.model_validate(options.model_dump())
        assert again == options
        assert inapplicable_keys(again, kind="planning") == {}


def test_add_counts_new_sites_beside_the_kept_existing_ones() -> None:
    assert OptimizeOptions(model="p-median", add=2).sites_in_all(5) == 7
    assert OptimizeOptions(model="p-median", p=9).sites_in_all(5) == 9
    with pytest.raises(ValidationError, match="give p .* or add .*, not both"):
        OptimizeOptions(model="p-median", p=9, add=2)
    with pytest.raises(ValidationError, match="add counts new sites .* needs existing = 'keep'"):
        OptimizeOptions(model="p-median", add=2, existing="may_close")


def test_every_refused_key_is_named_at_once() -> None:
    with pytest.raises(ValidationError) as caught:
        OptimizeOptions(model="lscp", p=3, backup_weight=0.5, cost_per_unit={"beds": 1.0})
    (error,) = caught.value.errors()
    assert error["ctx"]["keys"] == ["p", "cost_per_unit", "backup_weight"]
    for key in ("p", "cost_per_unit", "backup_weight"):
        assert f"[optimize] {key}: not used by model 'lscp'" in error["msg"]


def test_the_unmet_penalty_applies_to_every_model_with_explain() -> None:
    # explain's why-this-site table prices an area without another open site at the penalty
    plain = OptimizeOptions(model="lscp", unmet_penalty_minutes=200)
    message = inapplicable_keys(plain, kind="planning")["unmet_penalty_minutes"]
    assert "(and to any model with explain = true, and to any model in a [deployment] run)" in (
        message
    )
    explained = OptimizeOptions(model="lscp", unmet_penalty_minutes=200, explain=True)
    assert inapplicable_keys(explained, kind="planning") == {}


def test_a_telemedicine_run_reads_only_the_standard_groups_and_solver_settings() -> None:
    read = {key for key, row in APPLIES_TO.items() if row.telemedicine}
    assert read == {
        "max_minutes",
        "equity_group_column",
        "solver",
        "backend",
        "time_limit_s",
        "hard_time_limit_s",
        "mip_gap",
        "acceptable_gap",
        "threads",
    }
    for key, value in SAMPLE.items():
        options = OptimizeOptions.model_construct(**{key: value})
        problems = inapplicable_keys(options, kind="telemedicine")
        if key in read:
            assert problems == {}
        else:
            assert problems[key].startswith(f"[optimize] {key}: not used by a [telemedicine] run")
    budget = inapplicable_keys(OptimizeOptions(budget=5.0), kind="telemedicine")["budget"]
    assert budget.endswith("remove it (the telemedicine model takes [telemedicine] budget)")


# ------------------------------------------------------------------------- scenario files


def test_every_example_and_the_demo_scenario_still_load(tmp_path: Path) -> None:
    examples = sorted((REPO / "examples").glob("**/*.toml"))
    assert len(examples) >= 7
    for path in examples:
        load_scenario(path)
    demo = tmp_path / "demo.toml"
    demo.write_text(SCENARIO_TOML.format(pbf="helsinki.osm.pbf"), encoding="utf-8")
    assert load_scenario(demo).optimize.model == "capacitated"


def test_a_scenario_refuses_a_budget_on_p_median(tmp_path: Path) -> None:
    path = _scenario(tmp_path, 'model = "p-median"\np = 3\nbudget = 1000')
    with pytest.raises(InputError) as caught:
        load_scenario(path)
    assert caught.value.exit_code == 3
    assert caught.value.problems == [
        f"{path}: [optimize] budget: not used by model 'p-median' — it applies to: capacitated "
        "(and to any model in a [deployment] run); remove it or change model"
    ]


def test_a_deployment_scenario_takes_the_keys_its_time_phased_model_reads(tmp_path: Path) -> None:
    phased = (REPO / "examples" / "chicago_covid" / "icu_phased.toml").read_text(encoding="utf-8")
    assert 'model = "capacitated"' in phased and "budget = " in phased
    path = tmp_path / "phased.toml"
    path.write_text(phased.replace('model = "capacitated"', 'model = "p-median"\np = 5'))
    loaded = load_scenario(path)
    assert loaded.optimize.budget == 3_000_000 and loaded.deployment is not None
    path.write_text(
        phased.replace('model = "capacitated"', 'model = "capacitated"\nweight = "population"')
    )
    with pytest.raises(InputError, match=r"\[optimize\] weight: not used by model 'capacitated'"):
        load_scenario(path)


def test_a_telemedicine_scenario_refuses_planning_keys(tmp_path: Path) -> None:
    source = REPO / "examples" / "liechtenstein_telemedicine" / "telemedicine.toml"
    text = source.read_text(encoding="utf-8")
    path = tmp_path / "telemedicine.toml"  # loading a scenario does not open its inputs
    path.write_text(text.replace("[optimize]\n", "[optimize]\nbudget = 5000\n"))
    with pytest.raises(InputError) as caught:
        load_scenario(path)
    (problem,) = caught.value.problems
    assert "[optimize] budget: not used by a [telemedicine] run" in problem
    assert "[telemedicine] budget" in problem


def test_a_sweep_variant_is_refused_in_the_same_words(tmp_path: Path) -> None:
    base = load_scenario(_scenario(tmp_path, 'model = "capacitated"\np = 3\nbudget = 1000'))
    with pytest.raises(InputError) as caught:
        apply_variant(base, Variant("pm", {"optimize.model": "p-median"}))
    assert caught.value.problems == [  # the scenario file's words, after where they were found
        "variant pm: [optimize] budget: not used by model 'p-median' — it applies to: capacitated "
        "(and to any model in a [deployment] run); remove it or change model"
    ]
    with pytest.raises(InputError) as caught:
        apply_variant(base, Variant("ls", {"optimize.model": "lscp", "optimize.budget": None}))
    assert caught.value.problems == [
        "variant ls: [optimize] p: not used by model 'lscp' — it applies to: mclp, p-median, p-center, "
        "capacitated; remove it or change model"
    ]
    lscp = apply_variant(
        base, Variant("ok", {"optimize.model": "lscp", "optimize.p": None, "optimize.budget": None})
    )
    assert lscp.optimize.model == "lscp"


# --------------------------------------------------------------------------------------- CLI


@pytest.mark.parametrize("command", ["validate", "run"])
def test_cli_exits_3_and_names_the_key(tmp_path: Path, shared_data: Path, command: str) -> None:
    path = write_chicago_scenario(tmp_path, shared_data)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('model = "capacitated"', 'model = "p-median"\nbudget = 1000'))
    args = [command, str(path)] + (["--out", str(tmp_path / "out")] if command == "run" else [])
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 3, result.output
    assert (
        "[optimize] budget: not used by model 'p-median' — it applies to: capacitated "
        "(and to any model in a [deployment] run); remove it or change model"
    ) in result.output
    assert not (tmp_path / "out").exists()
    path.write_text(text.replace('model = "capacitated"', 'model = "capacitated"\nbudget = 1000'))
    if command == "validate":
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 0, result.output


def test_lscp_on_candidate_sites_only_validates_without_p(
    tmp_path: Path, shared_data: Path
) -> None:
    # lscp takes no p, so "no existing site and no p" must not stop it
    import geopandas as gpd

    sites = gpd.read_file(shared_data / "chicago_kang2020" / "chicago_hospitals.gpkg")
    sites["candidate"] = True
    sites.to_file(tmp_path / "candidates.gpkg", driver="GPKG")
    path = write_chicago_scenario(tmp_path, shared_data, facilities=tmp_path / "candidates.gpkg")
    text = path.read_text(encoding="utf-8").replace(
        'name = "Hospital"', 'name = "Hospital"\ncandidate = "candidate"'
    )
    path.write_text(text.replace('model = "capacitated"\np = 40', 'model = "lscp"'))
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert "(0 existing)" in result.output
    path.write_text(text.replace('model = "capacitated"\np = 40', 'model = "p-median"'))
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 3 and "no existing site and no [optimize] p" in result.output
