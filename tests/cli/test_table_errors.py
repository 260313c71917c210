"""Tables given as a history, a join or a travel table that cannot be used: a truncated ``.csv.gz``,
LOS values that are negative, infinite, missing or absurd, and a file that is no table at all.
Each is exit 3 (or a row left out, said so) naming the file and the column; a file named by
mistake is never echoed beyond a short escaped excerpt."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from geoalloc.cli import cli
from tests.helpers import chicago_sections, write_chicago_scenario, write_scenario

#: a first line that must not reach the terminal whole
SECRET_LINE = "API_TOKEN=" + "s3cr3t-" * 30


def _invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    assert "Traceback" not in result.output and "internal error" not in result.output
    return result.exit_code, result.output


@pytest.fixture
def admissions(shared_data: Path) -> Path:
    return shared_data / "mimic_iv_demo_2.2" / "hosp" / "admissions.csv.gz"


def _truncated(source: Path, folder: Path) -> Path:
    data = source.read_bytes()
    path = folder / source.name
    path.write_bytes(data[: len(data) // 2])
    return path


def test_truncated_history_is_named_as_truncated(
    tmp_path: Path, shared_data: Path, admissions: Path
) -> None:
    """A ``.csv.gz`` cut short raised EOFError (exit 1, internal error)."""
    path = _truncated(admissions, tmp_path)
    code, output = _invoke("los", str(path))
    assert code == 3, output
    assert f"{path}: truncated" in output and "download it again" in output
    scenario = write_chicago_scenario(tmp_path, shared_data, history={"path": path})
    code, output = _invoke("validate", str(scenario))
    assert code == 3 and f"{path}: truncated" in output


def test_truncated_travel_table_is_named_as_truncated(tmp_path: Path, shared_data: Path) -> None:
    table = tmp_path / "od.csv.gz"
    rows = "".join(f"{i},H{i % 7},{i % 40 + 0.5}\n" for i in range(20_000))
    table.write_bytes(gzip.compress(("origin,destination,minutes\n" + rows).encode()))
    table.write_bytes(table.read_bytes()[:-4000])
    scenario = write_chicago_scenario(
        tmp_path, shared_data, network={"source": "matrix", "path": table.name}
    )
    code, output = _invoke("validate", str(scenario))
    assert code == 3, output
    assert f"travel table {table}: truncated" in output


def _history(tmp_path: Path, los: list[object]) -> Path:
    path = tmp_path / "stays.csv"
    pd.DataFrame({"hadm_id": range(101, 101 + len(los)), "los": los}).to_csv(path, index=False)
    return path


def test_bad_los_rows_name_the_file_column_count_and_values(tmp_path: Path) -> None:
    """1e308 crashed the fit (OverflowError, exit 1); the others were counted without their
    column or values."""
    good = [2.5, 3.0, 4.1, 5.2, 1.7, 6.3, 2.2, 3.9, 4.4, 8.0, 1.1, 2.8]
    path = _history(tmp_path, [-3, "inf", "", 1e308, *good])
    code, output = _invoke("los", str(path))
    assert code == 0, output
    assert f"{path}: 1 row(s) with negative LOS in column 'los' (rows: hadm_id=101 = '-3" in output
    assert "1 row(s) with infinite LOS in column 'los' (rows: hadm_id=102 = 'inf')" in output
    assert "in column 'los' (rows: hadm_id=103 = (empty))" in output
    assert (
        "LOS over 3652.5 days (ten years: a unit mix-up?) in column 'los' (rows: hadm_id=104"
        in (output)
    )


def test_no_usable_los_is_exit_3_naming_file_and_column(tmp_path: Path) -> None:
    path = _history(tmp_path, [-1.0, "inf", 1e308, -2.0] * 5)
    code, output = _invoke("los", str(path))
    assert code == 3, output
    assert f"{path}: 10 row(s) with negative LOS in column 'los'" in output
    assert "(and 5 more)" in output  # the first rows, not all of them
    assert "with infinite LOS in column 'los'" in output
    assert "no LOS distribution could be fitted" not in output


@pytest.mark.parametrize("role", ["history", "history join", "areas join"])
def test_a_file_that_is_no_table_is_not_echoed(tmp_path: Path, shared_data: Path, role) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text(SECRET_LINE + "\nsecond line: " + SECRET_LINE + "\n", encoding="utf-8")
    stays = _history(tmp_path, [2.0, 3.0, 4.0])
    sections = chicago_sections(shared_data)
    if role == "history":
        sections["history"] = {"path": notes}
    elif role == "history join":
        sections["history"] = {"path": stays, "join": {"path": notes, "on": "hadm_id"}}
    else:
        sections["areas"]["join"] = {"path": notes, "on": "GEOID"}
    code, output = _invoke("validate", str(write_scenario(tmp_path, name="t", **sections)))
    assert code == 3, output
    assert "does not look like a table of named columns" in output
    assert "columns are" not in output
    assert SECRET_LINE not in output and "second line" not in output
    assert repr(SECRET_LINE[:60]) + "…" in output  # an escaped excerpt of at most 60 characters


def test_os_release_as_history_is_not_echoed(tmp_path: Path) -> None:
    os_release = Path("/etc/os-release")
    if not os_release.is_file():
        pytest.skip("no /etc/os-release here")
    code, output = _invoke("los", str(os_release))
    assert code == 3, output
    assert "does not look like a table" in output
    first = os_release.read_text(encoding="utf-8").splitlines()[0]
    assert len(first) <= 60 or first not in output
    assert "columns are" not in output
