"""The status bar: game state, plugin, "recording", sync — coloured by severity —
and, where the desktop has no tray, the latest notification for a while."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFont, QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QStatusBar, QToolButton, QWidget

from roadmaster.ui import theme
from roadmaster.ui.view_models import StatusModel

NOTICE_MS = 12_000  # long enough to read at a glance from the driving seat


class ElidedLabel(QLabel):
    """A label that shortens its text with "…" instead of widening the window: a
    long problem or notification must not push the status bar (and the window's
    minimum width) past a 1366-pixel screen.  The full text is in the tooltip."""

    PADDING_PX = 20  # the style sheet's horizontal padding

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.full_text = ""
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(60)

    def set_full_text(self, text: str) -> None:
        self.full_text = text
        self.setToolTip(text)
        self._elide()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        width = max(0, self.width() - self.PADDING_PX)
        metrics = self.fontMetrics()
        self.setText(metrics.elidedText(self.full_text, Qt.TextElideMode.ElideRight, width))


class StatusLine(QStatusBar):
    """Four permanent labels; the recording one is the loudest when it is a problem,
    so nobody finishes a trip unaware that nothing was recorded.

    Notifications get their own label (:meth:`show_notice`) rather than
    ``QStatusBar.showMessage``, which would hide the recording indicator while the
    message shows."""

    # The player pressed Stop/Start capture (True: start); the window asks the
    # controller (capture was only in the tray's menu, which not every desktop has).
    capture_toggled = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizeGripEnabled(False)
        self.capture_button = QToolButton()
        self.capture_button.setObjectName("captureButton")
        self.capture_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.capture_button.clicked.connect(self._toggle_capture)
        self._set_capture_button(True)
        self.addWidget(self.capture_button)
        self.game = QLabel()
        self.plugin = QLabel()
        self.recording = ElidedLabel()
        self.notice = ElidedLabel()
        self.notice.setObjectName("notice")
        self.notice.hide()
        self.sync = QLabel()
        self.addWidget(self.recording, 1)
        self.addWidget(self.notice, 2)
        for label in (self.game, self.plugin, self.sync):
            self.addPermanentWidget(label)
        self.model: StatusModel | None = None
        self._notice_timer = QTimer(self)
        self._notice_timer.setSingleShot(True)
        self._notice_timer.timeout.connect(self.clear_notice)
        self._demo = False

    def set_demo(self, demo: bool) -> None:
        """Say DEMO in front of the game state: the data is simulated."""
        self._demo = demo
        if self.model is not None:
            self.show_model(self.model)

    def show_notice(self, title: str, text: str, *, warning: bool = False) -> None:
        self.notice.set_full_text(f"{title}: {text}")
        self.notice.setProperty("warning", warning)
        self._style_notice()
        self.notice.show()
        self._notice_timer.start(NOTICE_MS)

    def clear_notice(self) -> None:
        self.notice.hide()
        self.notice.set_full_text("")

    def _style_notice(self) -> None:
        c = theme.current()
        colour = c.warn if self.notice.property("warning") else c.accent
        self.notice.setStyleSheet(f"color: {colour.name()};")
        _set_bold(self.notice, True)

    def restyle(self) -> None:
        """Colours are set per label: re-apply them after a theme switch."""
        if self.model is not None:
            self.show_model(self.model)
        self._style_notice()

    def _set_capture_button(self, running: bool) -> None:
        self._capture_running = running
        self.capture_button.setText("■ Stop capture" if running else "▶ Start capture")
        self.capture_button.setToolTip(
            "Stop recording (nothing is read or stored until you start again)"
            if running
            else "Start recording the game's telemetry again"
        )

    def _toggle_capture(self) -> None:
        self.capture_toggled.emit(not self._capture_running)

    def show_model(self, m: StatusModel) -> None:
        self.model = m
        self._set_capture_button(m.capture_running)
        c = theme.current()
        game = f"DEMO · {m.game}" if self._demo else m.game
        for label, text, level, tip in (
            (self.game, game, m.game_level, m.game_tooltip),
            (self.plugin, m.plugin, "idle", ""),
            (self.recording, m.recording, m.recording_level, ""),
            (self.sync, m.sync, m.sync_level, m.sync_tooltip),
        ):
            if isinstance(label, ElidedLabel):
                label.set_full_text(text)
            else:
                label.setText(text)
                label.setToolTip(tip)
            colour = c.level(level).name()
            background = f"background: {c.error_bg.name()};" if level == "error" else ""
            sheet = f"color: {colour}; {background}"
            # A style sheet or a font re-polishes and re-lays out the label (and the
            # status bar) even when it is the same one: only when it changed.
            if label.styleSheet() != sheet:
                label.setStyleSheet(sheet)
            _set_bold(label, label is self.recording or level == "error")


def _set_bold(label: QLabel, bold: bool) -> None:
    """Only the weight is set on the label: its size still comes from the app font,
    so the labels grow with the font scale (a font in a style sheet would pin it)."""
    if label.font().bold() == bold and label.testAttribute(Qt.WidgetAttribute.WA_SetFont):
        return
    font = QFont()
    font.setBold(bold)
    label.setFont(font)
