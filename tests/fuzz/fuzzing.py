"""The fuzz suite's shared parts: a small real scenario, one broken copy per example, and the check
every run must pass.

The scenario is central Chicago: the 5 hospitals nearest the Loop and the 16 census tracts nearest
to them (``../shared/data/chicago_kang2020``), crow-fly travel or a travel table of the same
minutes, and an admissions history of real lengths of stay (the MIMIC-IV demo); the unbroken
scenario runs (exit 0) without a word on stderr. Each example copies these inputs
into a fresh folder, breaks one thing (a scenario value, some cells of a table, a file) and runs
``geoalloc run`` on it. :func:`check_outcome` then holds every run to the contract:

- exit 0, 3, 4 or 6 (a plan written but not proven; 2 for a mistake on the command line; 5, no
  solution in time, only where the example set the time limit) — never 1 (an internal error) or a
  signal;
- no traceback and no "internal error" anywhere in the output;
- on exit 3 the culprit — the key, column or file the example broke — is named on stderr;
- a case that breaks a documented constraint (NaN, inf, a negative count …) is refused: exit 3, not
  a plan made of it;
- the output folder holds every file of a run folder (exit 0 or 6) or does not exist (any other
  exit), and no hidden temporary folder is left beside it.

How many examples each test draws is scaled by ``GEOALLOC_FUZZ_SCALE`` (default 1: the CI budget);
``make fuzz`` raises it and writes the tally of every run (:data:`TALLY`) to
``GEOALLOC_FUZZ_TALLY``.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import HealthCheck, settings

from tests.helpers import REPO_ROOT, write_scenario

#: the files of a complete run folder (geoalloc/runs/schema.py)
RUN_FILES = ("map.html", "report.html", "summary.json", "manifest.json", "results.gpkg")
#: exit codes a run may end with: ok, invalid input, infeasible, written but not proven
RUN_EXITS = frozenset({0, 3, 4, 6})
#: exit codes of a run that wrote its folder
WRITTEN_EXITS = frozenset({0, 6})
#: the exit code of a mistake on the command line
USAGE_EXIT = 2

AREAS_FILE = "areas.gpkg"
SITES_FILE = "sites.gpkg"
TRAVEL_FILE = "travel.csv"
HISTORY_FILE = "history.csv"
#: the columns of the inputs (those of the Chicago files)
AREA_ID, POPULATION, OVER_FIFTY = "GEOID", "TotalPop", "OverFifty"
SITE_ID, BEDS = "Hospital", "Total_Bed"


def keep_going() -> bool:
    """``GEOALLOC_FUZZ_KEEP_GOING=1``: a run that breaks the contract is tallied as FAILED and the
    test goes on drawing (the long run counts every failure instead of stopping at the first; the
    session then fails if any run did)."""
    return os.environ.get("GEOALLOC_FUZZ_KEEP_GOING", "") not in ("", "0")


def scale() -> float:
    """``GEOALLOC_FUZZ_SCALE``: the factor on every test's number of examples (default 1)."""
    return float(os.environ.get("GEOALLOC_FUZZ_SCALE", "1"))


def fuzz_settings(examples: int) -> settings:
    """Hypothesis settings for a test drawing ``examples`` cases in CI (× :func:`scale`).

    In CI (scale 1) the draws are derandomized: the same cases every time, so a failure is never
    a fluke of the day. With a larger scale they are random (``--hypothesis-seed`` makes them
    repeatable). No deadline (the machine is shared) and no example database.
    """
    factor = scale()
    return settings(
        max_examples=max(1, math.ceil(examples * factor)),
        derandomize=factor <= 1,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        print_blob=True,
    )


# ----------------------------------------------------------------------------- the inputs


