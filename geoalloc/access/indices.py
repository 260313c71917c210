"""Spatial accessibility indices over a travel table: the floating-catchment family (2SFCA,
E2SFCA, BFCA) and the demand-adjusted gravity index, as health-services research publishes them.

Every index is a sum over the (area, site, minutes) pairs of the table, done with ``np.bincount``
(no loop over pairs): a state of 100,000 areas and 2,000 sites with its sparse pairs takes
seconds. The results equal pysal/access's on the same table (``tests/access``), with one
deliberate difference: the catchment ``max_minutes`` is inclusive here (a site exactly at the
cut-off counts, ``minutes <= max_minutes``). pysal/access's own cut-off (``max_cost``) is inclusive
too, but the tables it builds itself (``create_euclidean_distance``) keep only pairs strictly
below the threshold, so a site exactly at the cut-off is dropped there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from geoalloc._errors import InputError
from geoalloc._validate import format_ids
from geoalloc.access.decay import KANG_STEPS, Decay
from geoalloc.travel.matrix import TravelMatrix

Method = Literal["2sfca", "e2sfca", "bfca", "gravity"]
METHODS: tuple[str, ...] = ("2sfca", "e2sfca", "bfca", "gravity")

#: the index is reported per this many units of demand: supply per 1,000 people
PER_PEOPLE = 1000.0


@dataclass(frozen=True)
class AccessIndex:
    """One accessibility index, per area.

    Attributes
    ----------
    method
        ``2sfca``, ``e2sfca``, ``bfca``, ``gravity`` or ``potential``.
    max_minutes
        The catchment (inclusive), or ``None``: every pair of the table counts.
    decay
        The distance-decay function.
    ratio
        Per area id (every area of the demand, in its order): units of supply per unit of demand
        (e.g. ICU beds per person) — the raw figure pysal/access returns.
    sites_in_reach
        Per area id: the sites with supply > 0 and a weight > 0 within the catchment (0: nothing
        in reach, and the area's index is 0).
    site_ratio
        Per site id: the site's level of service, supply per unit of the (weighted, for BFCA
        balanced) demand in its catchment (0 for a site with no demand in reach).
    """

    method: str
    max_minutes: float | None
    decay: Decay
    ratio: pd.Series
    sites_in_reach: pd.Series
    site_ratio: pd.Series

    @property
    def per_1000(self) -> pd.Series:
        """Per area id: units of supply per 1,000 units of demand (per 1,000 people when the
        demand counts persons) — the figure to show a planner."""
        return (self.ratio * PER_PEOPLE).rename("per_1000")

    @property
    def nothing_in_reach(self) -> pd.Series:
        """Per area id: True when no site with supply lies within the catchment."""
        return (self.sites_in_reach == 0).rename("nothing_in_reach")

    def to_frame(self) -> pd.DataFrame:
        """One row per area: ``per_1000``, ``ratio``, ``sites_in_reach``, ``nothing_in_reach``."""
        return pd.concat(
            [self.per_1000, self.ratio, self.sites_in_reach, self.nothing_in_reach], axis=1
        )


@dataclass(frozen=True)
class _Pairs:
    """The table's pairs within the catchment, as positions in the demand and supply arrays."""

    area: np.ndarray
    site: np.ndarray
    weight: np.ndarray
    demand: np.ndarray
    supply: np.ndarray
    area_ids: pd.Index
    site_ids: pd.Index


