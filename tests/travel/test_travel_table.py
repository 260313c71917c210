"""A travel table computed elsewhere (``[network] source = "matrix"``), used as is.

Hand-checkable tables of 2–3 areas × 2 sites, the routed matrix of the tiny OSM network of
``test_travel`` as an oracle (a table written from it and cut at a horizon gives the routed matrix
cut at that horizon, flags included), and one test per input error.
"""

from __future__ import annotations

import gzip
import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point
from test_travel import COORDS, points, write_osm

from geoalloc._errors import InputError
from geoalloc.scenario import load_scenario
from geoalloc.travel import (
    NetworkOptions,
    RoadClosures,
    compute_matrix,
    load_network,
    read_travel_table,
    service_areas_for,
    table_matrix,
)
from tests.helpers import write_chicago_scenario

AREAS = points(["01001", "01002", "02001"], [COORDS[1], COORDS[2], COORDS[3]])
SITES = points(["s1", "s2"], [COORDS[1], COORDS[4]])


def write_csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def table_options(path: Path, **columns: str) -> NetworkOptions:
    return NetworkOptions(source="matrix", path=path, **columns)


# ---------------------------------------------------------------- reading and the matrix


def test_hand_checked_table_with_a_missing_pair_and_an_area_without_rows(tmp_path):
    path = write_csv(
        tmp_path / "od.csv",
        "origin,destination,minutes\n01001,s1,0\n01001,s2,12.5\n01002,s2,7\n",
    )
    tm = compute_matrix(table_options(path), AREAS, SITES)
    assert list(tm.origin_ids) == ["01001", "01002", "02001"]  # no area dropped
    assert list(tm.destination_ids) == ["s1", "s2"]
    assert not tm.is_sparse and tm.max_minutes is None
    np.testing.assert_array_equal(
        tm.to_dense(), [[0.0, 12.5], [np.inf, 7.0], [np.inf, np.inf]]
    )  # the pair 01002 → s1 is missing: unreachable; 02001 has no row at all
    assert tm.flags.to_dict("records") == [
        {
            "id": "02001",
            "role": "origin",
            "reason": "unreachable",
            "detail": "no destination reachable",
        }
    ]
    assert tm.origin_snap_m is None and tm.destination_snap_m is None
    assert tm.to_long()["minutes"].tolist() == [0.0, 12.5, 7.0]  # a zero is a real trip


def test_minutes_above_the_horizon_are_cut_and_flagged(tmp_path):
    path = write_csv(
        tmp_path / "od.csv",
        "origin,destination,minutes\n01001,s1,5\n01001,s2,30.0\n01002,s2,30.5\n02001,s1,inf\n",
    )
    tm = compute_matrix(table_options(path), AREAS, SITES, max_minutes=30)
    assert tm.is_sparse and tm.max_minutes == 30
    assert tm.to_long().values.tolist() == [["01001", "s1", 5.0], ["01001", "s2", 30.0]]
    assert tm.flags.to_dict("records") == [
        {
            "id": "01002",
            "role": "origin",
            "reason": "none_within_max_minutes",
            "detail": "no destination reachable within 30 minutes",
        },
        {
            "id": "02001",
            "role": "origin",
            "reason": "none_within_max_minutes",
            "detail": "no destination reachable within 30 minutes",
        },
    ]


def test_a_table_cut_at_the_horizon_equals_the_routed_matrix(tmp_path):
    """The oracle: routed minutes written as a table and read back with a cut-off give the routed
    matrix with that cut-off: the same pairs, minutes and flags."""
    osm = NetworkOptions(source=str(write_osm(tmp_path / "tiny.osm")))
    origins = points(["a", "b", "c", "d", "g"], [COORDS[i] for i in (1, 2, 3, 4, 7)])
    sites = points(["s-a", "s-c", "s-d"], [COORDS[1], COORDS[3], COORDS[4]])
    full = compute_matrix(osm, origins, sites, executor="serial")
    path = tmp_path / "od.csv"
    full.to_long().to_csv(path, index=False)
    finite = full.to_long()["minutes"]
    cut = float(finite[finite > 0].min())  # only the zero trips and the nearest pair survive
    for max_minutes in (None, cut, 0.0):
        routed = compute_matrix(osm, origins, sites, max_minutes=max_minutes, executor="serial")
        read = compute_matrix(table_options(path), origins, sites, max_minutes=max_minutes)
        assert read.is_sparse == routed.is_sparse
        pd.testing.assert_frame_equal(read.to_long(), routed.to_long())
        np.testing.assert_array_equal(read.to_dense(), routed.to_dense())
        pd.testing.assert_frame_equal(read.flags, routed.flags)
    assert len(routed.flags) > 0  # the last cut-off flags points, as routing does


