"""Spatial accessibility indices over any travel table (areas → sites, minutes): 2SFCA, E2SFCA,
BFCA and the demand-adjusted gravity index, per area in supply per 1,000 people.

>>> import pandas as pd
>>> from geoalloc.access import Decay, access_index
>>> pairs = pd.DataFrame({"area": ["a", "a", "b"], "site": ["s", "t", "t"],
...                       "minutes": [5.0, 15.0, 30.0]})
>>> index = access_index(pairs, pd.Series({"a": 2000.0, "b": 1000.0}),
...                      pd.Series({"s": 4.0, "t": 3.0}), method="2sfca", max_minutes=30)
>>> index.per_1000.round(3).tolist()
[3.0, 1.0]
"""

from geoalloc.access.decay import KANG_STEPS, Decay
from geoalloc.access.indices import (
    METHODS,
    PER_PEOPLE,
    AccessIndex,
    access_index,
    balanced_fca,
    gravity,
    supply_potential,
    two_step_fca,
)

__all__ = [
    "KANG_STEPS",
    "METHODS",
    "PER_PEOPLE",
    "AccessIndex",
    "Decay",
    "access_index",
    "balanced_fca",
    "gravity",
    "supply_potential",
    "two_step_fca",
]
