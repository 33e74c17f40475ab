"""The layout a reader can check: small folders and modules, imports that point one way, and no
import circle (docs/architecture.md, "Layout").
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("intake", "documents", "notifier", "store", "portal", "templates")
MAX_MODULES_PER_FOLDER = 12
MAX_MODULE_LINES = 400
# Which of our packages each may import; intake's subpackages in flow order (a later one may use
# an earlier one, never the reverse). Modules directly under intake/ are shared by all of them.
MAY_IMPORT = {
    "documents": set(),
    "store": set(),
    "templates": set(),
    "notifier": {"documents", "store", "templates"},
    "intake": {"documents", "notifier", "store", "templates"},
    "portal": {"intake", "documents", "notifier", "store", "templates"},
}
# The command sits above everything ("portal and the CLI use intake"): `intake serve` runs the web
# face, so intake.cli alone may import portal; nothing else in intake may.
CLI_MAY_ALSO_IMPORT = {"portal"}
INTAKE_ORDER = (
    "parse",
    "receive",
    "screening",
    "cases",
    "accounts",
    "views",
    "pipeline",
    "lifecycle",
    "reminders",
    "cli",
)


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


def imports_of(path: Path, known: set[str]) -> set[str]:
    """Our modules that `path` imports (at any depth of the file, so late imports count too)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        out.update(n for n in names if n in known)
    return out


def graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    return {name: imports_of(path, known) - {name} for name, path in found.items()}


def test_no_folder_holds_more_than_twelve_modules() -> None:
    crowded = {}
    for folder in {p.parent for p in modules().values()}:
        count = len([p for p in folder.glob("*.py") if p.name != "__init__.py"])
        if count > MAX_MODULES_PER_FOLDER:
            crowded[str(folder.relative_to(ROOT))] = count
    assert crowded == {}


def test_no_module_is_over_four_hundred_lines() -> None:
    long = {
        name: n
        for name, path in modules().items()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


def test_packages_import_only_what_they_may() -> None:
    wrong = set()
    for name, imported in graph().items():
        top = name.split(".")[0]
        for other in imported:
            other_top = other.split(".")[0]
            allowed = MAY_IMPORT[top] | (
                CLI_MAY_ALSO_IMPORT if name.startswith("intake.cli.") else set()
            )
            if other_top != top and other_top not in allowed:
                wrong.add((name, other))
    assert wrong == set()


def _intake_layer(name: str) -> int | None:
    parts = name.split(".")
    if parts[0] != "intake" or len(parts) < 3 or parts[1] not in INTAKE_ORDER:
        return None
    return INTAKE_ORDER.index(parts[1])


def test_intake_subpackages_import_in_flow_order() -> None:
    backwards = set()
    for name, imported in graph().items():
        layer = _intake_layer(name)
        for other in imported:
            other_layer = _intake_layer(other)
            if layer is not None and other_layer is not None and other_layer > layer:
                backwards.add((name, other))
    assert backwards == set()


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                group.append(top)
                if top == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return groups


def test_the_cycle_finder_finds_a_circle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def _module_edges() -> dict[str, set[str]]:
    # A package's __init__ re-exporting its modules is not a circle between modules.
    found = modules()
    packages = {name for name, path in found.items() if path.name == "__init__.py"}
    return {
        name: {other for other in imported if other not in packages}
        for name, imported in graph().items()
        if name not in packages
    }


def test_no_import_circle() -> None:
    assert cycles(_module_edges()) == []


@pytest.mark.parametrize("name", sorted(modules()))
def test_every_module_opens_with_a_docstring(name: str) -> None:
    tree = ast.parse(modules()[name].read_text(encoding="utf-8"))
    assert ast.get_docstring(tree), f"{name} has no docstring saying what it is for"