def build_inputs(shared_data: Path, folder: Path) -> Path:
    """Write the scenario's inputs into ``folder``: areas, sites, a travel table, a history."""
    import geopandas as gpd
    import numpy as np
    import pandas as pd

    chicago = shared_data / "chicago_kang2020"
    tracts = gpd.read_file(chicago / "chicago_tracts_pop.gpkg")
    hospitals = gpd.read_file(chicago / "chicago_hospitals.gpkg")
    hospitals = hospitals.set_geometry(hospitals.geometry.representative_point())
    # the 5 hospitals nearest the Loop, so that every one is in reach: the base run says nothing
    loop = gpd.GeoSeries(gpd.points_from_xy([-87.63], [41.88]), crs=4326).to_crs(26916).iloc[0]
    hospitals = hospitals.loc[hospitals.to_crs(26916).distance(loop).nsmallest(5).index]
    projected = hospitals.to_crs(26916).geometry
    centres = tracts.to_crs(26916).geometry.centroid
    nearest_m = centres.apply(lambda point: projected.distance(point).min())
    areas = tracts.loc[nearest_m.nsmallest(16).index, [AREA_ID, POPULATION, OVER_FIFTY, "geometry"]]
    areas.to_file(folder / AREAS_FILE)
    hospitals[[SITE_ID, BEDS, "geometry"]].to_file(folder / SITES_FILE)
    # the crow-fly minutes of the base scenario (30 km/h × circuity 1.3), as a travel table
    area_points = areas.to_crs(26916).geometry.representative_point()
    rows = [
        (area, site, float(point.distance(site_point)) * 1.3 / 1000 / 30 * 60)
        for area, point in zip(areas[AREA_ID], area_points, strict=True)
        for site, site_point in zip(hospitals[SITE_ID], projected, strict=True)
    ]
    pd.DataFrame(rows, columns=["origin", "destination", "minutes"]).to_csv(
        folder / TRAVEL_FILE, index=False
    )
    # real lengths of stay: the MIMIC-IV demo admissions
    admissions = pd.read_csv(
        shared_data / "mimic_iv_demo_2.2" / "hosp" / "admissions.csv.gz",
        parse_dates=["admittime", "dischtime"],
    )
    los_days = (admissions["dischtime"] - admissions["admittime"]).dt.total_seconds() / 86400
    history = pd.DataFrame({"hadm_id": admissions["hadm_id"], "los": np.round(los_days, 3)})
    history.to_csv(folder / HISTORY_FILE, index=False)
    return folder


def base_sections() -> dict[str, dict[str, object]]:
    """The scenario: beds for the 16 tracts at 3 of the 5 hospitals within 30 crow-fly minutes."""
    return {
        "areas": {
            "path": AREAS_FILE,
            "id": AREA_ID,
            "population": POPULATION,
            "age_bands": {OVER_FIFTY: "50+"},
        },
        "facilities": {
            "path": SITES_FILE,
            "id": SITE_ID,
            "name": SITE_ID,
            "capacity": {"beds": BEDS},
        },
        "network": {"source": "crowfly", "speed_kph": 30, "circuity": 1.3},
        "demand": {
            "resource": "beds",
            "admissions_per_1000": {"50+": 220.0, "other": 60.0},
            "los_days": 5.0,
            "occupancy_target": 0.85,
            "simulate_queues": False,
        },
        # the weighted objective: it reads the weights the fuzzing breaks (unmet_penalty_minutes,
        # minutes_weight, cost_weight), which the lexicographic default refuses as unused
        "optimize": {
            "model": "capacitated",
            "objective": "weighted",
            "p": 3,
            "max_minutes": 30,
            "time_limit_s": 10,
        },
    }


#: the [network] of a run from the travel table
MATRIX_NETWORK = {"source": "matrix", "path": TRAVEL_FILE}
#: the [history] section of a run whose LOS comes from the history
HISTORY_SECTION = {"path": HISTORY_FILE, "los": "los"}


