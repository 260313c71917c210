"""The state instance's OD pairs (45-minute cut-off), built once and cached as ``.npz``.

``load_od(n_areas, n_sites)`` returns ``(instance, rows, cols, minutes)``: positions into the
instance's areas and sites (int32) and minutes (float32) of every pair within 45 minutes, by
``geoalloc.travel.travel_matrix`` on the New York graph (one call: its cut-off pairs are compact,
2.7 GB at the peak for 100,000 × 2,000); the pairs are cached to
``/tmp/geoalloc_state_od_{n_areas}x{n_sites}.npz`` (``--rebuild`` to ignore the cache).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

CUTOFF_MIN = 45.0


def cache_path(n_areas: int, n_sites: int) -> Path:
    return Path(f"/tmp/geoalloc_state_od_{n_areas}x{n_sites}.npz")


def _sorted(rows, cols, minutes):
    """The pairs sorted by (area, site), as the optimiser's index keeps them."""
    order = np.lexsort((cols, rows))
    return rows[order], cols[order], minutes[order]


def load_od(n_areas: int, n_sites: int, *, rebuild: bool = False):
    from dimacs_ny import ny_network, read_dimacs
    from state_instance import state_instance

    tail, head, seconds, lon, lat = read_dimacs()
    inst = state_instance(lon, lat, n_areas=n_areas, n_sites=n_sites)
    path = cache_path(n_areas, n_sites)
    if path.is_file() and not rebuild:
        z = np.load(path)
        if "sorted" in z.files:
            return inst, z["rows"], z["cols"], z["minutes"]
        r, c, t = _sorted(z["rows"], z["cols"], z["minutes"])
        np.savez(path, rows=r, cols=c, minutes=t, sorted=np.array(True))
        return inst, r, c, t
    from geoalloc.travel import travel_matrix

    net = ny_network(tail, head, seconds, lon, lat)
    # a few cells share their nearest node: route each node once, then copy its row to its areas
    nodes_u, area_of = np.unique(inst.area_node, return_inverse=True)
    t0 = time.perf_counter()
    tm = travel_matrix(net, nodes_u, inst.site_node, max_minutes=CUTOFF_MIN, workers=2)
    M = tm.minutes.tocsr()[area_of].tocoo()
    print(f"  {M.nnz:,} pairs in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    r, c, t = _sorted(M.row.astype(np.int32), M.col.astype(np.int32), M.data.astype(np.float32))
    np.savez(path, rows=r, cols=c, minutes=t, sorted=np.array(True))
    return inst, r, c, t


if __name__ == "__main__":
    n, m = int(sys.argv[1]), int(sys.argv[2])
    inst, r, c, t = load_od(n, m, rebuild="--rebuild" in sys.argv)
    print(
        f"{n} x {m}: {len(r):,} pairs, areas {len(inst.population)}, "
        f"unique area nodes {len(np.unique(inst.area_node))}"
    )
