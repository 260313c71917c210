"""``geoalloc travel``: through click's CliRunner and as a real subprocess."""

from __future__ import annotations

import subprocess
import sys

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from shapely.geometry import Point, box

from geoalloc.cli import cli
from tests.travel.test_travel import COORDS, hav, minutes, write_osm


@pytest.fixture
def files(tmp_path):
    write_osm(tmp_path / "tiny.osm")
    # origins as polygons with a text id column named "code" and a non-unique "district"
    origins = gpd.GeoDataFrame(
        {"district": ["x", "x", "y"], "code": ["o-c", "o-d", "o-far"]},
        geometry=[
            box(25.0019, 59.9999, 25.0021, 60.0001),  # around C
            box(25.0009, 59.9989, 25.0011, 59.9991),  # around D
            box(26.0, 61.0, 26.001, 61.001),  # far outside the extent
        ],
        crs=4326,
    )
    origins.to_file(tmp_path / "origins.gpkg")
    sites = gpd.GeoDataFrame(
        {"site_id": [10, 20]}, geometry=[Point(COORDS[1]), Point(COORDS[4])], crs=4326
    )
    sites.to_crs(3067).to_file(tmp_path / "sites.geojson")
    return tmp_path


def test_travel_writes_the_long_table(files):
    out = files / "od.csv"
    result = CliRunner().invoke(
        cli,
        [
            "travel",
            "--network",
            str(files / "tiny.osm"),
            "--origins",
            str(files / "origins.gpkg"),
            "--destinations",
            str(files / "sites.geojson"),
            "--access-speed-kph",
            "1000000",  # legs of a few metres cost ~nothing: compare with node-to-node times
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "origin ids from column 'code'" in result.stderr
    assert "destination ids from column 'site_id'" in result.stderr
    assert "o-far: far_from_network" in result.stderr
    table = pd.read_csv(out)
    assert list(table.columns) == ["origin", "destination", "minutes"]
    assert sorted(table["origin"].unique()) == ["o-c", "o-d"]  # the far one is flagged, not written
    by_pair = table.set_index(["origin", "destination"])["minutes"]
    assert by_pair["o-c", 10] == pytest.approx(minutes(hav(3, 2) + hav(2, 1), 50), abs=1e-4)
    assert by_pair["o-c", 20] == pytest.approx(minutes(hav(3, 4), 30), abs=1e-4)  # one-way C→D
    d_to_c = minutes(hav(4, 1), 30) + minutes(hav(1, 2) + hav(2, 3), 50)  # around: D→A→B→C
    assert by_pair["o-d", 10] == pytest.approx(minutes(hav(4, 1), 30), abs=1e-4)
    assert d_to_c > by_pair["o-c", 20]
    assert by_pair["o-d", 20] == pytest.approx(0.0, abs=1e-3)


def test_travel_cutoff_crowfly_and_id_option(files):
    out = files / "od.csv"
    args = [
        "--origins",
        str(files / "origins.gpkg"),
        "--destinations",
        str(files / "sites.geojson"),
    ]
    result = CliRunner().invoke(
        cli,
        [
            "travel",
            "--network",
            "crowfly",
            *args,
            "--origin-id",
            "code",
            "--max-minutes",
            "1",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out)
    assert (table["minutes"] <= 1).all() and "o-far" not in set(table["origin"])
    assert len(table) == 4  # every near pair is within a minute at 40 km/h


@pytest.mark.parametrize(
    ("extra", "code", "message"),
    [
        (["--origin-id", "district"], 3, "duplicate"),
        (["--origin-id", "nope"], 3, "not a column"),
        (["--network", "{net}.txt"], 3, "unknown format"),
        (["--out", "{out}.xlsx"], 2, ".csv or .parquet"),
        # click reads inf and nan as floats, and nan passes any range; the routing crashed on them
        (["--max-minutes", "inf"], 2, "'inf' is not a finite number"),
        (["--max-minutes", "nan"], 2, "'nan' is not a finite number"),
        (["--max-minutes", "1e308"], 3, "max_minutes must be a finite number of minutes"),
    ],
)
def test_travel_bad_input_exit_codes(files, extra, code, message):
    net, out = str(files / "tiny.osm"), str(files / "od.csv")
    args = {"--network": net, "--out": out}
    flat = []
    for i in range(0, len(extra), 2):
        args[extra[i]] = extra[i + 1].format(net=files / "x", out=files / "od")
    for key, value in args.items():
        flat += [key, value]
    for key in ("--origin-id",):
        if key in args:
            flat.remove(key)
            flat.remove(args[key])
            flat += [key, args[key]]
    if args["--network"].endswith(".txt"):
        (files / "x.txt").write_text("hello")
    result = CliRunner().invoke(
        cli,
        [
            "travel",
            *flat,
            "--origins",
            str(files / "origins.gpkg"),
            "--destinations",
            str(files / "sites.geojson"),
        ],
    )
    assert result.exit_code == code, result.output
    assert message in result.stderr


def test_travel_as_a_subprocess(files):
    out = files / "od.csv"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "geoalloc",
            "travel",
            "--network",
            str(files / "tiny.osm"),
            "--origins",
            str(files / "origins.gpkg"),
            "--destinations",
            str(files / "sites.geojson"),
            "--out",
            str(out),
            "--cache-dir",
            str(files / "cache"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""  # results go to the file, messages to stderr
    table = pd.read_csv(out)
    assert len(table) == 4 and np.isfinite(table["minutes"]).all()
    assert any((files / "cache" / "matrices").iterdir())
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "geoalloc",
            "travel",
            "--network",
            str(files / "origins.gpkg"),
            "--origins",
            str(files / "origins.gpkg"),
            "--destinations",
            str(files / "sites.geojson"),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 3
    assert "unknown format" in bad.stderr and "Traceback" not in bad.stderr


def test_travel_lists_points_joined_far_from_the_roads(files):
    # a point 0.005° of latitude (557 m) south of D: routed, and listed with its distance
    lon, lat = COORDS[4]
    far = gpd.GeoDataFrame({"site_id": ["south"]}, geometry=[Point(lon, lat - 0.005)], crs=4326)
    far.to_file(files / "far.gpkg")
    args = ["travel", "--network", str(files / "tiny.osm"), "--origins", str(files / "far.gpkg")]
    args += ["--destinations", str(files / "sites.geojson"), "--out", str(files / "od.csv")]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert (
        "warning: origin south: joined to the road network 557 m away (straight line at 20 km/h; "
        "--far-snap-m 300)"
    ) in result.stderr
    table = pd.read_csv(files / "od.csv")
    # 557 m at the drive default, 20 km/h (333.3 m a minute): 1.67 minutes to D itself (site 20)
    assert table.set_index("destination").loc[20, "minutes"] == pytest.approx(1.671, abs=1e-3)
    quiet = CliRunner().invoke(cli, [*args, "--far-snap-m", "600"])
    assert quiet.exit_code == 0 and "joined to the road network" not in quiet.stderr
