"""Collect every problem in an input, then raise once with all of them (osmnx's ``_validate`` style)."""

from __future__ import annotations

import errno
import gzip
import lzma
import os
import re
import stat
import zipfile
import zlib
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


#: what a column name of a table looks like: words, digits, spaces and a little punctuation (a
#: line of prose, a ``KEY="value"`` setting or a ``root:x:0:0`` record does not)
_COLUMN_NAME = re.compile(r"^(?:[\w .()%#+&'\[\]-]{1,64}|Unnamed: \d+)$")
#: characters of raw file content an error message may quote
EXCERPT_CHARS = 60


def excerpt(text: object, limit: int = EXCERPT_CHARS) -> str:
    """``text`` as a quoted, escaped excerpt of at most ``limit`` characters (``…`` when cut):
    what an error may show of a file's raw content, never more.

    Examples
    --------
    >>> print(excerpt("NAME=Debian\\tGNU/Linux", limit=12))
    'NAME=Debian\\t'…
    """
    text = str(text)
    return repr(text[:limit]) + ("…" if len(text) > limit else "")


def looks_like_columns(columns: Iterable[object]) -> bool:
    """True when ``columns`` (the header a CSV reader found) look like a table's column names."""
    names = [str(c) for c in columns]
    return bool(names) and all(_COLUMN_NAME.match(name) for name in names)


def columns_found(columns: Iterable[object]) -> str:
    """What an error says of the columns a table reader found: ``columns are: a, b, c`` when they
    look like column names, else that the file does not look like a table, with a short escaped
    excerpt of its first line (a file named by mistake is never echoed)."""
    names = [str(c) for c in columns]
    if looks_like_columns(names):
        return f"columns are: {format_ids(names)}"
    return (
        "it does not look like a table of named columns (its first line starts "
        f"{excerpt(','.join(names))}) — give a CSV or Parquet file with a header row"
    )


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


#: what reading a damaged compressed file raises (a truncated ``.gz``/``.bz2``/``.xz``: EOFError)
CORRUPT_COMPRESSION = (EOFError, gzip.BadGzipFile, zlib.error, lzma.LZMAError, zipfile.BadZipFile)


def unreadable_table(path: Path | str, exc: BaseException, role: str) -> str:
    """The error line for a table (CSV, compressed CSV, Parquet) its reader could not read:
    a truncated or corrupt compressed file is called so; a reader's message is cut to a short,
    escaped excerpt (it may quote the file).

    Parameters
    ----------
    path
        The file.
    exc
        What the reader raised.
    role
        The scenario key that names the file, e.g. ``"[history] path"``.
    """
    if isinstance(exc, EOFError):
        return (
            f"{path}: truncated — the compressed data ends before its end (the file was cut "
            f"short, e.g. by an interrupted download or copy) ({role}); copy or download it again"
        )
    if isinstance(exc, CORRUPT_COMPRESSION) or "compressed" in str(exc).lower():
        return (
            f"{path}: corrupt compressed file ({type(exc).__name__}: {excerpt(exc, 80)}) "
            f"({role}); copy or download it again"
        )
    return (
        f"{path}: cannot read it as CSV/Parquet ({role}): {type(exc).__name__}: {excerpt(exc, 160)}"
    )
