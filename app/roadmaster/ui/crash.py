"""The crash handler: an uncaught exception on any thread is written to the log and
shown in a dialog with a copyable traceback and the log's path.  No traceback ever
reaches the user any other way."""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

log = logging.getLogger("roadmaster.crash")


class CrashDialog(QDialog):
    def __init__(self, text: str, log_path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("RoadMaster hit a bug")
        self.text = text
        intro = QLabel(
            "Something went wrong inside RoadMaster. What was already recorded is safe in "
            f"the local log.<br>The details are also in <b>{log_path}</b>. Please copy them "
            "into a bug report."
        )
        intro.setWordWrap(True)
        details = QPlainTextEdit(text)
        details.setReadOnly(True)
        details.setMinimumSize(640, 260)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        copy = QPushButton("Copy details")
        buttons.addButton(copy, QDialogButtonBox.ButtonRole.ActionRole)
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.text))
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(details, 1)
        layout.addWidget(buttons)


class CrashNotice(QFrame):
    """A banner above the dashboard after a run that ended in a fatal error (a crash
    in C code or an abort, which no Python handler sees): what happened, where the
    report is, a button to copy it for a bug report.  Not modal: start goes on."""

    def __init__(self, report_text: str, path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("crashNotice")
        self.report_text = report_text
        self.path = path
        self.setStyleSheet(
            "#crashNotice { background: palette(base); "
            "border: 1px solid palette(mid); border-radius: 6px; }"
        )
        self.message = QLabel(
            "<b>RoadMaster closed unexpectedly last time.</b> What was recorded before "
            f"then is safe. The report is in {_html(str(path))}; please copy it into a "
            "bug report."
        )
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.setToolTip(report_text[:2000])
        copy = QPushButton("Copy report")
        copy.setToolTip("Put the report and its path on the clipboard")
        copy.clicked.connect(self.copy)
        self.copy_button = copy
        close = QToolButton()
        close.setText("✕")
        close.setAutoRaise(True)
        close.setToolTip("Hide this")
        close.clicked.connect(self.hide)
        self.close_button = close
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 6, 6, 6)
        row.addWidget(self.message, 1)
        row.addWidget(copy, 0, Qt.AlignmentFlag.AlignVCenter)
        row.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(
            f"RoadMaster closed unexpectedly (report: {self.path})\n\n{self.report_text}\n"
        )


def _html(text: str) -> str:
    from html import escape

    return f"<b>{escape(text)}</b>"


class CrashReporter(QObject):
    """Installs the hooks; the dialog is shown on the GUI thread (queued signal)."""

    crashed = Signal(str)

    def __init__(self, log_path: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.log_path = log_path
        self.reports: list[str] = []
        self._showing = False
        self.crashed.connect(self._show)
        self.dialog_enabled = True

    def install(self) -> None:
        sys.excepthook = self._excepthook
        threading.excepthook = self._thread_excepthook

    def report(self, exc_type, exc, tb: TracebackType | None, where: str) -> None:
        text = f"In {where}:\n" + "".join(traceback.format_exception(exc_type, exc, tb))
        log.error("uncaught exception\n%s", text)
        self.reports.append(text)
        self.crashed.emit(text)

    def _excepthook(self, exc_type, exc, tb) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            QApplication.quit()
            return
        self.report(exc_type, exc, tb, "the main thread")

    def _thread_excepthook(self, args: threading.ExceptHookArgs) -> None:
        name = args.thread.name if args.thread is not None else "a thread"
        self.report(args.exc_type, args.exc_value, args.exc_traceback, f"thread {name}")

    def _show(self, text: str) -> None:
        if self._showing or not self.dialog_enabled:
            return  # one dialog at a time; the rest are in the log
        self._showing = True
        try:
            CrashDialog(text, self.log_path, QApplication.activeWindow()).exec()
        finally:
            self._showing = False
