"""The run folder: written atomically, read back typed and version-checked.

A run folder holds ``results.gpkg`` (the layers), ``summary.json`` (the figures, see
:mod:`geoalloc.runs.schema`), ``manifest.json`` (versions, input hashes, the resolved scenario),
``map.html`` and ``report.html``. :class:`RunFolder` is the one writer and the one reader: ``geoalloc
report``, ``geoalloc compare``, sweeps and the tests all go through it.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np

from geoalloc._errors import InputError, OutputExistsError
from geoalloc._validate import file_problem
from geoalloc.runs.kinds import RunKind, kind_named
from geoalloc.runs.output_errors import output_errors
from geoalloc.runs.output_lock import hold_output, make_temp_dir, old_path, restore_interrupted
from geoalloc.runs.schema import (
    FORMAT_VERSION,
    LAYERS_FILE,
    MANIFEST_FILE,
    MAP_FILE,
    REPORT_FILE,
    SUMMARY_FILE,
    required_keys,
)
from geoalloc.runs.timings import with_write_time


def _json_default(value: object) -> object:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return None if not np.isfinite(value) else float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, Path):
        return str(value)
    msg = f"cannot write {type(value).__name__} to JSON"
    raise TypeError(msg)


def _finite(value: object) -> object:
    """Replace non-finite floats (inf/NaN) with None, recursively, so the JSON is strict."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def dumps_json(data: dict) -> str:
    """Strict JSON (non-finite numbers as null; numpy scalars and paths as plain values)."""
    return json.dumps(_finite(data), indent=2, default=_json_default, allow_nan=False)


def write_run_folder(out_dir: Path, *, overwrite: bool, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp_dir)`` and move the finished folder to ``out_dir`` in one rename.

    A failing or interrupted ``write`` leaves no half-written folder; an existing ``out_dir`` is
    replaced only with ``overwrite`` (else :class:`OutputExistsError`, exit 2). A folder the file
    system refuses (no space left, read-only, no permission) is an
    :class:`~geoalloc._errors.OutputNotWritableError` (exit 2). The folder's lock is held
    throughout (:func:`~geoalloc.runs.output_lock.hold_output`): another process writing the same
    folder gets :class:`~geoalloc._errors.OutputBusyError` (exit 2). Replacing a folder is a swap
    that a kill at any point cannot lose: the previous run stays in place, or waits beside it to be
    put back by the next writer or reader, until the new one is in place.
    """
    out_dir = Path(out_dir)
    with hold_output(out_dir):
        if os.path.lexists(out_dir) and not overwrite:
            raise OutputExistsError(out_dir)
        tmp_dir = make_temp_dir(out_dir)
        try:
            with output_errors(out_dir, tmp_dir):  # a full disk, judged before tmp_dir is removed
                write(tmp_dir)
                if os.path.lexists(out_dir):
                    _swap(tmp_dir, out_dir)
                else:
                    os.replace(tmp_dir, out_dir)
        finally:
            if tmp_dir.exists():
                shutil.rmtree(tmp_dir, ignore_errors=True)
    return out_dir


def _swap(new: Path, out_dir: Path) -> None:
    """Put the finished folder ``new`` in the place of ``out_dir``, which is kept aside until then."""
    old = old_path(out_dir)  # free: taking the lock repaired any leftover
    os.replace(out_dir, old)
    try:
        _sync_dir(out_dir.parent)
        os.replace(new, out_dir)
    except BaseException:  # an error or an interrupt before the new folder is in place
        if not os.path.lexists(out_dir):
            os.replace(old, out_dir)
        raise
    _sync_dir(out_dir.parent)
    if old.is_dir() and not old.is_symlink():
        shutil.rmtree(old, ignore_errors=True)
    else:
        old.unlink(missing_ok=True)


def _sync_dir(folder: Path) -> None:
    """Make the renames in ``folder`` durable (a crash after this cannot undo them)."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    except OSError:  # some file systems do not sync folders; the renames are still atomic
        pass
    finally:
        os.close(fd)