@pytest.mark.parametrize("name", ["od.csv", "od.csv.gz", "od.parquet"])
def test_csv_gzip_and_parquet_give_the_same_matrix(tmp_path, name):
    table = pd.DataFrame(
        {
            "origin": ["01001", "01002", "02001"],
            "destination": ["s1", "s2", "s2"],
            "minutes": [1.0, 2.5, 4.0],
        }
    )
    path = tmp_path / name
    if name.endswith(".parquet"):
        table.to_parquet(path, index=False)
    elif name.endswith(".gz"):
        with gzip.open(path, "wt", encoding="utf-8") as handle:
            table.to_csv(handle, index=False)
    else:
        table.to_csv(path, index=False)
    tm = table_matrix(path, AREAS, SITES, max_minutes=3)
    assert tm.to_long().values.tolist() == [["01001", "s1", 1.0], ["01002", "s2", 2.5]]


def test_ids_are_read_as_text_and_compared_as_text(tmp_path):
    # 01001 stays 01001 (a reader guessing numbers makes it 1001, which matches no area), an id
    # such as NA (Namibia) stays an id, and spaces around ids do not count
    areas = points(["01001", "NA"], [COORDS[1], COORDS[2]])
    path = write_csv(tmp_path / "od.csv", "origin,destination,minutes\n01001,s1,3\n NA ,s2,4\n")
    table = read_travel_table(path)
    assert table["origin"].tolist() == ["01001", "NA"]
    assert table_matrix(path, areas, SITES).to_long()["origin"].tolist() == ["01001", "NA"]
    # integer ids stored as numbers (Parquet) match layers indexed by the same ids as text or as
    # integers; the matrix keeps the layer's own ids
    pd.DataFrame({"origin": [7, 8], "destination": ["s1", "s2"], "minutes": [1, 2]}).to_parquet(
        tmp_path / "int.parquet"
    )
    for ids in (["7", "8"], [7, 8]):
        tm = table_matrix(tmp_path / "int.parquet", pd.Index(ids), ["s1", "s2"])
        assert tm.to_long()["origin"].tolist() == ids
    # a numeric id column with gaps is stored as floats: 7.0 is the id 7 (its row is refused for
    # the missing id, not for the id 7.0)
    pd.DataFrame(
        {"origin": [7.0, np.nan], "destination": ["s1", "s2"], "minutes": [1, 2]}
    ).to_parquet(tmp_path / "float.parquet")
    with pytest.raises(InputError) as caught:
        table_matrix(tmp_path / "float.parquet", ["7", "8"], ["s1", "s2"])
    assert caught.value.problems == [
        f"travel table {tmp_path / 'float.parquet'}: 1 row(s) have no id in column 'origin' "
        "(ids: row 2) — give every row both ids, or drop those rows"
    ]


def test_column_names_of_other_tools(tmp_path):
    # r5py's travel_time_matrix: from_id, to_id, travel_time
    path = write_csv(tmp_path / "r5.csv", "from_id,to_id,travel_time,extra\n01001,s2,9,x\n")
    options = table_options(path, origin="from_id", destination="to_id", minutes="travel_time")
    tm = compute_matrix(options, AREAS, SITES)
    assert tm.to_dense()[0].tolist() == [np.inf, 9.0]


def test_geometry_is_not_needed(tmp_path):
    path = write_csv(tmp_path / "od.csv", "origin,destination,minutes\na,s,1\n")
    no_crs = gpd.GeoDataFrame(geometry=[Point(0, 0)], index=pd.Index(["a"]))
    tm = compute_matrix(table_options(path), no_crs, pd.DataFrame(index=pd.Index(["s"])))
    assert tm.to_dense().tolist() == [[1.0]]


# ---------------------------------------------------------------- input errors (exit 3)


