"""Unattended updates: every file of a folder applied in order, each update from the one before.

For a schedule (cron, a task scheduler) or a folder that receives new files: ``geoalloc follow
RUN_DIR INBOX --out-root DIR`` applies the files of ``INBOX`` in name order (date them:
``admissions_2026-11-01.csv``) as updates of the plan of ``RUN_DIR``, writing one run folder per file
under ``DIR``, named after it, each the parent of the next.

- **Idempotent.** A file whose update is already in place — the folder named after it holds an
  update of the same parent (same manifest hash) with the same file content (same hash) — is
  skipped, so a rerun applies only what is new.
- **Safe when interrupted.** Each folder is written atomically (:func:`RunFolder.write`): an update
  stopped half-way leaves no folder, or the previous one, and the next run redoes it. A file whose
  content changed is applied again, and so are the updates after it (their parent changed), so the
  chain always reads back valid (:func:`geoalloc.runs.lineage.read_chain`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from geoalloc._errors import InputError
from geoalloc._validate import file_problem
from geoalloc.runs.lineage import PARENT_KEY, manifest_sha256
from geoalloc.runs.manifest import sha256_file
from geoalloc.runs.output_lock import hold_output
from geoalloc.runs.schema import MANIFEST_FILE


@dataclass(frozen=True)
class FollowStep:
    """One file of the inbox: where its update is, and whether it was already there."""

    source: Path
    folder: Path
    skipped: bool
    lines: list[str] = field(default_factory=list)


def already_applied(folder: Path, parent: Path, role: str, digest: str) -> bool:
    """True if ``folder`` holds the update of ``parent`` by a ``role`` file of hash ``digest``."""
    try:
        manifest = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    record = manifest.get(PARENT_KEY) or {}
    given = ((manifest.get("update") or {}).get("new_inputs") or {}).get(role) or {}
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
) -> Iterator[FollowStep]:
    """Apply the files of ``inbox`` in name order (see the module's documentation).

    ``make_request(parent, file)`` gives the :class:`~geoalloc.runs.update.UpdateRequest` of one
    step. Yields one :class:`FollowStep` per file, as each is done.
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
    parent = Path(run_dir)
    for path in files:
        folder = Path(out_root) / path.stem
        if already_applied(folder, parent, role, sha256_file(path)):
            yield FollowStep(path, folder, skipped=True)
        else:
            with hold_output(folder):
                result = run_update(make_request(parent, path), out_dir=folder)  # type: ignore[arg-type]
                result.write(folder, overwrite=True)  # a stale update of this file is replaced
            yield FollowStep(path, folder, skipped=False, lines=update_lines(result.summary))
        parent = folder
