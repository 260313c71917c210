"""Why an output folder could not be written, said as the system knows it.

A full disk, a read-only file system or a folder without write permission surface as ``OSError``
from Python, or as a GDAL error from the GeoPackage writer (``Failed to commit transaction``, with
no word of the disk). :func:`output_errors` turns either into an
:class:`~geoalloc._errors.OutputNotWritableError` naming the folder and the cause, after looking at
the file system while the failed write is still there; anything else is re-raised as it is.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pyogrio.errors import DataLayerError, DataSourceError, FeatureError, FieldError

from geoalloc._errors import OutputNotWritableError

#: what a write into a folder raises when the file system refuses it
WRITE_ERRORS = (OSError, DataSourceError, DataLayerError, FeatureError, FieldError)
#: below this many free bytes a failed write is put down to a full disk
FULL_DISK_BYTES = 1 << 20

_NO_SPACE = "no space left on device"
_READ_ONLY = "read-only file system"
_DENIED = "permission denied"
_CAUSES = {
    errno.ENOSPC: _NO_SPACE,
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: _READ_ONLY,
    errno.EACCES: _DENIED,
    errno.EPERM: _DENIED,
}
_FIXES = {
    _NO_SPACE: "free some space on that disk, or choose an output folder on another one",
    "disk quota exceeded": "free some of your quota, or choose an output folder elsewhere",
    _READ_ONLY: "choose an output folder on a writable disk",
    _DENIED: "choose an output folder you may write to, or change its permissions",
}


def _existing(path: Path) -> Path:
    """``path`` or its nearest ancestor that exists (the one whose file system decides)."""
    path = path.absolute()
    while not os.path.lexists(path) and path != path.parent:
        path = path.parent
    return path


def write_failure_cause(exc: BaseException, folder: Path) -> str | None:
    """The file system's reason a write into ``folder`` failed with ``exc``, or None when the
    file system is not the reason (then ``exc`` is a bug to report as it is)."""
    code = getattr(exc, "errno", None)
    if code in _CAUSES:
        return _CAUSES[code]
    where = _existing(folder)
    try:
        stats = os.statvfs(where)
    except OSError:
        return None
    if stats.f_flag & os.ST_RDONLY:
        return _READ_ONLY
    if stats.f_bavail * stats.f_frsize < FULL_DISK_BYTES:
        return _NO_SPACE
    if not os.access(where, os.W_OK):
        return _DENIED
    return None


@contextmanager
def output_errors(out_dir: Path, folder: Path | None = None) -> Iterator[None]:
    """Turn a write that the file system refused into an :class:`OutputNotWritableError`.

    Parameters
    ----------
    out_dir
        The output folder named in the error.
    folder
        Where the writing happens (a temporary folder beside ``out_dir``); default ``out_dir``.
        It is looked at before anything is cleaned up, while a full disk is still full.
    """
    try:
        yield
    except WRITE_ERRORS as exc:
        cause = write_failure_cause(exc, folder or out_dir)
        if cause is None:
            raise
        raise OutputNotWritableError(out_dir, cause, _FIXES[cause]) from exc
