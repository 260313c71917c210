"""The shape of the package: data flows down (commands → runs → engines), outputs read results
only, no import cycles, and the run kind is decided in one registry."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import geoalloc

PACKAGE = Path(geoalloc.__file__).parent
ENGINES = ("geoalloc.access", "geoalloc.travel", "geoalloc.demand", "geoalloc.optimize")
#: what each layer may import from geoalloc (besides itself, the private helpers and the engines)
SHARED = ("geoalloc._errors", "geoalloc._validate", "geoalloc._text", "geoalloc.parallel")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _type_checking_only(tree: ast.Module) -> set[int]:
    """Ids of the import nodes under ``if TYPE_CHECKING:`` (annotations only, never run)."""
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped |= {id(n) for child in node.body for n in ast.walk(child)}
    return skipped


def _imports(path: Path) -> set[str]:
    """Every geoalloc module ``path`` imports when it runs, at module level or inside functions."""
    found = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = _type_checking_only(tree)
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("geoalloc"):
            found.add(node.module)
            for alias in node.names:  # `from geoalloc.runs import planning` imports a module
                candidate = f"{node.module}.{alias.name}"
                if _exists(candidate):
                    found.add(candidate)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("geoalloc")}
    return found


def _exists(module: str) -> bool:
    base = PACKAGE.parent.joinpath(*module.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {name: _imports(path) & set(modules) for name, path in modules.items()}


def _in(module: str, *packages: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def _package_graph(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """The same graph between packages (a package's __init__ re-exporting its modules is no cycle)."""

    def package(module: str) -> str:
        return ".".join(module.split(".")[:2])

    packages: dict[str, set[str]] = {}
    for module, deps in graph.items():
        packages.setdefault(package(module), set()).update(
            package(d) for d in deps if package(d) != package(module)
        )
    return packages


def test_no_import_cycles_between_packages() -> None:
    graph = _package_graph(_graph())
    graph.pop("geoalloc", None)  # the top-level API imports what it exports
    for deps in graph.values():
        deps.discard("geoalloc")  # `from geoalloc import __version__`
    assert _cycles(graph) == []


def test_no_import_cycles_between_modules() -> None:
    """Not even a package's own modules import its __init__ while it imports them."""
    graph = _graph()
    graph.pop("geoalloc", None)  # the top-level API imports what it exports
    for deps in graph.values():
        deps.discard("geoalloc")  # `from geoalloc import __version__`
    assert _cycles(graph) == []


def test_engines_import_nothing_above_them() -> None:
    for module, deps in _graph().items():
        if _in(module, *ENGINES):
            above = sorted(d for d in deps if not _in(d, *ENGINES, *SHARED))
            assert above == [], f"{module} imports {above}"


def test_outputs_read_results_only() -> None:
    for module, deps in _graph().items():
        if _in(module, "geoalloc.outputs"):
            wrong = sorted(
                d
                for d in deps
                if _in(d, "geoalloc.runs", "geoalloc.inputs", "geoalloc.commands", "geoalloc.cli")
                and d != "geoalloc.runs.schema"
            )
            assert wrong == [], f"{module} imports {wrong}"


def test_library_never_imports_the_cli() -> None:
    for module, deps in _graph().items():
        if not _in(module, "geoalloc.commands", "geoalloc.cli", "geoalloc.__main__"):
            wrong = sorted(d for d in deps if _in(d, "geoalloc.commands", "geoalloc.cli"))
            assert wrong == [], f"{module} imports {wrong}"


def test_the_run_kind_is_decided_in_the_registry_only() -> None:
    """Only the kinds' own modules look at their scenario sections to decide what to run."""
    kind_sections = {
        "telemedicine": "geoalloc.runs.telemedicine",
        "deployment": "geoalloc.runs.deployment",
    }
    for path in PACKAGE.rglob("*.py"):
        module = _module_name(path)
        source = path.read_text(encoding="utf-8")
        for section, owner in kind_sections.items():
            if module == owner:
                continue
            assert f"scenario.{section} is not None" not in source, (module, section)
            assert f'"model") == "{section}"' not in source, (module, section)


def _docstrings(tree: ast.Module) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def test_the_library_names_no_cli_flag_in_its_messages() -> None:
    """Flags belong to the CLI: the library says which scenario key or argument to change."""
    flag = re.compile(r"(?<![\w-])--[a-z][a-z-]+")
    found = []
    for path in PACKAGE.rglob("*.py"):
        module = _module_name(path)
        if _in(module, "geoalloc.commands", "geoalloc.cli"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = _docstrings(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if id(node) in docstrings or "pip install" in node.value:
                    continue
                found += [f"{module}: {m}" for m in flag.findall(node.value)]
    assert found == []
