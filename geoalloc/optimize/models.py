"""The classic location models as objects built from your own cost matrix (spopt's shape).

Each class binds a model to its data; :meth:`LocationModel.solve` runs it on the solver you name
and returns the same frozen :class:`~geoalloc.optimize.Allocation` as
:func:`geoalloc.optimize.solve` (it *is* that function, on the problem the constructor built):

>>> import numpy as np
>>> from geoalloc.optimize import PMedian
>>> minutes = np.array([[2.0, 9.0, 15.0], [9.0, 3.0, 7.0], [14.0, 6.0, 4.0]])
>>> plan = PMedian.from_cost_matrix(minutes, weights=[10, 20, 30], p=1).solve(solver="highs")
>>> plan.objective, plan.sites.index[plan.sites["open"]].tolist()
(330.0, [1])

The names follow :mod:`spopt.locate` (``LSCP``, ``MCLP``, ``PMedian``, ``PCenter`` and
``from_cost_matrix``); spopt's ``service_radius`` and ``p_facilities`` are geoalloc's
``max_minutes`` and ``p``, as in a scenario's ``[optimize]`` section.

The cost matrix is areas × sites of travel minutes: a 2-D numpy array (area and site ids are then
the row and column positions 0, 1, …) or a DataFrame indexed by area id with one column per site
id. NaN or ``inf`` marks a pair with no route. Weights (persons or demand per area) become the
plan's single resource, ``weight``: ``assignments["quantity"]`` and ``unmet["weight"]`` are in the
weights' units. Sites are uncapacitated candidates (capacity ``inf``, none open today).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, Self, TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import ValidationError

from geoalloc._errors import InputError
from geoalloc._validate import Problems
from geoalloc.optimize.options import ModelName, OptimizeOptions, SolverName
from geoalloc.optimize.problem import Allocation, AllocationProblem

#: The plan's one resource: the weights given to ``from_cost_matrix``.
RESOURCE = "weight"
#: p-median's default minutes charged per unit of weight of an area no open site reaches.
DEFAULT_UNMET_PENALTY_MINUTES = 1000.0

#: Travel minutes, areas × sites: a 2-D array, or a DataFrame (index area ids, columns site ids).
CostMatrix: TypeAlias = np.ndarray | pd.DataFrame
#: Weight per area: a sequence in the matrix's row order, or a Series indexed by area id.
Weights: TypeAlias = npt.ArrayLike | pd.Series


@dataclass(frozen=True)
class LocationModel:
    """A classic location model bound to its data: build it with ``from_cost_matrix``.

    Attributes
    ----------
    problem
        The tables the model runs on (areas, sites, the reachable pairs, weights).
    options
        The model's ``[optimize]`` settings (``model``, ``p``, ``max_minutes`` …); the solver
        settings are given to :meth:`solve`.
    """

    problem: AllocationProblem
    options: OptimizeOptions

    model: ClassVar[ModelName]

    def solve(
        self,
        solver: SolverName = "highs",
        *,
        mip_gap: float | None = None,
        time_limit_s: float | None = None,
        backend: Literal["arrays", "pulp"] | None = None,
        threads: int | None = None,
    ) -> Allocation:
        """Solve the model with ``solver`` and check the plan independently.

        Parameters
        ----------
        solver
            ``"highs"`` or ``"cbc"`` (see :func:`geoalloc.optimize.available_solvers`).
        mip_gap
            Relative gap at which the solver may stop (default 0.001; 0 for a proven optimum).
        time_limit_s
            Solver time limit, seconds (default 60).
        backend
            ``"arrays"`` (HiGHS fed from numpy, the default) or ``"pulp"`` (the only path for
            CBC, chosen for it automatically).
        threads
            Solver threads (default: the solver's choice).

        Returns
        -------
        Allocation
            Which sites open (``sites["open"]``), each area's site and minutes
            (``assignments``), the weight left unserved (``unmet``), and the solver's
            :class:`~geoalloc.optimize.SolveOutcome` (``status``, ``objective``, ``bound``,
            ``gap`` …).

        Raises
        ------
        InputError
            A setting out of range (exit code 3).
        SolverError
            The solver is not installed here, or found no solution in time (exit code 5).
        """
        from geoalloc.optimize.solving import solve

        settings: dict[str, Any] = {"solver": solver}
        for key, value in (
            ("mip_gap", mip_gap),
            ("time_limit_s", time_limit_s),
            ("backend", backend),
            ("threads", threads),
        ):
            if value is not None:
                settings[key] = value
        options = _options(self.options.model_dump() | settings, f"{type(self).__name__}.solve")
        return solve(self.problem, options)


class LSCP(LocationModel):
    """Location set covering (Toregas 1971): the fewest sites that put every area within
    ``max_minutes`` of one. Areas no site reaches in time are left out, with a note."""

    model = "lscp"

    @classmethod
    def from_cost_matrix(
        cls,
        cost_matrix: CostMatrix,
        max_minutes: float,
        *,
        weights: Weights | None = None,
    ) -> Self:
        """Bind the LSCP to a cost matrix (spopt: ``LSCP.from_cost_matrix(cost_matrix,
        service_radius)``).

        Parameters
        ----------
        cost_matrix
            Travel minutes, areas × sites: a 2-D array (ids are positions) or a DataFrame indexed
            by area id with a column per site id; NaN or ``inf`` where there is no route.
        max_minutes
            The travel standard, minutes (> 0): an area is covered by a site within it.
        weights
            Optional weight per area (persons, demand); it does not change which sites open,
            only the quantities in the plan's tables. Default 1 per area.

        Returns
        -------
        LSCP
            Call :meth:`~LocationModel.solve` for the plan; its objective is the number of sites.

        Examples
        --------
        >>> import numpy as np
        >>> minutes = np.array([[2.0, 9.0, 15.0], [9.0, 3.0, 7.0], [14.0, 6.0, 4.0]])
        >>> plan = LSCP.from_cost_matrix(minutes, max_minutes=6).solve()
        >>> plan.objective, plan.sites.index[plan.sites["open"]].tolist()
        (2.0, [0, 1])
        """
        problems = Problems()
        _check_minutes(problems, max_minutes, "max_minutes", required=True)
        problem = _problem(cost_matrix, weights, problems, where="LSCP.from_cost_matrix")
        return cls(problem, _options({"model": cls.model, "max_minutes": max_minutes}, cls))


class MCLP(LocationModel):
    """Maximal covering location (Church & ReVelle 1974): ``p`` sites covering the most weight
    within ``max_minutes``; areas left uncovered count as unmet."""

    model = "mclp"

    @classmethod
    def from_cost_matrix(
        cls,
        cost_matrix: CostMatrix,
        weights: Weights,
        max_minutes: float,
        p: int,
    ) -> Self:
        """Bind the MCLP to a cost matrix (spopt: ``MCLP.from_cost_matrix(cost_matrix, weights,
        service_radius, p_facilities)``).

        Parameters
        ----------
        cost_matrix
            Travel minutes, areas × sites: a 2-D array (ids are positions) or a DataFrame indexed
            by area id with a column per site id; NaN or ``inf`` where there is no route.
        weights
            Weight per area (persons, demand; ≥ 0): a sequence in row order, or a Series
            indexed by area id.
        max_minutes
            The travel standard, minutes (> 0): an area is covered by an open site within it.
        p
            Sites to open (1 … number of sites).

        Returns
        -------
        MCLP
            Call :meth:`~LocationModel.solve` for the plan; its objective is the weight covered.

        Examples
        --------
        >>> import numpy as np
        >>> minutes = np.array([[2.0, 9.0, 15.0], [9.0, 3.0, 7.0], [14.0, 6.0, 4.0]])
        >>> plan = MCLP.from_cost_matrix(minutes, [10, 20, 30], max_minutes=6, p=1).solve()
        >>> plan.objective, plan.unmet["weight"].tolist()
        (50.0, [10.0, 0.0, 0.0])
        """
        problems = Problems()
        _check_minutes(problems, max_minutes, "max_minutes", required=True)
        problem = _problem(cost_matrix, weights, problems, where="MCLP.from_cost_matrix", p=p)
        return cls(problem, _options({"model": cls.model, "max_minutes": max_minutes, "p": p}, cls))


class PMedian(LocationModel):
    """p-median (ReVelle & Swain 1970): ``p`` sites minimising the weighted minutes from each
    area to its nearest open site."""

    model = "p-median"

    @classmethod
    def from_cost_matrix(
        cls,
        cost_matrix: CostMatrix,
        weights: Weights,
        p: int,
        *,
        max_minutes: float | None = None,
        unmet_penalty_minutes: float | None = None,
    ) -> Self:
        """Bind the p-median to a cost matrix (spopt: ``PMedian.from_cost_matrix(cost_matrix,
        weights, p_facilities)``).

        Parameters
        ----------
        cost_matrix
            Travel minutes, areas × sites: a 2-D array (ids are positions) or a DataFrame indexed
            by area id with a column per site id; NaN or ``inf`` where there is no route.
        weights
            Weight per area (persons, demand; ≥ 0): a sequence in row order, or a Series
            indexed by area id.
        p
            Sites to open (1 … number of sites).
        max_minutes
            Optional travel standard, minutes: pairs beyond it are not used.
        unmet_penalty_minutes
            Minutes charged per unit of weight of an area that no open site reaches (and no pair
            dearer than this is used). Default 1000, or 10 × the longest trip in the matrix when
            that is longer, so that every reachable area is served.

        Returns
        -------
        PMedian
            Call :meth:`~LocationModel.solve` for the plan; its objective is in weight × minutes.

        Examples
        --------
        >>> import numpy as np
        >>> minutes = np.array([[2.0, 9.0, 15.0], [9.0, 3.0, 7.0], [14.0, 6.0, 4.0]])
        >>> plan = PMedian.from_cost_matrix(minutes, [10, 20, 30], p=2).solve()
        >>> plan.objective, plan.sites.index[plan.sites["open"]].tolist()
        (260.0, [0, 1])
        """
        where = "PMedian.from_cost_matrix"
        problems = Problems()
        _check_minutes(problems, max_minutes, "max_minutes", required=False)
        _check_minutes(problems, unmet_penalty_minutes, "unmet_penalty_minutes", required=False)
        problem = _problem(cost_matrix, weights, problems, where=where, p=p)
        if unmet_penalty_minutes is None:
            longest = float(problem.od["minutes"].max()) if len(problem.od) else 0.0
            unmet_penalty_minutes = max(DEFAULT_UNMET_PENALTY_MINUTES, 10.0 * longest)
        fields = {
            "model": cls.model,
            "p": p,
            "max_minutes": max_minutes,
            "unmet_penalty_minutes": unmet_penalty_minutes,
        }
        return cls(problem, _options(fields, cls))


class PCenter(LocationModel):
    """p-center: ``p`` sites minimising the longest trip of any area to its nearest open site
    (areas no site reaches are left out, with a note)."""

    model = "p-center"

    @classmethod
    def from_cost_matrix(
        cls,
        cost_matrix: CostMatrix,
        p: int,
        *,
        weights: Weights | None = None,
        max_minutes: float | None = None,
    ) -> Self:
        """Bind the p-center to a cost matrix (spopt: ``PCenter.from_cost_matrix(cost_matrix,
        p_facilities)``).

        Parameters
        ----------
        cost_matrix
            Travel minutes, areas × sites: a 2-D array (ids are positions) or a DataFrame indexed
            by area id with a column per site id; NaN or ``inf`` where there is no route.
        p
            Sites to open (1 … number of sites).
        weights
            Optional weight per area; it does not change which sites open, only the quantities
            in the plan's tables. Default 1 per area.
        max_minutes
            Optional travel standard, minutes: pairs beyond it are not used.

        Returns
        -------
        PCenter
            Call :meth:`~LocationModel.solve` for the plan; its objective is the longest trip,
            minutes.

        Examples
        --------
        >>> import numpy as np
        >>> minutes = np.array([[2.0, 9.0, 15.0], [9.0, 3.0, 7.0], [14.0, 6.0, 4.0]])
        >>> plan = PCenter.from_cost_matrix(minutes, p=2).solve()
        >>> plan.objective, plan.sites.index[plan.sites["open"]].tolist()
        (6.0, [0, 1])
        """
        problems = Problems()
        _check_minutes(problems, max_minutes, "max_minutes", required=False)
        problem = _problem(cost_matrix, weights, problems, where="PCenter.from_cost_matrix", p=p)
        return cls(problem, _options({"model": cls.model, "p": p, "max_minutes": max_minutes}, cls))


# ------------------------------------------------------------------------------------ helpers


def _check_minutes(problems: Problems, value: float | None, name: str, *, required: bool) -> None:
    """A positive, finite number of minutes (None only where the setting is optional)."""
    if value is None and not required:
        return
    try:
        ok = (
            value is not None and not isinstance(value, bool) and math.isfinite(value) and value > 0
        )
    except TypeError:  # not a number at all
        ok = False
    if not ok:
        problems.add(name, f"got {value!r}", "give a positive number of minutes")


def _problem(
    cost_matrix: CostMatrix,
    weights: Weights | None,
    problems: Problems,
    *,
    where: str,
    p: int | None = None,
) -> AllocationProblem:
    """The :class:`AllocationProblem` of a cost matrix; every problem found is raised at once."""
    minutes, areas, sites = _matrix(cost_matrix, problems)
    values = _weights(weights, areas, problems)
    if p is not None:
        if not isinstance(p, int | np.integer) or isinstance(p, bool) or p < 1:
            problems.add("p", f"got {p!r}", "give a whole number of sites to open, at least 1")
        elif minutes is not None and p > len(sites):
            problems.add(
                "p",
                f"p = {p} but the cost matrix has {len(sites)} site column(s)",
                f"open at most {len(sites)} sites, or add the sites to the matrix",
            )
    problems.raise_if_any(f"{where}: the cost matrix or its options are invalid")
    assert minutes is not None and values is not None  # raise_if_any stops otherwise
    reach = np.isfinite(minutes)
    rows, cols = np.nonzero(reach)
    od = pd.DataFrame({"area": areas[rows], "site": sites[cols], "minutes": minutes[rows, cols]})
    return AllocationProblem(
        demand=pd.DataFrame({RESOURCE: values}, index=areas),
        population=pd.Series(values, index=areas),
        capacity=pd.DataFrame({RESOURCE: np.inf}, index=sites),
        existing=pd.Series(False, index=sites),
        od=od,
    )


def _matrix(
    cost_matrix: CostMatrix, problems: Problems
) -> tuple[np.ndarray | None, pd.Index, pd.Index]:
    """Minutes as floats (``inf`` for no route) with the area and site ids; None if unusable."""
    if isinstance(cost_matrix, pd.DataFrame):
        areas = pd.Index(cost_matrix.index, name="area")
        sites = pd.Index(cost_matrix.columns, name="site")
        for ids, what in ((areas, "area ids (the index)"), (sites, "site ids (the columns)")):
            if ids.has_duplicates:
                problems.add(
                    "cost_matrix",
                    f"duplicate {what}",
                    "give every area and site one row or column",
                    ids=ids[ids.duplicated()].unique(),
                )
        raw: Any = cost_matrix.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
        text = cost_matrix.notna().to_numpy() & np.isnan(raw)
        if text.any():
            problems.add(
                "cost_matrix",
                f"{int(text.sum())} value(s) are not numbers",
                "give minutes as numbers (NaN or inf where there is no route)",
                ids=areas[text.any(axis=1)],
            )
    else:
        try:
            raw = np.asarray(cost_matrix, dtype=float)
        except (TypeError, ValueError):
            problems.add(
                "cost_matrix",
                "values are not numbers",
                "give minutes as numbers (NaN or inf where there is no route)",
            )
            return None, pd.Index([], name="area"), pd.Index([], name="site")
        if raw.ndim != 2:
            problems.add(
                "cost_matrix",
                f"has {raw.ndim} dimension(s), shape {raw.shape}",
                "give a 2-D array: one row per area, one column per site",
            )
            return None, pd.Index([], name="area"), pd.Index([], name="site")
        areas = pd.RangeIndex(raw.shape[0], name="area")
        sites = pd.RangeIndex(raw.shape[1], name="site")
    if raw.shape[0] == 0 or raw.shape[1] == 0:
        problems.add(
            "cost_matrix",
            f"is empty (shape {raw.shape})",
            "give at least one area (row) and one site (column)",
        )
        return None, areas, sites
    negative = raw < 0
    if negative.any():
        problems.add(
            "cost_matrix",
            f"{int(negative.sum())} negative minute value(s)",
            "travel minutes are ≥ 0 (NaN or inf where there is no route)",
            ids=areas[negative.any(axis=1)],
        )
    return np.where(np.isnan(raw), np.inf, raw), areas, sites


def _weights(weights: Weights | None, areas: pd.Index, problems: Problems) -> np.ndarray | None:
    """Weight per area in the matrix's row order (1 each when ``weights`` is None)."""
    if weights is None:
        return np.ones(len(areas))
    if isinstance(weights, pd.Series):
        missing = areas.difference(weights.index)
        if len(missing):
            problems.add(
                "weights",
                "no weight for some areas of the cost matrix",
                "index the weights by the cost matrix's area ids",
                ids=missing,
            )
            return None
        series = pd.to_numeric(weights.reindex(areas), errors="coerce")
        values = series.to_numpy(dtype=float)
    else:
        try:
            values = np.asarray(weights, dtype=float)
        except (TypeError, ValueError):
            problems.add("weights", "values are not numbers", "give one number ≥ 0 per area")
            return None
        if values.ndim != 1 or len(values) != len(areas):
            problems.add(
                "weights",
                f"shape {values.shape} does not match the cost matrix's {len(areas)} area row(s)",
                "give one weight per row of the cost matrix, in row order",
            )
            return None
    bad = ~(values >= 0) | ~np.isfinite(values)
    if bad.any():
        problems.add(
            "weights",
            "negative, missing or infinite weights",
            "give every area a weight ≥ 0",
            ids=areas[bad],
        )
    return values


def _options(fields: dict[str, Any], owner: type | str) -> OptimizeOptions:
    """``OptimizeOptions`` from ``fields``; an out-of-range value is an :class:`InputError`."""
    where = owner if isinstance(owner, str) else f"{owner.__name__}.from_cost_matrix"
    try:
        return OptimizeOptions.model_validate(fields)
    except ValidationError as exc:
        lines: Sequence[str] = [
            f"{'.'.join(str(part) for part in err['loc'])}: {err['msg']} (got {err['input']!r})"
            for err in exc.errors()
        ]
        raise InputError(lines, header=f"{where}: invalid settings") from None
