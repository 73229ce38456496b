"""The GUI entry point: ``roadmaster`` with no sub-command, or ``roadmaster --demo``.

Parses the GUI's options, sets up logging (to a file, through a queue so the GUI
thread never waits on the disk for a log line), and runs :mod:`roadmaster.ui.app`:
the QApplication, the single-instance check, the crash handler and the windows.
This module and ``roadmaster.__main__`` are the only ones that import the UI.
"""

from __future__ import annotations

import argparse
import atexit
import logging
import logging.handlers
import os
import queue
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TextIO

from roadmaster import paths
from roadmaster.telemetry.readers import SOURCE_FORMS

LOG_FILE = "roadmaster.log"
DEMO_FOLDER = "demo"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="roadmaster", description="RoadMaster Desktop (window).")
    add_arguments(p)
    p.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    return p


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The GUI's options (also offered by the ``roadmaster`` command itself)."""
    p.add_argument(
        "--demo",
        action="store_true",
        help="start the window with the built-in simulator and an in-process demo "
        "cloud server (its data in a separate demo folder)",
    )
    p.add_argument("--data-dir", help="data folder (default: the user data folder)")
    p.add_argument(
        "--minimised",
        "--minimized",
        dest="minimised",
        action="store_true",
        help="start minimised (to the tray where there is one); the installer's "
        "'start with Windows' entry uses it",
    )
    p.add_argument("--source", help=f"where telemetry comes from: {SOURCE_FORMS}")
    p.add_argument("--shm-path", help=argparse.SUPPRESS)
    p.add_argument(
        "--speedup",
        type=float,
        metavar="N",
        help="with --demo: the simulated truck drives N times faster (60: a delivery in "
        "about 20 s); the window's demo-speed control changes it later",
    )
    # benchmark hooks (bench/bench_gui.py), not for users
    p.add_argument("--bench-seconds", type=float, default=0.0, help=argparse.SUPPRESS)
    p.add_argument("--bench-report", help=argparse.SUPPRESS)
    p.add_argument("--bench-hide-dashboard", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--bench-warmup", type=float, default=5.0, help=argparse.SUPPRESS)
    # bench/bench_soak.py: the GUI tick timings, written to this file every few seconds
    p.add_argument("--bench-ticks", help=argparse.SUPPRESS)


def _setup_logging(verbose: bool) -> Path:
    """Log to a rotating file via a queue (a listener thread writes); returns its path."""
    directory = paths.log_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / LOG_FILE
    file_handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=2_000_000, backupCount=3, encoding="utf-8"
    )
    file_handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s")
    )
    q: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    listener = logging.handlers.QueueListener(q, file_handler, respect_handler_level=False)
    listener.start()
    atexit.register(listener.stop)
    root = logging.getLogger()
    root.addHandler(logging.handlers.QueueHandler(q))
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("uvicorn").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    return path