def two_step_fca(
    pairs: pd.DataFrame | TravelMatrix,
    demand: pd.Series,
    supply: pd.Series,
    *,
    max_minutes: float | None,
    decay: Decay | None = None,
) -> AccessIndex:
    """The two-step floating catchment area index (2SFCA, Luo & Wang 2003), or with a decay the
    enhanced 2SFCA (E2SFCA, Luo & Qi 2009).

    Step 1: each site's ratio ``R_j = S_j / Σ_k D_k w(t_kj)`` over the areas within the catchment.
    Step 2: each area's index ``A_i = Σ_j R_j w(t_ij)`` over the sites within the catchment.
    ``w`` is 1 for the plain 2SFCA. The population-weighted sum ``Σ_i D_i A_i`` equals the supply
    of the sites with demand in reach.

    Parameters
    ----------
    pairs
        The travel table: columns ``area``, ``site``, ``minutes`` (e.g. from
        ``geoalloc.runs.travel.od_table``), one row per reachable pair, or a ``TravelMatrix``
        from areas (origins) to sites (destinations).
    demand
        Per area id: the demand (persons, or units needed); every area of the output.
    supply
        Per site id: the supply (units: beds, ventilators …).
    max_minutes
        The catchment, inclusive: pairs with ``minutes <= max_minutes`` count. ``None``: every
        pair of the table.
    decay
        The distance decay (:class:`~geoalloc.access.decay.Decay`); ``None`` or ``Decay.none()``
        for the plain 2SFCA.

    Returns
    -------
    AccessIndex
        ``.per_1000``: supply per 1,000 units of demand (per 1,000 people), per area.

    Raises
    ------
    InputError
        Ids of the table that are not in ``demand``/``supply`` (a table from sites to areas is
        named as swapped), negative or missing values, repeated pairs.

    Examples
    --------
    >>> import pandas as pd
    >>> from geoalloc.access import two_step_fca
    >>> pairs = pd.DataFrame({"area": ["a", "b"], "site": ["s", "s"], "minutes": [5.0, 30.0]})
    >>> index = two_step_fca(pairs, pd.Series({"a": 1000.0, "b": 3000.0}),
    ...                      pd.Series({"s": 8.0}), max_minutes=30)
    >>> index.per_1000.tolist()
    [2.0, 2.0]
    """
    decay = decay or Decay.none()
    table = _prepare(pairs, demand, supply, max_minutes, decay)
    method = "2sfca" if decay.kind == "none" else "e2sfca"
    return _two_step(table, method, max_minutes, decay)


def balanced_fca(
    pairs: pd.DataFrame | TravelMatrix,
    demand: pd.Series,
    supply: pd.Series,
    *,
    max_minutes: float | None,
    decay: Decay | None = None,
) -> AccessIndex:
    """The balanced floating catchment area index (BFCA, Páez, Higgins & Vivona 2019).

    The 2SFCA counts an area's people at every site in reach (demand inflation) and a site's
    supply at every area in reach (supply inflation). The BFCA splits both: an area's demand is
    shared among the sites in its reach by ``w_ij / Σ_j w_ij``, a site's level of service among
    the areas in its reach by ``w_ij / Σ_i w_ij``:

    ``R_j = S_j / Σ_i D_i w_ij / Σ_j' w_ij'`` and ``A_i = Σ_j R_j w_ij / Σ_i' w_i'j``.

    The balanced demand of the sites sums to the demand of the areas with a site in reach (no
    person counted twice), and ``Σ_i A_i = Σ_j R_j`` (no level of service counted twice); the
    same definition as ipeaGIT/accessibility's ``bfca``. Parameters, returns and errors as
    :func:`two_step_fca`.

    Reading it: ``R_j`` is supply per person, but each area receives only its share of it, so
    ``A_i`` is an apportioned level of service — values run far lower than the 2SFCA's (a site
    with 100 areas in reach gives each about a hundredth of its ``R_j``) and
    ``Σ_i D_i A_i`` is not the total supply. Compare areas with one another, not with a 2SFCA.
    """
    decay = decay or Decay.none()
    t = _prepare(pairs, demand, supply, max_minutes, decay)
    by_area = np.bincount(t.area, t.weight, minlength=len(t.demand))
    by_site = np.bincount(t.site, t.weight, minlength=len(t.supply))
    share_of_area = _divide(t.weight, by_area[t.area])
    share_of_site = _divide(t.weight, by_site[t.site])
    balanced_demand = np.bincount(t.site, t.demand[t.area] * share_of_area, minlength=len(t.supply))
    site_ratio = _divide(t.supply, balanced_demand)
    ratio = np.bincount(t.area, site_ratio[t.site] * share_of_site, minlength=len(t.demand))
    return _result(t, "bfca", max_minutes, decay, ratio, site_ratio)


