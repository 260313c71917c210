"""The main README against the code: the figure it quotes on where trips start, and the Outputs
section naming every layer and every summary key a run writes."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import geopandas as gpd

from geoalloc.inputs.read import metric_crs, representative_points
from geoalloc.runs import registered
from geoalloc.runs.schema import PlanningSummary, TelemedicineSummary
from tests.helpers import REPO_ROOT
from tests.readme_figures import ReadmeFigures

README = REPO_ROOT / "README.md"


def _outputs_section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("## Outputs")
    return text[start : text.index("\n## ", start + 1)]


def test_trips_start_at_a_point_taken_in_metres(shared_data: Path) -> None:
    """Representative points in lon/lat (a stretched shape) against the UTM ones geoalloc takes."""
    tracts = gpd.read_file(shared_data / "chicago_kang2020" / "chicago_tracts_pop.gpkg")
    assert tracts.crs.to_epsg() == 4326
    utm = metric_crs(tracts.geometry)
    taken = representative_points(tracts).to_crs(utm)
    with warnings.catch_warnings():  # shapely: "geometry is in a geographic CRS" — the point here
        warnings.simplefilter("ignore", UserWarning)
        in_degrees = tracts.geometry.representative_point()
    moved_m = taken.distance(in_degrees.to_crs(utm))
    readme = ReadmeFigures(README, start="**Where trips start.**", end="## Python API")
    readme.figure(
        "would move the point of {} of the {} tracts by more than {} m (up to {} km)",
        int((moved_m > 100).sum()),
        len(tracts),
        100,
        moved_m.max() / 1000,
    )
    readme.verify()


def test_the_outputs_section_names_every_layer_and_summary_key() -> None:
    section = _outputs_section()
    named = set(re.findall(r"`([A-Za-z_]+)`", section))
    layers = {name for kind in registered() for name in (*kind.layers, *kind.optional_layers)}
    keys = {
        key
        for schema in (PlanningSummary, TelemedicineSummary)
        for key in (*schema.__required_keys__, *schema.__optional_keys__)
    }
    assert not layers - named, f"results.gpkg layers the README's Outputs omit: {layers - named}"
    assert not keys - named, f"summary.json keys the README's Outputs omit: {keys - named}"
    # the paragraph once printed twice and cut ("demand), `facilities` …") stays mended
    assert section.count("`assignments` (area, site, resource, quantity, minutes") == 1
    assert "\n\n  demand)" not in section
