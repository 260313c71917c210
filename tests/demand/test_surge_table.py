"""[demand] surge_multiplier as a table of area id → multiplier (areas not listed keep default)."""

from __future__ import annotations

from pathlib import Path

import pytest

from geoalloc._errors import InputError
from geoalloc.runs.planning import check_inputs
from geoalloc.scenario import load_scenario
from tests.helpers import write_chicago_scenario

TRACTS = ["17031010100", "17031010201", "17031843900"]


def _scenario(tmp_path: Path, shared_data: Path, rows: str, **table: object) -> Path:
    """The Chicago scenario with [demand] surge_multiplier read from ``rows`` of tract,factor
    (``table``: more keys of the surge_multiplier table, or other values for its keys)."""
    (tmp_path / "surge.csv").write_text(f"tract,factor\n{rows}")
    surge = {"path": "surge.csv", "id": "tract", "multiplier": "factor", **table}
    return write_chicago_scenario(tmp_path, shared_data, demand={"surge_multiplier": surge})


def test_listed_areas_are_multiplied_the_rest_keep_the_default(
    tmp_path: Path, shared_data: Path
) -> None:
    plain = check_inputs(load_scenario(write_chicago_scenario(tmp_path, shared_data)))
    rows = f"{TRACTS[0]},2.0\n{TRACTS[1]},0\n{TRACTS[2]},1.5\n"
    surged = check_inputs(load_scenario(_scenario(tmp_path, shared_data, rows, default=1.1)))
    ratio = surged.needs["beds"] / plain.needs["beds"]
    assert ratio[TRACTS[0]] == pytest.approx(2.0)
    assert ratio[TRACTS[1]] == pytest.approx(0.0)
    assert ratio[TRACTS[2]] == pytest.approx(1.5)
    rest = ratio.drop(TRACTS).dropna()
    assert rest.to_numpy() == pytest.approx(1.1)


def test_bad_rows_are_all_reported(tmp_path: Path, shared_data: Path) -> None:
    rows = f"{TRACTS[0]},-1\n{TRACTS[1]},2\n{TRACTS[1]},3\nno-such-tract,2\n"
    with pytest.raises(InputError) as caught:
        check_inputs(load_scenario(_scenario(tmp_path, shared_data, rows)))
    message = str(caught.value)
    assert f"multiplier missing or negative — use a number >= 0 (ids: {TRACTS[0]})" in message
    assert f"listed more than once — keep one row per area (ids: {TRACTS[1]})" in message
    assert "no area has this id — fix the id or drop the row (ids: no-such-tract)" in message


def test_missing_column_and_file(tmp_path: Path, shared_data: Path) -> None:
    scenario = _scenario(tmp_path, shared_data, f"{TRACTS[0]},2\n", multiplier="x")
    with pytest.raises(InputError, match=r"column\(s\) \['x'\] not found"):
        check_inputs(load_scenario(scenario))
    (tmp_path / "surge.csv").unlink()
    with pytest.raises(InputError, match="file not found — check"):
        check_inputs(load_scenario(scenario))
