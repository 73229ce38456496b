"""First-run hints: a quiet, dismissible banner for the main window.

With no cloud key the app works fully locally and says, once and unobtrusively, how
to connect.  With no game seen yet it says how to install the telemetry plugin
(naming the exact folder when the Steam check found the game) and offers the demo.

:func:`first_run_hints` decides the text (pure); :class:`FirstRunHints` shows it.
Part A places the widget at the top of the main window, calls
:meth:`FirstRunHints.update_state` when the key or the game state changes, and
connects ``settings_requested`` / ``demo_requested``.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QToolButton, QVBoxLayout

from roadmaster.steam import (
    LINUX_PLUGIN_URL,
    PLUGIN_URL,
    GameInstall,
    PluginState,
    plugin_install_text,
)

DISMISSED_KEY = "hints/dismissed"


@dataclass(frozen=True, slots=True)
class Hint:
    id: str  # stable: remembered when dismissed
    text: str
    action: str | None = None  # "settings" or "demo"
    action_label: str = ""


def first_run_hints(
    *,
    has_cloud_key: bool,
    game_seen: bool,
    installs: Sequence[GameInstall] | None = None,
    dismissed: Collection[str] = (),
) -> list[Hint]:
    """The hints to show now.  ``game_seen``: telemetry from a real game has been
    read at least once (this run or before); ``installs``: the Steam check's
    result, None when it has not run."""
    hints: list[Hint] = []
    if not game_seen:
        hints.append(_game_hint(installs))
    if not has_cloud_key:
        hints.append(
            Hint(
                "cloud",
                "RoadMaster keeps everything on this computer. To see your jobs on the web "
                "dashboard too, add your API key in Settings → Cloud.",
                "settings",
                "Connect…",
            )
        )
    return [h for h in hints if h.id not in dismissed]


def _game_hint(installs: Sequence[GameInstall] | None) -> Hint:
    missing = [i for i in installs or () if i.plugin is PluginState.MISSING]
    ready = [i for i in installs or () if i.plugin is not PluginState.MISSING]
    if missing and not ready:
        first = missing[0]
        text = (
            f"No telemetry yet: {first.name} has no telemetry plugin. To install it, "
            f"{plugin_install_text(first.path, brief=True)}, then restart the game."
        )
    elif ready:
        text = (
            f"The telemetry plugin is installed for {ready[0].name}: start the game and "
            "RoadMaster connects on its own."
        )
    else:
        text = (
            f"No game seen yet. Install the telemetry plugin: {plugin_install_text(brief=True)}, "
            "then start ATS or ETS2."
        )
    return Hint("game", text + " Meanwhile, try the demo.", "demo", "Try the demo")


class FirstRunHints(QFrame):
    """The banner.  Hidden when there is nothing to say."""

    settings_requested = Signal()
    demo_requested = Signal()
    dismissed = Signal(str)  # the hint's id

    def __init__(self, parent=None, qsettings: QSettings | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("firstRunHints")
        self._qsettings = qsettings if qsettings is not None else QSettings()
        self._state: dict[str, object] = {"has_cloud_key": True, "game_seen": True}
        self._hints: list[Hint] = []
        self._detail = ""
        self._compact = False
        self.setStyleSheet(
            "#firstRunHints { background: palette(base); "
            "border: 1px solid palette(mid); border-radius: 6px; }"
        )
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(10, 6, 6, 6)
        self._layout.setSpacing(4)
        self.hide()

    def dismissed_ids(self) -> set[str]:
        value: Any = self._qsettings.value(DISMISSED_KEY, [])
        if isinstance(value, str):  # QSettings gives a lone string for a one-item list
            value = [value]
        return set(value or [])

    def hints(self) -> list[Hint]:
        return list(self._hints)

    def update_state(
        self,
        *,
        has_cloud_key: bool,
        game_seen: bool,
        installs: Sequence[GameInstall] | None = None,
        detail: str = "",
    ) -> None:
        """``detail``: the Steam check's full report (steam.describe_installs), shown
        as the game hint's tooltip: the banner stays one line, the steps are a hover
        away."""
        self._state = {"has_cloud_key": has_cloud_key, "game_seen": game_seen, "installs": installs}
        changed = detail != self._detail
        self._detail = detail
        if changed:
            self._hints = []  # re-render: the tooltip is built with the rows
        self._render()

    def set_compact(self, compact: bool) -> None:
        """In a short window only the first hint is shown (the next one follows when
        it is dismissed): the dashboard keeps the height it needs."""
        if compact != self._compact:
            self._compact = compact
            self._hints = []  # re-render
            self._render()

    def dismiss(self, hint_id: str) -> None:
        ids = self.dismissed_ids() | {hint_id}
        self._qsettings.setValue(DISMISSED_KEY, sorted(ids))
        self.dismissed.emit(hint_id)
        self._render()

    def _render(self) -> None:
        hints = first_run_hints(
            has_cloud_key=bool(self._state.get("has_cloud_key")),
            game_seen=bool(self._state.get("game_seen")),
            installs=self._state.get("installs"),  # type: ignore[arg-type]
            dismissed=self.dismissed_ids(),
        )
        if hints == self._hints and self.isVisible() == bool(hints):
            return
        self._hints = hints
        while self._layout.count():
            item = self._layout.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        for hint in hints[:1] if self._compact else hints:
            self._layout.addWidget(self._row(hint))
        self.setVisible(bool(hints))

    def _row(self, hint: Hint) -> QFrame:
        row = QFrame()
        row.setObjectName(f"hint-{hint.id}")
        h = QHBoxLayout(row)
        h.setContentsMargins(0, 0, 0, 0)
        # The plugin's download page as a link: one click instead of copying a URL.
        html = escape(hint.text)
        for url in (PLUGIN_URL, LINUX_PLUGIN_URL):
            html = html.replace(escape(url), f'<a href="{url}">download page</a>')
        label = QLabel(html)
        label.setTextFormat(Qt.TextFormat.RichText)
        label.setWordWrap(True)
        label.setOpenExternalLinks(True)
        label.setToolTip(self._detail if hint.id == "game" and self._detail else hint.text)
        h.addWidget(label, 1)
        if hint.action:
            button = QPushButton(hint.action_label)
            signal = self.settings_requested if hint.action == "settings" else self.demo_requested
            button.clicked.connect(signal.emit)
            h.addWidget(button, 0, Qt.AlignmentFlag.AlignVCenter)
        close = QToolButton()
        close.setText("✕")
        close.setAutoRaise(True)
        close.setToolTip("Don't show this again")
        close.clicked.connect(lambda _=False, i=hint.id: self.dismiss(i))
        h.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        return row