def write_pages(
    folder: Path,
    kind: RunKind,
    layers: dict[str, gpd.GeoDataFrame],
    summary: dict[str, Any],
    manifest: dict[str, Any],
) -> None:
    """``map.html`` and ``report.html`` of a run, from its results, each replaced in one rename."""
    from geoalloc.outputs.leaflet import save_map

    report = folder / REPORT_FILE
    tmp = report.with_name(f".{report.name}.tmp")
    try:
        with output_errors(folder):
            save_map(kind.build_map(layers, summary), folder / MAP_FILE)
            tmp.write_text(kind.report_html(layers, summary, manifest), encoding="utf-8")
            os.replace(tmp, report)  # a rebuild never leaves a half-written page
    finally:
        with suppress(OSError):
            tmp.unlink(missing_ok=True)


def write_layers(gpkg: Path, layers: dict[str, gpd.GeoDataFrame]) -> None:
    """Every layer into the GeoPackage ``gpkg``, one table each.

    SQLite does not sync to disk after each layer (``OGR_SQLITE_SYNCHRONOUS=OFF`` while writing):
    the file is written into the run's temporary folder, which appears whole or not at all, as the
    folder's other files (written without syncing too); the syncs took half the write's time.
    """
    import pyogrio

    before = pyogrio.get_gdal_config_option("OGR_SQLITE_SYNCHRONOUS")
    pyogrio.set_gdal_config_options({"OGR_SQLITE_SYNCHRONOUS": "OFF"})
    try:
        for name, layer in layers.items():
            layer.to_file(gpkg, layer=name, driver="GPKG")
    finally:
        pyogrio.set_gdal_config_options({"OGR_SQLITE_SYNCHRONOUS": before})


@dataclass(frozen=True)
class LoadedRun:
    """A run folder read back: its kind, layers, summary and manifest."""

    folder: Path
    kind: RunKind
    layers: dict[str, gpd.GeoDataFrame]
    summary: dict[str, Any]
    manifest: dict[str, Any]


