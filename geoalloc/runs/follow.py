"""Unattended updates: every file of a folder applied in order, each update from the one before.

For a schedule (cron, a task scheduler) or a folder that receives new files: ``geoalloc follow
RUN_DIR INBOX --out-root DIR`` applies the files of ``INBOX`` in name order (date them:
``admissions_2026-11-01.csv``) as updates of the plan of ``RUN_DIR``, writing one run folder per file
under ``DIR``, named after it, each the parent of the next.

- **Idempotent.** A file whose update is already in place — the folder named after it holds an
  update of the same parent (same manifest hash) with the same file content (same hash) — is
  skipped, so a rerun applies only what is new.
- **The day of a time-phased deployment's update.** A deployment run is updated as of a day of
  its surge curve (``geoalloc update --as-of-day``): ``as_of_day`` applies one day to every file,
  ``day_from_name`` reads each file's day from its name — ``day<N>`` (``day<N>`` preceded by a
  ``_``, ``-``, ``.`` or nothing, e.g. ``day09_areas.gpkg``, ``areas_day12.gpkg``) — and applies
  the files in the order of their days (then names), for a job that drops each day's file with
  its day in the name; a file without a day is refused before anything is applied. Without
  either, the update is made as of the deployment's ``start_day``. The day is part of what
  makes a file already applied: the same file for another day is applied again.
- **Safe when interrupted.** Each folder is written atomically (:func:`RunFolder.write`): an update
  stopped half-way leaves no folder, or the previous one, and the next run redoes it. A file whose
  content changed is applied again, and so are the updates after it (their parent changed), so the
  chain always reads back valid (:func:`geoalloc.runs.lineage.read_chain`).
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from geoalloc._errors import InputError
from geoalloc._validate import file_problem
from geoalloc.runs.lineage import PARENT_KEY, manifest_sha256
from geoalloc.runs.manifest import sha256_file
from geoalloc.runs.output_lock import hold_output
from geoalloc.runs.schema import MANIFEST_FILE, SUMMARY_FILE

#: the day of a file of the inbox in its name (``day_from_name``): ``day09_areas.gpkg``
DAY_IN_NAME = re.compile(r"(?:^|[_.-])day(\d+)(?=$|[_.-])", re.IGNORECASE)


@dataclass(frozen=True)
class FollowStep:
    """One file of the inbox: where its update is, and whether it was already there."""

    source: Path
    folder: Path
    skipped: bool
    lines: list[str] = field(default_factory=list)
    as_of_day: int | None = None


def day_in_name(path: Path) -> int | None:
    """The day in a file's name (:data:`DAY_IN_NAME`: ``day09_areas.gpkg`` → 9), None without."""
    found = DAY_IN_NAME.search(path.stem)
    return int(found.group(1)) if found else None


def _days_from_names(files: list[Path], inbox: Path) -> dict[Path, int]:
    days = {path: day_in_name(path) for path in files}
    missing = [path.name for path, day in days.items() if day is None]
    if missing:
        msg = (
            f"{inbox}: {len(missing)} file(s) without their day in the name: "
            f"{', '.join(missing)} — name each file with the day (of the surge curve) it is "
            "applied as of, e.g. day09_areas.gpkg or areas_day12.gpkg"
        )
        raise InputError(msg)
    return {path: int(day) for path, day in days.items() if day is not None}


def _read_json(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return document if isinstance(document, dict) else {}


def already_applied(
    folder: Path, parent: Path, role: str, digest: str, as_of_day: int | None = None
) -> bool:
    """True if ``folder`` holds the update of ``parent`` by a ``role`` file of hash ``digest``,
    made as of ``as_of_day`` (None: the deployment's ``start_day``, or a planning update)."""
    manifest = _read_json(folder / MANIFEST_FILE)
    if not manifest:
        return False
    record = manifest.get(PARENT_KEY) or {}
    update = manifest.get("update") or {}
    given = (update.get("new_inputs") or {}).get(role) or {}
    day = update.get("as_of_day")
    if as_of_day is None and day is not None:  # the default day: the deployment's start
        as_of_day = (_read_json(folder / SUMMARY_FILE).get("deployment") or {}).get("start_day")
    if day != as_of_day:
        return False
    try:
        parent_hash = manifest_sha256(parent)
    except InputError:
        return False
    return given.get("sha256") == digest and record.get("manifest_sha256") == parent_hash


def follow(
    run_dir: Path,
    inbox: Path,
    *,
    role: str,
    pattern: str,
    out_root: Path,
    make_request: Callable[[Path, Path], object],
    as_of_day: int | None = None,
    day_from_name: bool = False,
) -> Iterator[FollowStep]:
    """Apply the files of ``inbox`` in name order (see the module's documentation).

    ``make_request(parent, file)`` gives the :class:`~geoalloc.runs.update.UpdateRequest` of one
    step; its ``as_of_day`` is replaced by ``as_of_day`` when given, or by the day in the file's
    name with ``day_from_name`` (:func:`day_in_name`; the files then applied in the order of their
    days). Yields one :class:`FollowStep` per file, as each is done.
    """
    from geoalloc.outputs.update_report import update_lines
    from geoalloc.runs.update import run_update

    inbox = Path(inbox)
    why = file_problem(inbox, directory_ok=True)
    if why is not None or not inbox.is_dir():
        raise InputError(f"{inbox}: the inbox folder is {why or 'not a folder'} — check the path")
    files = sorted(p for p in inbox.glob(pattern) if p.is_file())
    if not files:
        msg = f"{inbox}: no file matches {pattern!r} — nothing to apply (check the pattern)"
        raise InputError(msg)
    if as_of_day is not None and day_from_name:
        msg = "give the day of the updates once: as_of_day or day_from_name, not both"
        raise InputError(msg)
    days = _days_from_names(files, inbox) if day_from_name else dict.fromkeys(files, as_of_day)
    if day_from_name:
        files.sort(key=lambda p: (days[p], p.name))
    parent = Path(run_dir)
    for path in files:
        folder = Path(out_root) / path.stem
        day = days[path]
        if already_applied(folder, parent, role, sha256_file(path), day):
            yield FollowStep(path, folder, skipped=True, as_of_day=day)
        else:
            request = make_request(parent, path)
            if day is not None:
                request = dataclasses.replace(request, as_of_day=day)  # type: ignore[type-var]
            with hold_output(folder):
                result = run_update(request, out_dir=folder)  # type: ignore[arg-type]
                result.write(folder, overwrite=True)  # a stale update of this file is replaced
            lines = update_lines(result.summary)
            yield FollowStep(path, folder, skipped=False, lines=lines, as_of_day=day)
        parent = folder