def gravity(
    pairs: pd.DataFrame | TravelMatrix,
    demand: pd.Series,
    supply: pd.Series,
    *,
    max_minutes: float | None = None,
    decay: Decay | None = None,
) -> AccessIndex:
    """The gravity index with demand adjustment (Joseph & Bantock 1982; Luo & Wang 2003):
    ``A_i = Σ_j S_j f(t_ij) / Σ_k D_k f(t_kj)`` — each site's supply shared among the demand it
    attracts, weighted by a continuous decay ``f``. The 2SFCA is its special case with a 0/1
    decay; pysal/access computes it as ``two_stage_fca`` with a gravity ``weight_fn``.

    ``decay`` defaults to the inverse power ``f(t) = max(t, 1)^-1``; ``max_minutes`` to no
    cut-off (every pair of the table). Parameters, returns and errors as :func:`two_step_fca`.
    """
    decay = decay or Decay.inverse_power(1.0)
    table = _prepare(pairs, demand, supply, max_minutes, decay)
    return _two_step(table, "gravity", max_minutes, decay)


def supply_potential(
    pairs: pd.DataFrame | TravelMatrix,
    demand: pd.Series,
    supply: pd.Series,
    *,
    max_minutes: float | None = None,
    decay: Decay | None = None,
) -> AccessIndex:
    """Hansen's potential ``A_i = Σ_j S_j f(t_ij)``: decay-weighted supply in reach, without
    the demand adjustment (pysal/access's ``weighted_catchment``). Its ``ratio`` is in units of
    supply (weighted), not per unit of demand; ``demand`` only names the areas."""
    decay = decay or Decay.inverse_power(1.0)
    t = _prepare(pairs, demand, supply, max_minutes, decay)
    ratio = np.bincount(t.area, t.weight * t.supply[t.site], minlength=len(t.demand))
    return _result(t, "potential", max_minutes, decay, ratio, t.supply.astype(float))


def access_index(
    pairs: pd.DataFrame | TravelMatrix,
    demand: pd.Series,
    supply: pd.Series,
    *,
    method: str,
    max_minutes: float | None,
    decay: Decay | None = None,
) -> AccessIndex:
    """The index ``method`` (``2sfca``, ``e2sfca``, ``bfca``, ``gravity``) with its defaults:
    ``e2sfca`` without a decay takes Luo & Qi's steps (0–10, 10–20, 20–30 minutes × 1.00, 0.68,
    0.22, :data:`~geoalloc.access.decay.KANG_STEPS`); ``2sfca`` takes no decay."""
    if method == "2sfca":
        if decay is not None and decay.kind != "none":
            raise InputError("access method 2sfca takes no decay: use e2sfca for a decay")
        return two_step_fca(pairs, demand, supply, max_minutes=max_minutes)
    if method == "e2sfca":
        decay = decay if decay is not None and decay.kind != "none" else Decay.step(KANG_STEPS)
        return two_step_fca(pairs, demand, supply, max_minutes=max_minutes, decay=decay)
    if method == "bfca":
        return balanced_fca(pairs, demand, supply, max_minutes=max_minutes, decay=decay)
    if method == "gravity":
        return gravity(pairs, demand, supply, max_minutes=max_minutes, decay=decay)
    raise InputError(f"access method {method!r} is not one of {', '.join(METHODS)}")


def _two_step(t: _Pairs, method: str, max_minutes: float | None, decay: Decay) -> AccessIndex:
    weighted_demand = np.bincount(t.site, t.weight * t.demand[t.area], minlength=len(t.supply))
    site_ratio = _divide(t.supply, weighted_demand)
    ratio = np.bincount(t.area, t.weight * site_ratio[t.site], minlength=len(t.demand))
    return _result(t, method, max_minutes, decay, ratio, site_ratio)


