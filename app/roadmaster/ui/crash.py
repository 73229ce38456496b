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

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
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
