"""Check an :class:`AllocationProblem` and turn it into positional numpy arrays (ids sorted)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from geoalloc._errors import InputError
from geoalloc._validate import Problems, format_ids
from geoalloc.optimize.options import OptimizeOptions
from geoalloc.optimize.problem import AllocationProblem


@dataclass(frozen=True)
class Indexed:
    """The problem as arrays. Areas and sites are sorted by id; pairs sorted by (area, site).

    ``pair_area``/``pair_site`` are positions into ``areas``/``sites``; ``minutes`` per pair.
    ``demand`` is (n, R), ``capacity`` (m, R).
    """

    areas: pd.Index
    sites: pd.Index
    resources: list[str]
    pair_area: np.ndarray
    pair_site: np.ndarray
    minutes: np.ndarray
    demand: np.ndarray
    population: np.ndarray
    capacity: np.ndarray
    existing: np.ndarray
    priority: np.ndarray | None = None  # (n,) weight on each area's unmet penalty; None = all 1

    @property
    def n(self) -> int:
        return len(self.areas)

    @property
    def m(self) -> int:
        return len(self.sites)

    def weights(self, options: OptimizeOptions) -> np.ndarray:
        """Area weights of the classic models: first resource's demand, or population."""
        if options.weight == "population":
            return self.population
        return self.demand[:, 0]


def sorted_ids(index: pd.Index) -> pd.Index:
    """``index`` sorted, by text where its ids do not compare (the order of every model)."""
    try:
        return index.sort_values()
    except TypeError:
        return pd.Index(sorted(index, key=str))


def prepare(problem: AllocationProblem, *, max_minutes: float | None = None) -> Indexed:
    """Validate ``problem`` (collect every issue, raise once) and index it.

    Pairs beyond ``max_minutes`` (when given) are dropped here: nothing is ever assigned beyond the
    travel standard.
    """
    problems = Problems()
    demand = problem.demand
    if demand.index.has_duplicates:
        problems.add(
            "demand",
            "duplicate area ids",
            "make area ids unique",
            ids=demand.index[demand.index.duplicated()],
        )
    cap = problem.capacity
    if cap.index.has_duplicates:
        problems.add(
            "capacity",
            "duplicate site ids",
            "make site ids unique",
            ids=cap.index[cap.index.duplicated()],
        )
    resources = list(demand.columns)
    missing = [r for r in resources if r not in cap.columns]
    if missing:
        problems.add(
            "capacity",
            f"no capacity column for resource(s) {missing}",
            "add one column per resource",
        )
    for r in resources:
        col = pd.to_numeric(demand[r], errors="coerce")
        bad = demand.index[~(col >= 0)]
        if len(bad):
            problems.add(
                "demand",
                f"column {r!r} has negative, missing or non-numeric values",
                "fix them",
                ids=bad,
            )
        if r in cap.columns:
            col = pd.to_numeric(cap[r], errors="coerce")
            bad = cap.index[~(col >= 0)]
            if len(bad):
                problems.add(
                    "capacity", f"column {r!r} has negative or missing values", "fix them", ids=bad
                )
    od = problem.od
    for col in ("area", "site", "minutes"):
        if col not in od.columns:
            problems.add(
                "od", f"no column {col!r}", "the OD table needs columns area, site, minutes"
            )
    problems.raise_if_any("the optimisation problem is invalid")

    areas = sorted_ids(demand.index)
    sites = sorted_ids(cap.index)
    a = areas.get_indexer(od["area"])
    s = sites.get_indexer(od["site"])
    t = pd.to_numeric(od["minutes"], errors="coerce").to_numpy(dtype=float)
    if (a < 0).any():
        problems.add(
            "od",
            "area ids not in the demand table",
            "drop them or add the areas",
            ids=od["area"][a < 0].unique(),
        )
    if (s < 0).any():
        problems.add(
            "od",
            "site ids not in the facilities",
            "drop them or add the sites",
            ids=od["site"][s < 0].unique(),
        )
    bad_t = ~(t >= 0) | ~np.isfinite(t)
    if bad_t.any():
        problems.add(
            "od",
            "negative, missing or infinite minutes",
            "fix the travel matrix",
            ids=od.index[bad_t],
        )
    pair_key = pd.MultiIndex.from_arrays([od["area"], od["site"]])
    if pair_key.has_duplicates:
        problems.add(
            "od",
            "duplicate (area, site) pairs",
            "keep one row per pair",
            ids=pair_key[pair_key.duplicated()],
        )
    pop = problem.population.reindex(areas)
    if pop.isna().any() or (pop < 0).any():
        problems.add(
            "population",
            "missing or negative population",
            "give every area a population ≥ 0",
            ids=pop.index[pop.isna() | (pop < 0)],
        )
    existing = problem.existing.reindex(sites)
    if existing.isna().any():
        problems.add(
            "existing",
            "sites without an existing flag",
            "set existing true/false",
            ids=existing.index[existing.isna()],
        )
    priority = None
    if problem.priority is not None:
        weights = pd.to_numeric(problem.priority.reindex(areas), errors="coerce")
        bad = weights.index[~(weights >= 0) | ~np.isfinite(weights)]
        if len(bad):
            problems.add(
                "priority",
                "missing, negative or infinite priority weights",
                "give every area a weight ≥ 0",
                ids=bad,
            )
        priority = weights.to_numpy(dtype=float)
    problems.raise_if_any("the optimisation problem is invalid")

    keep = np.ones(len(t), dtype=bool) if max_minutes is None else t <= max_minutes
    a, s, t = a[keep], s[keep], t[keep]
    order = np.lexsort((s, a))
    return Indexed(
        areas=areas,
        sites=sites,
        resources=resources,
        pair_area=a[order].astype(np.int64),
        pair_site=s[order].astype(np.int64),
        minutes=t[order],
        demand=demand.loc[areas, resources].to_numpy(dtype=float),
        population=pop.to_numpy(dtype=float),
        capacity=cap.loc[sites, resources].to_numpy(dtype=float),
        existing=existing.astype(bool).to_numpy(),
        priority=priority,
    )


def may_close(options: OptimizeOptions) -> bool:
    """Existing sites may close with ``allow_closing``, or when ``p`` says how many stay open."""
    return options.allow_closing or options.p is not None


def site_values(ix: Indexed, series: pd.Series | None, what: str) -> np.ndarray:
    """A cost per site of ``ix`` (0 where ``series`` is None); missing or negative: InputError."""
    if series is None:
        return np.zeros(ix.m)
    s = pd.to_numeric(series.reindex(ix.sites), errors="coerce")
    if s.isna().any() or (s < 0).any():
        bad = s.index[s.isna() | (s < 0)]
        msg = (
            f"{what}: missing or negative values for sites {format_ids(bad)} — give each a cost ≥ 0"
        )
        raise InputError(msg)
    return s.to_numpy(dtype=float)
