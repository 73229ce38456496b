"""After a run that ended in a fatal error, the next start of the window says so,
with the report's path and a button that copies the report; once."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QGuiApplication

from roadmaster import fatal, paths
from roadmaster.ui.app import RoadMasterApp, start_fatal_trace
from roadmaster.ui.controller import AppOptions
from tests.ui.frames import ListSource, driving_map

# What faulthandler wrote when PySide6 6.12.0 drained None's reference count.
TRACE = (
    "Fatal Python error: none_dealloc: deallocating None: bug likely caused by a refcount "
    "error in a C extension\nPython runtime state: initialized\n\n"
    "Current thread 0x00007f01 (most recent call first):\n"
    '  File "/app/roadmaster/ui/gauges.py", line 120 in _font\n'
)


@pytest.fixture
def logs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ROADMASTER_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("ROADMASTER_API_KEY", raising=False)
    folder = paths.log_dir()
    folder.mkdir(parents=True)
    yield folder
    fatal.disable()


@pytest.fixture
def start_window(qtbot, tmp_path: Path):
    """Start the window as `roadmaster` does: the last run's trace is read, this run's
    is enabled, then the app is built and shown."""
    made: list[RoadMasterApp] = []

    def start(log_dir: Path) -> RoadMasterApp:
        previous = start_fatal_trace(log_dir)
        app = RoadMasterApp(
            AppOptions(
                source_factory=lambda: ListSource([driving_map()]),
                data_dir=tmp_path / f"data{len(made)}",
                speed=None,
            ),
            QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat),
            launcher=lambda _program, _args: True,
            check_installs=False,
        )
        qtbot.addWidget(app.window)
        made.append(app)
        if previous is not None:
            app.show_previous_crash(previous)
        # capture starts after the first paint: wait for it, so that shutdown() stops it
        with qtbot.waitSignal(app.window.first_painted, timeout=15_000):
            app.start(show=True)
        return app

    yield start
    for app in made:
        app.shutdown()


def test_the_window_says_it_closed_unexpectedly_and_copies_the_report(logs, start_window, qtbot):
    fatal.trace_path(logs, "window").write_text(TRACE)
    QGuiApplication.clipboard().clear()

    app = start_window(logs)

    notice = app.crash_notice
    assert notice is not None and notice.isVisible()
    kept = list(logs.glob("crashed-window-*.log"))
    assert len(kept) == 1 and notice.path == kept[0]
    text = notice.message.text()
    assert "RoadMaster closed unexpectedly last time" in text
    assert str(kept[0]) in text
    qtbot.mouseClick(notice.copy_button, Qt.MouseButton.LeftButton)
    copied = QGuiApplication.clipboard().text()
    assert "none_dealloc" in copied and "gauges.py" in copied
    assert str(kept[0]) in copied
    qtbot.mouseClick(notice.close_button, Qt.MouseButton.LeftButton)
    assert not notice.isVisible()


def test_the_notice_is_shown_once(logs, start_window):
    fatal.trace_path(logs, "window").write_text(TRACE)
    first = start_window(logs)
    assert first.crash_notice is not None
    assert first.shutdown()
    fatal.disable()  # that run ended cleanly: its trace file stayed empty
    assert fatal.trace_path(logs, "window").read_text() == ""
    assert start_window(logs).crash_notice is None


def test_a_clean_last_run_shows_no_notice(logs, start_window):
    assert start_window(logs).crash_notice is None