def display_problem(platform: str, env: Mapping[str, str]) -> str | None:
    """Why no window can open here, or None.  Without it Qt aborts the process with
    its own message about platform plugins, which tells a player nothing."""
    if not platform.startswith("linux") or env.get("QT_QPA_PLATFORM"):
        return None
    if env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"):
        return None
    return (
        "there is no screen to open the window on (neither DISPLAY nor WAYLAND_DISPLAY "
        "is set). Start RoadMaster from your desktop session, or use the terminal view "
        "`roadmaster watch --source sim` (or `roadmaster headless` to record without a "
        "window)."
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the window; the process exit code."""
    args = build_parser().parse_args(list(argv) if argv is not None else sys.argv[1:])
    problem = display_problem(sys.platform, os.environ)
    if problem:
        print(f"roadmaster: {problem}", file=sys.stderr)
        return 2
    log_path = _setup_logging(args.verbose)
    log = logging.getLogger("roadmaster.gui")
    log.info("starting the window (log: %s)", log_path)
    os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

    from roadmaster.runtime import settings_source
    from roadmaster.settings import load_settings
    from roadmaster.telemetry.readers import open_source
    from roadmaster.ui.app import BenchOptions, run
    from roadmaster.ui.controller import AppOptions

    loaded = load_settings()
    settings = loaded.settings
    if loaded.problem:
        log.warning("%s", loaded.problem)
    spec = args.source or ("sim" if args.demo else "shm")
    shm_path = args.shm_path
    if spec == "shm" and not shm_path and settings.game.telemetry_source == "path":
        shm_path = settings.game.telemetry_path or None
    data_dir = paths.data_dir(args.data_dir)
    if args.demo and not args.data_dir:
        # The demo's jobs must never mix with the player's real log.
        data_dir = data_dir / DEMO_FOLDER
    if args.speedup is not None:
        speed: float | None = args.speedup if args.speedup > 0 else None
    else:
        speed = 1.0
    live_source = settings_source(spec, None)
    options = AppOptions(
        source_factory=lambda: open_source(spec, shm_path),
        # Settings → Game's source applies live, unless --source/--shm-path fixed it
        source_for=None if args.demo or args.source or args.shm_path else live_source,
        data_dir=data_dir,
        demo=args.demo,
        speed=speed,
        unit_preference=settings.display.units,
        sample_interval_s=settings.capture.sample_interval_s,
        source_name=spec,
        settings=settings,
        start_minimised=args.minimised or settings.startup.start_minimised,
    )
    bench = BenchOptions(
        seconds=args.bench_seconds,
        report=Path(args.bench_report) if args.bench_report else None,
        hide_dashboard=args.bench_hide_dashboard,
        warmup_s=args.bench_warmup,
        ticks_file=Path(args.bench_ticks) if args.bench_ticks else None,
    )
    return run([sys.argv[0] if sys.argv else "roadmaster"], options, bench)


def self_test(out: TextIO | None = None) -> int:
    """``roadmaster --self-test``: every step of :mod:`roadmaster.selftest` plus the Qt
    ones, in a temporary folder (``ROADMASTER_HOME`` points there meanwhile, so the
    player's data, settings and logs are never touched); 0 when all pass, else 1."""
    import tempfile

    from roadmaster.selftest import CORE_STEPS, Context, run_steps
    from roadmaster.ui import selftest as qt_steps

    report: TextIO | None = None
    if out is None and sys.stdout is None:
        # A windowed Windows build has no console: the report goes to a file.
        path = paths.log_dir() / "self-test.txt"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            report = out = path.open("w", encoding="utf-8")
        except OSError:
            pass  # the exit code still tells
    out = out if out is not None else sys.stdout
    # The steps' own progress lines (migrations, career totals) are not the report.
    logging.getLogger("roadmaster").setLevel(logging.WARNING)
    saved = os.environ.get("ROADMASTER_HOME")
    with tempfile.TemporaryDirectory(prefix="roadmaster-self-test-") as tmp:
        os.environ["ROADMASTER_HOME"] = tmp
        try:
            steps = (*qt_steps.FIRST, *CORE_STEPS, *qt_steps.LAST)
            return run_steps(steps, Context(Path(tmp)), out)
        finally:
            if report is not None:
                report.close()
            if saved is None:
                os.environ.pop("ROADMASTER_HOME", None)
            else:
                os.environ["ROADMASTER_HOME"] = saved


def export_pdf_report(data_dir: Path, query: object, out: Path) -> int:
    """``roadmaster export --format pdf``: the report drawn by Qt's PDF writer (this
    module is the one allowed to reach into the UI).  No window opens: without a
    display Qt runs offscreen.  Returns the number of pages."""
    from datetime import datetime

    from roadmaster.runtime.joblog import JobLogService, JobQuery
    from roadmaster.storage.readonly import reading

    if display_problem(sys.platform, os.environ):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from roadmaster.ui.report_pdf import ensure_gui_application, write_report

    _app = ensure_gui_application()
    with reading(data_dir) as engine:
        service = JobLogService(engine)
        stamp = f"Made {datetime.now():%Y-%m-%d %H:%M} from {data_dir}"
        assert isinstance(query, JobQuery)
        return write_report(service, out, query, now_text=stamp)


if __name__ == "__main__":
    sys.exit(main())
