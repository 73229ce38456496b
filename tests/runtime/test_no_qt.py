"""The core has no Qt: with PySide6 (and pyqtgraph, pytest-qt) blocked from import, every
module outside ``roadmaster.ui`` imports, so do the core's tests, and a real pipeline
runs on the runtime: the simulator → capture → the SQLite log."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

BLOCKED = ("PySide6", "shiboken6", "pyqtgraph", "pytestqt")

SCRIPT = r"""
import importlib, pkgutil, sqlite3, sys
from pathlib import Path

for name in {blocked!r}:
    sys.modules[name] = None  # `import PySide6` now raises ImportError

root, data_dir = Path(sys.argv[1]), Path(sys.argv[2])
import roadmaster

core = [
    info.name
    for info in pkgutil.walk_packages(roadmaster.__path__, "roadmaster.")
    if not info.name.startswith("roadmaster.ui")
    and info.name != "roadmaster.__main__"  # runs the app
    and not info.name.endswith(".migrations.env")  # Alembic's script, run by Alembic
]
for name in core:
    importlib.import_module(name)

sys.path.insert(0, str(root))
tests = sorted(
    ".".join(p.relative_to(root).with_suffix("").parts)
    for p in (root / "tests").rglob("*.py")
    if "ui" not in p.relative_to(root / "tests").parts[:1]
)
for name in tests:
    importlib.import_module(name)

from roadmaster.runtime import EventsCommitted, Runtime, RuntimeConfig
from roadmaster.telemetry.sim.simulator import SimulatorSource

committed = []
runtime = Runtime(
    RuntimeConfig(
        source_factory=lambda: SimulatorSource(tick_s=1.0, duration_s=3 * 3600),
        data_dir=data_dir,
        speed=None,
    )
)
runtime.subscribe(lambda e: committed.extend(e.events) if isinstance(e, EventsCommitted) else None)
summary = runtime.run()
db = sqlite3.connect(data_dir / "roadmaster.db")
samples = db.execute("select count(*) from samples").fetchone()[0]
jobs = db.execute("select count(*) from jobs").fetchone()[0]
assert "PySide6" not in {{m for m in sys.modules if sys.modules[m] is not None}}
print(len(core), len(tests), summary.samples, samples, jobs, len(committed))
"""


def test_the_core_and_its_tests_run_without_qt(tmp_path):
    script = SCRIPT.format(blocked=BLOCKED)
    result = subprocess.run(
        [sys.executable, "-c", script, str(ROOT), str(tmp_path / "data")],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    modules, tests, captured, stored, jobs, committed = map(int, result.stdout.split())
    assert modules > 50 and tests > 20
    assert captured > 1000 and stored == captured  # every sample reached the log
    assert jobs >= 1 and committed > 0  # a job was tracked and announced once committed


def test_the_blocker_really_blocks():
    probe = "import sys\nsys.modules['PySide6'] = None\nimport PySide6.QtCore\n"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.returncode != 0 and "ModuleNotFoundError" in result.stderr
