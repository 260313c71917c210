"""Road-graph matrices when no destination (or no origin) can be snapped to the network.

Every point of one side farther than ``max_snap_m`` from the roads leaves no tree to grow: the
matrix is all unreachable, with and without a cut-off, and each such point is flagged.
"""

from __future__ import annotations

import numpy as np
import pytest
from test_travel import COORDS, points, write_osm

from geoalloc.travel import load_graph, travel_matrix

FAR = (26.0, 61.0)  # ≈ 120 km from the tiny network


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return load_graph(write_osm(tmp_path_factory.mktemp("osm") / "tiny.osm"), mode="drive")


@pytest.mark.parametrize("max_minutes", [None, 10.0])
def test_every_site_off_the_network(tiny, max_minutes):
    origins = points(["o1", "o2"], [COORDS[1], COORDS[2]])
    sites = points(["s"], [FAR])
    tm = travel_matrix(tiny, origins, sites, max_minutes=max_minutes)
    assert tm.shape == (2, 1)
    assert np.isinf(tm.to_dense()).all()
    assert tm.to_long().empty
    assert tm.flags.set_index("id").loc["s", "reason"] == "far_from_network"


@pytest.mark.parametrize("max_minutes", [None, 10.0])
def test_every_area_off_the_network(tiny, max_minutes):
    origins = points(["o"], [FAR])
    sites = points(["s1", "s2"], [COORDS[1], COORDS[3]])
    tm = travel_matrix(tiny, origins, sites, max_minutes=max_minutes)
    assert tm.shape == (1, 2)
    assert np.isinf(tm.to_dense()).all()
    assert tm.flags.set_index("id").loc["o", "reason"] == "far_from_network"
