"""Shared fixtures. Real data comes from ``../shared/data`` beside the repo, found from the repo root."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests import helpers

SHARED_DATA = helpers.SHARED_DATA


@pytest.fixture(autouse=True, scope="session")
def _private_travel_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Runs in the tests cache travel matrices in a session tmp dir, never in the user's cache."""
    os.environ["GEOALLOC_CACHE_DIR"] = str(tmp_path_factory.mktemp("geoalloc-cache"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real data sets in ``../shared/data``; tests that need them skip clearly when absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data not found at {SHARED_DATA} (clone the repo beside ../shared)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def harrisburg_hifld(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """`geoalloc init` on Harrisburg's 2015 extract with HIFLD's hospital CSV as is (the default
    1 km grid, the OSM buildings estimate): the inputs folder, and the CLI's exit code and
    output. Read once per session (about 6 s)."""
    from click.testing import CliRunner

    from geoalloc.cli import cli

    out = tmp_path_factory.mktemp("init") / "harrisburg"
    done = CliRunner().invoke(
        cli,
        [
            "init",
            "--network",
            str(shared_data / "osm_small_regions" / "harrisburg_pa_2015-03.osm.pbf"),
            "--facilities",
            str(shared_data / "us_hifld_hospitals" / "hifld_hospitals.csv.gz"),
            "--out",
            str(out),
        ],
    )
    return {
        "folder": out,
        "exit_code": done.exit_code,
        "stdout": done.stdout,
        "stderr": done.stderr,
    }


@pytest.fixture(scope="session")
def harrisburg_hifld_run(harrisburg_hifld: dict) -> dict:
    """`geoalloc run` of :func:`harrisburg_hifld`'s scenario as written (about 10 s): the run
    folder, and the CLI's exit code and output."""
    from click.testing import CliRunner

    from geoalloc.cli import cli

    assert harrisburg_hifld["exit_code"] == 0, harrisburg_hifld["stderr"]
    folder = harrisburg_hifld["folder"].parent / "plan"
    scenario = harrisburg_hifld["folder"] / "scenario.toml"
    done = CliRunner().invoke(cli, ["run", str(scenario), "--out", str(folder)])
    return {
        "folder": folder,
        "exit_code": done.exit_code,
        "stdout": done.stdout,
        "output": done.output,
    }


@pytest.fixture(scope="session")
def write_scenario():
    """The scenario-file factory, :func:`tests.helpers.write_scenario`: one dict per section,
    ``write_scenario(tmp_path, name="t", areas={...}, facilities={...}, optimize={...}) -> Path``."""
    return helpers.write_scenario


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark ``real_data`` every test that reads ``../shared/data``: those that use ``shared_data``,
    directly or through another fixture, so ``-m "not real_data"`` runs without the data sets."""
    for item in items:
        if "shared_data" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.real_data)
