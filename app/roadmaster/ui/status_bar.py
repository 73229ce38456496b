"""The status bar: game state, plugin, "recording", sync — coloured by severity."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from roadmaster.ui import theme
from roadmaster.ui.present import StatusModel


class StatusLine(QStatusBar):
    """Four permanent labels; the recording one is the loudest when it is a problem,
    so nobody finishes a trip unaware that nothing was recorded."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizeGripEnabled(False)
        self.game = QLabel()
        self.plugin = QLabel()
        self.recording = QLabel()
        self.sync = QLabel()
        self.addWidget(self.recording, 1)
        for label in (self.game, self.plugin, self.sync):
            self.addPermanentWidget(label)
        self.model: StatusModel | None = None

    def show_model(self, m: StatusModel) -> None:
        self.model = m
        for label, text, level, tip in (
            (self.game, m.game, m.game_level, m.game_tooltip),
            (self.plugin, m.plugin, "idle", ""),
            (self.recording, m.recording, m.recording_level, ""),
            (self.sync, m.sync, m.sync_level, m.sync_tooltip),
        ):
            label.setText(text)
            label.setToolTip(tip)
            colour = theme.level_colour(level).name()
            weight = "bold" if label is self.recording or level == "error" else "normal"
            background = "background: #3a1416;" if level == "error" else ""
            label.setStyleSheet(f"color: {colour}; font-weight: {weight}; {background}")
