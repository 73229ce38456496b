"""Job log browser benchmark on 100,000 demo-data jobs (the targets of issue 11):

1. first page painted after the Jobs view opens: from ``set_service`` (the data file
   handed to a fresh view) to the end of the table's first paint with rows [<= 300 ms];
2. a sort or filter change: from the change to the end of the paint of the new
   first page [<= 100 ms each];
3. scrolling to the end of 10 pages with the mouse wheel while a 4 ms heartbeat
   timer runs: the longest the GUI thread was blocked (heartbeat gap − 4 ms)
   [<= 16 ms];
4. ``roadmaster export --format csv`` vs ``roadmaster jobs --json --limit 0`` on the
   whole log, as subprocesses: wall and CPU time and their ratio [<= 3x].

Latencies are wall-clock medians of 5 runs (max shown too) on an offscreen Qt; the
machine was shared with other work while this was measured, so treat them as upper
bounds.  The demo data is made once in a temp folder (``--data-dir`` reuses one).

    .venv/bin/python bench/run.py joblog       (or: bench/bench_joblog.py --jobs 100000)
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, QTimer
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

from roadmaster.runtime.joblog import JobLogService, JobQuery
from roadmaster.storage.readonly import open_for_reading
from roadmaster.telemetry.frame import Game
from roadmaster.ui.job_log.model import COLUMNS
from roadmaster.ui.job_log.view import JobLogView
from roadmaster.ui.tasks import TaskRunner

RUNS = 5


class _TimedApp(QApplication):
    """Times every event the GUI thread handles while ``timing`` is on: the longest
    handler is the longest the GUI was blocked.  Thread CPU time is reported beside
    wall time because the machine is shared (wall time includes being descheduled)."""

    timing = False
    worst_cpu = 0.0
    worst_wall = 0.0
    worst_what = ""

    def notify(self, receiver: QObject, event: QEvent) -> bool:
        if not self.timing:
            return super().notify(receiver, event)
        cpu0, wall0 = time.thread_time(), time.perf_counter()
        try:
            return super().notify(receiver, event)
        finally:
            took = time.thread_time() - cpu0
            if took > self.worst_cpu:
                self.worst_what = f"{type(receiver).__name__} {event.type().name}"
            self.worst_cpu = max(self.worst_cpu, took)
            self.worst_wall = max(self.worst_wall, time.perf_counter() - wall0)


class _PaintWatch(QObject):
    """Notes when the table's viewport has finished a paint with rows in it."""

    def __init__(self, view: JobLogView) -> None:
        super().__init__()
        self.view = view
        self.painted_at: float | None = None
        view.table.viewport().installEventFilter(self)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Paint and self.view.model.rowCount() > 0:
            # Paint is delivered now; the filter runs before it, so finish it first.
            obj.removeEventFilter(self)
            handled = obj.event(event)
            self.painted_at = time.perf_counter()
            obj.installEventFilter(self)
            return handled
        return False


def _wait(app: QApplication, done: Callable[[], bool], timeout_s: float = 30.0) -> None:
    end = time.perf_counter() + timeout_s
    while not done():
        app.processEvents()
        if time.perf_counter() > end:
            raise TimeoutError("the view did not answer in time")


def _until_painted(app: QApplication, view: JobLogView, change: Callable[[], None]) -> float:
    """Seconds from ``change()`` to the end of the first paint of the new rows."""
    watch = _PaintWatch(view)
    model = view.model
    app.processEvents()
    watch.painted_at = None
    start = time.perf_counter()
    change()
    _wait(app, lambda: model.rowCount() > 0 and not model.is_loading())
    view.table.viewport().update()
    _wait(app, lambda: watch.painted_at is not None and watch.painted_at > start)
    assert watch.painted_at is not None
    view.table.viewport().removeEventFilter(watch)
    return watch.painted_at - start


