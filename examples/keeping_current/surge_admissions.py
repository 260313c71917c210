"""Write a SYNTHETIC series of daily admissions for the surge-refit example (not observed data).

No daily admissions series of a real epidemic is in ``../shared/data`` (``chicago_kang2020`` has
cumulative COVID-19 cases per ZIP code only), so this draws one: the region's baseline admissions
of ``plan_sir.toml`` (its population and admission rates) plus the surge admissions of CHIME's SIR
with the scenario's parameters except a doubling time of 3 days (the plan assumed 4) and 2 in
10,000 infected on the first day, as Poisson counts (seed 2020) over 35 days from 2020-03-09.
``geoalloc update maps/keeping-current/sir --surge-admissions <this file>`` then refits the surge
and should find the faster growth.

Run from the repo root: ``python examples/keeping_current/surge_admissions.py [--out FILE]``
(default ``maps/keeping-current/daily_admissions_synthetic.csv``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from geoalloc._validate import Problems
from geoalloc.demand.surge import sir_new_infections
from geoalloc.demand.surge_fit import region_baseline
from geoalloc.inputs.read import read_areas
from geoalloc.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = Path(__file__).resolve().parent / "plan_sir.toml"
#: the synthetic epidemic: what differs from the scenario's surge
TRUE_DOUBLING_DAYS = 3.0
TRUE_INITIAL_SHARE = 2e-4
DAYS = 35
FIRST_DATE = "2020-03-09"
SEED = 2020


def scenario_baseline(scenario_path: Path = SCENARIO) -> tuple[float, float]:
    """The scenario's region baseline admissions per day (no surge) and its population."""
    scenario = load_scenario(scenario_path)
    problems = Problems()
    areas = read_areas(scenario.areas, problems)
    problems.raise_if_any()
    assert areas is not None
    return region_baseline(
        areas,
        population=scenario.areas.population,
        age_bands=scenario.areas.age_bands,
        demand=scenario.demand,
    )


def synthetic_admissions(scenario_path: Path = SCENARIO) -> pd.DataFrame:
    """The synthetic series: ``date``, ``admissions`` (see the module's documentation)."""
    baseline, population = scenario_baseline(scenario_path)
    surge = load_scenario(scenario_path).demand.surge.model_copy(
        update={
            "doubling_time_days": TRUE_DOUBLING_DAYS,
            "initial_infected_share": TRUE_INITIAL_SHARE,
            "days": DAYS,
        }
    )
    scale = population * surge.hospitalised_share * surge.market_share
    expected = baseline + scale * sir_new_infections(surge)
    counts = np.random.default_rng(SEED).poisson(expected)
    dates = pd.date_range(FIRST_DATE, periods=DAYS, freq="D").strftime("%Y-%m-%d")
    return pd.DataFrame({"date": dates, "admissions": counts})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out",
        type=Path,
        default=ROOT / "maps" / "keeping-current" / "daily_admissions_synthetic.csv",
    )
    args = parser.parse_args()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    table = synthetic_admissions()
    table.to_csv(args.out, index=False)
    print(f"{args.out}: {len(table)} days of SYNTHETIC admissions ({table['admissions'].sum():,})")


if __name__ == "__main__":
    main()
