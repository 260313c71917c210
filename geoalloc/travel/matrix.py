"""The hand-off between the travel engines and everything downstream: a frozen OD matrix."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse

FLAG_COLUMNS = ["id", "role", "reason", "detail"]


def empty_flags() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in FLAG_COLUMNS})


def unreached_flags(
    ids: pd.Index, candidates: np.ndarray, role: str, max_minutes: float | None
) -> list[dict]:
    """Flag rows for the ``candidates`` (positions in ``ids``) that reach no point of the other
    side: ``unreachable``, or ``none_within_max_minutes`` when a cut-off was set."""
    other = "destination" if role == "origin" else "origin"
    reason = "unreachable" if max_minutes is None else "none_within_max_minutes"
    within = "" if max_minutes is None else f" within {max_minutes:g} minutes"
    detail = f"no {other} reachable{within}"
    return [{"id": ids[i], "role": role, "reason": reason, "detail": detail} for i in candidates]


@dataclass(frozen=True)
class TravelMatrix:
    """Travel minutes from every origin to every destination.

    Attributes
    ----------
    origin_ids, destination_ids
        The inputs' ids (index values, never positions), in matrix order.
    minutes
        Either a dense ``(n_origins, n_destinations)`` float array with ``np.inf`` for unreachable
        pairs, or, when a cut-off was set, a ``scipy.sparse.coo_array`` that stores only the pairs
        within ``max_minutes`` (explicit zeros are kept: a zero is a real zero-minute trip). The
        road engine's pairs have int32 row and column indices and float64 minutes (16 bytes a
        pair), in a fixed order for given inputs whatever the executor.
    max_minutes
        The cut-off, or ``None`` for a full matrix.
    flags
        One row per input point that needs the user's attention (``id``, ``role``
        origin/destination,
        ``reason`` such as ``unreachable`` or ``far_from_network``, ``detail``).
    origin_snap_m, destination_snap_m
        Road-graph engines only: each point's straight-line distance to the node it was snapped
        to, metres (the off-network leg, already included in ``minutes``); ``nan`` for a point
        that was not snapped (see ``flags``), ``None`` for crowfly.
    """

    origin_ids: pd.Index
    destination_ids: pd.Index
    minutes: np.ndarray | sparse.coo_array
    max_minutes: float | None = None
    flags: pd.DataFrame = field(default_factory=empty_flags)
    origin_snap_m: np.ndarray | None = None
    destination_snap_m: np.ndarray | None = None

    @property
    def shape(self) -> tuple[int, int]:
        return (len(self.origin_ids), len(self.destination_ids))

    @property
    def is_sparse(self) -> bool:
        return sparse.issparse(self.minutes)

    def to_long(self) -> pd.DataFrame:
        """DataFrame[origin, destination, minutes] of the finite pairs (within any cut-off)."""
        minutes = self.minutes
        if isinstance(minutes, np.ndarray):
            rows, cols = np.nonzero(np.isfinite(minutes))
            values = minutes[rows, cols]
        else:
            rows, cols, values = minutes.row, minutes.col, minutes.data
        if self.max_minutes is not None:
            keep = values <= self.max_minutes
            rows, cols, values = rows[keep], cols[keep], values[keep]
        order = np.lexsort((cols, rows))
        return pd.DataFrame(
            {
                "origin": self.origin_ids.take(rows[order]),
                "destination": self.destination_ids.take(cols[order]),
                "minutes": np.asarray(values, dtype=float)[order],
            }
        )

    def snap_table(self) -> pd.DataFrame:
        """Each point's off-network distance: columns ``id``, ``role`` (origin / destination),
        ``snap_m`` (metres to its road node; ``nan`` when not snapped); empty for engines that
        do not snap (crowfly, a travel table)."""
        parts = [
            pd.DataFrame({"id": ids, "role": role, "snap_m": np.asarray(snap, dtype=float)})
            for ids, role, snap in (
                (self.origin_ids, "origin", self.origin_snap_m),
                (self.destination_ids, "destination", self.destination_snap_m),
            )
            if snap is not None
        ]
        if not parts:
            return pd.DataFrame({"id": [], "role": [], "snap_m": []}).astype(
                {"id": object, "role": object, "snap_m": float}
            )
        return pd.concat(parts, ignore_index=True)

    def far_snaps(self, threshold_m: float) -> pd.DataFrame:
        """The points joined to their road node from farther than ``threshold_m`` metres (but
        snapped: within ``max_snap_m``), farthest first — see :meth:`snap_table`."""
        table = self.snap_table()
        far = table[table["snap_m"] > threshold_m]
        return far.sort_values(["snap_m", "role"], ascending=[False, True], ignore_index=True)

    def to_dense(self) -> np.ndarray:
        """The full matrix as floats, ``np.inf`` where unreachable or beyond the cut-off."""
        minutes = self.minutes
        if isinstance(minutes, np.ndarray):
            return np.asarray(minutes, dtype=float)
        dense = np.full(self.shape, np.inf)
        dense[minutes.row, minutes.col] = minutes.data
        return dense