def _result(
    t: _Pairs,
    method: str,
    max_minutes: float | None,
    decay: Decay,
    ratio: np.ndarray,
    site_ratio: np.ndarray,
) -> AccessIndex:
    counted = (t.weight > 0) & (t.supply[t.site] > 0)
    in_reach = np.bincount(t.area[counted], minlength=len(t.demand))
    return AccessIndex(
        method=method,
        max_minutes=max_minutes,
        decay=decay,
        ratio=pd.Series(ratio, index=t.area_ids, name="ratio"),
        sites_in_reach=pd.Series(in_reach, index=t.area_ids, name="sites_in_reach"),
        site_ratio=pd.Series(site_ratio, index=t.site_ids, name="site_ratio"),
    )


def _divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """``numerator / denominator``, 0 where the denominator is 0."""
    out = np.zeros(np.broadcast(numerator, denominator).shape)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


def _prepare(
    pairs: pd.DataFrame | TravelMatrix,
    demand: pd.Series,
    supply: pd.Series,
    max_minutes: float | None,
    decay: Decay,
) -> _Pairs:
    """The pairs within the catchment as positions and weights, every input checked."""
    if max_minutes is not None and (
        isinstance(max_minutes, bool) or not np.isfinite(max_minutes) or max_minutes <= 0
    ):
        raise InputError(f"access max_minutes = {max_minutes!r}: must be a finite number > 0")
    problems = _value_problems(demand, "demand", "area") + _value_problems(supply, "supply", "site")
    if isinstance(pairs, TravelMatrix):
        area, site, minutes = _matrix_pairs(pairs, demand, supply, max_minutes, problems)
    else:
        area, site, minutes = _table_pairs(pairs, demand, supply, problems)
        if max_minutes is not None:
            keep = np.flatnonzero(minutes <= max_minutes)
            area, site, minutes = area[keep], site[keep], minutes[keep]
    return _Pairs(
        area=area,
        site=site,
        weight=decay.weights(minutes),
        demand=demand.to_numpy(dtype=float),
        supply=supply.to_numpy(dtype=float),
        area_ids=demand.index,
        site_ids=supply.index,
    )


