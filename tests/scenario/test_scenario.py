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