def problems_of(path: Path, **kwargs) -> list[str]:
    with pytest.raises(InputError) as caught:
        compute_matrix(table_options(path, **kwargs), AREAS, SITES, max_minutes=30)
    assert caught.value.exit_code == 3
    return caught.value.problems


def test_ids_that_match_no_area_or_site_are_named_with_file_and_column(tmp_path):
    path = write_csv(
        tmp_path / "od.csv",
        "o,d,minutes\n01001,s1,1\n99999,s1,2\n88888,s2,3\n01001,s9,4\n",
    )
    assert problems_of(path, origin="o", destination="d") == [
        f"travel table {path}: 2 id(s) in column 'o' match none of the 3 origins (ids such as "
        "01001, 01002, 02001) (ids: 88888, 99999) — the table's origins must be the areas' ids "
        "([areas] id): fix those ids or drop their rows",
        f"travel table {path}: 1 id(s) in column 'd' match none of the 2 destinations (ids such "
        "as s1, s2) (ids: s9) — the table's destinations must be the sites' ids ([facilities] "
        "id): fix those ids or drop their rows",
    ]


def test_ids_that_lost_their_leading_zeros_are_pointed_out(tmp_path):
    path = write_csv(tmp_path / "od.csv", "origin,destination,minutes\n1001,s1,1\n")
    (problem,) = problems_of(path)
    assert "(ids: 1001)" in problem
    assert "ids without their leading zeros (1001 for 01001): write the ids as text" in problem


def test_swapped_id_columns_are_pointed_out(tmp_path):
    path = write_csv(tmp_path / "od.csv", "origin,destination,minutes\ns1,01001,1\n")
    first, second = problems_of(path)
    assert "(ids: s1) — they are destination ids: the columns look swapped" in first
    assert "(ids: 01001) — they are origin ids: the columns look swapped" in second


def test_missing_columns_name_the_columns_present(tmp_path):
    path = write_csv(tmp_path / "od.csv", "from_id,to_id,travel_time\n01001,s1,1\n")
    assert problems_of(path, origin="from_id") == [
        f"travel table {path}: column(s) not found: destination = 'destination', minutes = "
        "'minutes'; the table's columns are 'from_id', 'to_id', 'travel_time' — set [network] "
        "origin, destination and minutes to the names of its id and minutes columns"
    ]


def test_bad_minutes_and_missing_ids_name_their_lines_all_at_once(tmp_path):
    path = write_csv(
        tmp_path / "od.csv",
        "origin,destination,minutes\n"
        "01001,s1,12 min\n"  # line 2: not a number
        "01001,s2,\n"  # line 3: empty
        "01002,s1,NaN\n"  # line 4: NaN
        "01002,s2,-1\n"  # line 5: negative
        ",s2,3\n"  # line 6: no origin
        "02001,,3\n",  # line 7: no destination
    )
    where = f"travel table {path}"
    assert problems_of(path) == [
        f"{where}: 1 row(s) have no id in column 'origin' (ids: line 6) — give every row both "
        "ids, or drop those rows",
        f"{where}: 1 row(s) have no id in column 'destination' (ids: line 7) — give every row "
        "both ids, or drop those rows",
        f"{where}: 1 row(s) in column 'minutes' have minutes that are not a number (ids: line 2) "
        "— write plain numbers of minutes, e.g. 12.5",
        f"{where}: 2 row(s) in column 'minutes' have no minutes (empty or NaN) (ids: line 3, "
        "line 4) — drop those rows: a pair missing from the table is unreachable",
        f"{where}: 1 row(s) in column 'minutes' have negative minutes (ids: line 5) — travel "
        "times are minutes ≥ 0; fix those rows",
    ]


def test_nan_minutes_in_parquet_name_their_rows(tmp_path):
    path = tmp_path / "od.parquet"
    pd.DataFrame(
        {"origin": ["01001", "01002"], "destination": ["s1", "s1"], "minutes": [1.0, np.nan]}
    ).to_parquet(path)
    (problem,) = problems_of(path)
    assert "1 row(s) in column 'minutes' have no minutes (empty or NaN) (ids: row 2)" in problem


