"""``geoalloc travel``: an origin–destination travel-time table from vector files."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from geoalloc._errors import UsageError
from geoalloc.commands._options import FiniteFloatRange
from geoalloc.inputs.points import read_points
from geoalloc.travel.options import NetworkOptions

log = logging.getLogger(__name__)

#: how to say which columns of a CSV hold the coordinates
_COLUMNS_FIX = "say which columns hold them: --{role}-lon <column> --{role}-lat <column>"
#: the defaults of the scenario's [network] section, so the CLI and scenarios cannot drift apart
_NETWORK_DEFAULTS = {name: f.default for name, f in NetworkOptions.model_fields.items()}


@click.command("travel")
@click.option(
    "--network",
    "network",
    required=True,
    help="OSM file (.osm, .osm.bz2, .osm.pbf, .graphml), 'place:<name>' or 'crowfly'.",
)
@click.option(
    "--origins",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Vector file of origins (areas or points), or a CSV with longitude/latitude columns.",
)
@click.option(
    "--destinations",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Vector file of destinations (sites), or a CSV with longitude/latitude columns.",
)
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Output table: .csv, or .parquet (needs pyarrow).",
)
@click.option(
    "--max-minutes",
    type=FiniteFloatRange(min=0),
    default=None,
    help="Keep only pairs within this many minutes.",
)
@click.option(
    "--mode", type=click.Choice(["drive", "walk", "bike"]), default="drive", show_default=True
)
@click.option(
    "--origin-id",
    default=None,
    help="Id column of the origins (default: first unique id-like column).",
)
@click.option("--destination-id", default=None, help="Id column of the destinations.")
@click.option(
    "--origin-lon",
    default=None,
    help="CSV origins: longitude column (default: detected: longitude, lon, lng, long, x).",
)
@click.option(
    "--origin-lat",
    default=None,
    help="CSV origins: latitude column (default: detected: latitude, lat, y).",
)
@click.option("--destination-lon", default=None, help="CSV destinations: longitude column.")
@click.option("--destination-lat", default=None, help="CSV destinations: latitude column.")
@click.option(
    "--speed-kph",
    type=FiniteFloatRange(min=0, min_open=True),
    default=_NETWORK_DEFAULTS["speed_kph"],
    show_default=True,
    help="crowfly only: speed.",
)
@click.option(
    "--circuity",
    type=FiniteFloatRange(min=1.0),
    default=_NETWORK_DEFAULTS["circuity"],
    show_default=True,
    help="crowfly only: road ÷ great-circle distance.",
)
@click.option(
    "--access-speed-kph",
    type=FiniteFloatRange(min=0, min_open=True),
    default=None,
    help="Speed from a point to its nearest road node, km/h [default: by --mode: drive 20, "
    "walk 5, bike 15].",
)
@click.option(
    "--far-snap-m",
    type=FiniteFloatRange(min=0, min_open=True),
    default=_NETWORK_DEFAULTS["far_snap_m"],
    show_default=True,
    help="Points joined to a road node farther than this are listed with their distance.",
)
@click.option(
    "--max-snap-m",
    type=FiniteFloatRange(min=0, min_open=True),
    default=_NETWORK_DEFAULTS["max_snap_m"],
    show_default=True,
    help="Points farther than this from any road are flagged, not snapped.",
)
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Cache graphs and matrices here (reused when inputs are unchanged).",
)
def travel_command(
    network: str,
    origins: Path,
    destinations: Path,
    out: Path,
    max_minutes: float | None,
    mode: str,
    origin_id: str | None,
    destination_id: str | None,
    origin_lon: str | None,
    origin_lat: str | None,
    destination_lon: str | None,
    destination_lat: str | None,
    speed_kph: float,
    circuity: float,
    access_speed_kph: float | None,
    far_snap_m: float,
    max_snap_m: float,
    cache_dir: Path | None,
) -> None:
    """Travel minutes from every origin to every destination, as a long table.

    Writes columns origin, destination, minutes (reachable pairs only, within --max-minutes if
    given); points that are far from the road network or reach nothing are reported on stderr.
    Origins and destinations are vector files or CSV tables with longitude/latitude columns (WGS84
    degrees; named by --origin-lon/--origin-lat, --destination-lon/--destination-lat, or
    detected from their names).
    """
    from geoalloc.travel import compute_matrix

    suffix = out.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        msg = f"--out {out}: use a .csv or .parquet file name"
        raise UsageError(msg)
    if suffix == ".parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError as exc:
            msg = "--out .parquet needs pyarrow — pip install pyarrow, or write .csv"
            raise UsageError(msg) from exc
    options = NetworkOptions(
        source=network,
        mode=mode,
        speed_kph=speed_kph,
        circuity=circuity,
        access_speed_kph=access_speed_kph,
        far_snap_m=far_snap_m,
        max_snap_m=max_snap_m,
    )
    if network == "matrix":
        msg = "--network matrix: a travel table is what this command writes; give an OSM file, 'place:<name>' or 'crowfly'"
        raise UsageError(msg)
    origin_layer, origin_note = read_points(
        origins,
        origin_id,
        "origin",
        lon=origin_lon,
        lat=origin_lat,
        columns_fix=_COLUMNS_FIX.format(role="origin"),
    )
    destination_layer, destination_note = read_points(
        destinations,
        destination_id,
        "destination",
        lon=destination_lon,
        lat=destination_lat,
        columns_fix=_COLUMNS_FIX.format(role="destination"),
    )
    for layer, note, role in (
        (origin_layer, origin_note, "origin"),
        (destination_layer, destination_note, "destination"),
    ):
        hint = f"; use --{role}-id" if layer.index.name == f"{role}_row" else ""
        click.echo(note + hint, err=True)
    tm = compute_matrix(
        options, origin_layer, destination_layer, max_minutes=max_minutes, cache_dir=cache_dir
    )
    table = tm.to_long()
    for row in tm.flags.itertuples(index=False):
        click.echo(f"warning: {row.role} {row.id}: {row.reason}: {row.detail}", err=True)
    for row in tm.far_snaps(options.far_snap_m).itertuples(index=False):
        click.echo(
            f"warning: {row.role} {row.id}: joined to the road network {row.snap_m:,.0f} m away "
            f"(straight line at {options.access_kph:g} km/h; --far-snap-m {far_snap_m:g})",
            err=True,
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    if suffix == ".csv":
        table.to_csv(tmp, index=False)
    else:
        table.to_parquet(tmp, index=False)
    tmp.replace(out)
    click.echo(f"{len(table):,} origin-destination pairs written to {out}", err=True)
