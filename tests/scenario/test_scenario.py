from pathlib import Path

import pytest

from geoalloc._errors import InputError
from geoalloc.scenario import load_scenario

MINIMAL = """
name = "t1"
[areas]
path = "a.gpkg"
id = "id"
population = "pop"
[facilities]
path = "sub/f.gpkg"
id = "id"
capacity = { beds = "beds" }
[network]
source = "roads.osm.pbf"
"""


def test_paths_are_relative_to_the_scenario_file(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text(MINIMAL)
    scenario = load_scenario(path)
    assert scenario.areas.path == (tmp_path / "a.gpkg").resolve()
    assert scenario.facilities.path == (tmp_path / "sub" / "f.gpkg").resolve()
    assert scenario.network.source == str((tmp_path / "roads.osm.pbf").resolve())
    assert scenario.optimize.solver == "highs"


def test_crowfly_and_place_sources_are_not_paths(tmp_path: Path) -> None:
    for source in ("crowfly", "place:Vaduz, Liechtenstein"):
        path = tmp_path / "s.toml"
        path.write_text(MINIMAL.replace('"roads.osm.pbf"', f'"{source}"'))
        assert load_scenario(path).network.source == source


def test_every_unknown_or_missing_key_is_reported_at_once(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    text = (
        MINIMAL.replace('population = "pop"', 'populaton = "pop"')
        + "\n[optimize]\nmodel = 'pmedian'\nfoo = 1\n"
    )
    path.write_text(text)
    with pytest.raises(InputError) as info:
        load_scenario(path)
    message = str(info.value)
    assert "unknown key 'areas.populaton'" in message
    assert "required key 'areas.population' is missing" in message
    assert "unknown key 'optimize.foo'" in message
    assert "optimize.model" in message
    assert len(info.value.problems) == 4


def test_bad_toml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="scenario file not found"):
        load_scenario(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("name = \n")
    with pytest.raises(InputError, match="not valid TOML"):
        load_scenario(bad)


def test_name_must_be_a_folder_name(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text(MINIMAL.replace('name = "t1"', 'name = "../evil"'))
    with pytest.raises(InputError, match="folder name"):
        load_scenario(path)


def test_true_or_false_is_no_number(tmp_path: Path) -> None:
    """`max_minutes = true` was read as 1 minute and `surge_multiplier = false` as 0, in silence:
    every true/false where a number goes is refused by its key, at any depth (inner tables,
    tables of numbers, lists of tables); true/false keys keep working."""
    path = tmp_path / "s.toml"
    path.write_text(
        MINIMAL
        + "[demand]\nsurge_multiplier = false\nqueue_allowed = true\n"
        + "admissions_per_1000 = { all = true }\n"
        + "[optimize]\nmodel = 'capacitated'\nmax_minutes = true\np = true\nallow_unmet = false\n"
        + "couplings = [{ resource = 'beds', per = 'beds', max_ratio = true }]\n"
    )
    with pytest.raises(InputError) as info:
        load_scenario(path)
    message = str(info.value)
    for key in (
        "optimize.max_minutes",
        "optimize.p",
        "demand.admissions_per_1000.all",
        "optimize.couplings.0.max_ratio",
        "demand.surge_multiplier.float",
    ):
        assert f"'{key}': Input should be a valid" in message, key
    assert "(got true)" in message and "(got false)" in message
    assert "queue_allowed" not in message and "allow_unmet" not in message
    path.write_text(MINIMAL + "[demand]\nqueue_allowed = true\nlos_days = 4\n")
    scenario = load_scenario(path)
    assert scenario.demand.queue_allowed is True and scenario.demand.los_days == 4.0


def test_occupancy_target_has_a_floor(tmp_path: Path) -> None:
    """beds = bed-days ÷ occupancy_target: a target of 5e-324 made the bed need 1e324 (exit 5 'no
    solution'); below 1 % is refused by key."""
    path = tmp_path / "s.toml"
    for key in ("occupancy_target", "icu_occupancy_target"):
        path.write_text(MINIMAL + f"[demand]\n{key} = 5e-324\n")
        with pytest.raises(InputError, match=rf"'demand\.{key}': .*greater than or equal to 0\.01"):
            load_scenario(path)
    path.write_text(MINIMAL + "[demand]\noccupancy_target = 0.01\n")
    assert load_scenario(path).demand.occupancy_target == 0.01


def test_objective_weights_have_a_ceiling(tmp_path: Path) -> None:
    """unmet_penalty_minutes = 1e308 overflowed to inf while the capacitated model was built (a
    RuntimeWarning, an internal error where warnings are errors, and a plan priced at inf): every
    weight of the objective is at most a billion, refused by key beyond."""
    path = tmp_path / "s.toml"
    keys = ("unmet_penalty_minutes", "minutes_weight", "cost_weight", "minimax_weight")
    for key in (*keys, "backup_weight"):
        # the weights of the capacitated model's one sum apply with objective = "weighted"
        model = "mclp" if key == "backup_weight" else "capacitated'\nobjective = 'weighted"
        path.write_text(MINIMAL + f"[optimize]\nmodel = '{model}'\n{key} = 1e308\n")
        with pytest.raises(
            InputError, match=rf"'optimize\.{key}': .*less than or equal to 1000000000 "
        ):
            load_scenario(path)
    path.write_text(
        MINIMAL
        + "[optimize]\nmodel = 'capacitated'\nobjective = 'weighted'\nunmet_penalty_minutes = 1e9\n"
    )
    assert load_scenario(path).optimize.unmet_penalty_minutes == 1e9
