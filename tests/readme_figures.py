"""Figures quoted in a README, read from its text and compared with what a run gives.

A worked example's README quotes figures from a run. A test names each figure by the words around
it (``{}`` where the number stands) and gives the value the run recomputes; the number is read from
the README, so a README and a run that drift apart fail with the figure's name, the README's number
and the run's. Every other number in the checked text must be declared as not a figure (an id, a
year, a file name …), so a new figure cannot be added without a test::

    readme = ReadmeFigures(EXAMPLE / "README.md", start="## What it shows")
    readme.figure("{} beds needed in all", summary["demand"]["beds"])
    readme.figure("USD {}–{} M to open", 1.2, 3.0)
    readme.not_figures("COVID-19", "ACS 2018")
    readme.verify()

A number matches when it equals the run's value rounded to the README's last shown digit (``964``:
within 0.5; ``2.63``: within 0.005). Whitespace (line breaks) in the README and in the patterns is
compared as one space; ``,`` is the thousands separator and ``−`` a minus sign.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

NUMBER = r"[−-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
WORDS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty"
).split()
_NUMBER_RE = re.compile(r"(?<![\w.])" + NUMBER + r"(?![\w])")


def _spaces(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def _value(token: str) -> tuple[float, float]:
    """A README number and half its last shown digit."""
    plain = token.replace(",", "").replace("−", "-")
    decimals = len(plain.split(".")[1]) if "." in plain else 0
    return float(plain), 0.5 * 10.0**-decimals


@dataclass
class ReadmeFigures:
    """The figures of one README (or of the part between ``start`` and ``end``)."""

    path: Path
    start: str | None = None
    end: str | None = None
    text: str = field(init=False)
    problems: list[str] = field(default_factory=list, init=False)
    covered: list[tuple[int, int]] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        text = self.path.read_text(encoding="utf-8")
        if self.start is not None:
            assert self.start in text, f"{self.path}: no {self.start!r}"
            text = text[text.index(self.start) :]
        if self.end is not None:
            assert self.end in text, f"{self.path}: no {self.end!r}"
            text = text[: text.index(self.end)]
        self.text = _spaces(text)

    def _find(self, pattern: str, what: str) -> re.Match[str] | None:
        parts = _spaces(pattern).split("{}")
        regex = f"({NUMBER})".join(re.escape(p) for p in parts)
        found = list(re.finditer(regex, self.text))
        if len(found) != 1:
            where = "is not" if not found else f"is {len(found)} times"
            self.problems.append(f"{what}: the text {pattern!r} {where} in the README")
            return None
        self.covered.append(found[0].span())
        return found[0]

    def figure(self, pattern: str, *values: float, what: str | None = None) -> None:
        """The README holds ``pattern`` once, its ``{}`` numbers equal to ``values`` (in order)."""
        what = what or pattern
        assert pattern.count("{}") == len(values), f"{what}: one value per {{}}"
        match = self._find(pattern, what)
        if match is None:
            return
        for token, value in zip(match.groups(), values, strict=True):
            shown, half = _value(token)
            if not abs(shown - value) <= half + 1e-9 * max(1.0, abs(value)):
                self.problems.append(
                    f"{what}: the README says {token} where the run gives {value:,.6g} "
                    f"(in {match.group(0)!r})"
                )

    def count(self, pattern: str, value: int, what: str | None = None) -> None:
        """The README holds ``pattern`` once, with the number word (one … twenty) at ``{}``
        naming ``value``: "three field hospitals" in prose."""
        what = what or pattern
        parts = _spaces(pattern).split("{}")
        assert len(parts) == 2, f"{what}: one {{}} per count"
        regex = f"({'|'.join(WORDS)})".join(re.escape(p) for p in parts)
        found = list(re.finditer(regex, self.text, flags=re.IGNORECASE))
        if len(found) != 1:
            where = "is not" if not found else f"is {len(found)} times"
            self.problems.append(f"{what}: the text {pattern!r} {where} in the README")
            return
        shown = WORDS.index(found[0].group(1).lower())
        if shown != value:
            self.problems.append(
                f"{what}: the README says {found[0].group(1)} where the run gives {value}"
            )

    def not_figures(self, *patterns: str) -> None:
        """Numbers in these texts are not figures (ids, years, names, file names, commands)."""
        for pattern in patterns:
            regex = re.escape(_spaces(pattern))
            found = list(re.finditer(regex, self.text))
            if not found:
                self.problems.append(f"not a figure: {pattern!r} is not in the README")
            self.covered.extend(m.span() for m in found)

    def unchecked(self) -> list[str]:
        """The numbers of the text that no figure or non-figure covers, with their context."""
        out = []
        for match in _NUMBER_RE.finditer(self.text):
            a, b = match.span()
            if not any(lo <= a and b <= hi for lo, hi in self.covered):
                out.append(f"{match.group(0)!r} in {self.text[max(0, a - 40) : b + 40]!r}")
        return out

    def verify(self) -> None:
        """Fail with every figure that differs or is missing and every number left unchecked."""
        left = self.unchecked()
        if left:
            self.problems.append(
                "numbers that no test recomputes (add a figure, or a not-figure for ids):\n  "
                + "\n  ".join(left)
            )
        assert not self.problems, f"{self.path}:\n- " + "\n- ".join(self.problems)