def test_duplicate_pairs_are_an_error(tmp_path):
    path = write_csv(
        tmp_path / "od.csv",
        "origin,destination,minutes\n01001,s1,1\n01002,s1,2\n01001,s1,1\n 01001,s1,3\n",
    )
    assert problems_of(path) == [
        f"travel table {path}: 1 (origin, destination) pair(s) appear more than once (ids: "
        "01001 → s1 (line 2, line 4, line 5)) — keep one row per pair"
    ]


def test_unreadable_missing_empty_and_unsupported_files(tmp_path):
    assert problems_of(tmp_path / "nowhere.csv") == [
        f"travel table {tmp_path / 'nowhere.csv'}: file not found — check [network] path "
        "(relative to the scenario file)"
    ]
    xlsx = write_csv(tmp_path / "od.xlsx", "x")
    assert "unsupported file type — give a CSV (.csv, .csv.gz) or Parquet" in problems_of(xlsx)[0]
    fake = write_csv(tmp_path / "od.parquet", "origin,destination,minutes\n")
    assert "cannot read it as Parquet" in problems_of(fake)[0]
    empty = write_csv(tmp_path / "od.csv", "origin,destination,minutes\n")
    assert problems_of(empty) == [
        f"travel table {empty}: the table has no rows — give one row per (origin, destination) pair"
    ]


def test_road_closures_and_a_road_graph_are_refused(tmp_path):
    path = write_csv(tmp_path / "od.csv", "origin,destination,minutes\n01001,s1,1\n")
    closures = RoadClosures(Point(COORDS[1]).buffer(0.001))
    with pytest.raises(InputError, match="roads cannot be cut in a travel table"):
        compute_matrix(table_options(path), AREAS, SITES, closures=closures)
    with pytest.raises(InputError, match="a travel table has no road graph"):
        load_network(table_options(path))


# ---------------------------------------------------------------- [network] keys and the map


def test_network_keys_are_validated():
    options = NetworkOptions(source="matrix", path="od.parquet", minutes="travel_time")
    assert options.is_matrix and not options.is_crowfly and not options.is_place
    assert (options.origin, options.destination, options.minutes) == (
        "origin",
        "destination",
        "travel_time",
    )
    assert options.table_columns == {
        "origin": "origin",
        "destination": "destination",
        "minutes": "travel_time",
    }
    # a dump validates again (sweeps rebuild scenarios from their dumps), for every source
    for each in (options, NetworkOptions(), NetworkOptions(source="place:Vaduz")):
        assert NetworkOptions.model_validate(each.model_dump()) == each
    with pytest.raises(ValueError, match='source = "matrix" needs path = the travel table'):
        NetworkOptions(source="matrix")
    with pytest.raises(ValueError, match="path, minutes apply only to a travel table"):
        NetworkOptions(source="crowfly", path="od.csv", minutes="t")
    with pytest.raises(ValueError, match="origin applies only to a travel table"):
        NetworkOptions(source="region.osm.pbf", origin="from_id")


def test_scenario_path_is_relative_to_the_scenario_file(tmp_path):
    table = {  # a travel table instead of crowfly: None drops crowfly's keys
        "source": "matrix",
        "path": "tables/od.parquet",
        "origin": "from_id",
        "speed_kph": None,
        "circuity": None,
    }
    scenario = write_chicago_scenario(tmp_path, tmp_path, network=table)
    network = load_scenario(scenario).network
    assert network.source == "matrix"
    assert network.path == tmp_path / "tables" / "od.parquet"
    assert network.origin == "from_id" and network.minutes == "minutes"
    write_chicago_scenario(tmp_path, tmp_path, network={**table, "path": None})
    with pytest.raises(InputError) as caught:
        load_scenario(scenario)
    assert caught.value.exit_code == 3
    assert str(scenario) in str(caught.value)
    assert 'source = "matrix" needs path = the travel table' in str(caught.value)


def test_service_areas_are_an_empty_layer_with_a_note(tmp_path, caplog):
    path = write_csv(tmp_path / "od.csv", "origin,destination,minutes\n01001,s1,1\n")
    with caplog.at_level(logging.INFO, logger="geoalloc.travel.api"):
        layer = service_areas_for(table_options(path), SITES, minutes=[15, 30])
    assert len(layer) == 0 and list(layer.columns) == ["site", "minutes", "geometry"]
    assert layer.crs.to_epsg() == 4326
    assert "no service areas: a travel table" in caplog.text
