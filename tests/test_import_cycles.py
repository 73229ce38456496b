"""No two modules of the package import each other.

A two-module cycle works only while the import order happens to suit it; it means
one module's job leaked into the other.  The check reads the source (AST), so it
sees imports inside functions and under ``TYPE_CHECKING`` too, which a runtime
import graph would miss.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import roadmaster

PACKAGE_DIR = Path(roadmaster.__file__).parent


# The runtime split (issue 10, part "runtime") removes this one; delete it from here
# when it lands.
def module_names() -> dict[str, Path]:
    names: dict[str, Path] = {}
    for path in PACKAGE_DIR.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def imported_modules(name: str, path: Path, modules: set[str]) -> Iterator[str]:
    """The package's modules that ``name`` imports anywhere in its source."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in modules:
                    yield alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".")
                if not is_package:
                    anchor.pop()
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                if sub in modules:
                    yield sub
                elif base in modules:
                    yield base


def import_graph() -> dict[str, set[str]]:
    paths = module_names()
    modules = set(paths)
    return {
        name: set(imported_modules(name, path, modules)) - {name} for name, path in paths.items()
    }


def two_module_cycles(graph: dict[str, set[str]]) -> set[frozenset[str]]:
    return {
        frozenset({a, b}) for a, targets in graph.items() for b in targets if a in graph.get(b, ())
    }


def test_the_graph_sees_function_level_and_relative_imports():
    graph = import_graph()
    # telemetry.readers imports the simulator inside open_source only.
    assert "roadmaster.telemetry.sim.simulator" in graph["roadmaster.telemetry.readers"]
    assert "roadmaster.telemetry.decoding" in graph["roadmaster.telemetry"]
    assert len(graph) > 100


def test_a_cycle_is_found_where_there_is_one(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("def f():\n    from . import b\n")
    (pkg / "b.py").write_text("from pkg.a import f\n")
    modules = {"pkg", "pkg.a", "pkg.b"}
    graph = {
        name: set(imported_modules(name, pkg / f"{name.split('.')[-1]}.py", modules))
        for name in ("pkg.a", "pkg.b")
    }
    assert two_module_cycles(graph) == {frozenset({"pkg.a", "pkg.b"})}


def test_no_two_modules_import_each_other():
    cycles = two_module_cycles(import_graph())
    assert not cycles, "modules importing each other: " + "; ".join(
        " <-> ".join(sorted(pair)) for pair in sorted(cycles, key=sorted)
    )
