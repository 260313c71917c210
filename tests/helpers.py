"""Small helpers shared by the tests: scenario files written into tmp dirs."""

from __future__ import annotations

from pathlib import Path

CHICAGO_SCENARIO = """\
name = "{name}"

[areas]
path = "{areas}"
id = "GEOID"
population = "TotalPop"
age_bands = {{ OverFifty = "50+" }}

[facilities]
path = "{facilities}"
id = "Hospital"
name = "Hospital"
capacity = {{ beds = "Total_Bed" }}

[network]
source = "crowfly"
speed_kph = 30
circuity = 1.3

[demand]
resource = "beds"
admissions_per_1000 = {{ "50+" = 220.0, other = 60.0 }}
los_days = 5.0
occupancy_target = 0.85

[optimize]
model = "capacitated"
p = {p}
max_minutes = 30
solver = "highs"
time_limit_s = 60
"""


def write_chicago_scenario(
    folder: Path,
    shared_data: Path,
    *,
    name: str = "chicago-test",
    p: int = 40,
    areas: Path | None = None,
    facilities: Path | None = None,
) -> Path:
    chicago = shared_data / "chicago_kang2020"
    text = CHICAGO_SCENARIO.format(
        name=name,
        areas=(areas or chicago / "chicago_tracts_pop.gpkg").as_posix(),
        facilities=(facilities or chicago / "chicago_hospitals.gpkg").as_posix(),
        p=p,
    )
    path = folder / "scenario.toml"
    path.write_text(text, encoding="utf-8")
    return path
