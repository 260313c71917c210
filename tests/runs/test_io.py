from pathlib import Path

import pytest

from geoalloc._errors import UsageError
from geoalloc.runs.folder import dumps_json, write_run_folder


def test_failed_write_leaves_no_folder(tmp_path: Path) -> None:
    def write(folder: Path) -> None:
        (folder / "half.txt").write_text("x")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        write_run_folder(tmp_path / "run", overwrite=False, write=write)
    assert list(tmp_path.iterdir()) == []


def test_overwrite_is_refused_then_replaces(tmp_path: Path) -> None:
    out = tmp_path / "run"
    write_run_folder(out, overwrite=False, write=lambda f: (f / "a.txt").write_text("1"))
    with pytest.raises(UsageError, match="exists") as info:
        write_run_folder(out, overwrite=False, write=lambda f: (f / "b.txt").write_text("2"))
    assert "--" not in str(info.value)  # the library names no CLI flag; the CLI adds its own
    write_run_folder(out, overwrite=True, write=lambda f: (f / "b.txt").write_text("2"))
    assert sorted(p.name for p in out.iterdir()) == ["b.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_json_is_strict() -> None:
    import numpy as np

    text = dumps_json({"a": float("inf"), "b": np.float64(1.5), "c": [np.nan, np.int64(2)]})
    assert text.replace(" ", "").replace("\n", "") == '{"a":null,"b":1.5,"c":[null,2]}'
