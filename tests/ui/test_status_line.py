"""The status bar restyles a label only when its severity changed: a new sync count
or recording text must not re-polish (and re-lay out) the whole bar."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication

from roadmaster.ui.status_bar import StatusLine
from roadmaster.ui.view_models import StatusModel


def _model(sync: str = "Sync online", sync_level: str = "ok") -> StatusModel:
    return StatusModel(
        game="Driving · ETS2",
        game_level="ok",
        game_tooltip="",
        plugin="plugin rev 12",
        recording="● Recording delivery to Malmö",
        recording_level="ok",
        sync=sync,
        sync_level=sync_level,
        sync_tooltip="",
    )


class _StyleChanges(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def eventFilter(self, obj, event) -> bool:
        if event.type() in (QEvent.Type.StyleChange, QEvent.Type.FontChange):
            self.count += 1
        return False


def test_a_new_text_at_the_same_severity_restyles_nothing(qtbot):
    line = StatusLine()
    qtbot.addWidget(line)
    line.show()
    qtbot.waitExposed(line)
    line.show_model(_model())
    QApplication.processEvents()
    spy = _StyleChanges()
    for label in (line.game, line.plugin, line.recording, line.sync):
        label.installEventFilter(spy)
    for waiting in range(1, 11):  # the sync queue's count every few seconds
        line.show_model(_model(sync=f"Sync online · {waiting} waiting"))
        QApplication.processEvents()
    assert line.sync.text() == "Sync online · 10 waiting"
    assert spy.count == 0
    line.show_model(_model(sync="Sync offline", sync_level="error"))  # a real change shows
    QApplication.processEvents()
    assert spy.count > 0
