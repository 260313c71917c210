"""One writer per output folder, and recovery from a writer that was killed.

Beside an output folder ``NAME`` geoalloc keeps, in the same parent folder and only while it works:

- ``.NAME.geoalloc-lock``: an ``flock`` lock file, held by the one process writing ``NAME`` (it
  holds the process id, for the message that refuses a second writer). The kernel releases the
  lock when the process ends, however it ends; a lock file nobody holds is stale.
- ``.NAME.geoalloc-tmp-XXXXXXXX``: the run folder being written; renamed to ``NAME`` when
  complete.
- ``.NAME.geoalloc-old``: the previous run during ``--overwrite``'s swap (``NAME`` →
  ``.NAME.geoalloc-old``, then the new folder → ``NAME``, then the old one is deleted).

A writer killed at any point (SIGKILL, power loss) leaves at most these. Whoever takes the lock
next (:func:`hold_output`, the next run to the same parent folder) or reads the folder
(:func:`restore_interrupted`) repairs them: the previous run is restored when the new one was not
yet in place, never neither; temp folders and stale lock files whose lock nobody holds are deleted.
Folders left by geoalloc versions before this scheme (``.NAME.XXXXXXXX`` and
``.NAME.old.XXXXXXXX/NAME``) are repaired the same way by the next writer of ``NAME``.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from geoalloc._errors import OutputBusyError
from geoalloc.runs.output_errors import output_errors

log = logging.getLogger(__name__)

LOCK_SUFFIX = ".geoalloc-lock"
TEMP_MARK = ".geoalloc-tmp-"
OLD_SUFFIX = ".geoalloc-old"

#: leftovers of any output folder NAME in a parent (the last: an older geoalloc's swap)
_LEFTOVER = re.compile(
    r"^\.(?P<name>.+?)(?:\.geoalloc-lock|\.geoalloc-tmp-[a-z0-9_]{8}|\.geoalloc-old"
    r"|\.old\.[a-z0-9_]{8})$"
)
#: tempfile.mkdtemp's random suffix (the folders of geoalloc versions before the lock)
_MKDTEMP_SUFFIX = re.compile(r"^[a-z0-9_]{8}$")
#: what a run or sweep folder of an older geoalloc holds (its temp folders are only these)
_RUN_FOLDER_FILES = {
    "results.gpkg",
    "results.gpkg-journal",
    "results.gpkg-wal",
    "results.gpkg-shm",
    "summary.json",
    "manifest.json",
    "map.html",
    "report.html",
    ".report.html.tmp",
    "kpis.csv",
    "kpis.json",
    "chart.png",
    "sweep.json",
}

_HELD: dict[Path, list[int]] = {}  # out_dir → [lock file descriptor, depth] in this process
_HELD_GUARD = threading.Lock()


def lock_path(out_dir: Path) -> Path:
    return out_dir.parent / f".{out_dir.name}{LOCK_SUFFIX}"


def old_path(out_dir: Path) -> Path:
    """Where the previous run waits during ``--overwrite``'s swap."""
    return out_dir.parent / f".{out_dir.name}{OLD_SUFFIX}"


def make_temp_dir(out_dir: Path) -> Path:
    """A new, empty temp folder beside ``out_dir``, readable as the umask allows."""
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}{TEMP_MARK}", dir=out_dir.parent))
    umask = os.umask(0)
    os.umask(umask)
    tmp.chmod(0o777 & ~umask)  # mkdtemp makes it private; a run folder is for sharing
    return tmp


def _key(out_dir: Path) -> Path:
    out_dir = Path(out_dir)
    return out_dir.parent.resolve() / out_dir.name


@contextmanager
def hold_output(out_dir: Path | str) -> Iterator[Path]:
    """Hold the lock of ``out_dir`` (re-entrant in one process), after repairing what a killed
    writer left beside it; yield the folder.

    The parent folder is created if missing. Raises :class:`OutputBusyError` (exit 2) at once when
    another process holds the lock.
    """
    out_dir = Path(out_dir)
    created = _missing_parents(out_dir)
    with output_errors(out_dir):  # a read-only disk or a folder without permission
        out_dir.parent.mkdir(parents=True, exist_ok=True)
    key = _key(out_dir)
    with _HELD_GUARD:
        held = _HELD.get(key)
        if held is not None:
            held[1] += 1
        else:
            with output_errors(out_dir):
                fd = _try_lock(lock_path(key))
            if fd is None:
                raise OutputBusyError(out_dir, _holder(lock_path(key)))
            _HELD[key] = [fd, 1]
    try:
        if held is None:
            recover(key)
            clean_stale_leftovers(key.parent, skip=key.name)
        yield out_dir
    finally:
        with _HELD_GUARD:
            entry = _HELD[key]
            entry[1] -= 1
            if entry[1] == 0:
                del _HELD[key]
                _unlock(lock_path(key), entry[0])
                _remove_if_empty(created)  # a run that failed early leaves no empty folders


def _missing_parents(out_dir: Path) -> list[Path]:
    """The parent folders of ``out_dir`` that do not exist yet, innermost first."""
    missing = []
    parent = out_dir.absolute().parent
    while not os.path.lexists(parent) and parent != parent.parent:
        missing.append(parent)
        parent = parent.parent
    return missing


