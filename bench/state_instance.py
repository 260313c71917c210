"""The state-scale planning instance shared by the state-scale benchmarks (issue 17, target 3).

Road graph: the DIMACS New York graph of ``bench/dimacs_ny.py`` (264,346 nodes; real roads, real
travel-time weights; see its note on the time unit).

Areas: a regular grid of square cells in UTM zone 18N over the graph's nodes. The cell size is
found by bisection so that at least ``n_areas`` cells hold a road node; of those, the ``n_areas``
cells with the most nodes are kept (the sparsest few are left out, so that every kept cell has a
road). An area's trips start at the road node nearest its cell centre.

Population (synthetic, stated): an area's residents are proportional to its road-node count (a
proxy for built-up density) times a log-normal factor (σ = 0.5), scaled to a total of 20 million
(about the New York metropolitan area's population). Seeded.

Candidate sites: ``n_sites`` distinct cells drawn with probability proportional to population (sites
stand where people live), each at its cell's road node. Seeded.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

TOTAL_POPULATION = 20_000_000
POPULATION_SIGMA = 0.5
SEED = 17


@dataclass(frozen=True)
class StateInstance:
    """Areas and candidate sites on the New York graph (node ids are the DIMACS 1-based ids)."""

    cell_m: float
    #: (n_areas,) cell centres, UTM 18N metres
    x_m: np.ndarray
    y_m: np.ndarray
    #: (n_areas,) residents
    population: np.ndarray
    #: (n_areas,) road node each area's trips start at
    area_node: np.ndarray
    #: (n_sites,) index into the areas of each candidate site's cell, and its road node
    site_area: np.ndarray
    site_node: np.ndarray


def _occupied_cells(x: np.ndarray, y: np.ndarray, cell_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Unique (column, row) cells holding at least one point, and their point counts."""
    col = np.floor((x - x.min()) / cell_m).astype(np.int64)
    row = np.floor((y - y.min()) / cell_m).astype(np.int64)
    key = col * 1_000_003 + row
    cells, counts = np.unique(key, return_counts=True)
    return cells, counts


def state_instance(
    lon: np.ndarray,
    lat: np.ndarray,
    *,
    n_areas: int = 100_000,
    n_sites: int = 2_000,
    seed: int = SEED,
) -> StateInstance:
    """The instance for the graph whose nodes are at ``lon``/``lat`` (see the module's notes)."""
    from pyproj import Transformer

    x, y = Transformer.from_crs(4326, 32618, always_xy=True).transform(lon, lat)
    x = np.asarray(x)
    y = np.asarray(y)
    low, high = 10.0, 10_000.0
    for _ in range(60):
        mid = (low + high) / 2
        if len(_occupied_cells(x, y, mid)[0]) >= n_areas:
            low = mid
        else:
            high = mid
    cell_m = low
    cells, counts = _occupied_cells(x, y, cell_m)
    keep = np.sort(np.argsort(-counts, kind="stable")[:n_areas])
    cells, counts = cells[keep], counts[keep]
    col, row = np.divmod(cells, 1_000_003)
    cx = x.min() + (col + 0.5) * cell_m
    cy = y.min() + (row + 0.5) * cell_m
    _, nearest = cKDTree(np.column_stack([x, y])).query(np.column_stack([cx, cy]))
    rng = np.random.default_rng(seed)
    weight = counts * rng.lognormal(0.0, POPULATION_SIGMA, len(counts))
    population = weight / weight.sum() * TOTAL_POPULATION
    site_area = np.sort(
        rng.choice(len(cells), n_sites, replace=False, p=population / population.sum())
    )
    node_ids = nearest.astype(np.int64) + 1
    return StateInstance(
        cell_m=float(cell_m),
        x_m=cx,
        y_m=cy,
        population=population,
        area_node=node_ids,
        site_area=site_area,
        site_node=node_ids[site_area],
    )
