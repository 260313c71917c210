"""The DIMACS 9th-challenge New York road graph, shared by the benchmarks (``travel.py``,
``parallel.py``): ``../shared/data/dimacs_usa_road/USA-road-t.NY.gr.gz`` + ``USA-road-d.NY.co.gz``
(264,346 nodes, 733,846 arcs with 3,746 duplicate arcs: the fastest is kept when built).

Time unit: DIMACS ``t`` weights are not seconds (see the data's PROVENANCE.md). We ASSUME the top
road class means 100 km/h, so one t-unit = the time to cover 0.1 m at 100 km/h = 0.0036 s.
"""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "dimacs_usa_road"
SECONDS_PER_T_UNIT = 0.1 / (100 / 3.6)  # 0.0036 s: 0.1 m at an assumed 100 km/h top speed


def _table(path: Path, prefix: bytes, names: list[str]) -> pd.DataFrame:
    """The integer columns of the lines starting with ``prefix`` in a gzipped DIMACS file."""
    with gzip.open(path, "rb") as f:
        lines = [line[len(prefix) :] for line in f.read().split(b"\n") if line.startswith(prefix)]
    return pd.read_csv(
        io.BytesIO(b"\n".join(lines)), sep=" ", header=None, names=names, dtype=np.int64
    )


def read_dimacs() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """tail, head (0-based), seconds, lon, lat from the NY ``.gr`` (t) and ``.co`` files."""
    arcs = _table(DATA / "USA-road-t.NY.gr.gz", b"a ", ["u", "v", "w"])
    co = _table(DATA / "USA-road-d.NY.co.gz", b"v ", ["id", "x", "y"]).sort_values("id")
    tail = arcs["u"].to_numpy(np.int64) - 1
    head = arcs["v"].to_numpy(np.int64) - 1
    seconds = arcs["w"].to_numpy(np.float64) * SECONDS_PER_T_UNIT
    lon = co["x"].to_numpy(np.float64) / 1e6
    lat = co["y"].to_numpy(np.float64) / 1e6
    return tail, head, seconds, lon, lat


def ny_network(tail, head, seconds, lon, lat):
    """The arrays of :func:`read_dimacs` as a :class:`geoalloc.travel.RoadNetwork` (node ids are
    the DIMACS ids, 1-based)."""
    from geoalloc.travel import RoadNetwork

    return RoadNetwork.from_arrays(
        tail, head, seconds, node_ids=np.arange(1, len(lon) + 1), lon=lon, lat=lat
    )
