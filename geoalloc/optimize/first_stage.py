"""The first stage of a plan: the decisions taken before the future is known.

A plan's *first stage* is which sites are open and how many units are added at each: what a
hospital network builds, staffs and commits to. Assignments (who goes where) follow from it and
change with each day's demand. A robust plan shares one first stage over many draws; a re-plan
(:mod:`geoalloc.optimize.replan`) starts from the first stage in force and changes as little of it
as it can.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from geoalloc._errors import InputError
from geoalloc._validate import format_ids
from geoalloc.optimize._prepare import Indexed, may_close, sorted_ids
from geoalloc.optimize.options import OptimizeOptions
from geoalloc.optimize.problem import Allocation, AllocationProblem


@dataclass(frozen=True)
class FirstStage:
    """The decisions taken before the future is known: which sites are open, units added.

    Attributes
    ----------
    opened
        Index: site id (sorted as :func:`~geoalloc.optimize._prepare.prepare` sorts them).
        True for a site open in the plan.
    added
        Index: site id (the same order). Columns: resources. Units added at each site (≥ 0; 0
        for a resource without expansion).
    """

    opened: pd.Series
    added: pd.DataFrame


def first_stage_of(allocation: Allocation, problem: AllocationProblem) -> FirstStage:
    """The first stage of a solved plan: sites open and units added, as a :class:`FirstStage`.

    Parameters
    ----------
    allocation
        A plan of ``problem`` (e.g. from :func:`~geoalloc.optimize.solve`): its ``sites`` table's
        ``open`` column and, where the model expands a resource ``r``, ``r_added``.
    problem
        The problem the plan was solved for: its sites (sorted) and resources.

    Returns
    -------
    FirstStage

    Raises
    ------
    InputError
        The plan has no ``open`` column, or does not list every site of ``problem``.
    """
    sites = sorted_ids(problem.capacity.index)
    table = allocation.sites
    if "open" not in table.columns:
        msg = "the plan's sites table has no 'open' column: give a plan from geoalloc's solve"
        raise InputError(msg)
    missing = sites.difference(table.index)
    if len(missing):
        msg = (
            f"the plan does not list site(s) {format_ids(missing)} of the problem — give the "
            "plan solved for this problem"
        )
        raise InputError(msg)
    opened = table["open"].reindex(sites).astype(bool)
    added = pd.DataFrame(0.0, index=sites, columns=problem.resources)
    for r in problem.resources:
        column = f"{r}_added"
        if column in table.columns:
            units = pd.to_numeric(table[column], errors="coerce").reindex(sites).fillna(0.0)
            added[r] = units + 0.0  # no -0.0
    opened.index.name = added.index.name = "site"
    return FirstStage(opened=opened, added=added)


def plan_arrays(
    ix: Indexed,
    plan: FirstStage,
    options: OptimizeOptions,
    *,
    absent: Literal["refuse", "closed"] = "refuse",
    tol: float = 0.0,
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """``plan`` as arrays over ``ix``'s sites and resources, refusing what the model cannot take.

    Parameters
    ----------
    ix
        The prepared problem: its sites and resources give the arrays' order.
    plan
        The first stage to lay out.
    options
        The model's options: ``cost_per_unit`` says which resources may be added,
        ``allow_closing`` / ``p`` whether an existing site may be closed.
    absent
        ``"refuse"``: the plan must list exactly the problem's sites (a plan to evaluate).
        ``"closed"``: the plan in force of a re-plan; a site of the problem it does not list
        counts as closed in it (an existing site the model keeps open as open), a closed site
        of the plan the problem no longer has is ignored, and only an *open* one is refused.
    tol
        Units added within ``tol`` of 0 count as none (a negative value beyond it is refused).

    Returns
    -------
    opened, added, notes
        opened (m,) bool; added (m, R) units ≥ 0 (0 for a resource the plan does not list);
        notes on what was assumed (sites counted closed, sites ignored).

    Raises
    ------
    InputError
        Sites or resources of the plan the problem does not have, sites the plan does not
        list (``absent="refuse"``), negative or infinite units, units added at a closed site
        or of a resource ``cost_per_unit`` does not make expandable. Every problem is named at
        once, with the sites involved.
    """
    whose = "the plan in force" if absent == "closed" else "the plan"
    header = f"{whose} does not fit the problem"
    problems: list[str] = []
    notes: list[str] = []
    listed_open = plan.opened.astype(bool)
    gone = listed_open.index.difference(ix.sites)
    if absent == "closed":
        gone_open = [s for s in gone if bool(listed_open[s])]
        gone_closed = [s for s in gone if not bool(listed_open[s])]
        if gone_open:
            problems.append(
                f"site(s) {format_ids(gone_open)} open in the plan in force are not among the "
                "problem's sites (e.g. the new facilities removed them) — keep them in the "
                "facilities with capacity 0 (out of service: the re-plan closes them, each "
                "closure a change), or drop them from the plan in force (current.opened / "
                "current.added) to re-plan without them (with [optimize] p, lower p to match)"
            )
        if gone_closed:
            notes.append(
                f"site(s) {format_ids(gone_closed)} closed in the plan in force are not among "
                "the problem's sites: ignored"
            )
    else:
        if len(gone):
            problems.append(
                f"site(s) {format_ids(gone)} of the plan are not in the problem — evaluate the "
                "plan on a problem with the same sites (a site out of service is open in the plan)"
            )
        unknown = ix.sites.difference(listed_open.index)
        if len(unknown):
            problems.append(
                f"the plan does not say whether site(s) {format_ids(unknown)} of the problem are "
                "open — give a plan over the same sites"
            )
    other = [r for r in plan.added.columns if r not in ix.resources]
    if other:
        fix = " — drop those columns from current.added" if absent == "closed" else ""
        problems.append(
            f"{whose} adds resource(s) {other} that the problem does not plan "
            f"(planned: {ix.resources}){fix}"
        )
    if problems:
        raise InputError(problems, header=header)

    opened = listed_open.reindex(ix.sites, fill_value=False).to_numpy(dtype=bool).copy()
    new_sites = ix.sites[~ix.sites.isin(listed_open.index)]
    if len(new_sites):  # only with absent="closed": refused above otherwise
        opened[~ix.sites.isin(listed_open.index) & ix.existing & (not may_close(options))] = True
        notes.append(
            f"site(s) {format_ids(new_sites)} are not in the plan in force: counted as closed in "
            "it (existing sites the model keeps open as open)"
        )
    added = (
        plan.added.drop(index=plan.added.index.difference(ix.sites), columns=other)
        .reindex(index=ix.sites, columns=ix.resources)
        .apply(pd.to_numeric, errors="coerce")
        .fillna(0.0)
        .to_numpy(dtype=float)
    )
    bad = ~np.isfinite(added) | (added < -tol)
    if bad.any():
        problems.append(
            f"negative or infinite units added at site(s) {format_ids(ix.sites[bad.any(axis=1)])}"
        )
    added = np.where(bad, 0.0, np.maximum(added, 0.0))
    closed = ~opened & (added > tol).any(axis=1)
    if closed.any():
        problems.append(f"units added at closed site(s) {format_ids(ix.sites[closed])} of {whose}")
    for k, r in enumerate(ix.resources):
        if r not in options.cost_per_unit and (added[:, k] > tol).any():
            problems.append(
                f"units of {r} added at site(s) {format_ids(ix.sites[added[:, k] > tol])}, but "
                f"[optimize] cost_per_unit does not make {r} expandable — add it there"
            )
    if problems:
        raise InputError(problems, header=header)
    return opened, added, notes
