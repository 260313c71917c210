"""Hypothesis strategies: values around every documented constraint of a scenario and its inputs.

Numbers come from the edges (NaN, ±inf, ±0, the largest and smallest floats, ±1, −300, integers
beyond 64 bits) and from anywhere (hypothesis' own floats); wrong types are text (unicode
included), booleans, lists and tables where a number is expected.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from hypothesis import strategies as st

NAN, INF = math.nan, math.inf

#: floats at the edges of every constraint
EDGE_FLOATS = (NAN, INF, -INF, 0.0, -0.0, -1.0, -300.0, 1e-300, 5e-324, 1.0, 1e15, 1e308, -1e308)
#: integers at the edges (TOML integers are 64-bit; Python's reader takes any size)
EDGE_INTS = (0, -1, 1, 2**63 - 1, -(2**63), 10**30, 10**400)

#: text as a user might type it, and some they would not
TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)),  # no lone surrogates: not UTF-8
    max_size=12,
)
EDGE_TEXT = ("", " ", "30", "nan", "inf", "ünïcødé", "病院", "🏥", "a\nb", "../x", "NULL")

#: a number, at an edge or anywhere
numbers = st.one_of(
    st.sampled_from(EDGE_FLOATS),
    st.sampled_from(EDGE_INTS),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**6), max_value=10**6),
)
#: anything that is not a number
wrong_types = st.one_of(
    st.sampled_from(EDGE_TEXT),
    TEXT,
    st.booleans(),
    st.lists(st.integers(0, 9), min_size=0, max_size=2),
    st.fixed_dictionaries({"a": st.integers(0, 9)}),
)


def is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@dataclass(frozen=True)
class Bound:
    """A documented range of a numeric scenario key: ``low``/``high`` with open or closed ends;
    only finite values are usable (inf and NaN are invalid whatever the range says), unless
    ``inf_ok`` (a limit that may be switched off)."""

    low: float | None = None
    low_open: bool = False
    high: float | None = None
    high_open: bool = False
    integer: bool = False
    inf_ok: bool = False

    def allows(self, value: object) -> bool:
        if not is_number(value):
            return False
        if isinstance(value, int):  # exact: an integer beyond 64 bits is still an integer
            number: float = value
            if not self.integer and abs(value) > 1.7e308:
                return False  # no float holds it
        else:
            number = float(value)  # type: ignore[arg-type]
            if not (math.isfinite(number) or (self.inf_ok and number == INF)):
                return False
            if self.integer and number != int(number):
                return False
        if self.low is not None and (number <= self.low if self.low_open else number < self.low):
            return False
        return not (
            self.high is not None
            and (number >= self.high if self.high_open else number > self.high)
        )


POSITIVE = Bound(low=0, low_open=True)
NON_NEGATIVE = Bound(low=0)
SHARE = Bound(low=0, low_open=True, high=1)  # (0, 1]
OPEN_SHARE = Bound(low=0, low_open=True, high=1, high_open=True)  # (0, 1)

#: the numeric keys of the base scenario's sections, with their documented ranges (README "Run your
#: own region": every number finite, and the ceilings listed there; the option models' Fields)
DEMAND_KEYS: dict[tuple[str, ...], Bound] = {
    ("demand", "los_days"): Bound(low=0, low_open=True, high=365),
    ("demand", "occupancy_target"): Bound(low=0.01, high=1),
    ("demand", "admissions_per_1000", "50+"): Bound(low=0, high=10_000),
    ("demand", "admissions_per_1000", "other"): Bound(low=0, high=10_000),
    ("demand", "risk_days"): POSITIVE,
    ("demand", "surge_multiplier"): Bound(low=0, high=100),
    ("demand", "blocking_target"): OPEN_SHARE,
    ("demand", "icu_share"): Bound(low=0, high=1),
}
NETWORK_KEYS: dict[tuple[str, ...], Bound] = {
    ("network", "speed_kph"): POSITIVE,
    ("network", "circuity"): Bound(low=1),
    ("network", "access_speed_kph"): POSITIVE,
    ("network", "far_snap_m"): POSITIVE,
    ("network", "max_snap_m"): POSITIVE,
}
OPTIMIZE_KEYS: dict[tuple[str, ...], Bound] = {
    ("optimize", "p"): Bound(low=1, integer=True),
    ("optimize", "max_minutes"): Bound(low=0, low_open=True, high=1440),
    ("optimize", "time_limit_s"): Bound(low=0, low_open=True, high=7 * 86_400),
    ("optimize", "mip_gap"): NON_NEGATIVE,
    ("optimize", "acceptable_gap"): NON_NEGATIVE,
    ("optimize", "unmet_penalty_minutes"): Bound(low=0, low_open=True, high=1e9),
    ("optimize", "minutes_weight"): Bound(low=0, high=1e9),
    ("optimize", "cost_weight"): Bound(low=0, high=1e9),
    ("facilities", "capacity_scale", "beds"): NON_NEGATIVE,
}
ALL_KEYS = DEMAND_KEYS | NETWORK_KEYS | OPTIMIZE_KEYS


def set_key(sections: dict[str, dict[str, object]], key: tuple[str, ...], value: object) -> None:
    """Set ``sections[key[0]][key[1]]…`` to ``value``, making inner tables as needed."""
    table: dict = sections[key[0]]
    for part in key[1:-1]:
        table[part] = dict(table.get(part) or {})
        table = table[part]
    table[key[-1]] = value


def culprits_of(key: tuple[str, ...]) -> tuple[str, ...]:
    """How an error may name a key: dotted (``demand.los_days``) or by its table's name."""
    dotted = ".".join(key)
    return (dotted, key[-1] if len(key) == 2 else key[-2])


#: the values a cell of a numeric column may be broken to
bad_cells = st.one_of(
    st.sampled_from((NAN, INF, -INF, -1.0, -300.0, 1e308, -1e308, 0.0, 5e-324)),
    st.sampled_from(EDGE_TEXT),
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True),
)


#: text a reader takes as a number (pandas' to_numeric, a CSV parser): "30", "1e+308", "inf"
_NUMBER_TEXT = re.compile(r"\s*[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+|inf|nan)\s*", re.IGNORECASE)


def is_number_text(value: object) -> bool:
    """Text that reads as a number ("30", " 1e+308", "inf")."""
    return isinstance(value, str) and _NUMBER_TEXT.fullmatch(value) is not None


def cell_is_count(value: object, *, inf_ok: bool = False) -> bool:
    """A usable count (population, capacity, minutes): a finite number ≥ 0 (``inf`` too where
    ``inf_ok``: a travel table's "unreachable"). Text that reads as a number counts as that number."""
    if is_number_text(value):
        value = float(value)  # type: ignore[arg-type]
    if value is None or isinstance(value, bool) or not is_number(value):
        return False
    number = float(value)  # type: ignore[arg-type]
    return number >= 0 and (math.isfinite(number) or (inf_ok and number == INF))


def pick(draw: Callable, options: dict) -> object:
    return draw(st.sampled_from(sorted(options, key=str)))
