"""``geoalloc init``: your own region's inputs folder and scenario from an OSM extract and what
else you have."""

from __future__ import annotations

import time
from pathlib import Path

import click

from geoalloc.commands._options import FiniteFloatRange
from geoalloc.region.choices import AREAS_HELP, parse_areas, parse_population, parse_sites

_EPILOG = """\b
Examples:
  geoalloc init --network harrisburg.osm.pbf --facilities hifld_hospitals.csv.gz --out harrisburg
  geoalloc init --network andorra.osm.pbf --areas admin:7 --out andorra
  geoalloc init --network region.osm.pbf --areas grid:500m --population worldpop.tif \\
      --candidates osm --out region
"""


@click.command("init", epilog=_EPILOG)
@click.option(
    "--network",
    "network",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="OSM extract of the region (.osm.pbf): roads, and by default areas, population "
    "estimate and facilities.",
)
@click.option(
    "--areas",
    "areas",
    default="grid:1km",
    show_default=True,
    help=f"Planning areas: {AREAS_HELP}. A grid is clipped to cells with residents; "
    "admin boundaries are checked against the road network's extent and gaps filled with 1 km cells (those with residents).",
)
@click.option(
    "--population",
    "population",
    default=None,
    help="Residents per area from a GeoTIFF of counts (WorldPop, GHSL, a national grid), a point "
    "or grid vector file (summed into the areas) or census polygons (interpolated by area) "
    "[default: osm-buildings, an estimate from building floor area, labelled as such].",
)
@click.option(
    "--population-column",
    default=None,
    help="Count column of a vector --population file [default: population, pop, ... detected].",
)
@click.option(
    "--age-band",
    "age_bands",
    multiple=True,
    metavar="LABEL=SOURCE",
    help="Persons of an age band (repeatable): another raster (over65=pop_65plus.tif) or a "
    "column of the vector --population file (over65=POP65); each becomes an areas column and a "
    "band of [demand] admissions_per_1000.",
)
@click.option(
    "--population-total",
    type=FiniteFloatRange(min=1),
    default=None,
    help="The region's published total (a census count): an estimate is scaled to it (the "
    "buildings then only say where people live); a measured source is checked against it.",
)
@click.option(
    "--facilities",
    "facilities",
    default="osm",
    show_default=True,
    help="Existing facilities: osm (hospitals, clinics, doctors, healthcare=* of the extract), a "
    "CSV with longitude/latitude columns (HIFLD's as is) or a vector file.",
)
@click.option(
    "--lon-column",
    default=None,
    help="Longitude column of a --facilities/--candidates CSV [default: detected from its name].",
)
@click.option(
    "--lat-column",
    default=None,
    help="Latitude column of a --facilities/--candidates CSV [default: detected from its name].",
)
@click.option(
    "--candidates",
    "candidates",
    default="none",
    show_default=True,
    help="Sites the plan may open: none, osm (schools, town halls, community centres, "
    "libraries), cells (the most populated areas) or a CSV/vector file.",
)
@click.option(
    "--new-sites",
    type=click.IntRange(min=0),
    default=3,
    show_default=True,
    help="Candidate sites the plan may open (its budget, one opening cost each).",
)
@click.option(
    "--mode",
    type=click.Choice(["drive", "walk", "bike"]),
    default="drive",
    show_default=True,
    help="How people travel on the network.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    help="Folder to write: areas.gpkg, facilities.gpkg, scenario.toml, init.json.",
)
@click.option("--overwrite", is_flag=True, help="Replace the folder if it exists.")
def init_command(
    network: Path,
    areas: str,
    population: str | None,
    population_column: str | None,
    age_bands: tuple[str, ...],
    population_total: float | None,
    facilities: str,
    lon_column: str | None,
    lat_column: str | None,
    candidates: str,
    new_sites: int,
    mode: str,
    out: Path,
    overwrite: bool,
) -> None:
    """Make the inputs folder and a commented scenario.toml for your own region from an OSM
    extract (and, if you have them, areas, a population source and a facility list); then run it
    with `geoalloc run OUT/scenario.toml`."""
    from geoalloc.region.init import InitRequest, init_region

    started = time.perf_counter()
    request = InitRequest(
        network=network,
        areas=parse_areas(areas),
        population=parse_population(population, population_column, age_bands),
        facilities=parse_sites(facilities, "osm"),
        candidates=parse_sites(candidates, "none"),
        mode=mode,
        new_sites=new_sites,
        population_total=population_total,
        lon=lon_column,
        lat=lat_column,
    )
    if request.facilities in ("none", "cells"):
        raise click.BadParameter(
            "existing facilities come from osm or a file", param_hint="--facilities"
        )
    result = init_region(
        request, out, overwrite=overwrite, progress=lambda line: click.echo(line, err=True)
    )
    facts = result.facts
    population_facts = facts["population"]
    label = "" if population_facts["measured"] else " (ESTIMATE)"
    click.echo(f"areas: {facts['areas']['count']:,} — {facts['areas']['how']}")
    click.echo(
        f"population: {population_facts['total']:,.0f}{label} from {population_facts['source']}; "
        f"the source holds {population_facts['source_total']:,.0f} over the same extent"
    )
    fac = facts["facilities"]
    click.echo(
        f"facilities: {fac['existing']} existing from {fac['source']} ({fac['beds']:,.0f} beds), "
        f"{fac['candidates']} candidate sites"
    )
    for line in result.warnings:
        click.echo(f"warning: {line}", err=True)
    for line in result.notes:
        click.echo(f"note: {line}", err=True)
    click.echo(f"written: {result.folder}/ in {time.perf_counter() - started:.1f} s")
    click.echo(f"next: geoalloc run {result.scenario_path}")