@dataclass(frozen=True)
class RunFolder:
    """A run folder on disk.

    Parameters
    ----------
    path
        The folder (written by ``geoalloc run``, a sweep or :meth:`RunResult.write`).
    """

    path: Path

    @property
    def map_path(self) -> Path:
        return self.path / MAP_FILE

    @property
    def report_path(self) -> Path:
        return self.path / REPORT_FILE

    @classmethod
    def write(
        cls,
        out_dir: Path | str,
        *,
        kind: RunKind,
        layers: dict[str, gpd.GeoDataFrame],
        summary: dict[str, Any],
        manifest: dict[str, Any],
        overwrite: bool = False,
    ) -> RunFolder:
        """Write layers, summary, manifest, map and report atomically (all or nothing).

        The seconds this takes are ``timings_s["write"]`` in ``summary.json`` and
        ``manifest.json`` (written last, so that they hold it) and in ``summary`` and
        ``manifest`` themselves; the report, written before, shows the stages before it.
        """

        def write(folder: Path) -> None:
            started = time.perf_counter()
            write_layers(folder / LAYERS_FILE, layers)
            write_pages(folder, kind, layers, summary, manifest)
            seconds = time.perf_counter() - started
            for document in (summary, manifest):
                if "timings_s" in document:
                    document["timings_s"] = with_write_time(document["timings_s"], seconds)
            (folder / SUMMARY_FILE).write_text(dumps_json(summary), encoding="utf-8")
            (folder / MANIFEST_FILE).write_text(dumps_json(manifest), encoding="utf-8")

        return cls(write_run_folder(Path(out_dir), overwrite=overwrite, write=write))

    def summary(self) -> dict[str, Any]:
        """``summary.json``, checked: a run folder of this geoalloc's format, of a known kind."""
        summary, problems = self._document(SUMMARY_FILE)
        if problems:
            raise InputError(problems, header=f"run folder {self.path}: {len(problems)} problem(s)")
        self._check_format(summary)
        return summary

    def kind(self) -> RunKind:
        """The run kind that wrote this folder."""
        return kind_named(self.summary()["kind"], where=str(self.path / SUMMARY_FILE))

    def read(self, layers: tuple[str, ...] | None = None) -> LoadedRun:
        """Read the folder back; every missing or unreadable part listed in one :class:`InputError`.

        Parameters
        ----------
        layers
            The layers to read (default: the kind's required and optional layers).
        """
        summary, problems = self._document(SUMMARY_FILE)
        manifest, manifest_problems = self._document(MANIFEST_FILE)
        problems += manifest_problems
        kind = None
        if summary:
            self._check_format(summary)
            kind = kind_named(summary["kind"], where=str(self.path / SUMMARY_FILE))
            for key in sorted(required_keys(kind.summary_schema) - set(summary)):
                problems.append(f"{self.path / SUMMARY_FILE}: key {key!r} missing")
        read: dict[str, gpd.GeoDataFrame] = {}
        gpkg = self.path / LAYERS_FILE
        if not gpkg.is_file():
            problems.append(f"{gpkg}: missing — rerun `geoalloc run` to write it")
        elif kind is not None:
            import pyogrio

            present = {name for name, _ in pyogrio.list_layers(gpkg)}
            wanted = layers if layers is not None else kind.layers
            for name in wanted:
                if name not in present:
                    problems.append(f"{gpkg}: layer {name!r} missing (has: {sorted(present)})")
                    continue
                read[name] = gpd.read_file(gpkg, layer=name)
            if layers is None:
                for name in kind.optional_layers:
                    if name in present:
                        read[name] = gpd.read_file(gpkg, layer=name)
        if problems or kind is None:
            raise InputError(problems, header=f"run folder {self.path}: {len(problems)} problem(s)")
        return LoadedRun(self.path, kind, read, summary, manifest)

    def rebuild_outputs(self) -> tuple[Path, Path]:
        """Rebuild ``map.html`` and ``report.html`` from the folder's results; their paths."""
        run = self.read()
        write_pages(self.path, run.kind, run.layers, run.summary, run.manifest)
        return self.map_path, self.report_path

    def _check_is_folder(self) -> None:
        why = file_problem(self.path, directory_ok=True)
        if why is None and not self.path.is_dir():
            why = "a file, not a folder"
        if why is not None:
            what = "run folder not found" if why == "not found" else f"the run folder path is {why}"
            msg = f"{what}: {self.path} — give the folder that `geoalloc run` wrote"
            raise InputError(msg)

    def _document(self, name: str) -> tuple[dict[str, Any], list[str]]:
        path = self.path / name
        self._restore_interrupted()
        self._check_is_folder()
        if not (self.path / SUMMARY_FILE).exists():
            missing = [n for n in (SUMMARY_FILE, LAYERS_FILE) if not (self.path / n).exists()]
            msg = (
                f"{self.path}: not a geoalloc run folder (missing {', '.join(missing)}) — give a "
                "folder written by `geoalloc run`"
            )
            raise InputError(msg)
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}, [f"{path}: missing — rerun `geoalloc run` to write it"]
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            return {}, [f"{path}: not valid JSON ({exc}) — rerun `geoalloc run`"]
        if not isinstance(document, dict):
            return {}, [f"{path}: not a geoalloc summary (a JSON object expected)"]
        return document, []

    def _restore_interrupted(self) -> None:
        """A folder that a killed ``--overwrite`` left aside is put back before it is read."""
        if not self.path.is_dir():
            restore_interrupted(self.path)

    def _check_format(self, summary: dict[str, Any]) -> None:
        found = summary.get("format")
        if found == FORMAT_VERSION and "kind" in summary:
            return
        where = self.path / SUMMARY_FILE
        if found is None:
            msg = (
                f"{where}: no run-folder format version — written by an older geoalloc (before "
                f"format {FORMAT_VERSION}) or not by geoalloc; rerun `geoalloc run` on its scenario"
            )
        elif isinstance(found, int) and found > FORMAT_VERSION:
            msg = (
                f"{where}: run-folder format {found} is newer than this geoalloc reads "
                f"({FORMAT_VERSION}) — upgrade geoalloc"
            )
        else:
            msg = (
                f"{where}: run-folder format {found!r} is not one this geoalloc reads "
                f"({FORMAT_VERSION}) — rerun `geoalloc run` on its scenario"
            )
        raise InputError(msg)
