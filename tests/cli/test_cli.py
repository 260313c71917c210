import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from geoalloc.cli import GeoallocGroup, cli
from tests.helpers import REPO_ROOT, write_chicago_scenario


def test_solvers_lists_highs_first() -> None:
    result = CliRunner().invoke(cli, ["solvers"])
    assert result.exit_code == 0
    assert result.output.splitlines()[0] == "highs"


def test_usage_error_is_exit_2() -> None:
    result = CliRunner().invoke(cli, ["run"])
    assert result.exit_code == 2
    assert "Missing argument" in result.output


def test_missing_scenario_is_exit_3() -> None:
    result = CliRunner().invoke(cli, ["validate", "does-not-exist.toml"])
    assert result.exit_code == 3
    assert "scenario file not found" in result.output


def test_root_shim_and_module_entry_point() -> None:
    for command in (
        [sys.executable, "cli.py", "--help"],
        [sys.executable, "-m", "geoalloc", "--version"],
    ):
        result = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
    assert "geoalloc" in result.stdout


def test_run_scheduler_needs_the_dask_executor(tmp_path: Path, write_scenario) -> None:
    scenario = write_scenario(
        tmp_path,
        name="x",
        areas={"path": "a.gpkg", "id": "id", "population": "p"},
        facilities={"path": "f.gpkg", "id": "id", "capacity": {"beds": "b"}},
        file="s.toml",
    )
    result = CliRunner().invoke(
        cli, ["run", str(scenario), "--executor", "serial", "--scheduler", "tcp://127.0.0.1:1"]
    )
    assert result.exit_code == 2
    assert "--scheduler needs the dask executor" in result.output


def test_help_lists_every_command_as_loaded_without_importing_them() -> None:
    """`geoalloc --help` reads the commands' help from their source: no geo stack at start-up,
    and the same lines as with every command loaded."""
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from geoalloc.cli import cli\n"
        "out = CliRunner().invoke(cli, ['--help']).output\n"
        "heavy = sorted(m for m in ('geopandas', 'pandas', 'dask', 'matplotlib', 'pulp', "
        "'folium', 'geoalloc.runs') if m in sys.modules)\n"
        "print(repr(heavy))\n"
        "print(out)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    heavy, _, lazy_help = proc.stdout.partition("\n")
    assert heavy == "[]"
    import click

    from geoalloc.cli import COMMANDS

    context = click.Context(cli)
    for name in COMMANDS:  # load every command, then the group formats their own short help
        assert cli.get_command(context, name) is not None
    assert CliRunner().invoke(cli, ["--help"]).output == lazy_help.rstrip("\n") + "\n"


#: what checking a scenario's inputs never needs: the solvers, the map and report stack, routing
#: graphs, statistics and plotting (each costs 0.05–1 s of start-up)
NOT_FOR_VALIDATE = (
    "dask",
    "folium",
    "branca",
    "geoalloc.outputs.leaflet",
    "geoalloc.outputs.report",
    "highspy",
    "mapclassify",
    "matplotlib",
    "networkx",
    "osmnx",
    "pulp",
    "pyrosm",
    "scipy.linalg",
    "scipy.optimize",
    "scipy.signal",
    "scipy.sparse.csgraph",
    "scipy.spatial",
    "scipy.stats",
    "sklearn",
    "tqdm",
)


@pytest.mark.slow  # a subprocess that reads the Chicago inputs (~5 s)
def test_validate_of_a_small_scenario_imports_only_what_reading_inputs_needs(
    tmp_path: Path, shared_data: Path
) -> None:
    """`geoalloc validate` starts fast: the Chicago crow-fly scenario (878 tracts, 66 hospitals) is
    checked without loading the solvers, the map and report stack, networkx or scipy.stats."""
    scenario = write_chicago_scenario(tmp_path, shared_data)
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from geoalloc.cli import cli\n"
        f"result = CliRunner().invoke(cli, ['validate', {str(scenario)!r}])\n"
        f"heavy = sorted(m for m in {NOT_FOR_VALIDATE!r} if m in sys.modules)\n"
        "print(result.exit_code, repr(heavy))\n"
        "print(result.output)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    first, _, output = proc.stdout.partition("\n")
    assert "is valid" in output  # the inputs were read and checked
    assert first == "0 []", output


def _cli_with_a_bug() -> click.Group:
    """geoalloc's group (its -v/-q and error handling) with one command that hits a bug."""
    group = GeoallocGroup(name="geoalloc", params=cli.params, callback=cli.callback)

    @group.command("buggy")
    def buggy() -> None:
        {}["missing"]  # noqa: B018 - an unexpected internal error, as a bug raises it

    return group


def test_an_internal_error_shows_its_traceback_with_one_v() -> None:
    plain = CliRunner().invoke(_cli_with_a_bug(), ["buggy"])
    assert plain.exit_code == 1
    assert "internal error: KeyError: 'missing'" in plain.output
    assert "rerun with -v for the traceback" in plain.output
    assert "Traceback" not in plain.output
    for flags in (["-v"], ["-vv"]):
        verbose = CliRunner().invoke(_cli_with_a_bug(), [*flags, "buggy"])
        assert verbose.exit_code == 1
        assert "Traceback (most recent call last):" in verbose.output
        assert 'in buggy\n    {}["missing"]' in verbose.output
        assert verbose.output.rstrip().endswith("report it)")  # the one-line summary comes last
