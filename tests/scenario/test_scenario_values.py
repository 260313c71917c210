"""Numbers of a scenario file that no planning question has: inf, nan and absurd magnitudes are
refused when the scenario is loaded (exit 3, naming the key), before any input is read."""

from __future__ import annotations

import typing
from pathlib import Path

import pytest
from click.testing import CliRunner
from pydantic import BaseModel

from geoalloc.cli import cli
from geoalloc.scenario import Scenario

INF, NAN = float("inf"), float("nan")

AREAS = {"path": "tracts.gpkg", "id": "GEOID", "population": "TotalPop"}
FACILITIES = {"path": "hospitals.gpkg", "id": "Hospital", "capacity": {"beds": "Total_Bed"}}


def _section_models(model: type[BaseModel], seen: set[type[BaseModel]]) -> set[type[BaseModel]]:
    """``model`` and every pydantic model its fields hold, at any depth (unions, lists, dicts)."""
    if model in seen:
        return seen
    seen.add(model)
    stack = [info.annotation for info in model.model_fields.values()]
    while stack:
        annotation = stack.pop()
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            _section_models(annotation, seen)
        stack.extend(typing.get_args(annotation))
    return seen


def test_every_section_refuses_numbers_that_are_not_finite() -> None:
    models = _section_models(Scenario, set())
    assert len(models) > 15  # every section, nested ones too
    lenient = sorted(m.__name__ for m in models if m.model_config.get("allow_inf_nan") is not False)
    assert lenient == []
    assert all(m.model_config.get("extra") == "forbid" for m in models)


def _run(tmp_path: Path, write_scenario, **sections) -> tuple[int, str]:
    scenario = write_scenario(
        tmp_path, name="values", areas=AREAS, facilities=FACILITIES, **sections
    )
    result = CliRunner().invoke(cli, ["run", str(scenario), "--out", str(tmp_path / "out")])
    return result.exit_code, result.output


@pytest.mark.parametrize(
    ("sections", "key", "said"),
    [
        ({"optimize": {"max_minutes": INF}}, "optimize.max_minutes", "finite number, got inf"),
        ({"optimize": {"max_minutes": NAN}}, "optimize.max_minutes", "finite number, got nan"),
        (
            {"optimize": {"max_minutes": 1e308}},
            "optimize.max_minutes",
            "less than or equal to 1440",
        ),
        ({"optimize": {"time_limit_s": 1e308}}, "optimize.time_limit_s", "less than or equal"),
        ({"demand": {"los_days": 1e308}}, "demand.los_days", "less than or equal to 365"),
        ({"demand": {"los_days": INF}}, "demand.los_days", "finite number"),
        (
            {"demand": {"admissions_per_1000": {"all": -300.0}}},
            "demand.admissions_per_1000.all",
            "greater than or equal to 0",
        ),
        (
            {"demand": {"admissions_per_1000": {"all": INF}}},
            "demand.admissions_per_1000.all",
            "finite number",
        ),
        (
            {"demand": {"admissions_per_1000": {"all": 1e308}}},
            "demand.admissions_per_1000.all",
            "less than or equal to 10000",
        ),
        ({"demand": {"surge_multiplier": INF}}, "demand.surge_multiplier", "finite number"),
        ({"network": {"speed_kph": INF}}, "network.speed_kph", "finite number"),
    ],
)
def test_non_finite_or_absurd_values_name_the_key(
    tmp_path: Path, write_scenario, sections: dict, key: str, said: str
) -> None:
    code, output = _run(tmp_path, write_scenario, **sections)
    assert code == 3, output
    line = next(line for line in output.splitlines() if f"'{key}'" in line)
    assert said in line
    assert "Traceback" not in output and "internal error" not in output
    assert not (tmp_path / "out").exists()


def test_a_number_for_a_number_or_column_key_gets_one_line(tmp_path: Path, write_scenario) -> None:
    """``surge_multiplier`` is a number, a column or a table: an inf fails all three, but only the
    number's complaint is shown, under the key itself."""
    code, output = _run(tmp_path, write_scenario, demand={"surge_multiplier": INF})
    assert code == 3
    problems = [line for line in output.splitlines() if line.startswith("- ")]
    assert len(problems) == 1, output
    assert "'demand.surge_multiplier': must be a finite number, got inf" in problems[0]
