"""Collect every problem in an input, then raise once with all of them (osmnx's ``_validate`` style)."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable
from pathlib import Path

from pydantic import ConfigDict

from geoalloc._errors import InputError

#: The configuration of every scenario section: an unknown key is refused (a typo would otherwise
#: be ignored) and so is a number that is not finite (``inf``/``nan`` are valid TOML floats, but no
#: minutes, rate, share or cost is infinite; left through they crash the engines or stall the solver).
SECTION_CONFIG = ConfigDict(extra="forbid", allow_inf_nan=False)

MAX_IDS_SHOWN = 20


def format_ids(ids: Iterable[object], limit: int = MAX_IDS_SHOWN) -> str:
    """Comma-separated ids, shortened to ``limit`` with a count of the rest."""
    ids = [str(i) for i in ids]
    shown = ", ".join(ids[:limit])
    rest = len(ids) - limit
    return shown + (f" (and {rest} more)" if rest > 0 else "")


class Problems:
    """An ordered list of problems and notes found while checking inputs.

    ``add`` records an error; ``note`` records something geoalloc fixed by itself (e.g. reprojected a
    layer) and reports without failing.
    """

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.notes: list[str] = []

    def add(
        self, where: str, what: str, fix: str | None = None, ids: Iterable[object] | None = None
    ) -> None:
        line = f"{where}: {what}"
        if ids is not None:
            line += f" (ids: {format_ids(ids)})"
        if fix:
            line += f" — {fix}"
        self.errors.append(line)

    def note(self, where: str, what: str) -> None:
        self.notes.append(f"{where}: {what}")

    def extend(self, other: Problems) -> None:
        self.errors.extend(other.errors)
        self.notes.extend(other.notes)

    def __bool__(self) -> bool:
        return bool(self.errors)

    def raise_if_any(self, header: str | None = None) -> None:
        if self.errors:
            raise InputError(self.errors, header=header)


def file_problem(path: Path | str, *, directory_ok: bool = False) -> str | None:
    """Why ``path`` cannot be read as an input file, or None when it can.

    The answers say what the path is: ``"not found"``, ``"a directory, not a file"``, ``"a
    symbolic-link loop"``, ``"a broken symbolic link (to …)"``, ``"not a regular file (…)"`` (a
    device; a pipe is read) or
    ``"not readable: permission denied"``. ``directory_ok``: a directory is a file here (a File
    Geodatabase, a folder of shapefiles), for the reader to judge.

    Examples
    --------
    >>> file_problem("/")
    'a directory, not a file'
    """
    path = Path(path)
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "a symbolic-link loop (a link that leads back to itself)"
        if exc.errno == errno.ENOENT and path.is_symlink():
            return f"a broken symbolic link (to {os.readlink(path)}, which does not exist)"
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return "not found"
        if exc.errno in (errno.EACCES, errno.EPERM):
            return "not readable: permission denied"
        return f"not readable: {exc.strerror or exc}"
    if stat.S_ISDIR(mode):
        return None if directory_ok else "a directory, not a file"
    if not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode)):  # a pipe: `<(zcat history.csv.gz)`
        return "not a regular file (a device or a socket)"
    if not os.access(path, os.R_OK):
        return "not readable: permission denied"
    return None
