"""Input text and data made safe for a page: every output escapes with these two.

:func:`text` is for HTML (elements, attributes, and JS template literals); :func:`safe_json` for
data embedded in a ``<script>`` element.
"""

from __future__ import annotations

import html
import json
import math

import numpy as np
import pandas as pd

import geoalloc._text as fmt


def text(value: object) -> str:
    """``value`` as HTML-escaped text, safe in HTML, attributes and JS template literals."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return fmt.MISSING
    escaped = html.escape(str(value), quote=True)
    return escaped.replace("`", "&#96;").replace("$", "&#36;").replace("\\", "&#92;")


def safe_json(obj: object) -> str:
    """JSON that can sit inside a ``<script>`` element (``<``, ``>``, ``&`` escaped; NaN → null;
    numpy scalars as numbers; keys as text)."""

    def clean(o: object) -> object:
        if isinstance(o, float):
            return o if math.isfinite(o) else None
        if isinstance(o, dict):
            return {str(k): clean(v) for k, v in o.items()}
        if isinstance(o, list | tuple):
            return [clean(v) for v in o]
        if isinstance(o, np.generic):
            return clean(o.item())
        return o

    try:  # most data has no NaN and no numpy value: json walks it in C, many times faster
        dumped = json.dumps(
            obj, separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=_plain
        )
    except (ValueError, TypeError):
        dumped = json.dumps(clean(obj), separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return dumped.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _plain(o: object) -> object:
    """A numpy scalar as the Python number json writes (any other object: TypeError, so that
    :func:`safe_json` takes the slow path, which cleans every value)."""
    if isinstance(o, np.generic):
        item = o.item()
        if isinstance(item, float) and not math.isfinite(item):
            raise ValueError("not finite")
        return item
    raise TypeError(type(o).__name__)
