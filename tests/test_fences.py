"""The import fences of DESIGN.md, checked on the source (every import statement,
including ones inside functions)."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "app" / "roadmaster"
QT = ("PySide6", "pyqtgraph", "shiboken6")
GUI_ENTRY_POINTS = {"roadmaster.__main__", "roadmaster.gui"}


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts.pop()
        yield ".".join(parts), path


def _imports(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def _violations(rule):
    return [
        f"{mod} imports {imp}"
        for mod, path in _modules()
        for imp in _imports(path)
        if rule(mod, imp)
    ]


def test_the_package_is_found():
    assert len(list(_modules())) > 10


def test_only_the_ui_imports_qt():
    def rule(mod, imp):
        in_ui = mod == "roadmaster.ui" or mod.startswith("roadmaster.ui.")
        return not in_ui and imp.split(".")[0] in QT

    assert _violations(rule) == []


def test_nothing_but_the_gui_entry_point_imports_the_ui():
    def rule(mod, imp):
        in_ui = mod.startswith("roadmaster.ui")
        return (
            (imp == "roadmaster.ui" or imp.startswith("roadmaster.ui."))
            and not in_ui
            and mod not in GUI_ENTRY_POINTS
        )

    assert _violations(rule) == []


def test_the_server_shares_only_the_contract_with_sync():
    def rule(mod, imp):
        return (
            mod.startswith("roadmaster.server")
            and imp.startswith("roadmaster.sync")
            and imp != "roadmaster.sync.contract"
        )

    assert _violations(rule) == []


def test_the_core_does_not_import_the_cli():
    def rule(mod, imp):
        core = mod.split(".")[1] in {"telemetry", "jobs", "storage", "sync", "dispatcher"}
        return core and (imp == "roadmaster.cli" or imp.startswith("roadmaster.commands"))

    assert _violations(rule) == []
