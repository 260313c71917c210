"""Shared pieces of turning a solution into an :class:`Allocation`."""

from __future__ import annotations

import numpy as np
import pandas as pd

from geoalloc.optimize._prepare import Indexed


def nearest_open(
    ix: Indexed, opened: np.ndarray, max_minutes: float | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Per area: position of the nearest open site among the OD pairs (−1 if none) and its minutes.

    Ties go to the site that sorts first, so the answer does not depend on row order.
    """
    sel = opened[ix.pair_site]
    if max_minutes is not None:
        sel &= ix.minutes <= max_minutes
    idx = np.flatnonzero(sel)
    site = np.full(ix.n, -1, dtype=np.int64)
    minutes = np.full(ix.n, np.inf)
    if len(idx):
        order = idx[np.lexsort((ix.pair_site[idx], ix.minutes[idx], ix.pair_area[idx]))]
        areas, first = np.unique(ix.pair_area[order], return_index=True)
        site[areas] = ix.pair_site[order[first]]
        minutes[areas] = ix.minutes[order[first]]
    return site, minutes


def site_table(
    ix: Indexed, opened: np.ndarray, after: np.ndarray, load: np.ndarray
) -> pd.DataFrame:
    """Columns ``open``, ``existing`` and per resource ``r_before``, ``r_after``, ``r_load``."""
    table = pd.DataFrame(
        {"open": opened.astype(bool), "existing": ix.existing.astype(bool)}, index=ix.sites
    )
    before = np.where(ix.existing[:, None], ix.capacity, 0.0)
    for k, r in enumerate(ix.resources):
        table[f"{r}_before"] = before[:, k]
        table[f"{r}_after"] = after[:, k]
        table[f"{r}_load"] = load[:, k]
    table.index.name = "site"
    return table


def assignments_from_single(
    ix: Indexed, site: np.ndarray, minutes: np.ndarray
) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    """Whole-area assignment (classic models): every resource of area i goes to ``site[i]``.

    Returns the assignments table, the load array (m, R) and the unmet table.
    """
    assigned = np.flatnonzero(site >= 0)
    R = len(ix.resources)
    area_rep = np.repeat(assigned, R)
    res_rep = np.tile(np.arange(R), len(assigned))
    quantity = ix.demand[area_rep, res_rep]
    assignments = pd.DataFrame(
        {
            "area": ix.areas[area_rep],
            "site": ix.sites[site[area_rep]],
            "resource": np.asarray(ix.resources, dtype=object)[res_rep],
            "quantity": quantity,
            "minutes": minutes[area_rep],
        }
    )
    load = np.zeros((ix.m, R))
    np.add.at(load, (site[area_rep], res_rep), quantity)
    unmet = np.where((site < 0)[:, None], ix.demand, 0.0)
    unmet_df = pd.DataFrame(unmet, index=ix.areas, columns=ix.resources)
    unmet_df.index.name = "area"
    return assignments, load, unmet_df
