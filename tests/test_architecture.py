"""The layers of docs/ARCHITECTURE.md, checked on the source: who may import whom, no import circles
(imports inside functions count; `if TYPE_CHECKING:` blocks do not run and do not), no module over
400 lines."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "pagetoken"
MAX_LINES = 400


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts}


def _resolve(current: str, is_package: bool, level: int, module: str | None) -> str:
    if level == 0:
        return module or ""
    base = current.split(".") if is_package else current.split(".")[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join([*base, module] if module else base)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports_of(name: str) -> set[str]:
    """The project modules `name` imports at run time, anywhere in its body."""
    path = MODULES[name]
    tree = ast.parse(path.read_text())
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _is_type_checking(node):
            skip.update(id(n) for child in node.body for n in ast.walk(child))
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(name, path.name == "__init__.py", node.level, node.module)
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target.startswith("pagetoken") and target != name:
                found.add(target)
    return found


GRAPH = {name: imports_of(name) for name in MODULES}


def _layer(name: str) -> str:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_no_import_circles() -> None:
    seen: dict[str, int] = {}  # 1: on the current path, 2: done
    circles: list[list[str]] = []

    def visit(name: str, path: list[str]) -> None:
        seen[name] = 1
        for dep in sorted(GRAPH[name]):
            if seen.get(dep) == 1:
                circles.append([*path[path.index(dep):], dep] if dep in path else [name, dep])
            elif dep not in seen:
                visit(dep, [*path, dep])
        seen[name] = 2

    for name in sorted(GRAPH):
        if name not in seen:
            visit(name, [name])
    assert circles == []


ALLOWED = {
    "core": {"core"},
    "store": {"core", "store"},
    "authority": {"core", "store", "authority"},
    "graph": {"core", "authority", "graph"},
    "web": {"core", "authority", "graph", "web"},
    "devtools": {"core", "authority", "graph", "devtools"},
    "client": {"core", "client"},
}


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_layers_import_only_what_they_may(layer: str) -> None:
    wrong = sorted(f"{name} -> {dep}" for name, deps in GRAPH.items() if _layer(name) == layer
                   for dep in deps if _layer(dep) not in ALLOWED[layer] and dep != "pagetoken")
    assert wrong == []


def test_no_module_is_over_400_lines() -> None:
    long = {name: n for name, path in MODULES.items() if (n := len(path.read_text().splitlines())) > MAX_LINES}
    assert long == {}


def test_the_checks_see_the_imports() -> None:
    """The import reader itself: it finds a relative import, a function-level one and skips TYPE_CHECKING."""
    assert "pagetoken.authority.context" in GRAPH["pagetoken.authority.roles"]
    assert "pagetoken.core.errors" in GRAPH["pagetoken.core.kinds"]
    assert "pagetoken.graph.call" not in GRAPH["pagetoken.graph.registry"]  # only under TYPE_CHECKING
