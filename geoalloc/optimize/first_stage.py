"""The first stage of a plan: the decisions taken before the future is known.

A plan's *first stage* is which sites are open and how many units are added at each: what a
hospital network builds, staffs and commits to. Assignments (who goes where) follow from it and
change with each day's demand. A robust plan shares one first stage over many draws; a re-plan
(:mod:`geoalloc.optimize.replan`) starts from the first stage in force and changes as little of it
as it can.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from geoalloc._errors import InputError
from geoalloc._validate import format_ids
from geoalloc.optimize._prepare import sorted_ids
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