@contextmanager
def scenario_folder(inputs: Path) -> Iterator[Path]:
    """A fresh copy of the inputs in a temporary folder, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="fuzz-") as tmp:
        folder = Path(tmp) / "case"
        shutil.copytree(inputs, folder)
        yield folder


def write_case_scenario(folder: Path, sections: Mapping[str, object]) -> Path:
    """The scenario file of ``sections`` (named "fuzz" unless a ``name`` is among them)."""
    name = str(sections.get("name", "fuzz"))
    tables = {k: dict(v) for k, v in sections.items() if k != "name"}  # type: ignore[call-overload]
    return write_scenario(folder, name=name, **tables)


# ----------------------------------------------------------------------------- running


@dataclass(frozen=True)
class Outcome:
    """How one run ended."""

    exit_code: int
    stdout: str
    stderr: str
    seconds: float


def run_in_process(args: list[str]) -> Outcome:
    """``geoalloc ARGS`` through click's CliRunner, in this process.

    An exception that escapes the command is an internal error: it is written into stderr with
    its traceback, so that the check sees and reports it.
    """
    import traceback

    from click.testing import CliRunner

    from geoalloc.cli import cli

    started = time.perf_counter()
    result = CliRunner().invoke(cli, args, catch_exceptions=True)
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += "".join(traceback.format_exception(result.exception))
    return Outcome(result.exit_code, result.stdout, stderr, time.perf_counter() - started)


def run_subprocess(args: list[str], cwd: Path) -> Outcome:
    """``python -m geoalloc ARGS`` as a real process running this checkout's code."""
    path = os.pathsep.join(p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH")) if p)
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "geoalloc", *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": path},
        capture_output=True,
        text=True,
        timeout=300,
    )
    return Outcome(proc.returncode, proc.stdout, proc.stderr, time.perf_counter() - started)


# ----------------------------------------------------------------------------- what a run must do


@dataclass(frozen=True)
class Case:
    """One broken copy of the scenario.

    Attributes
    ----------
    family
        The constraint family (a test function), e.g. ``"demand values"``.
    what
        What was broken, readable: ``"[demand] los_days = nan"``.
    culprits
        Names of which at least one must appear on stderr when the run ends in exit 3: the key,
        column or file that was broken.
    invalid
        True when the case breaks a documented constraint, so the run must refuse it (exit 3);
        False when the value is allowed and any of exit 0, 3, 4 may follow.
    warning_ok
        An invalid case may also run (exit 0) if a warning on stderr names the culprit.
    extra_exits
        Exit codes this case may also end with (5 where it set the solver's time limit).
    """

    family: str
    what: str
    culprits: tuple[str, ...]
    invalid: bool
    warning_ok: bool = False
    extra_exits: frozenset[int] = frozenset()


@dataclass
class Tally:
    """Every fuzzed run: cases per family, exit codes seen, seconds."""

    runs: list[dict[str, object]] = field(default_factory=list)
    started: float = field(default_factory=time.perf_counter)

    def add(self, case: Case, outcome: Outcome, verdict: str, problems: list[str]) -> None:
        run: dict[str, object] = {
            "family": case.family,
            "what": case.what[:200],
            "exit": outcome.exit_code,
            "seconds": round(outcome.seconds, 3),
            "verdict": verdict,
        }
        if problems:
            run["problems"] = problems
            run["stderr"] = outcome.stderr[-600:]
        self.runs.append(run)

    @property
    def failed(self) -> list[dict[str, object]]:
        return [r for r in self.runs if r["verdict"] == "FAILED"]

    def summary(self) -> dict[str, object]:
        families: dict[str, dict[str, object]] = {}
        for run in self.runs:
            entry = families.setdefault(
                str(run["family"]), {"cases": 0, "exit_codes": Counter(), "verdicts": Counter()}
            )
            entry["cases"] += 1  # type: ignore[operator]
            entry["exit_codes"][str(run["exit"])] += 1  # type: ignore[index]
            entry["verdicts"][str(run["verdict"])] += 1  # type: ignore[index]
        return {
            "cases": len(self.runs),
            "exit_codes": dict(Counter(str(r["exit"]) for r in self.runs)),
            "verdicts": dict(Counter(str(r["verdict"]) for r in self.runs)),
            "wall_s": round(time.perf_counter() - self.started, 1),
            "run_s": round(sum(float(r["seconds"]) for r in self.runs), 1),  # type: ignore[arg-type]
            "families": {
                name: {k: dict(v) if isinstance(v, Counter) else v for k, v in entry.items()}
                for name, entry in sorted(families.items())
            },
        }

    def write(self, path: Path) -> None:
        """The counts, and every run that broke the contract (what, exit, problems, stderr)."""
        document = {"summary": self.summary(), "failed": self.failed}
        path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


#: every run of this session (written by the suite's conftest when GEOALLOC_FUZZ_TALLY is set)
TALLY = Tally()