def _remove_if_empty(folders: list[Path]) -> None:
    """Remove ``folders`` (innermost first) while they are empty; stop at the first that is not."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:  # not empty (the run is in it), or already gone
            return


def _try_lock(path: Path) -> int | None:
    """A descriptor of ``path`` with an exclusive ``flock`` held, or None if another holds it."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        except BaseException:
            os.close(fd)
            raise
        # the holder before us may have deleted the file while we opened it: lock the file that
        # is at ``path`` now, or a third process could lock a new file there at the same time
        try:
            here = os.stat(path)
        except FileNotFoundError:
            os.close(fd)
            continue
        mine = os.fstat(fd)
        if (here.st_dev, here.st_ino) != (mine.st_dev, mine.st_ino):
            os.close(fd)
            continue
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        return fd


def _unlock(path: Path, fd: int) -> None:
    try:
        os.unlink(path)  # while still holding it: the next writer then locks a fresh file
    except FileNotFoundError:
        pass
    finally:
        os.close(fd)  # releases the flock


def _holder(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()[:20]
    except (OSError, UnicodeDecodeError):
        return ""


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        try:
            path.unlink()
        except FileNotFoundError:
            pass


def recover(out_dir: Path) -> None:
    """Repair what a killed writer of ``out_dir`` left (call it holding the lock).

    If ``out_dir`` is missing but the previous run waits in ``.NAME.geoalloc-old`` (a kill in the
    middle of ``--overwrite``'s swap), the previous run is put back; then every temp and old folder
    of ``out_dir`` is deleted.
    """
    parent, name = out_dir.parent, out_dir.name
    old = old_path(out_dir)
    legacy_trash = [  # an older geoalloc's swap: .NAME.old.XXXXXXXX/NAME (or what is left of it)
        p
        for p in _siblings(parent, f".{name}.old.")
        if _MKDTEMP_SUFFIX.match(p.name[len(name) + 6 :]) and _holds_at_most(p, name)
    ]
    legacy_old = [p / name for p in legacy_trash if (p / name).is_dir()]
    if not os.path.lexists(out_dir):
        previous = old if old.is_dir() else (legacy_old[0] if legacy_old else None)
        if previous is not None:
            os.replace(previous, out_dir)
            log.warning(
                "%s: restored the previous run (the run that was replacing it was interrupted)",
                out_dir,
            )
    leftovers = [old, *legacy_trash]
    leftovers += _siblings(parent, f".{name}{TEMP_MARK}")
    leftovers += [
        p
        for p in _siblings(parent, f".{name}.")
        if _MKDTEMP_SUFFIX.match(p.name[len(name) + 2 :]) and _looks_like_old_temp(p)
    ]
    for path in leftovers:
        if os.path.lexists(path):
            log.info("removing %s (left by an interrupted geoalloc run)", path)
            _remove(path)


def _siblings(parent: Path, prefix: str) -> list[Path]:
    try:
        return sorted(p for p in parent.iterdir() if p.name.startswith(prefix))
    except OSError:
        return []


def _holds_at_most(folder: Path, name: str) -> bool:
    try:
        return folder.is_dir() and all(p.name == name for p in folder.iterdir())
    except OSError:
        return False


def _looks_like_old_temp(path: Path) -> bool:
    """A temp folder of an older geoalloc: a folder holding nothing but run-folder files."""
    if not path.is_dir() or path.is_symlink():
        return False
    try:
        return all(p.name in _RUN_FOLDER_FILES or p.is_dir() for p in path.iterdir()) and all(
            q.name in _RUN_FOLDER_FILES for p in path.iterdir() if p.is_dir() for q in p.iterdir()
        )
    except OSError:
        return False


def clean_stale_leftovers(parent: Path, *, skip: str | None = None) -> None:
    """Repair the leftovers of every output folder in ``parent`` whose lock nobody holds.

    ``skip``: a folder name this process is handling itself.
    """
    names = set()
    for path in _siblings(parent, "."):
        match = _LEFTOVER.match(path.name)
        if match and match["name"] != skip:
            if path.name.endswith(OLD_SUFFIX) or ".geoalloc-" in path.name:
                names.add(match["name"])
            elif _holds_at_most(path, match["name"]):  # an older geoalloc's .NAME.old.XXXXXXXX
                names.add(match["name"])
    for name in sorted(names):
        key = _key(parent / name)
        with _HELD_GUARD:
            if key in _HELD:
                continue  # this process writes it
            fd = _try_lock(lock_path(key))
        if fd is None:
            continue  # a live writer: its folders are not stale
        try:
            recover(key)
        finally:
            _unlock(lock_path(key), fd)


def restore_interrupted(out_dir: Path) -> bool:
    """Put back the previous run of ``out_dir`` if a killed ``--overwrite`` left it aside.

    For readers: does nothing (False) unless ``out_dir`` is missing and an old folder waits
    beside it, and nothing while another process holds the lock.
    """
    out_dir = Path(out_dir)
    if os.path.lexists(out_dir) or not out_dir.parent.is_dir():
        return False
    name = out_dir.name
    if not old_path(out_dir).is_dir() and not any(
        (p / name).is_dir() for p in _siblings(out_dir.parent, f".{name}.old.")
    ):
        return False
    try:
        with hold_output(out_dir):
            pass
    except (OutputBusyError, OSError):
        return False
    return out_dir.is_dir()