def _matrix_pairs(
    matrix: TravelMatrix,
    demand: pd.Series,
    supply: pd.Series,
    max_minutes: float | None,
    problems: list[str],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A travel matrix's pairs as positions in ``demand`` and ``supply``: its ids are looked up
    once each, never once per pair (118 million pairs of a state take seconds)."""
    horizon = matrix.max_minutes
    if horizon is not None and (max_minutes is None or max_minutes > horizon):
        problems.append(
            f"the travel matrix stops at {horizon:g} minutes, short of the access catchment "
            f"({'none' if max_minutes is None else f'{max_minutes:g} minutes'}): compute the "
            "matrix up to the catchment"
        )
    if problems:
        raise InputError(problems, header=f"{len(problems)} problem(s) in the access inputs")
    origin = demand.index.get_indexer(matrix.origin_ids)
    destination = supply.index.get_indexer(matrix.destination_ids)
    _check_direction(matrix.origin_ids, matrix.destination_ids, origin, destination, demand, supply)
    values = matrix.minutes
    if isinstance(values, np.ndarray):
        rows, cols = np.nonzero(np.isfinite(values))
        minutes = values[rows, cols]
    else:
        rows, cols, minutes = values.row, values.col, values.data
        bad = ~np.isfinite(minutes) | (minutes < 0)
        if bad.any():
            msg = f"travel matrix: {int(bad.sum())} pair(s) with minutes missing or negative"
            raise InputError(msg)
    # one pass over the pairs: those within both the matrix's cut-off (a matrix may hold pairs
    # beyond it) and the catchment
    limits = [m for m in (horizon, max_minutes) if m is not None]
    if limits and (minutes > min(limits)).any():
        keep = np.flatnonzero(minutes <= min(limits))
        rows, cols, minutes = rows[keep], cols[keep], minutes[keep]
    return _take(origin, rows), _take(destination, cols), minutes


def _take(positions: np.ndarray, index: np.ndarray) -> np.ndarray:
    """``positions[index]``, without the copy when ``positions`` is 0, 1, 2 … (the same order)."""
    if np.array_equal(positions, np.arange(len(positions))):
        return index
    small = np.int32 if len(positions) < 2**31 else np.int64
    return positions.astype(small)[index]


def _table_pairs(
    pairs: pd.DataFrame, demand: pd.Series, supply: pd.Series, problems: list[str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A long table's pairs as positions in ``demand`` and ``supply``, checked."""
    missing = [c for c in ("area", "site", "minutes") if c not in pairs.columns]
    if missing:
        msg = (
            f"the travel table has no column {missing} (it has {list(pairs.columns)}): it needs "
            "area, site, minutes — one row per (area, site) pair"
        )
        raise InputError(msg)
    minutes = pairs["minutes"].to_numpy(dtype=float)
    bad = ~np.isfinite(minutes) | (minutes < 0)
    if bad.any():
        rows = pairs.loc[bad, ["area", "site"]].astype(str).agg("→".join, axis=1)
        problems.append(
            f"travel table: {int(bad.sum())} pair(s) with minutes missing, infinite or negative "
            f"({format_ids(rows)}) — leave unreachable pairs out of the table"
        )
    if problems:
        raise InputError(problems, header=f"{len(problems)} problem(s) in the access inputs")
    area = _positions(pairs["area"], demand.index)
    site = _positions(pairs["site"], supply.index)
    _check_direction(pd.Index(pairs["area"]), pd.Index(pairs["site"]), area, site, demand, supply)
    key = np.sort(area.astype(np.int64) * len(supply.index) + site)
    if (key[1:] == key[:-1]).any():
        raise InputError(
            "travel table: an (area, site) pair appears more than once — keep one row per pair "
            "(the shortest trip)"
        )
    return area, site, minutes


def _positions(values: pd.Series, index: pd.Index) -> np.ndarray:
    """The position in ``index`` of each value (-1: not there); a categorical column is looked up
    by its categories, once each."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        found = index.get_indexer(values.cat.categories)
        codes = values.cat.codes.to_numpy()
        return np.where(codes >= 0, found[codes], -1)
    return index.get_indexer(pd.Index(values))


def _value_problems(values: pd.Series, what: str, ids: str) -> list[str]:
    problems = []
    if not values.index.is_unique:
        repeated = values.index[values.index.duplicated()].unique()
        problems.append(f"{what}: {ids} ids repeated ({format_ids(repeated)}) — one value per id")
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(numbers) | (numbers < 0)
    if bad.any():
        problems.append(
            f"{what}: missing, infinite or negative for {ids} ids {format_ids(values.index[bad])}"
            " — give a count >= 0 for every one"
        )
    return problems


def _check_direction(
    area_values: pd.Index,
    site_values: pd.Index,
    area: np.ndarray,
    site: np.ndarray,
    demand: pd.Series,
    supply: pd.Series,
) -> None:
    """Every area of the table is a demand id and every site a supply id (``area``/``site``: the
    positions found, -1 for none); a table from sites to areas (pysal/access #18) is named as
    such."""
    if (area >= 0).all() and (site >= 0).all():
        return
    unknown_areas = area_values[area < 0].unique()
    unknown_sites = site_values[site < 0].unique()
    swapped = (unknown_areas.isin(supply.index).mean() > 0.5 if len(unknown_areas) else True) and (
        unknown_sites.isin(demand.index).mean() > 0.5 if len(unknown_sites) else True
    )
    if swapped:
        msg = (
            "the travel table runs the wrong way: its area column holds site ids "
            f"({format_ids(unknown_areas, 5)}) and its site column area ids "
            f"({format_ids(unknown_sites, 5)}) — give the table from areas (origins, the "
            "demand's index) to sites (destinations, the supply's index), or swap its columns"
        )
        raise InputError(msg)
    problems = []
    if len(unknown_areas):
        problems.append(
            f"travel table: area ids not in the demand's index: {format_ids(unknown_areas)} — "
            "the demand needs a value (0 is fine) for every area of the table"
        )
    if len(unknown_sites):
        problems.append(
            f"travel table: site ids not in the supply's index: {format_ids(unknown_sites)} — "
            "the supply needs a value (0 is fine) for every site of the table"
        )
    raise InputError(problems, header=f"{len(problems)} problem(s) in the access inputs")
