"""One writer per output folder, and no run lost to a kill: the on-disk states a killed writer
leaves (during the write, in the middle of ``--overwrite``'s swap, after it; and those of older
geoalloc versions) are repaired by the next reader or writer — the previous run is intact or the
new one complete, never neither — and stale temp folders and lock files are removed."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from geoalloc._errors import OutputBusyError, OutputExistsError
from geoalloc.runs import RunFolder, run_scenario
from geoalloc.runs.folder import write_run_folder
from geoalloc.runs.output_lock import hold_output, lock_path, old_path
from geoalloc.runs.result import RunResult
from geoalloc.runs.schema import MANIFEST_FILE
from geoalloc.scenario import load_scenario
from tests.helpers import REPO_ROOT, write_chicago_scenario

TEMP = ".geoalloc-tmp-"


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> RunResult:
    tmp = tmp_path_factory.mktemp("lscp")
    path = write_chicago_scenario(tmp, shared_data)
    head, _, _ = path.read_text().partition("[optimize]")
    path.write_text(head + '[optimize]\nmodel = "lscp"\nmax_minutes = 20\n')
    return run_scenario(load_scenario(path))


@pytest.fixture(scope="module")
def run_folder(result: RunResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return result.write(tmp_path_factory.mktemp("written") / "run")


def _copy(run_folder: Path, to: Path, label: str) -> Path:
    """A complete run folder at ``to``, told apart by a label in its manifest."""
    shutil.copytree(run_folder, to)
    manifest = json.loads((to / MANIFEST_FILE).read_text(encoding="utf-8"))
    (to / MANIFEST_FILE).write_text(json.dumps(manifest | {"label": label}), encoding="utf-8")
    return to


def _partial(to: Path) -> Path:
    """A run folder cut short: what a kill in the middle of writing leaves."""
    to.mkdir()
    (to / "results.gpkg").write_bytes(b"SQLite format 3\x00")
    return to


def _label(folder: Path) -> str:
    """The label of the complete, readable run folder at ``folder``."""
    return RunFolder(folder).read().manifest.get("label", "")


def _hidden(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith("."))


def _killed_during_write(parent: Path, run: Path) -> str:
    _copy(run, parent / "out", "old")
    _partial(parent / f".out{TEMP}abcd1234")
    return "old"


def _killed_after_moving_the_old_run_aside(parent: Path, run: Path) -> str:
    _copy(run, old_path(parent / "out"), "old")
    _copy(run, parent / f".out{TEMP}abcd1234", "new")  # complete, not yet in place
    (parent / ".out.geoalloc-lock").write_text("99999999\n")  # the dead writer's lock file
    return "old"


def _killed_while_deleting_the_old_run(parent: Path, run: Path) -> str:
    _copy(run, parent / "out", "new")
    _partial(old_path(parent / "out"))
    return "new"


def _older_geoalloc_killed_in_its_swap(parent: Path, run: Path) -> str:
    _copy(run, parent / ".out.old.x7k2m9qa" / "out", "old")
    _copy(run, parent / ".out.p3n8d2zz", "new")
    return "old"


def _older_geoalloc_killed_after_its_swap(parent: Path, run: Path) -> str:
    _copy(run, parent / "out", "new")
    (parent / ".out.old.x7k2m9qa").mkdir()
    _partial(parent / ".out.old.x7k2m9qa" / "out")  # killed while deleting it
    return "new"


STATES = [
    _killed_during_write,
    _killed_after_moving_the_old_run_aside,
    _killed_while_deleting_the_old_run,
    _older_geoalloc_killed_in_its_swap,
    _older_geoalloc_killed_after_its_swap,
]


def _read(parent: Path) -> None:
    RunFolder(parent / "out").read()


def _write_another_folder(parent: Path) -> None:
    write_run_folder(parent / "other", overwrite=False, write=lambda d: (d / "x.txt").touch())


def _take_the_folder(parent: Path) -> None:
    with hold_output(parent / "out"):
        pass


@pytest.mark.parametrize("state", STATES, ids=lambda f: f.__name__.strip("_"))
@pytest.mark.parametrize(
    "next_step",
    [_read, _write_another_folder, _take_the_folder],
    ids=["read", "next run to the parent", "next run to the folder"],
)
def test_a_killed_writer_loses_no_run_and_its_leftovers_are_removed(
    state, next_step, run_folder: Path, tmp_path: Path
) -> None:
    expected = state(tmp_path, run_folder)
    next_step(tmp_path)
    assert (tmp_path / "out").is_dir()  # before any read, which would put a run back itself
    assert _label(tmp_path / "out") == expected
    if next_step is not _read:  # a reader only puts a run back; writers clean up
        assert _hidden(tmp_path) == []


def test_a_user_folder_that_merely_looks_like_a_temp_folder_is_kept(tmp_path: Path) -> None:
    (tmp_path / ".out.notes123").mkdir()  # an older geoalloc's temp name, but not a run folder
    (tmp_path / ".out.notes123" / "my-notes.txt").write_text("keep me")
    (tmp_path / ".cache.old").mkdir()
    with hold_output(tmp_path / "out"):
        pass
    assert _hidden(tmp_path) == [".cache.old", ".out.notes123"]


def _holder(out: Path) -> subprocess.Popen:
    """Another process holding the lock of ``out`` until its stdin closes (or it is killed)."""
    code = (
        "import sys\n"
        "from geoalloc.runs.output_lock import hold_output\n"
        f"with hold_output({str(out)!r}):\n"
        "    print('held', flush=True)\n"
        "    sys.stdin.read()\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None and proc.stdout.readline() == "held\n"
    return proc


@pytest.mark.slow  # another process, or a whole map written
def test_a_second_writer_is_refused_at_once_and_the_folder_is_untouched(
    run_folder: Path, tmp_path: Path
) -> None:
    out = _copy(run_folder, tmp_path / "out", "first")
    holder = _holder(out)
    try:
        with pytest.raises(OutputBusyError, match=rf"being written by another.*pid {holder.pid}"):
            write_run_folder(out, overwrite=True, write=lambda d: (d / "x.txt").touch())
        assert OutputBusyError.exit_code == 2
        assert _hidden(tmp_path) == [".out.geoalloc-lock"]  # the holder's, nothing of ours
    finally:
        holder.communicate("")
    assert holder.returncode == 0
    assert _label(out) == "first"
    assert _hidden(tmp_path) == []  # the holder removed its lock file
    with pytest.raises(OutputExistsError):
        write_run_folder(out, overwrite=False, write=lambda d: (d / "x.txt").touch())


@pytest.mark.slow  # another process, or a whole map written
def test_the_kernel_releases_the_lock_of_a_killed_writer(tmp_path: Path) -> None:
    out = tmp_path / "out"
    holder = _holder(out)
    (tmp_path / f".out{TEMP}abcd1234").mkdir()  # its temp folder
    os.kill(holder.pid, signal.SIGKILL)
    holder.communicate()
    assert holder.returncode == -signal.SIGKILL
    assert lock_path(out).exists()  # left behind, but nobody holds it
    write_run_folder(out, overwrite=False, write=lambda d: (d / "x.txt").touch())
    assert (out / "x.txt").is_file()
    assert _hidden(tmp_path) == []


@pytest.mark.slow  # another process, or a whole map written
def test_the_temp_folder_of_a_live_writer_is_left_alone(tmp_path: Path) -> None:
    holder = _holder(tmp_path / "a")
    try:
        (tmp_path / f".a{TEMP}abcd1234").mkdir()  # a live writer's folder
        (tmp_path / f".b{TEMP}efgh5678").mkdir()  # a dead writer's
        (tmp_path / ".b.geoalloc-lock").write_text("99999999\n")
        write_run_folder(tmp_path / "c", overwrite=False, write=lambda d: (d / "x.txt").touch())
        assert _hidden(tmp_path) == [".a.geoalloc-lock", f".a{TEMP}abcd1234"]
    finally:
        holder.communicate("")


def test_an_interrupted_write_keeps_the_previous_run_and_leaves_nothing(
    run_folder: Path, tmp_path: Path
) -> None:
    out = _copy(run_folder, tmp_path / "out", "old")

    def write(folder: Path) -> None:
        (folder / "results.gpkg").write_bytes(b"half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_run_folder(out, overwrite=True, write=write)
    assert _label(out) == "old"
    assert _hidden(tmp_path) == []
    assert not lock_path(out).exists()


@pytest.mark.slow  # another process, or a whole map written
def test_overwrite_replaces_the_run_and_leaves_nothing_beside_it(
    result: RunResult, run_folder: Path, tmp_path: Path
) -> None:
    out = _copy(run_folder, tmp_path / "out", "old")
    result.write(out, overwrite=True)
    assert _label(out) == ""
    assert _hidden(tmp_path) == []
