"""``geoalloc travel``: an origin–destination travel-time table from vector files."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import click
import geopandas as gpd
import pandas as pd

from geoalloc._errors import InputError, UsageError
from geoalloc.travel.options import NetworkOptions

log = logging.getLogger(__name__)

_ID_NAME = re.compile(r"(^|_)(id|fid|code|key)$|^id", re.IGNORECASE)


def read_points(path: Path, id_column: str | None, role: str) -> tuple[gpd.GeoDataFrame, str]:
    """A vector file as points indexed by id; returns the layer and a note on the id used.

    Without ``id_column``, the first column whose name looks like an id (``id``, ``*_id``,
    ``fid``, ``code``…) and whose values are unique and non-missing is used; else the first
    unique integer or text column; else the row number.
    """
    try:
        layer = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises its own DataSourceError and friends
        msg = f"--{role}s {path}: not a readable vector file ({type(exc).__name__}: {exc})"
        raise InputError(msg) from exc
    if layer.crs is None:
        msg = f"--{role}s {path}: the layer has no CRS — set one in the file (e.g. EPSG:4326)"
        raise InputError(msg)
    columns = [c for c in layer.columns if c != layer.geometry.name]
    if id_column is not None:
        if id_column not in layer.columns:
            msg = (
                f"--{role}-id {id_column!r} is not a column of {path} "
                f"(columns: {', '.join(map(str, columns))})"
            )
            raise InputError(msg)
        ids = layer[id_column]
        dupes = ids[ids.duplicated() | ids.isna()]
        if len(dupes):
            msg = (
                f"--{role}-id {id_column!r} in {path} has duplicate or missing values: "
                f"{list(dupes.unique()[:20])}"
            )
            raise InputError(msg)
        return layer.set_index(id_column), f"{role} ids from column {id_column!r}"

    def usable(col: str) -> bool:
        values = layer[col]
        kind = values.dtype.kind
        text_or_int = kind in "iu" or kind == "O" or isinstance(values.dtype, pd.StringDtype)
        return text_or_int and values.notna().all() and values.is_unique

    for col in [c for c in columns if _ID_NAME.search(str(c))] + columns:
        if usable(col):
            return layer.set_index(
                col
            ), f"{role} ids from column {col!r} (first unique id-like column)"
    layer.index = pd.RangeIndex(len(layer), name=f"{role}_row")
    return layer, f"{role} ids are row numbers (no unique id-like column; use --{role}-id)"


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
    help="Vector file of origins (areas or points).",
)
@click.option(
    "--destinations",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Vector file of destinations (sites).",
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
    type=click.FloatRange(min=0),
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
    "--speed-kph",
    type=click.FloatRange(min=0, min_open=True),
    default=_NETWORK_DEFAULTS["speed_kph"],
    show_default=True,
    help="crowfly only: speed.",
)
@click.option(
    "--circuity",
    type=click.FloatRange(min=1.0),
    default=_NETWORK_DEFAULTS["circuity"],
    show_default=True,
    help="crowfly only: road ÷ great-circle distance.",
)
@click.option(
    "--access-speed-kph",
    type=click.FloatRange(min=0, min_open=True),
    default=_NETWORK_DEFAULTS["access_speed_kph"],
    show_default=True,
    help="Speed from a point to its nearest road node.",
)
@click.option(
    "--max-snap-m",
    type=click.FloatRange(min=0, min_open=True),
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
    speed_kph: float,
    circuity: float,
    access_speed_kph: float,
    max_snap_m: float,
    cache_dir: Path | None,
) -> None:
    """Travel minutes from every origin to every destination, as a long table.

    Writes columns origin, destination, minutes (reachable pairs only, within --max-minutes if
    given); points that are far from the road network or reach nothing are reported on stderr.
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
        max_snap_m=max_snap_m,
    )
    origin_layer, origin_note = read_points(origins, origin_id, "origin")
    destination_layer, destination_note = read_points(destinations, destination_id, "destination")
    click.echo(origin_note, err=True)
    click.echo(destination_note, err=True)
    tm = compute_matrix(
        options, origin_layer, destination_layer, max_minutes=max_minutes, cache_dir=cache_dir
    )
    table = tm.to_long()
    for row in tm.flags.itertuples(index=False):
        click.echo(f"warning: {row.role} {row.id}: {row.reason}: {row.detail}", err=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    if suffix == ".csv":
        table.to_csv(tmp, index=False)
    else:
        table.to_parquet(tmp, index=False)
    tmp.replace(out)
    click.echo(f"{len(table):,} origin-destination pairs written to {out}", err=True)