def problems_with(case: Case, outcome: Outcome, out_dir: Path, *, usage: bool = False) -> list[str]:
    """Every way the run broke the contract (see the module's docstring); empty when it kept it."""
    problems = []
    text = outcome.stdout + outcome.stderr
    allowed = ({USAGE_EXIT} if usage else RUN_EXITS) | case.extra_exits
    if outcome.exit_code not in allowed:
        problems.append(f"exit {outcome.exit_code}, expected one of {sorted(allowed)}")
    if "Traceback" in text:
        problems.append("a traceback was printed")
    if "internal error" in text:
        problems.append("an internal error was reported")
    refused = outcome.exit_code in (3, USAGE_EXIT) if usage else outcome.exit_code == 3
    if refused and not any(c in outcome.stderr for c in case.culprits):
        problems.append(f"stderr names none of {list(case.culprits)}")
    warned = "warning" in outcome.stderr.lower() and any(c in outcome.stderr for c in case.culprits)
    if case.invalid and outcome.exit_code == 0 and not (case.warning_ok and warned):
        problems.append(
            "an invalid value was accepted (exit 0)"
            + (" without a warning naming it" if case.warning_ok else "")
        )
    if case.invalid and outcome.exit_code in (4, 6):
        problems.append(f"an invalid value ended as exit {outcome.exit_code}, not exit 3")
    problems += folder_problems(out_dir, complete=outcome.exit_code in WRITTEN_EXITS)
    return problems


def folder_problems(out_dir: Path, *, complete: bool) -> list[str]:
    """The run folder is complete (``complete``) or absent; no temporary folder is left beside it."""
    problems = []
    if complete:
        if not out_dir.is_dir():
            problems.append(
                f"the run ended as written but there is no output folder {out_dir.name}"
            )
        else:
            missing = [n for n in RUN_FILES if not (out_dir / n).is_file()]
            empty = [
                n for n in RUN_FILES if (out_dir / n).is_file() and not (out_dir / n).stat().st_size
            ]
            if missing or empty:
                problems.append(f"output folder incomplete: missing {missing}, empty {empty}")
            for name in ("summary.json", "manifest.json"):
                try:
                    json.loads(
                        (out_dir / name).read_text(encoding="utf-8"),
                        parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)),
                    )
                except (OSError, ValueError) as exc:
                    problems.append(f"{name} is not strict JSON: {exc}")
    elif out_dir.exists():
        problems.append(
            f"the run failed but left an output folder: {sorted(p.name for p in out_dir.iterdir())}"
        )
    if out_dir.parent.is_dir():
        leftovers = sorted(  # the lock file may stay: it is a lock only while a run holds it
            p.name
            for p in out_dir.parent.iterdir()
            if p.name.startswith(f".{out_dir.name}.") and p.is_dir()
        )
        if leftovers:
            problems.append(f"temporary folders left beside the output: {leftovers}")
    return problems


def check_outcome(case: Case, outcome: Outcome, out_dir: Path, *, usage: bool = False) -> None:
    """Tally the run and fail with the case, the problems and the output when it broke the
    contract."""
    problems = problems_with(case, outcome, out_dir, usage=usage)
    TALLY.add(case, outcome, "FAILED" if problems else "ok", problems)
    if problems and not keep_going():
        raise AssertionError(
            f"{case.family}: {case.what}\n"
            + "".join(f"  - {p}\n" for p in problems)
            + f"exit {outcome.exit_code}\n--- stderr ---\n{outcome.stderr[-3000:]}"
            + f"\n--- stdout ---\n{outcome.stdout[-1000:]}"
        )


def run_case(
    inputs: Path,
    case: Case,
    sections: Mapping[str, Mapping[str, object]],
    *,
    prepare: Callable[[Path], None] | None = None,
    subprocess_run: bool = False,
) -> Outcome:
    """Copy the inputs, let ``prepare`` break files, write the scenario, run it and check it."""
    with scenario_folder(inputs) as folder:
        if prepare is not None:
            prepare(folder)
        scenario = write_case_scenario(folder, sections)
        out_dir = folder / "out"
        args = ["run", str(scenario), "--out", str(out_dir)]
        outcome = run_subprocess(args, folder) if subprocess_run else run_in_process(args)
        check_outcome(case, outcome, out_dir)
        return outcome
