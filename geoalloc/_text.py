"""Numbers as people read them: one formatter for the map, the report and the terminal.

Every function takes what a layer or ``summary.json`` holds (``int``, ``float``, numpy scalars,
``None``, ``NaN``, ``pd.NA``) and returns plain text; a missing or non-finite value is
:data:`MISSING`. Thousands are separated by commas (``1,234.5``). Nothing here escapes HTML: the
outputs escape input text themselves, and the numbers need none.
"""

from __future__ import annotations

import math

#: what every formatter shows for a missing or non-finite value
MISSING = "–"


def finite(value: object) -> float | None:
    """``value`` as a finite float, or ``None`` when it is missing (``None``, ``NaN``, ``±inf``,
    ``pd.NA``) or not a number."""
    if value is None:
        return None
    try:
        v = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):  # pd.NA, text
        return None
    return v if math.isfinite(v) else None


def number(value: object, digits: int = 1, suffix: str = "") -> str:
    """``value`` with ``digits`` decimals and thousands separators, then ``suffix``:
    ``number(1234.56) == "1,234.6"``, ``number(1.75, 2, " s") == "1.75 s"``."""
    v = finite(value)
    return MISSING if v is None else f"{v:,.{digits}f}{suffix}"


def quantity(value: object) -> str:
    """A count, capacity or demand: whole numbers without decimals, others with one
    (``1,500,000``, ``2.5``)."""
    v = finite(value)
    if v is None:
        return MISSING
    return f"{v:,.0f}" if abs(v - round(v)) < 1e-9 else f"{v:,.1f}"


def share(value: object) -> str:
    """A share (0–1) as a whole percentage: ``share(0.85) == "85 %"``."""
    v = finite(value)
    return MISSING if v is None else f"{100 * v:.0f} %"


def percent(value: object, digits: int = 1) -> str:
    """A value already in per cent: ``percent(97.46) == "97.5 %"``."""
    return number(value, digits, " %")


def minutes(value: object) -> str:
    """Travel minutes with one decimal: ``minutes(12) == "12.0 min"``."""
    v = finite(value)
    return MISSING if v is None else f"{v:.1f} min"


def hours(value: object) -> str:
    """Hours with one decimal: ``hours(7.25) == "7.2 h"``."""
    return number(value, 1, " h")


def standard(value: object, otherwise: str = "none") -> str:
    """A travel standard in minutes as written in a scenario (``30 min``, ``7.5 min``), or
    ``otherwise`` when there is none."""
    v = finite(value)
    return f"{v:g} min" if v else otherwise
