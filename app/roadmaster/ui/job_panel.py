"""The job panel: the current job, its money and time, the last job, recent events."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QListWidget, QScrollArea, QVBoxLayout, QWidget

from roadmaster.ui import theme
from roadmaster.ui.view_models import JobPanelModel, log_line

MAX_EVENTS = 12


def _label(name: str = "", wrap: bool = True) -> QLabel:
    label = QLabel()
    if name:
        label.setObjectName(name)
    label.setWordWrap(wrap)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def _set_style(label: QLabel, sheet: str) -> None:
    # Setting a style sheet re-polishes the label even when it is the same one; the
    # model changes every game minute (several times a second on a fast feed).
    if label.styleSheet() != sheet:
        label.setStyleSheet(sheet)


class JobPanel(QWidget):
    """Shows JobPanelModels and the notifications the controller posts."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.cargo = _label("title")
        self.route = _label("big")
        self.companies = _label("dim")
        self.income = _label("big")
        self.profit = _label("big")
        self.distance = _label()
        self.deadline = _label("big")
        self.expenses = _label()
        self.hos = _label()
        self.last_job_title = _label("dim")
        self.last_job_title.setText("LAST JOB")
        self.last_job = _label()
        self.events_title = _label("dim")
        self.events_title.setText("RECENT EVENTS")
        self.events = QListWidget()
        self.events.setFocusPolicy(Qt.FocusPolicy.NoFocus)

        card = QFrame()
        card.setObjectName("card")
        inner = QVBoxLayout(card)
        inner.setSpacing(4)
        for w in (
            self.cargo,
            self.route,
            self.companies,
            self.income,
            self.profit,
            self.distance,
            self.deadline,
            self.expenses,
            self.hos,
        ):
            inner.addWidget(w)
        # The content scrolls rather than squeeze: in a short dock (1024×600, or a
        # long last-job line wrapping to three lines at 1366×768) Qt would otherwise
        # shrink the wrapped labels below their height and draw them over each other.
        content = QWidget()
        content.setObjectName("jobContent")
        layout = QVBoxLayout(content)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(card)
        layout.addSpacing(6)
        layout.addWidget(self.last_job_title)
        layout.addWidget(self.last_job)
        layout.addSpacing(6)
        layout.addWidget(self.events_title)
        self.events.setMinimumHeight(self.events.fontMetrics().height() * 4)
        layout.addWidget(self.events, 1)
        self.scroll_area = QScrollArea()
        self.scroll_area.setObjectName("jobScroll")
        self.scroll_area.setWidget(content)
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.scroll_area)
        self.model: JobPanelModel | None = None
        self._px = 0

    def restyle(self) -> None:
        """The warning colours are applied per label: redo them after a theme
        switch, and the text size for a new font scale."""
        if self.model is not None:
            self.show_model(self.model)
        self.fit_fonts()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self.fit_fonts()

    def fit_fonts(self) -> None:
        """Size the text for the dock's width and the screen's font scale."""
        # Text grows with the dock, so a big screen read from a chair stays legible.
        scale = theme.font_scale()
        px = max(round(13 * scale), min(round(24 * scale), self.width() // 38))
        if px != self._px:
            self._px = px
            self.setStyleSheet(
                f"QWidget {{ font-size: {px}px; }} "
                f"QLabel#title {{ font-size: {int(px * 1.5)}px; font-weight: bold; }} "
                f"QLabel#big {{ font-size: {int(px * 1.2)}px; }}"
            )

    def show_model(self, m: JobPanelModel) -> None:
        self.model = m
        self.cargo.setText(m.cargo)
        self.route.setText(m.route)
        self.companies.setText(m.companies)
        for label, text in (
            (self.companies, m.companies),
            (self.income, m.income),
            (self.profit, m.profit),
            (self.distance, m.distance),
            (self.deadline, m.deadline),
            (self.expenses, m.expenses),
        ):
            label.setText(text)
            label.setVisible(bool(text))
        c = theme.current()
        _set_style(self.deadline, f"color: {c.error.name()};" if m.overdue else "")
        self.hos.setText(f"Driving time: {m.hos}")
        _set_style(self.hos, f"color: {c.warn.name()};" if m.hos_urgent else "")
        self.last_job.setText(m.last_job or "No finished job yet.")

    def add_notification(self, title: str, text: str, at: datetime | None = None) -> None:
        self.events.insertItem(0, log_line(title, text, at or datetime.now()))
        while self.events.count() > MAX_EVENTS:
            self.events.takeItem(self.events.count() - 1)
