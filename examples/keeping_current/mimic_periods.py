"""Split the MIMIC-IV demo admissions into the real periods they fall in, for the update example.

MIMIC-IV shifts every patient's dates by its own offset (into 2110–2201) for de-identification,
but gives each patient's ``anchor_year`` (a shifted year) and ``anchor_year_group``: the real
three-year period that anchor year falls in (2011–2013 or 2014–2016 in the demo). An admission
``admit_year − anchor_year`` years after the anchor therefore falls that many years after a real
year of the group; taking the group's middle year, its real year is within a year of
``group_start + 1 + admit_year − anchor_year``. The admissions are written per period:

- ``admissions_2011-2013.csv``: the history the plan is made on;
- ``inbox/admissions_2014-2016.csv`` and ``inbox/admissions_2017-2021.csv``: the new data, in the
  order they arrive (for ``geoalloc update`` and ``geoalloc follow``).

Each file keeps the columns a history needs (``hadm_id``, ``admittime``, ``dischtime``) and the
estimated real year. The dates stay shifted: only the stays (discharge − admission) are used.

Run from the repo root: ``python examples/keeping_current/mimic_periods.py [--out DIR]``
(default ``maps/keeping-current/mimic``; reads ``../shared/data/mimic_iv_demo_2.2``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
MIMIC = ROOT.parent / "shared" / "data" / "mimic_iv_demo_2.2"
PERIODS = (("2011-2013", 2011, 2013), ("2014-2016", 2014, 2016), ("2017-2021", 2017, 2021))


def admissions_by_period(mimic: Path = MIMIC) -> dict[str, pd.DataFrame]:
    """The demo's admissions per real period (see the module's documentation)."""
    admissions = pd.read_csv(mimic / "hosp" / "admissions.csv.gz")
    patients = pd.read_csv(mimic / "hosp" / "patients.csv.gz")
    rows = admissions.merge(
        patients[["subject_id", "anchor_year", "anchor_year_group"]], on="subject_id"
    )
    start = rows["anchor_year_group"].str.slice(0, 4).astype(int)
    admit_year = pd.to_datetime(rows["admittime"]).dt.year
    rows["real_year"] = start + 1 + admit_year - rows["anchor_year"]
    columns = ["hadm_id", "admittime", "dischtime", "real_year"]
    return {
        label: rows.loc[rows["real_year"].between(first, last), columns].reset_index(drop=True)
        for label, first, last in PERIODS
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "maps" / "keeping-current" / "mimic")
    args = parser.parse_args()
    periods = admissions_by_period()
    (args.out / "inbox").mkdir(parents=True, exist_ok=True)
    for n, (label, table) in enumerate(periods.items()):
        folder = args.out if n == 0 else args.out / "inbox"
        path = folder / f"admissions_{label}.csv"
        table.to_csv(path, index=False)
        print(f"{path}: {len(table)} admissions")


if __name__ == "__main__":
    main()
