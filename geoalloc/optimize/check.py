"""The independent checker: recompute every constraint and the objective from the solution alone.

It reads only the problem's tables (pandas, by id — not the solver's arrays or the model's
matrix), the options and the :class:`Allocation`'s tables, so a bug in a model builder or a
solver that returns a wrong "optimal" answer shows up here. A violated constraint raises
:class:`CheckError`; it is never returned as a result.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geoalloc._errors import GeoallocError
from geoalloc._validate import format_ids
from geoalloc.optimize.options import OptimizeOptions
from geoalloc.optimize.problem import Allocation, AllocationProblem

ABS_TOL = 1e-6
REL_TOL = 1e-6


class CheckError(GeoallocError, RuntimeError):
    """A solution violates a constraint or misstates its objective (an internal error: exit 1)."""

    exit_code = 1

    def __init__(self, violations: list[str]) -> None:
        self.violations = violations
        super().__init__(
            "the solution failed the independent check (please report this):\n"
            + "\n".join(f"- {v}" for v in violations)
        )


def _tol(scale: float) -> float:
    return ABS_TOL + REL_TOL * abs(scale)


def check_allocation(
    problem: AllocationProblem, options: OptimizeOptions, allocation: Allocation
) -> dict:
    """Check ``allocation`` against ``problem`` and ``options``; return the recomputed figures.

    Raises
    ------
    CheckError
        Listing every violation found.
    """
    bad: list[str] = []
    model = allocation.model
    resources = list(problem.demand.columns)
    demand = problem.demand.astype(float)
    sites = allocation.sites
    asg = allocation.assignments
    unmet = allocation.unmet.reindex(index=demand.index, columns=resources)

    # --- ids and pairs ---------------------------------------------------------------------------
    if not set(sites.index) == set(problem.capacity.index):
        bad.append("the site table does not list exactly the problem's sites")
    if unmet.isna().any().any():
        bad.append("the unmet table misses areas or resources")
    od = problem.od.set_index(["area", "site"])["minutes"]
    od = od[~od.index.duplicated()]
    if len(asg):
        keys = pd.MultiIndex.from_arrays([asg["area"], asg["site"]])
        known = keys.isin(od.index)
        if not known.all():
            bad.append(
                f"{int((~known).sum())} assignment(s) use (area, site) pairs not in the OD table"
            )
        else:
            true_minutes = od.reindex(keys).to_numpy()
            off = np.abs(true_minutes - asg["minutes"].to_numpy()) > 1e-6
            if off.any():
                bad.append(
                    f"{int(off.sum())} assignment(s) state minutes that differ from the OD table"
                )
        if (asg["quantity"] < -ABS_TOL).any():
            bad.append("negative assigned quantities")
        unknown_r = set(asg["resource"]) - set(resources)
        if unknown_r:
            bad.append(f"assignments of unknown resources {sorted(unknown_r)}")
        closed = ~sites["open"].reindex(asg["site"]).fillna(False).to_numpy(dtype=bool)
        if (closed & (asg["quantity"].to_numpy() > ABS_TOL)).any():
            bad.append(
                f"demand assigned to closed sites {format_ids(sorted(set(asg['site'][closed])))}"
            )
        if options.max_minutes is not None:
            beyond = asg["minutes"] > options.max_minutes + 1e-9
            if beyond.any():
                bad.append(
                    f"{int(beyond.sum())} assignment(s) beyond the travel standard of "
                    f"{options.max_minutes:g} minutes"
                )

    # --- allocated + unmet = demand ----------------------------------------------------------
    served = (
        asg.groupby(["area", "resource"])["quantity"]
        .sum()
        .unstack("resource")
        .reindex(index=demand.index, columns=resources)
        .fillna(0.0)
        if len(asg)
        else pd.DataFrame(0.0, index=demand.index, columns=resources)
    )
    if (unmet < -ABS_TOL).any().any():
        bad.append("negative unmet demand")
    diff = (served + unmet.fillna(0.0) - demand).abs()
    scale = demand.abs().to_numpy() * REL_TOL + ABS_TOL
    wrong = (diff.to_numpy() > scale).any(axis=1)
    if wrong.any():
        bad.append(f"allocated + unmet ≠ demand for areas {format_ids(demand.index[wrong])}")

    # --- single site per area where the model says so --------------------------------------------
    if len(asg) and (model != "capacitated" or options.single_source):
        n_sites = asg.groupby("area")["site"].nunique()
        split = n_sites.index[n_sites > 1]
        if len(split):
            bad.append(
                "areas split across sites although the model assigns whole areas: "
                f"{format_ids(split)}"
            )

    # --- capacity, expansions, costs (capacitated) ---------------------------------------------
    opened = sites["open"].astype(bool)
    n_open = int(opened.sum())
    figures: dict[str, float | None] = {"open_sites": n_open}
    costs_total = 0.0
    if model == "capacitated":
        cap = problem.capacity.reindex(sites.index).astype(float)
        existing = problem.existing.reindex(sites.index).astype(bool)
        if not options.allow_closing and options.p is None and (existing & ~opened).any():
            bad.append(
                "existing sites closed although allow_closing is false: "
                f"{format_ids(sites.index[existing & ~opened])}"
            )
        invest = 0.0
        for r in resources:
            after = sites[f"{r}_after"].astype(float)
            load = (
                asg[asg["resource"] == r]
                .groupby("site")["quantity"]
                .sum()
                .reindex(sites.index)
                .fillna(0.0)
            )
            over = load > after + after.abs() * REL_TOL + ABS_TOL
            if over.any():
                bad.append(f"{r}: load above capacity at sites {format_ids(sites.index[over])}")
            if (after[~opened] > ABS_TOL).any():
                bad.append(f"{r}: closed sites keep capacity")
            added = (after - cap.where(opened, 0.0)[r]).where(opened, 0.0)
            if (added < -ABS_TOL).any():
                bad.append(f"{r}: capacity after the plan is below the site's capacity")
            if r not in options.cost_per_unit and (added.abs() > ABS_TOL).any():
                bad.append(f"{r}: expanded although it has no cost_per_unit")
            if r in options.cost_per_unit:
                size = float(options.module_size.get(r, 1.0))
                if not options.continuous_expansion:
                    modules = added / size
                    if (np.abs(modules - np.round(modules)) > 1e-6).any():
                        bad.append(f"{r}: expansion not in whole modules of {size:g}")
                if problem.max_size is not None and r in problem.max_size.columns:
                    ms = problem.max_size[r].reindex(sites.index)
                    above = ms.notna() & (after > ms + ABS_TOL) & (added > ABS_TOL)
                    if above.any():
                        bad.append(
                            f"{r}: capacity above the maximum size at "
                            f"{format_ids(sites.index[above])}"
                        )
                if r in options.max_added and (added > options.max_added[r] + ABS_TOL).any():
                    bad.append(f"{r}: more than max_added units at one site")
                spent_r = float(options.cost_per_unit[r] * added.sum())
                figures[f"expansion_{r}"] = spent_r
                invest += spent_r
                if (
                    r in options.resource_budgets
                    and spent_r > _tol(options.resource_budgets[r]) + options.resource_budgets[r]
                ):
                    bad.append(
                        f"{r}: expansion cost {spent_r:.6g} above its budget "
                        f"{options.resource_budgets[r]:.6g}"
                    )
        opening = (
            problem.opening_cost.reindex(sites.index).astype(float)
            if problem.opening_cost is not None
            else pd.Series(0.0, index=sites.index)
        )
        operating = (
            problem.operating_cost.reindex(sites.index).astype(float)
            if problem.operating_cost is not None
            else pd.Series(0.0, index=sites.index)
        )
        open_cost = float(opening[opened & ~existing].sum())
        invest += open_cost
        if options.budget is not None and invest > options.budget + _tol(options.budget):
            bad.append(f"investment {invest:.6g} above the budget {options.budget:.6g}")
        figures["investment"] = invest
        costs_total = invest + float(operating[opened & existing].sum())
        for c in options.couplings:
            a = sites[f"{c.resource}_after"]
            b = sites[f"{c.per}_after"]
            if c.max_ratio is not None and (a > c.max_ratio * b + _tol(1.0) + REL_TOL * b).any():
                bad.append(f"coupling {c.resource} ≤ {c.max_ratio:g} × {c.per} violated")
            if c.min_ratio is not None and (a < c.min_ratio * b - _tol(1.0) - REL_TOL * b).any():
                bad.append(f"coupling {c.resource} ≥ {c.min_ratio:g} × {c.per} violated")
        if options.p is not None and n_open != options.p:
            bad.append(f"{n_open} sites open, p = {options.p}")
    else:
        existing = problem.existing.reindex(sites.index).astype(bool)
        if options.existing == "keep" and (existing & ~opened).any():
            bad.append(
                "existing sites closed although existing = 'keep': "
                f"{format_ids(sites.index[existing & ~opened])}"
            )
        kept = int(existing.sum()) if options.existing == "keep" else 0
        target = options.sites_in_all(kept)
        if (
            model in ("p-median", "mclp")
            and target is not None
            and n_open != min(target, len(sites))
        ):
            bad.append(f"{n_open} sites open, p = {target}")
        elif model == "p-center" and target is not None and n_open > target:
            bad.append(f"{n_open} sites open, more than p = {target}")

    # --- coverage (lscp: every reachable area served) -------------------------------------------
    reachable = pd.Index(problem.od["area"].unique())
    if options.max_minutes is not None:
        reachable = pd.Index(
            problem.od.loc[problem.od["minutes"] <= options.max_minutes, "area"].unique()
        )
    if model == "lscp":
        missed = reachable.difference(pd.Index(asg["area"].unique()) if len(asg) else pd.Index([]))
        if len(missed):
            bad.append(f"LSCP leaves reachable areas uncovered: {format_ids(missed)}")

    # --- equity floor ----------------------------------------------------------------------------
    if (
        options.coverage_floor is not None
        and problem.groups is not None
        and model in ("capacitated", "mclp")
    ):
        g = problem.groups.reindex(demand.index)
        if model == "capacitated":
            wgt = demand.sum(axis=1)
            srv = served.sum(axis=1)
        else:
            wgt = _weights(problem, options)
            srv = wgt.where(demand.index.isin(asg["area"]), 0.0) if len(asg) else wgt * 0.0
        share = srv.groupby(g).sum() / wgt.groupby(g).sum()
        low = share.index[share < options.coverage_floor - 1e-6]
        if len(low):
            bad.append(
                f"coverage floor {options.coverage_floor:.1%} missed for groups {format_ids(low)}"
            )

    # --- objective -------------------------------------------------------------------------------
    bad += _check_levels(problem, options, allocation, unmet.fillna(0.0), costs_total)
    objective = _objective(problem, options, allocation, served, unmet, costs_total)
    figures["objective"] = objective
    if (
        objective is not None
        and abs(objective - allocation.objective) > 1e-5 * max(1.0, abs(objective)) + 1e-6
    ):
        bad.append(
            f"stated objective {allocation.objective:.10g} but the solution's is {objective:.10g}"
        )
    if (
        allocation.bound is not None
        and allocation.status == "optimal"
        and allocation.gap is not None
        and allocation.gap > options.mip_gap + 1e-6
    ):
        bad.append(
            f"status optimal with gap {allocation.gap:.3g} above mip_gap {options.mip_gap:g}"
        )
    if bad:
        raise CheckError(bad)
    return figures


def _weights(problem: AllocationProblem, options: OptimizeOptions) -> pd.Series:
    if options.weight == "population":
        return problem.population.reindex(problem.demand.index).astype(float)
    return problem.demand.iloc[:, 0].astype(float)


def _objective(problem, options, allocation, served, unmet, costs_total) -> float | None:
    asg = allocation.assignments
    model = allocation.model
    if model == "lscp":
        return float(allocation.sites["open"].sum())
    first = problem.demand.columns[0]
    per_area = (
        asg[asg["resource"] == first].drop_duplicates("area").set_index("area")["minutes"]
        if len(asg)
        else pd.Series(dtype=float)
    )
    if model == "mclp":
        w = _weights(problem, options)
        covered = float(w[w.index.isin(per_area.index)].sum())
        if options.backup_weight > 0:
            od = problem.od
            if options.max_minutes is not None:
                od = od[od["minutes"] <= options.max_minutes]
            open_ids = allocation.sites.index[allocation.sites["open"].astype(bool)]
            in_reach = od[od["site"].isin(open_ids)].groupby("area").size()
            twice = in_reach.index[in_reach >= 2]
            covered += options.backup_weight * float(w[w.index.isin(twice)].sum())
        return covered
    if model == "p-center":
        return float(per_area.max()) if len(per_area) else 0.0
    if model == "p-median":
        w = _weights(problem, options)
        minutes = per_area.reindex(w.index)
        return float((w * minutes.fillna(options.unmet_penalty_minutes)).sum())
    if model == "capacitated":
        levels = capacitated_levels(problem, options, allocation, unmet, costs_total)
        if options.objective == "lexicographic":
            return levels["travel"]
        return (
            options.minutes_weight * levels["minutes"]
            + options.unmet_penalty_minutes * levels["weighted_unmet"]
            + options.cost_weight * costs_total
            + options.minimax_weight * levels["worst_area_minutes"]
        )
    return None


def capacitated_levels(
    problem: AllocationProblem,
    options: OptimizeOptions,
    allocation: Allocation,
    unmet: pd.DataFrame,
    costs_total: float,
) -> dict[str, float]:
    """The capacitated plan's goals recomputed from its tables: ``unmet`` (units), ``weighted_unmet``
    (units × priority), ``cost``, ``new_sites``, ``minutes`` (demand-weighted),
    ``worst_area_minutes`` (0 without ``minimax_weight``) and ``travel`` (the lexicographic last
    goal: minutes + minimax_weight × worst area + unmet_penalty_minutes × weighted unmet when
    there are priority weights)."""
    asg = allocation.assignments
    minutes = float((asg["quantity"] * asg["minutes"]).sum()) if len(asg) else 0.0
    unmet_by_area = unmet.sum(axis=1)
    weighted_by_area = unmet_by_area
    if problem.priority is not None:
        weighted_by_area = unmet_by_area * problem.priority.reindex(unmet_by_area.index)
    worst = 0.0
    if options.minimax_weight > 0 and len(asg):
        qt = (asg["quantity"] * asg["minutes"]).groupby([asg["area"], asg["resource"]]).sum()
        d = problem.demand.stack()
        d.index.names = ["area", "resource"]
        mean = qt / d.reindex(qt.index).to_numpy()
        worst = float(mean.max())
    sites = allocation.sites
    existing = problem.existing.reindex(sites.index).astype(bool)
    new_sites = float((sites["open"].astype(bool) & ~existing).sum())
    travel = minutes + options.minimax_weight * worst
    if problem.priority is not None:
        travel += options.unmet_penalty_minutes * float(weighted_by_area.sum())
    return {
        "unmet": float(unmet_by_area.sum()),
        "weighted_unmet": float(weighted_by_area.sum()),
        "cost": costs_total,
        "new_sites": new_sites,
        "minutes": minutes,
        "worst_area_minutes": worst,
        "travel": travel,
    }


def _check_levels(
    problem: AllocationProblem,
    options: OptimizeOptions,
    allocation: Allocation,
    unmet: pd.DataFrame,
    costs_total: float,
) -> list[str]:
    """Each lexicographic level's stated value against the one the tables give."""
    detail = allocation.objective_detail or {}
    if allocation.model != "capacitated" or detail.get("kind") != "lexicographic":
        return []
    truth = capacitated_levels(problem, options, allocation, unmet, costs_total)
    bad = []
    for level in detail.get("levels", []):
        stated, true = float(level["value"]), truth[level["key"]]
        if abs(stated - true) > 1e-5 * max(1.0, abs(true)) + 1e-6:
            bad.append(
                f"level {level['key']}: stated {stated:.10g} but the solution's is {true:.10g}"
            )
    return bad
