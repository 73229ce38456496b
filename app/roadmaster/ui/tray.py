"""The system tray icon: the app's controls while the main window is closed, a
tooltip with the state, and notifications for what happened on the road.

Some Linux desktops have no tray.  There the app must not hide into a tray that
is not there: :func:`tray_available` tells part A's main window whether closing it
should hide (tray) or quit (no tray), and :func:`apply_close_policy` sets the
application's quit-on-last-window-closed to match.

The menu, the tooltip and the notification texts are pure functions
(:func:`menu_entries`, :func:`tooltip_text`, :func:`notification_for`), so they are
tested without a tray host.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from PySide6.QtCore import QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QColor, QFont, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QApplication, QMenu, QSystemTrayIcon

from roadmaster.jobs.events import Event, Fined, JobDelivered, JobStarted
from roadmaster.settings import Settings, display_currency
from roadmaster.telemetry.frame import Game
from roadmaster.units import format_money

# Windows cuts tray tooltips at 127 characters.
TOOLTIP_MAX = 127
# One batch of events (a replay, a reconnect) must not bury the desktop in balloons.
MAX_NOTIFICATIONS_PER_BATCH = 3
NOTIFICATION_MS = 6000


class AppActions(Protocol):
    """What the tray asks of the application (part A's AppController).

    Required: the methods below.  Optional, probed with ``getattr`` so that a
    controller without them still works: ``dashboard_visible() -> bool``,
    ``overlay_visible() -> bool``, ``click_through_enabled() -> bool`` (for the
    menu's labels and check marks) and a ``settings`` attribute
    (:class:`~roadmaster.settings.Settings`, for the currency and the economy
    assumptions in delivery notifications).
    """

    def start_capture(self) -> None: ...
    def stop_capture(self) -> None: ...
    def capture_running(self) -> bool: ...
    def toggle_dashboard(self) -> None: ...
    def toggle_overlay(self) -> None: ...
    def toggle_click_through(self) -> None: ...
    def sync_now(self) -> None: ...
    def open_data_folder(self) -> None: ...
    def quit(self) -> None: ...
    def state_text(self) -> str: ...


def tray_available() -> bool:
    """Whether this desktop shows tray icons (needs a QApplication)."""
    return QSystemTrayIcon.isSystemTrayAvailable()


def apply_close_policy(app: QApplication, tray: QSystemTrayIcon | None) -> bool:
    """Closing the last window quits unless a visible tray icon keeps the app
    reachable; returns True when the app lives on in the tray.  Part A's main
    window hides on close when this is True and closes (quitting) otherwise, so
    an invisible app is never left running."""
    in_tray = tray is not None and tray.isVisible() and tray_available()
    app.setQuitOnLastWindowClosed(not in_tray)
    return in_tray


# --- pure logic -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MenuEntry:
    """One menu line: ``key`` names the AppActions call, ``None`` is a separator."""

    key: str | None
    label: str = ""
    checked: bool | None = None  # None: not checkable


def menu_entries(
    *,
    capture_running: bool,
    dashboard_visible: bool | None = None,
    overlay_visible: bool | None = None,
    click_through: bool | None = None,
) -> list[MenuEntry]:
    """The tray menu for the current state (unknown visibility gives a neutral label)."""

    def show_hide(what: str, visible: bool | None) -> str:
        if visible is None:
            return f"Show/hide {what}"
        return f"Hide {what}" if visible else f"Show {what}"

    return [
        MenuEntry("capture", "Stop capture" if capture_running else "Start capture"),
        MenuEntry(None),
        MenuEntry("dashboard", show_hide("dashboard", dashboard_visible)),
        MenuEntry("overlay", show_hide("overlay", overlay_visible)),
        MenuEntry("click_through", "Overlay click-through", bool(click_through)),
        MenuEntry(None),
        MenuEntry("sync", "Sync now"),
        MenuEntry("data", "Open data folder"),
        MenuEntry(None),
        MenuEntry("quit", "Quit RoadMaster"),
    ]


def tooltip_text(state: str) -> str:
    """``RoadMaster — <state>``, cut to what every platform shows."""
    text = f"RoadMaster — {state.strip()}" if state.strip() else "RoadMaster"
    return text if len(text) <= TOOLTIP_MAX else text[: TOOLTIP_MAX - 1] + "…"


@dataclass(frozen=True, slots=True)
class Notification:
    title: str
    message: str
    warning: bool = False  # a problem the user should look at (shown with a warning icon)


def notification_for(event: object, settings: Settings | None = None) -> Notification | None:
    """The notification an event deserves, or None (samples, pauses, tolls …).

    ``AchievementUnlocked`` and ``SyncBlocked`` are matched by class name so that
    this module does not depend on where (or whether) they are defined."""
    settings = settings or Settings()
    name = type(event).__name__
    if isinstance(event, JobStarted):
        if event.resumed:
            return None  # seen mid-job (app restart): not news to the player
        info = event.info
        money = format_money(info.income, display_currency(info.game, settings.display.currency))
        return Notification(
            "Job started",
            f"{info.cargo}: {info.source_city} → {info.destination_city} for {money}.",
        )
    if isinstance(event, JobDelivered):
        # Imported here: roadmaster.capture pulls in storage (SQLAlchemy), which must
        # not load before the window's first paint.
        from roadmaster.runtime.records import economics_of

        currency = display_currency(event.info.game, settings.display.currency)
        econ = economics_of(event, settings.economy.economy())
        profit = f", profit {format_money(econ.net_profit, currency)}" if econ else ""
        late = " (late)" if event.late else ""
        return Notification(
            "Delivered" + late,
            f"{event.info.cargo} to {event.info.destination_city}: "
            f"revenue {format_money(event.revenue, currency)}{profit}.",
        )
    if isinstance(event, Fined):
        offence = event.offence.replace("_", " ") if event.offence else "an offence"
        # A fine carries no game: with "the game's currency" the symbol is left out
        # rather than guessed.
        money = format_money(
            event.amount, display_currency(Game.UNKNOWN, settings.display.currency)
        )
        return Notification("Fined", f"{money} for {offence}.", True)
    if name == "AchievementUnlocked":
        title = getattr(event, "title", "") or getattr(
            getattr(event, "achievement", None), "title", "An achievement"
        )
        description = getattr(event, "description", "") or getattr(
            getattr(event, "achievement", None), "description", ""
        )
        return Notification(f"Achievement unlocked: {title}", description or title)
    if name == "SyncBlocked":
        reason = getattr(event, "message", "") or getattr(event, "reason", "")
        return sync_blocked_notification(str(reason))
    return None


def sync_blocked_notification(reason: str) -> Notification:
    return Notification(
        "Sync paused",
        (reason or "The cloud refused the API key.")
        + " Your data is kept locally and will be sent once this is fixed.",
        True,
    )


def notifications_for(
    events: Iterable[object], settings: Settings | None = None
) -> list[Notification]:
    """The notifications for one batch, at most :data:`MAX_NOTIFICATIONS_PER_BATCH`;
    the rest are summed up in one last line."""
    return limit_batch([n for n in (notification_for(e, settings) for e in events) if n])


def limit_batch(found: Sequence[Notification]) -> list[Notification]:
    """At most :data:`MAX_NOTIFICATIONS_PER_BATCH` of one batch; the rest are summed
    up in one last line."""
    found = list(found)
    if len(found) <= MAX_NOTIFICATIONS_PER_BATCH:
        return found
    keep = found[: MAX_NOTIFICATIONS_PER_BATCH - 1]
    rest = len(found) - len(keep)
    return [*keep, Notification("RoadMaster", f"…and {rest} more (see the job log).")]


# --- the icon ---------------------------------------------------------------------------


def app_icon() -> QIcon:
    """The tray icon, drawn (no file to lose in a frozen build)."""
    icon = QIcon()
    for size in (16, 22, 24, 32, 48, 64):
        pixmap = QPixmap(size, size)
        pixmap.fill(Qt.GlobalColor.transparent)
        p = QPainter(pixmap)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setBrush(QColor(230, 120, 20))
        p.setPen(Qt.PenStyle.NoPen)
        p.drawRoundedRect(QRectF(0.5, 0.5, size - 1, size - 1), size * 0.22, size * 0.22)
        font = QFont()
        font.setBold(True)
        font.setPixelSize(round(size * 0.62))
        p.setFont(font)
        p.setPen(QColor(255, 255, 255))
        p.drawText(QRectF(0, 0, size, size), Qt.AlignmentFlag.AlignCenter, "R")
        p.end()
        icon.addPixmap(pixmap)
    return icon


class TrayIcon(QSystemTrayIcon):
    """``TrayIcon(app_controller)``; call ``show()`` only when :func:`tray_available`.

    The menu is rebuilt from :func:`menu_entries` each time it opens, so labels
    ("Start"/"Stop capture", "Show"/"Hide") always match the state.  The tooltip is
    refreshed every 2 s and on :meth:`refresh`.  Every notification is also emitted
    as :attr:`notified` so part A can show it in the status bar where no tray exists.
    """

    notified = Signal(str, str)  # title, message

    def __init__(self, actions: AppActions, parent=None) -> None:
        super().__init__(app_icon(), parent)
        self._actions = actions
        self._menu = QMenu()
        self._menu.aboutToShow.connect(self._rebuild_menu)
        self.setContextMenu(self._menu)
        self._rebuild_menu()
        self.activated.connect(self._activated)
        self._tooltip_timer = QTimer(self)
        self._tooltip_timer.setInterval(2000)
        self._tooltip_timer.timeout.connect(self.refresh)
        self._tooltip_timer.start()
        self.refresh()

    def refresh(self) -> None:
        """Update the tooltip (call after a state change for an instant update)."""
        self.setToolTip(tooltip_text(self._actions.state_text()))

    def menu(self) -> QMenu:
        return self._menu

    def actions_by_key(self) -> dict[str, QAction]:
        return {a.data(): a for a in self._menu.actions() if a.data()}

    def _optional(self, name: str) -> bool | None:
        method = getattr(self._actions, name, None)
        return bool(method()) if callable(method) else None

    def _rebuild_menu(self) -> None:
        self._menu.clear()
        entries = menu_entries(
            capture_running=self._actions.capture_running(),
            dashboard_visible=self._optional("dashboard_visible"),
            overlay_visible=self._optional("overlay_visible"),
            click_through=self._optional("click_through_enabled"),
        )
        for entry in entries:
            if entry.key is None:
                self._menu.addSeparator()
                continue
            action = self._menu.addAction(entry.label)
            action.setData(entry.key)
            if entry.checked is not None:
                action.setCheckable(True)
                action.setChecked(entry.checked)
            action.triggered.connect(lambda _=False, k=entry.key: self.trigger(k))

    def trigger(self, key: str) -> None:
        """Run the menu entry ``key`` (what clicking it does)."""
        a = self._actions
        if key == "capture":
            a.stop_capture() if a.capture_running() else a.start_capture()
        else:
            {
                "dashboard": a.toggle_dashboard,
                "overlay": a.toggle_overlay,
                "click_through": a.toggle_click_through,
                "sync": a.sync_now,
                "data": a.open_data_folder,
                "quit": a.quit,
            }[key]()
        self.refresh()

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        # A left click (Trigger) shows/hides the dashboard, as desktop trackers do.
        if reason == QSystemTrayIcon.ActivationReason.Trigger:
            self._actions.toggle_dashboard()

    # --- notifications --------------------------------------------------------------

    def notify_events(self, events: Sequence[Event] | Iterable[object]) -> list[Notification]:
        """Notify the tracker's events (job started, delivered, fined, achievement,
        sync blocked); returns what was shown."""
        settings = getattr(self._actions, "settings", None)
        shown = notifications_for(events, settings if isinstance(settings, Settings) else None)
        for n in shown:
            self._show(n)
        return shown

    def notify_sync_blocked(self, reason: str) -> Notification:
        n = sync_blocked_notification(reason)
        self._show(n)
        return n

    def show_notification(self, n: Notification) -> None:
        """A balloon (where the desktop supports them); also emitted as :attr:`notified`."""
        self._show(n)

    def _show(self, n: Notification) -> None:
        self.notified.emit(n.title, n.message)
        if self.isVisible() and self.supportsMessages():
            icon = (
                QSystemTrayIcon.MessageIcon.Warning
                if n.warning
                else QSystemTrayIcon.MessageIcon.Information
            )
            self.showMessage(n.title, n.message, icon, NOTIFICATION_MS)
