"""After a run that ended in a fatal error, the next start of the window says so,
with the report's path and a button that copies the report; once."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from roadmaster import fatal, paths
from roadmaster.ui import theme
from roadmaster.ui.app import run
from roadmaster.ui.controller import AppOptions
from roadmaster.ui.crash import CrashNotice
from tests.ui.frames import ListSource, driving_map

TRACE = (
    "Fatal Python error: Aborted\n\n"
    "Current thread 0x00007f01 (most recent call first):\n"
    '  File "/app/roadmaster/ui/gauges.py", line 120 in _font\n'
)


def start_window_and_look(tmp_path: Path) -> list[CrashNotice]:
    """Start the window the way `roadmaster` does (ui.app.run) and collect the crash
    notices it shows, then quit."""
    seen: list[CrashNotice] = []

    def look() -> None:
        for widget in QApplication.topLevelWidgets():
            seen.extend(n for n in widget.findChildren(CrashNotice) if n.isVisible())
        for notice in seen:
            notice.copy_button.click()
        QApplication.quit()

    # The notice is built before the event loop starts: the loop's first turn sees it.
    QTimer.singleShot(0, look)
    options = AppOptions(
        source_factory=lambda: ListSource([driving_map()]),
        data_dir=tmp_path / "data",
        speed=None,
    )
    assert run(["roadmaster"], options) == 0
    return seen


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ROADMASTER_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("ROADMASTER_API_KEY", raising=False)
    before = set(QApplication.topLevelWidgets())
    yield tmp_path
    for widget in set(QApplication.topLevelWidgets()) - before:
        widget.close()
        widget.deleteLater()
    theme.apply(QApplication.instance(), "dark", 1.0)  # other tests expect the default look


def test_the_window_says_it_closed_unexpectedly_and_copies_the_report(qapp, home):
    logs = paths.log_dir()
    logs.mkdir(parents=True)
    fatal.trace_path(logs, "window").write_text(TRACE)
    QGuiApplication.clipboard().clear()

    notices = start_window_and_look(home)

    assert len(notices) == 1
    notice = notices[0]
    kept = list(logs.glob("crashed-window-*.log"))
    assert len(kept) == 1 and notice.path == kept[0]
    text = notice.message.text()
    assert "RoadMaster closed unexpectedly last time" in text
    assert str(kept[0]) in text
    copied = QGuiApplication.clipboard().text()
    assert "gauges.py" in copied and "Fatal Python error: Aborted" in copied
    assert str(kept[0]) in copied
    # this run ended cleanly: nothing to say at the next start
    assert fatal.trace_path(logs, "window").read_text() == ""
    assert start_window_and_look(home) == []


def test_a_clean_last_run_shows_no_notice(qapp, home):
    assert start_window_and_look(home) == []
