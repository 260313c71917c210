"""Lineage of run folders: which run an update started from, and the chain back to the first plan.

An update's ``manifest.json`` holds a ``parent`` record: where the parent run folder was (relative
to the update's own folder, and as given), the SHA-256 of the parent's ``manifest.json`` (which holds
the parent's input hashes, scenario and versions) and the parent's kind and scenario. Following the
records from an update back to a run without a parent gives the chain; each link is checked: the
parent must still be where it was and its manifest must still have the recorded hash, so a chain that
was altered after the fact (a parent rerun, replaced or moved) says where.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from geoalloc._errors import InputError
from geoalloc.runs.schema import MANIFEST_FILE, SUMMARY_FILE

#: the key of the parent record in an update's manifest.json
PARENT_KEY = "parent"
#: a chain longer than this is taken to loop (a folder cannot be its own ancestor)
MAX_CHAIN = 10_000


def manifest_sha256(folder: Path) -> str:
    """The SHA-256 of a run folder's ``manifest.json`` bytes (hex)."""
    path = Path(folder) / MANIFEST_FILE
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        msg = f"{folder}: no {MANIFEST_FILE} — not a geoalloc run folder (give the folder of a run)"
        raise InputError(msg) from None


def parent_record(parent: Path, child: Path) -> dict[str, Any]:
    """The ``parent`` record of an update written to ``child`` from the run folder ``parent``."""
    parent, child = Path(parent), Path(child)
    summary = _read_json(parent / SUMMARY_FILE, parent)
    return {
        "folder": os.path.relpath(parent.resolve(), child.resolve()),
        "given_as": str(parent),
        "manifest_sha256": manifest_sha256(parent),
        "kind": summary.get("kind"),
        "scenario": summary.get("scenario"),
    }


@dataclass(frozen=True)
class ChainStep:
    """One run of a chain (:func:`read_chain`, oldest first).

    ``parent_link`` is ``"none"`` for a run without a parent (the first plan), ``"ok"`` when its
    parent is where its record says with the recorded manifest hash, ``"missing"`` (no run folder
    there) or ``"changed"`` (the parent's manifest.json no longer has the recorded hash); with a
    broken link the chain starts at this run and ``parent_folder`` says where the parent was.
    """

    folder: Path
    scenario: str | None
    kind: str | None
    manifest_sha256: str
    parent_link: str
    parent_folder: str | None = None
    summary: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def kpis(self) -> dict[str, Any]:
        """Population covered, unmet demand per resource, sites open and changes made, where the
        run has them."""
        plan = self.summary.get("plan") or {}
        return {
            "covered_pct": plan.get("covered_pct"),
            "unmet": self.summary.get("unmet") or plan.get("unmet"),
            "sites_open": plan.get("sites_open"),
            "changes": (self.summary.get("update") or {}).get("changes"),
        }


def _read_json(path: Path, folder: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        msg = f"{folder}: no {path.name} — not a geoalloc run folder (give the folder of a run)"
        raise InputError(msg) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not readable JSON ({exc}) — the run folder is damaged") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: not a JSON object — the run folder is damaged")
    return data


def read_chain(folder: Path) -> list[ChainStep]:
    """The runs from the first plan to ``folder``, oldest first, each link checked.

    A broken link (a parent missing or changed) ends the walk: the chain then starts at the run
    whose parent record is broken (its ``parent_link`` says how).
    """
    steps: list[ChainStep] = []
    seen: set[Path] = set()
    current = Path(folder)
    while True:
        if current.resolve() in seen or len(steps) >= MAX_CHAIN:
            msg = f"{current}: the parent records loop back to this run — the chain is damaged"
            raise InputError(msg)
        seen.add(current.resolve())
        manifest = _read_json(current / MANIFEST_FILE, current)
        summary = _read_json(current / SUMMARY_FILE, current)
        record = manifest.get(PARENT_KEY) or None
        parent = (current / record["folder"]) if record and "folder" in record else None
        if record is None:
            link = "none"
        elif parent is None or not (parent / MANIFEST_FILE).is_file():
            link = "missing"
        elif manifest_sha256(parent) != record.get("manifest_sha256"):
            link = "changed"
        else:
            link = "ok"
        steps.append(
            ChainStep(
                folder=current,
                scenario=summary.get("scenario"),
                kind=summary.get("kind"),
                manifest_sha256=manifest_sha256(current),
                parent_link=link,
                parent_folder=(record.get("given_as") or record.get("folder")) if record else None,
                summary=summary,
            )
        )
        if link != "ok" or parent is None:
            return steps[::-1]
        current = Path(os.path.normpath(parent))


def broken_links(chain: list[ChainStep]) -> list[str]:
    """One line per broken link of ``chain`` (none: every parent is where and as recorded)."""
    what = {
        "missing": "is missing",
        "changed": "has changed since (its manifest.json has another hash)",
    }
    return [
        f"{step.folder}: its parent run {step.parent_folder} {what[step.parent_link]}"
        for step in chain
        if step.parent_link in what
    ]
