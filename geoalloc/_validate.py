"""Collect every problem in an input, then raise once with all of them (osmnx's ``_validate`` style)."""

from __future__ import annotations

from collections.abc import Iterable

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
