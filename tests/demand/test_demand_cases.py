import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from geoalloc.demand.cases import case_multiplier, cases_per_area
from geoalloc.demand.options import CasesOptions


def test_cases_spread_by_population_and_unplaced_cases_reported() -> None:
    zones = gpd.GeoDataFrame(
        {"cases": [30.0, 10.0, 5.0]},
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(5, 5, 6, 6)],
        crs=4326,
    )
    points = gpd.GeoDataFrame(
        geometry=[Point(0.2, 0.5), Point(0.8, 0.5), Point(1.5, 0.5), Point(9, 9)],
        index=list("abcd"),
        crs=4326,
    )
    population = pd.Series([100.0, 200.0, 50.0, 80.0], index=list("abcd"))
    per_area, report = cases_per_area(points, population, zones, "cases")
    assert per_area.to_dict() == pytest.approx({"a": 10.0, "b": 20.0, "c": 10.0, "d": 0.0})
    assert report["cases_total"] == 45 and report["cases_placed"] == 40
    assert (
        report["zones_without_populated_area"] == 1 and report["cases_in_zones_without_area"] == 5
    )
    assert report["areas_in_no_zone"] == 1


def test_case_multiplier_by_hand() -> None:
    options = CasesOptions(path="z.gpkg", cases="cases", admitted_share=0.2, days=10)
    base = pd.Series([2.0, 0.0, 0.0], index=list("abc"))
    cases = pd.Series([50.0, 0.0, 5.0], index=list("abc"))
    multiplier = case_multiplier(base, cases, options)
    assert multiplier["a"] == pytest.approx(1 + 50 * 0.2 / 10 / 2.0)
    assert multiplier["b"] == 1.0
    assert np.isinf(
        multiplier["c"]
    )  # cases where there are no baseline admissions: an input problem
