"""The import fences of DESIGN.md, checked on the source (every import statement,
including ones inside functions and relative ones, resolved to absolute names)."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "app" / "roadmaster"
QT = ("PySide6", "pyqtgraph", "shiboken6")
GUI_ENTRY_POINTS = {"roadmaster.__main__", "roadmaster.gui"}
CORE = {"telemetry", "jobs", "storage", "sync", "dispatcher", "runtime"}
# What the window may use: the runtime's facade, the pure domain, telemetry types,
# the dispatcher's API and the small shared modules.  Not server, storage, sync,
# capture or the command line: those are the runtime's to wire.
UI_MAY_IMPORT = {
    "roadmaster.ui",
    "roadmaster.runtime",
    "roadmaster.jobs",
    "roadmaster.units",
    "roadmaster.settings",
    "roadmaster.telemetry",
    "roadmaster.dispatcher",
    "roadmaster.secrets",
    "roadmaster.errors",
    "roadmaster.paths",
    "roadmaster.fatal",
    "roadmaster.steam",
    "roadmaster.selftest",
    "roadmaster.version",
    # files written atomically with progress and cancel (the job log's exports): no
    # storage or sync inside, only formatting and file handling
    "roadmaster.exports.files",
}


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        parts = list(rel.parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        yield ".".join(parts), path, is_package


def _absolute(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    """``from ..x import y`` in ``module``, as the absolute name it imports from."""
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base = base[:-1]  # a module's package
    base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
    return ".".join([*base, node.module] if node.module else base)


def _imports(module: str, path: Path, is_package: bool):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            source = _absolute(module, is_package, node)
            yield source
            if source == "roadmaster" or (node.level and source.startswith("roadmaster")):
                # `from roadmaster import storage` imports roadmaster.storage
                yield from (f"{source}.{alias.name}" for alias in node.names)


def _under(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def _violations(rule):
    return [
        f"{mod} imports {imp}"
        for mod, path, is_package in _modules()
        for imp in _imports(mod, path, is_package)
        if rule(mod, imp)
    ]


def _is_subpackage_or_module(name: str) -> bool:
    """``roadmaster.x`` names a module or package (not an attribute like __version__)."""
    rel = Path(*name.split(".")[1:])
    return (PACKAGE / rel).is_dir() or (PACKAGE / rel).with_suffix(".py").is_file()


def test_the_package_is_found():
    assert len(list(_modules())) > 10


def test_relative_imports_are_resolved():
    tree = ast.parse("from . import present\nfrom ..storage import store\n")
    first, second = tree.body
    assert isinstance(first, ast.ImportFrom) and isinstance(second, ast.ImportFrom)
    assert _absolute("roadmaster.ui.app", False, first) == "roadmaster.ui"
    assert _absolute("roadmaster.ui.app", False, second) == "roadmaster.storage"
    assert _absolute("roadmaster.ui", True, second) == "roadmaster.storage"


def test_only_the_ui_imports_qt():
    def rule(mod, imp):
        return not _under(mod, "roadmaster.ui") and imp.split(".")[0] in QT

    assert _violations(rule) == []


def test_nothing_but_the_gui_entry_point_imports_the_ui():
    def rule(mod, imp):
        return (
            _under(imp, "roadmaster.ui")
            and not _under(mod, "roadmaster.ui")
            and mod not in GUI_ENTRY_POINTS
        )

    assert _violations(rule) == []


def test_the_ui_talks_to_the_runtime_not_to_storage_sync_or_the_server():
    def rule(mod, imp):
        if not _under(mod, "roadmaster.ui") or not _under(imp, "roadmaster") or imp == "roadmaster":
            return False
        if imp.count(".") >= 1 and not _is_subpackage_or_module(".".join(imp.split(".")[:2])):
            return False  # `from roadmaster import __version__`
        return not any(_under(imp, allowed) for allowed in UI_MAY_IMPORT)

    assert _violations(rule) == []


def test_the_runtime_has_no_qt_and_no_ui():
    def rule(mod, imp):
        return _under(mod, "roadmaster.runtime") and (
            imp.split(".")[0] in QT or _under(imp, "roadmaster.ui")
        )

    assert _violations(rule) == []


def test_the_server_shares_only_the_contract_with_sync():
    def rule(mod, imp):
        return (
            _under(mod, "roadmaster.server")
            and _under(imp, "roadmaster.sync")
            and imp != "roadmaster.sync.contract"
        )

    assert _violations(rule) == []


def test_the_core_does_not_import_the_cli():
    def rule(mod, imp):
        core = mod.split(".")[1] in CORE
        return core and (imp == "roadmaster.cli" or _under(imp, "roadmaster.commands"))

    assert _violations(rule) == []
