"""Bad history rows are counted and reported, never silently dropped."""

from __future__ import annotations

import logging

import pandas as pd
import pytest

from geoalloc._errors import InputError
from geoalloc.demand.history import read_history
from geoalloc.demand.options import HistoryOptions


def timestamps_csv(tmp_path):
    frame = pd.DataFrame(
        {
            "hadm_id": [1, 2, 3, 4, 5, 6, 7],
            "admittime": [
                "2020-01-01 10:00",
                "2020-01-02 10:00",
                "",
                "2020-01-05 08:00",
                "not a date",
                "2020-01-06 00:00",
                "2020-01-07 00:00",
            ],
            "dischtime": [
                "2020-01-03 10:00",  # 2 days
                "2020-01-01 10:00",  # before admission
                "2020-01-04 10:00",  # admission missing
                "",  # discharge missing
                "2020-01-09 10:00",  # admission unparsable
                "2020-01-06 12:00",  # 0.5 days
                "2020-01-17 00:00",  # 10 days
            ],
            "area": ["A", "A", "B", "B", "A", "Z", None],
        }
    )
    path = tmp_path / "adm.csv"
    frame.to_csv(path, index=False)
    return path


def test_timestamp_problems_counted_with_row_ids(tmp_path, caplog):
    path = timestamps_csv(tmp_path)
    with caplog.at_level(logging.WARNING, logger="geoalloc.demand.history"):
        history = read_history(path)
    p = history.problems
    assert p.n_rows == 7
    assert p.counts == {"missing_timestamp": 2, "bad_timestamp": 1, "discharge_before_admission": 1}
    assert p.examples["discharge_before_admission"] == ["hadm_id=2"]
    assert p.examples["missing_timestamp"] == ["hadm_id=3", "hadm_id=4"]
    assert p.examples["bad_timestamp"] == ["hadm_id=5"]
    assert len(history.table) == 3 == p.n_rows - p.n_bad
    assert history.table["los_days"].tolist() == pytest.approx([2.0, 0.5, 10.0])
    assert "discharge before admission" in caplog.text and "hadm_id=2" in caplog.text
    summary = p.to_dict()
    assert summary["rows_used"] == 3 and summary["rows_left_out"]["missing_timestamp"] == 2


def test_unknown_and_missing_area_ids(tmp_path):
    path = timestamps_csv(tmp_path)
    options = HistoryOptions(path=path, area_id="area")
    history = read_history(path, options, area_ids=["A", "B"])
    assert history.problems.counts["unknown_area"] == 1
    assert history.problems.examples["unknown_area"] == ["hadm_id=6"]
    assert history.problems.counts["missing_area"] == 1
    assert len(history.table) == 1  # only hadm_id 1 is fully valid
    assert history.table["area"].tolist() == ["A"]


def test_strict_raises_with_every_reason(tmp_path):
    path = timestamps_csv(tmp_path)
    options = HistoryOptions(path=path, area_id="area")
    with pytest.raises(InputError) as err:
        read_history(path, options, area_ids=["A", "B"], strict=True)
    text = str(err.value)
    for words in ("discharge before admission", "time missing", "not a date", "no area has"):
        assert words in text
    assert len(err.value.problems) == 5


def test_negative_and_missing_los_column():
    frame = pd.DataFrame({"los": [1.0, -2.0, None, "x", 3.5, float("inf")]})
    history = read_history(frame)
    assert history.problems.counts == {"missing_los": 2, "infinite_los": 1, "negative_los": 1}
    assert history.problems.examples["negative_los"] == ["row 3"]  # file line 3
    assert history.table["los_days"].tolist() == [1.0, 3.5]


def test_unknown_bands():
    frame = pd.DataFrame({"Stay": ["0-10", "11-20", "eleven", None, "More than 100 Days"]})
    history = read_history(frame)
    assert history.problems.counts == {"unknown_band": 2}
    assert len(history.table) == 3


def test_all_rows_bad_is_an_error():
    with pytest.raises(InputError, match="negative LOS"):
        read_history(pd.DataFrame({"los": [-1.0, -2.0]}))


def test_a_header_only_history_says_it_has_no_rows(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("admittime,dischtime\n")
    with pytest.raises(InputError, match="empty.csv: no rows \\(only a header\\) — give a history"):
        read_history(path)


def test_column_mapping_errors_list_every_problem(tmp_path):
    path = timestamps_csv(tmp_path)
    options = HistoryOptions(path=path, admit="in", discharge="out", area_id="zone")
    with pytest.raises(InputError) as err:
        read_history(path, options)
    assert len(err.value.problems) == 3
    with pytest.raises(InputError, match="no LOS found"):
        read_history(pd.DataFrame({"a": [1], "b": [2]}))
    with pytest.raises(InputError, match="not found"):
        read_history(tmp_path / "missing.csv")


def test_explicit_columns_and_years(tmp_path):
    frame = pd.DataFrame(
        {
            "in": ["2020-01-01", "2021-01-01"],
            "out": ["2020-01-03", "2021-01-02"],
            "ward": ["x", None],
        }
    )
    options = HistoryOptions(path="-", admit="in", discharge="out", group_by=["ward"])
    history = read_history(frame, options)
    assert history.table["los_days"].tolist() == [2.0, 1.0]
    assert history.table["ward"].tolist() == ["x", "(missing)"]  # kept, labelled
    assert history.years == pytest.approx(366 / 365.25)
