"""A small SVG plotter for the report's charts: lines, steps, markers and horizontal bars on
linear axes, with ticks, grid, labels and a legend, written as plain SVG text.

The report's charts need nothing more, and drawing them here takes milliseconds where matplotlib
took ~1.3 s a run (importing it and laying out the SVG twice). Text stays text, XML-escaped, so
labels from input data in any script are drawn by the browser in its own fonts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

import numpy as np
from numpy.typing import ArrayLike

#: font sizes in px (the report shows the image at its width, ≤ the page's)
FONT_PX = 11
SMALL_PX = 9
#: the average advance of a character at FONT_PX (a sans-serif font), to size the margins
CHAR_PX = 0.58


def nice_ticks(low: float, high: float, count: int = 6) -> list[float]:
    """Round tick values covering ``[low, high]``: steps of 1, 2 or 5 × 10ⁿ, about ``count``."""
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        return [low] if math.isfinite(low) else [0.0]
    raw = (high - low) / max(count - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.ceil(low / step - 1e-9) * step
    ticks = []
    value = first
    while value <= high + 1e-9 * step:
        ticks.append(round(value, 12))
        value += step
    return ticks


def tick_label(value: float) -> str:
    """A tick value without trailing zeros (``1e4`` → ``10000``; ``2.5`` stays)."""
    if value == 0:
        return "0"
    text = f"{value:.6g}"
    return text if "e" not in text else f"{value:,.0f}"


def _number(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


@dataclass
class Chart:
    """One chart: a plot area with linear x and y axes (or labelled bar rows instead of y)."""

    width: float
    height: float
    xlim: tuple[float, float]
    ylim: tuple[float, float]
    xlabel: str = ""
    ylabel: str = ""
    rows: Sequence[str] = ()  # labels of horizontal bar rows, bottom (row 0) to top
    x_grid: bool = True
    y_grid: bool = True
    _marks: list[str] = field(default_factory=list)
    _legend: list[tuple[str, str, str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        label_px = max((len(r) for r in self.rows), default=0) * SMALL_PX * CHAR_PX
        self.left = 14 + (label_px + 8 if self.rows else 48) + (16 if self.ylabel else 0)
        self.right, self.top, self.bottom = 16.0, 10.0, 44.0

    # --- scales ---------------------------------------------------------------------------

    def px(self, x: float) -> float:
        low, high = self.xlim
        span = high - low or 1.0
        return self.left + (x - low) / span * (self.width - self.left - self.right)

    def py(self, y: float) -> float:
        low, high = self.ylim
        span = high - low or 1.0
        return self.height - self.bottom - (y - low) / span * (self.height - self.top - self.bottom)

    # --- marks ----------------------------------------------------------------------------

    def line(
        self,
        xs: ArrayLike,
        ys: ArrayLike,
        colour: str,
        *,
        label: str | None = None,
        dash: str | None = None,
        width: float = 2.0,
        step: bool = False,
        markers: bool = False,
    ) -> None:
        """A polyline through the finite points (``step``: holds each value to the next x)."""
        x = np.asarray(xs, dtype=float)
        y = np.asarray(ys, dtype=float)
        keep = np.isfinite(x) & np.isfinite(y)
        x, y = x[keep], y[keep]
        if step and len(x) > 1:
            x = np.repeat(x, 2)[1:]
            y = np.repeat(y, 2)[:-1]
        points = " ".join(
            f"{_number(self.px(a))},{_number(self.py(b))}" for a, b in zip(x, y, strict=True)
        )
        style = f' stroke-dasharray="{dash}"' if dash else ""
        if len(x):
            self._marks.append(
                f'<polyline points="{points}" fill="none" stroke="{colour}" '
                f'stroke-width="{width:g}"{style}/>'
            )
        if markers:
            self._marks.extend(
                f'<circle cx="{_number(self.px(a))}" cy="{_number(self.py(b))}" r="3.5" '
                f'fill="{colour}"/>'
                for a, b in zip(x, y, strict=True)
            )
        if label:
            self._legend.append((label, colour, "line", dash or ""))

    def bars(
        self,
        rows: ArrayLike,
        widths: ArrayLike,
        colour: str,
        *,
        height: float,
        left: ArrayLike | None = None,
        label: str | None = None,
    ) -> None:
        """Horizontal bars centred on row positions ``rows`` (row units), from ``left`` (or 0)."""
        sizes = np.asarray(widths, dtype=float)
        starts = np.zeros(len(sizes)) if left is None else np.asarray(left, dtype=float)
        for row, w, start in zip(np.asarray(rows, dtype=float), sizes, starts, strict=True):
            if not (math.isfinite(w) and w > 0):
                continue
            x0, x1 = self.px(start), self.px(start + w)
            y0, y1 = self.py(row + height / 2), self.py(row - height / 2)
            self._marks.append(
                f'<rect x="{_number(x0)}" y="{_number(y0)}" width="{_number(x1 - x0)}" '
                f'height="{_number(y1 - y0)}" fill="{colour}"/>'
            )
        if label:
            self._legend.append((label, colour, "box", ""))

    def vline(self, x: float, colour: str = "#555", note: str | None = None) -> None:
        """A dashed vertical reference line at ``x``, with a note at mid-height on its left."""
        px = _number(self.px(x))
        self._marks.append(
            f'<line x1="{px}" x2="{px}" y1="{_number(self.top)}" '
            f'y2="{_number(self.height - self.bottom)}" stroke="{colour}" stroke-width="1" '
            'stroke-dasharray="5,3"/>'
        )
        if note:
            middle = (self.top + self.height - self.bottom) / 2
            self._marks.append(
                f'<text x="{_number(self.px(x) - 4)}" y="{_number(middle)}" text-anchor="end" '
                f'font-size="{SMALL_PX}" fill="{colour}">{escape(note)}</text>'
            )

    # --- output ---------------------------------------------------------------------------

    def _axes(self) -> list[str]:
        out = []
        x0, x1 = self.left, self.width - self.right
        y0, y1 = self.top, self.height - self.bottom
        for value in nice_ticks(*self.xlim):
            px = _number(self.px(value))
            if self.x_grid:
                out.append(
                    f'<line x1="{px}" x2="{px}" y1="{y0:g}" y2="{y1:g}" stroke="#ccc" '
                    'stroke-width="0.6"/>'
                )
            out.append(
                f'<text x="{px}" y="{_number(y1 + 14)}" text-anchor="middle" '
                f'font-size="{SMALL_PX}">{tick_label(value)}</text>'
            )
        if self.rows:
            for i, label in enumerate(self.rows):
                out.append(
                    f'<text x="{_number(x0 - 5)}" y="{_number(self.py(i) + 3)}" '
                    f'text-anchor="end" font-size="{SMALL_PX - 1}">{escape(label)}</text>'
                )
        else:
            for value in nice_ticks(*self.ylim):
                py = _number(self.py(value))
                if self.y_grid:
                    out.append(
                        f'<line x1="{x0:g}" x2="{x1:g}" y1="{py}" y2="{py}" stroke="#ccc" '
                        'stroke-width="0.6"/>'
                    )
                out.append(
                    f'<text x="{_number(x0 - 5)}" y="{_number(float(py) + 3)}" '
                    f'text-anchor="end" font-size="{SMALL_PX}">{tick_label(value)}</text>'
                )
        out.append(
            f'<rect x="{x0:g}" y="{y0:g}" width="{_number(x1 - x0)}" height="{_number(y1 - y0)}" '
            'fill="none" stroke="#333" stroke-width="0.8"/>'
        )
        if self.xlabel:
            out.append(
                f'<text x="{_number((x0 + x1) / 2)}" y="{_number(self.height - 8)}" '
                f'text-anchor="middle" font-size="{FONT_PX}">{escape(self.xlabel)}</text>'
            )
        if self.ylabel:
            middle = _number((y0 + y1) / 2)
            out.append(
                f'<text x="14" y="{middle}" transform="rotate(-90 14 {middle})" '
                f'text-anchor="middle" font-size="{FONT_PX}">{escape(self.ylabel)}</text>'
            )
        return out

    def _legend_box(self) -> list[str]:
        if not self._legend:
            return []
        longest = max(len(label) for label, *_ in self._legend)
        box_w = 34 + longest * SMALL_PX * CHAR_PX
        box_h = 8 + 14 * len(self._legend)
        x = self.width - self.right - box_w - 6
        y = self.height - self.bottom - box_h - 6
        out = [
            f'<rect x="{_number(x)}" y="{_number(y)}" width="{_number(box_w)}" '
            f'height="{box_h}" fill="white" fill-opacity="0.85" stroke="#bbb" stroke-width="0.6"/>'
        ]
        for i, (label, colour, kind, dash) in enumerate(self._legend):
            cy = y + 11 + 14 * i
            if kind == "line":
                style = f' stroke-dasharray="{dash}"' if dash else ""
                out.append(
                    f'<line x1="{_number(x + 6)}" x2="{_number(x + 26)}" y1="{_number(cy)}" '
                    f'y2="{_number(cy)}" stroke="{colour}" stroke-width="2"{style}/>'
                )
            else:
                out.append(
                    f'<rect x="{_number(x + 8)}" y="{_number(cy - 4)}" width="16" height="8" '
                    f'fill="{colour}"/>'
                )
            out.append(
                f'<text x="{_number(x + 31)}" y="{_number(cy + 3)}" font-size="{SMALL_PX}">'
                f"{escape(label)}</text>"
            )
        return out

    def svg(self) -> str:
        """The chart as a standalone SVG document."""
        clip = (
            f'<clipPath id="plot"><rect x="{self.left:g}" y="{self.top:g}" '
            f'width="{_number(self.width - self.left - self.right)}" '
            f'height="{_number(self.height - self.top - self.bottom)}"/></clipPath>'
        )
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{self.width:g}" '
            f'height="{self.height:g}" viewBox="0 0 {self.width:g} {self.height:g}" '
            'font-family="DejaVu Sans, Arial, Helvetica, sans-serif">'
            f'<rect width="100%" height="100%" fill="white"/><defs>{clip}</defs>'
            + "".join(self._axes())
            + '<g clip-path="url(#plot)">'
            + "".join(self._marks)
            + "</g>"
            + "".join(self._legend_box())
            + "</svg>"
        )


__all__ = ["Chart", "nice_ticks", "tick_label"]