def bench_view(data_dir: Path) -> dict[str, Any]:
    app = QApplication.instance() or _TimedApp(["bench"])
    assert isinstance(app, _TimedApp), "run the job log bench in its own process"
    engine = open_for_reading(data_dir)
    tasks = TaskRunner(max_threads=2)
    figures: dict[str, Any] = {}
    try:
        opens = []
        for _ in range(RUNS):
            view = JobLogView(tasks.run)
            view.resize(1280, 720)
            view.show()
            app.processEvents()
            service = JobLogService(engine)
            opens.append(
                _until_painted(app, view, lambda v=view, s=service: v.model.set_service(s))
            )
            view.close()
            view.deleteLater()
        figures["open"] = opens

        view = JobLogView(tasks.run)
        view.resize(1280, 720)
        view.show()
        _until_painted(app, view, lambda: view.model.set_service(JobLogService(engine)))
        column = {c.key: i for i, c in enumerate(COLUMNS)}
        changes: dict[str, Callable[[], None]] = {
            "sort by profit": lambda: view.model.sort(
                column["profit"], Qt.SortOrder.DescendingOrder
            ),
            "sort by cargo": lambda: view.model.sort(column["cargo"], Qt.SortOrder.AscendingOrder),
            "sort by date": lambda: view.model.sort(column["date"], Qt.SortOrder.DescendingOrder),
            "filter game ATS": lambda: view.model.set_query(JobQuery(game=Game.ATS)),
            "filter city": lambda: view.model.set_query(JobQuery(city="Berlin")),
            "filter late only": lambda: view.model.set_query(JobQuery(late_only=True)),
            "search 'ber'": lambda: view.model.set_query(JobQuery(text="ber")),
            "clear filters": lambda: view.model.set_query(JobQuery()),
        }
        for name, change in changes.items():
            times = []
            for _ in range(RUNS):
                model = view.model
                if name.startswith("sort"):  # from the whole log sorted by id
                    model.query, model.sort_key, model.descending = None, "id", True
                    model.reload()
                else:  # from another filter
                    model.set_query(JobQuery(cargo="no such cargo"))
                _wait(app, lambda m=model: not m.is_loading())
                times.append(_until_painted(app, view, change))
            figures[name] = times

        # 3. scrolling: wheel steps while a heartbeat timer measures the GUI's gaps
        view.model.set_query(JobQuery(cargo="no such cargo"))
        _until_painted(app, view, lambda: view.model.set_query(JobQuery()))
        gaps: list[float] = []
        last = [time.perf_counter()]

        def beat() -> None:
            now = time.perf_counter()
            gaps.append(now - last[0])
            last[0] = now

        heart = QTimer()
        heart.setTimerType(Qt.TimerType.PreciseTimer)
        heart.setInterval(4)
        heart.timeout.connect(beat)
        heart.start()
        app.timing = True
        viewport = view.table.viewport()
        pages = 10
        target = pages * 200
        end = time.perf_counter() + 60
        while view.model.rowCount() < target and time.perf_counter() < end:
            wheel = QWheelEvent(
                viewport.rect().center().toPointF(),
                viewport.mapToGlobal(viewport.rect().center()).toPointF(),
                QPoint(0, 0),
                QPoint(0, -120 * 3),  # three notches down
                Qt.MouseButton.NoButton,
                Qt.KeyboardModifier.NoModifier,
                Qt.ScrollPhase.NoScrollPhase,
                False,
            )
            app.sendEvent(viewport, wheel)
            deadline = time.perf_counter() + 0.016  # one frame of wheel input
            while time.perf_counter() < deadline:
                app.processEvents()
        heart.stop()
        app.timing = False
        figures["scroll rows"] = view.model.rowCount()
        figures["scroll worst gap"] = max(gaps[1:]) - 0.004 if len(gaps) > 1 else 0.0
        figures["scroll worst cpu"] = app.worst_cpu
        figures["scroll worst wall"] = app.worst_wall
        figures["scroll worst what"] = app.worst_what
        view.close()
    finally:
        tasks.wait(10_000)
        engine.dispose()
    return figures


def _timed(args: list[str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def bench_export(data_dir: Path) -> dict[str, tuple[float, float]]:
    exe = [sys.executable, "-m", "roadmaster"]
    with tempfile.TemporaryDirectory() as tmp:
        csv_times = _timed(
            [*exe, "export", "--format", "csv", "--out", f"{tmp}/jobs.csv",
             "--data-dir", str(data_dir)]
        )  # fmt: skip
        json_times = _timed([*exe, "jobs", "--json", "--limit", "0", "--data-dir", str(data_dir)])
    return {"csv": csv_times, "jobs --json": json_times}


def _ms(values: list[float]) -> str:
    return f"median {1000 * statistics.median(values):6.1f} ms, max {1000 * max(values):6.1f} ms"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--jobs", type=int, default=100_000)
    p.add_argument("--data-dir", help="reuse a folder that holds demo data")
    args = p.parse_args(argv if argv is not None else [])
    tmp = None
    if args.data_dir:
        data_dir = Path(args.data_dir)
    else:
        tmp = tempfile.TemporaryDirectory()
        data_dir = Path(tmp.name)
        print(f"making {args.jobs:,} demo jobs …", flush=True)
        subprocess.run(
            [sys.executable, "-m", "roadmaster", "demo-data", "--jobs", str(args.jobs),
             "--seed", "1", "--data-dir", str(data_dir)],
            check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
    try:
        view = bench_view(data_dir)
        print(f"first page painted after the view opens: {_ms(view.pop('open'))}  [<= 300 ms]")
        scroll_rows = view.pop("scroll rows")
        gap = view.pop("scroll worst gap")
        cpu = view.pop("scroll worst cpu")
        wall = view.pop("scroll worst wall")
        what = view.pop("scroll worst what")
        for name, times in view.items():
            print(f"{name + ':':<22} {_ms(times)}  [<= 100 ms]")
        print(
            f"scrolling {scroll_rows:,} rows (fetchMore pages): longest event handler "
            f"{1000 * cpu:.1f} ms GUI-thread CPU ({1000 * wall:.1f} ms wall)  [<= 16 ms]; "
            f"longest 4 ms heartbeat gap {1000 * gap:.1f} ms (longest: {what})"
        )
        export = bench_export(data_dir)
        (csv_wall, csv_cpu), (json_wall, json_cpu) = export["csv"], export["jobs --json"]
        print(f"export --format csv:      {csv_wall:6.2f} s wall, {csv_cpu:6.2f} s CPU")
        print(f"jobs --json --limit 0:    {json_wall:6.2f} s wall, {json_cpu:6.2f} s CPU")
        print(
            f"CSV / jobs --json: {csv_wall / json_wall:.2f}x wall, "
            f"{csv_cpu / json_cpu:.2f}x CPU  [<= 3x]"
        )
    finally:
        if tmp is not None:
            tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
