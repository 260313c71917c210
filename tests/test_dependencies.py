"""Every package geoalloc imports at run time is installed by ``pip install geoalloc``: a base
dependency in pyproject.toml (or installed by one), or, for the Dask paths, the ``dask`` extra.

A module missing here is a crash in a user's hands only (``No module named ...``), since the test
environment installs the extras too.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib import metadata

from tests.helpers import REPO_ROOT

#: modules only the Dask paths import, each guarded with an error that names the ``dask`` extra
DASK_EXTRA_MODULES = {"distributed", "dask_geopandas", "pyarrow", "dask"}


def _name(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;(]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _imported_modules() -> set[str]:
    names: set[str] = set()
    for path in (REPO_ROOT / "geoalloc").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - {"geoalloc", "__future__"}


def _extras_required(requirements: list[str]) -> set[str]:
    """What the ``name[extra]`` requirements among ``requirements`` add: the extras' own
    requirements (e.g. ``distributed`` for ``dask[distributed]``)."""
    added: set[str] = set()
    for requirement in requirements:
        match = re.match(r"\s*([A-Za-z0-9_.-]+)\[([^\]]+)\]", requirement)
        if match is None:
            continue
        try:
            requires = metadata.requires(match[1]) or []
        except metadata.PackageNotFoundError:
            continue
        for extra in match[2].split(","):
            marker = re.compile(rf"extra\s*==\s*['\"]{re.escape(extra.strip())}['\"]")
            added.update(_name(r) for r in requires if marker.search(r))
    return added


def _installed_with(distributions: set[str]) -> set[str]:
    """``distributions`` and everything they require (not their extras), transitively."""
    seen: set[str] = set()
    todo = list(distributions)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        todo.extend(_name(r) for r in requires if "extra ==" not in r)
    return seen


def test_every_module_imported_at_run_time_is_installed_by_the_base_dependencies() -> None:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    base = {_name(r) for r in project["dependencies"]}
    installed = _installed_with(base)
    dask_requirements = project["optional-dependencies"]["dask"]
    dask_extra = {_name(r) for r in dask_requirements} | _extras_required(dask_requirements)
    owners = metadata.packages_distributions()
    missing = []
    for module in sorted(_imported_modules()):
        if module in DASK_EXTRA_MODULES:
            assert {_name(d) for d in owners.get(module, [])} & _installed_with(dask_extra), module
            continue
        distributions = {_name(d) for d in owners.get(module, [module])}
        if not distributions & installed:
            missing.append(f"{module} (from {sorted(distributions)})")
    assert not missing, f"imported by geoalloc but not a base dependency: {missing}"
