"""Each area's nearest sites as fixed-width lists, and exact nearest-open-site look-ups.

At state scale (10⁵ areas × 10³ sites within a generous standard) the feasible pairs number 10⁸;
the location models only ever use an area's few nearest sites. :func:`nearest_lists` keeps, per
area, its ``K`` nearest usable sites (sorted by minutes, then site position) and the minutes of
the first site left out, in area blocks so that no temporary is as large as the pairs.
:func:`nearest_open_exact` answers "nearest open site" from the lists and falls back on the full
pairs only for the areas none of whose ``K`` nearest sites is open.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from geoalloc.optimize._prepare import Indexed

#: pairs per block when the pairs are scanned area block by area block
BLOCK_PAIRS = 4_000_000
#: share of all (area, site) pairs present above which a block's nearest pairs are picked from a
#: dense table (see :func:`_first_pairs`) before sorting
DENSE_SHARE = 0.1


@dataclass(frozen=True)
class NearestLists:
    """Per area, its ``K`` nearest usable sites (minutes below ``penalty``).

    Attributes
    ----------
    site
        (n, K) site positions, nearest first (ties by site position); ``-1`` past an area's last.
    minutes
        (n, K) their minutes; ``inf`` past an area's last.
    degree
        (n,) usable sites per area (may exceed ``K``).
    beyond
        (n,) minutes of the nearest site *not* in the list, capped at ``penalty`` (``penalty``
        when every usable site is listed): no site outside the list is nearer.
    penalty
        The unmet-demand price in minutes; pairs at or above it are never used.
    indptr
        (n + 1,) where each area's pairs start in ``ix`` (pairs are sorted by area).
    """

    site: np.ndarray
    minutes: np.ndarray
    degree: np.ndarray
    beyond: np.ndarray
    penalty: float
    indptr: np.ndarray

    @property
    def width(self) -> int:
        return self.site.shape[1]


def area_indptr(ix: Indexed) -> np.ndarray:
    """Start of each area's pairs in ``ix`` (whose pairs are sorted by area), and the end."""
    return np.searchsorted(ix.pair_area, np.arange(ix.n + 1)).astype(np.int64)


def _area_blocks(indptr: np.ndarray, block_pairs: int):
    """Consecutive area ranges ``(a0, a1)`` of about ``block_pairs`` pairs each."""
    n = len(indptr) - 1
    a0 = 0
    while a0 < n:
        a1 = int(np.searchsorted(indptr, indptr[a0] + block_pairs, side="right")) - 1
        a1 = min(n, max(a1, a0 + 1))
        yield a0, a1
        a0 = a1


def _first_pairs(a, s, t, rows: int, m: int, K: int):
    """Of one block's usable pairs (local area ``a``, site ``s``, minutes ``t``), those that can
    rank below ``K + 1`` in their area by (minutes, site): every pair at or below the area's
    (K+1)-th smallest minutes, ties included — found in a dense (areas × sites) table by
    ``np.partition``, far faster than sorting all the pairs when most pairs exist."""
    table = np.full((rows, m), np.inf)
    table[a, s] = t
    kth = np.partition(table, K, axis=1)[:, K]
    keep = table[a, s] <= kth[a]
    return a[keep], s[keep], t[keep]


def nearest_lists(
    ix: Indexed, width: int, penalty: float, *, block_pairs: int = BLOCK_PAIRS
) -> NearestLists:
    """The ``width`` nearest usable sites of every area (see :class:`NearestLists`)."""
    indptr = area_indptr(ix)
    K = max(1, min(int(width), ix.m))
    site = np.full((ix.n, K), -1, dtype=np.int32)
    minutes = np.full((ix.n, K), np.inf)
    degree = np.zeros(ix.n, dtype=np.int64)
    beyond = np.full(ix.n, float(penalty))
    dense = len(ix.pair_area) >= DENSE_SHARE * ix.n * ix.m and ix.m > K
    for a0, a1 in _area_blocks(indptr, block_pairs):
        lo, hi = indptr[a0], indptr[a1]
        t = np.asarray(ix.minutes[lo:hi], dtype=float)
        use = t < penalty
        a = np.asarray(ix.pair_area[lo:hi])[use] - a0
        s = np.asarray(ix.pair_site[lo:hi])[use]
        t = t[use]
        if dense:
            degree[a0:a1] = np.bincount(a, minlength=a1 - a0)
            a, s, t = _first_pairs(a, s, t, a1 - a0, ix.m, K)
        order = np.lexsort((s, t, a))
        a, s, t = a[order], s[order], t[order]
        starts = np.searchsorted(a, np.arange(a1 - a0))
        rank = np.arange(len(a)) - starts[a]
        if not dense:
            degree[a0:a1] = np.bincount(a, minlength=a1 - a0)
        keep = rank < K
        site[a0 + a[keep], rank[keep]] = s[keep]
        minutes[a0 + a[keep], rank[keep]] = t[keep]
        first_out = rank == K
        beyond[a0 + a[first_out]] = t[first_out]
    return NearestLists(site, minutes, degree, beyond, float(penalty), indptr)


def first_open(lists: NearestLists, opened: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per area, the list position of its nearest open listed site (−1 if none) and its minutes
    (``inf`` if none)."""
    is_open = np.zeros((lists.site.shape[0], lists.width), dtype=bool)
    valid = lists.site >= 0
    is_open[valid] = opened[lists.site[valid]]
    pos = np.argmax(is_open, axis=1)
    hit = is_open[np.arange(len(pos)), pos]
    pos = np.where(hit, pos, -1)
    mins = np.where(hit, lists.minutes[np.arange(len(pos)), np.maximum(pos, 0)], np.inf)
    return pos, mins


def nearest_open_exact(
    ix: Indexed, lists: NearestLists, opened: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per area: the nearest open usable site (−1 if none) and its minutes (``inf`` if none).

    The same answer as :func:`geoalloc.optimize._result.nearest_open` restricted to pairs below
    the penalty (ties to the site that sorts first); only the areas whose listed sites are all
    closed, though they have more usable sites, are looked up in the full pairs.
    """
    pos, mins = first_open(lists, opened)
    rows = np.arange(ix.n)
    site = np.where(pos >= 0, lists.site[rows, np.maximum(pos, 0)], -1).astype(np.int64)
    todo = np.flatnonzero((pos < 0) & (lists.degree > lists.width))
    for start in range(0, len(todo), 2048):
        areas = todo[start : start + 2048]
        lo, hi = lists.indptr[areas], lists.indptr[areas + 1]
        idx = np.concatenate([np.arange(a, b) for a, b in zip(lo, hi, strict=True)])
        a, s, t = ix.pair_area[idx], ix.pair_site[idx], np.asarray(ix.minutes[idx], dtype=float)
        sel = opened[s] & (t < lists.penalty)
        a, s, t = a[sel], s[sel], t[sel]
        if not len(a):
            continue
        order = np.lexsort((s, t, a))
        a, s, t = a[order], s[order], t[order]
        ua, fi = np.unique(a, return_index=True)
        site[ua] = s[fi]
        mins[ua] = t[fi]
    return site, mins
