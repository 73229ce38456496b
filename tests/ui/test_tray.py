"""The tray: menu, actions, tooltip and notification texts (pure, no tray host
needed), the close policy without a tray, and the real icon where a tray exists."""

from __future__ import annotations

import dataclasses

import pytest
from PySide6.QtWidgets import QApplication, QSystemTrayIcon

from roadmaster.examples import make_delivered, make_info
from roadmaster.jobs import events as events_module
from roadmaster.jobs.economics import settle
from roadmaster.jobs.events import (
    Fined,
    JobDelivered,
    JobStarted,
    JobStats,
    TollPaid,
    Wear,
)
from roadmaster.settings import Settings
from roadmaster.telemetry.frame import Game
from roadmaster.ui.tray import (
    TOOLTIP_MAX,
    TrayIcon,
    apply_close_policy,
    menu_entries,
    tooltip_text,
    tray_available,
)
from roadmaster.ui.view_models.notifications import (
    MAX_NOTIFICATIONS_PER_BATCH,
    event_line,
    notification_for,
    notifications_for,
    sync_blocked_notification,
)

INFO = make_info(
    cargo="Lumber",
    source_city="Reno",
    destination_city="Sacramento",
    income=12_345,
    planned_distance_km=210,
)


def delivered(**changes: object) -> JobDelivered:
    stats = JobStats(
        distance_km=210.0, fuel_used_l=80.0, wear_start=Wear(), wear_end=Wear(engine=0.05)
    )
    return make_delivered("k", info=INFO, stats=stats, revenue=12_000, **changes)


class Actions:
    def __init__(self) -> None:
        self.running = False
        self.calls: list[str] = []
        self.settings = Settings()
        self.state = "Capturing ATS — job to Sacramento — synced"

    def start_capture(self) -> None:
        self.calls.append("start_capture")
        self.running = True

    def stop_capture(self) -> None:
        self.calls.append("stop_capture")
        self.running = False

    def capture_running(self) -> bool:
        return self.running

    def toggle_dashboard(self) -> None:
        self.calls.append("toggle_dashboard")

    def toggle_overlay(self) -> None:
        self.calls.append("toggle_overlay")

    def toggle_click_through(self) -> None:
        self.calls.append("toggle_click_through")

    def sync_now(self) -> None:
        self.calls.append("sync_now")

    def open_data_folder(self) -> None:
        self.calls.append("open_data_folder")

    def quit(self) -> None:
        self.calls.append("quit")

    def state_text(self) -> str:
        return self.state

    def overlay_visible(self) -> bool:
        return True


# --- pure logic ------------------------------------------------------------------------


def test_menu_has_every_command_with_state_dependent_labels() -> None:
    labels = [e.label for e in menu_entries(capture_running=False) if e.key]
    assert labels == [
        "Start capture",
        "Show/hide dashboard",
        "Show/hide overlay",
        "Overlay click-through",
        "Sync now",
        "Open data folder",
        "Quit RoadMaster",
    ]
    running = menu_entries(
        capture_running=True, dashboard_visible=False, overlay_visible=True, click_through=True
    )
    by_key = {e.key: e for e in running if e.key}
    assert by_key["capture"].label == "Stop capture"
    assert by_key["dashboard"].label == "Show dashboard"
    assert by_key["overlay"].label == "Hide overlay"
    assert by_key["click_through"].checked is True


def test_tooltip_is_short_enough_for_windows() -> None:
    assert tooltip_text("Game not running") == "RoadMaster — Game not running"
    long = tooltip_text("x" * 500)
    assert len(long) == TOOLTIP_MAX and long.endswith("…")


def test_job_started_and_resumed() -> None:
    started = JobStarted(t_s=0, game_time_min=9_000, job_key="k", info=INFO, resumed=False)
    n = notification_for(started)
    assert n is not None and n.title == "Job started"
    assert n.message == "Lumber: Reno → Sacramento for $12,345."
    resumed = JobStarted(t_s=0, game_time_min=9_000, job_key="k", info=INFO, resumed=True)
    assert notification_for(resumed) is None


def test_delivered_shows_revenue_and_the_settled_profit() -> None:
    """The balloon reads the profit the capture settled with the player's prices
    (stored with the job): it does not recompute it with other inputs."""
    cheap = Settings()
    cheap.economy.repair_cost_scale = 0.1
    cheap.display.currency = "CAD"
    event = delivered(late=True)
    settled = dataclasses.replace(event, economics=settle(event, cheap.economy.economy()))
    m = notification_for(settled, cheap)
    assert m is not None and m.title == "Delivered (late)"
    assert settled.economics is not None
    assert m.message == (
        f"Lumber to Sacramento: revenue C$12,000, profit C${settled.economics.net_profit:,.0f}."
    )
    # Default prices would give another figure: the balloon does not use them.
    assert settle(event, Settings().economy.economy()).net_profit < settled.economics.net_profit  # type: ignore[union-attr]
    unsettled = notification_for(delivered())
    assert unsettled is not None and unsettled.message == "Lumber to Sacramento: revenue $12,000."


def test_fined_is_a_warning() -> None:
    n = notification_for(
        Fined(t_s=0, game_time_min=0, job_key=None, offence="speeding", amount=250)
    )
    assert n is not None and n.warning and n.message == "250 for speeding."


def test_a_fine_is_labelled_with_the_game_being_played_or_the_players_currency() -> None:
    fine = Fined(t_s=0, game_time_min=0, job_key=None, offence="speeding", amount=250)
    n = notification_for(fine, None, Game.ETS2)
    assert n is not None and n.message == "€250 for speeding."
    cad = Settings()
    cad.display.currency = "CAD"
    m = notification_for(fine, cad, Game.ETS2)
    assert m is not None and m.message == "C$250 for speeding."
    line = event_line(TollPaid(t_s=0, game_time_min=0, job_key=None, amount=5), cad, Game.ETS2)
    assert line == ("Toll", "paid C$5")


def test_an_achievement_and_a_sync_block_notify() -> None:
    event = events_module.AchievementUnlocked(
        t_s=0,
        game_time_min=0,
        achievement_id="first_job",
        title="First job",
        description="Deliver your first job.",
        job_key="k",
    )
    n = notification_for(event)
    assert n is not None and n.title == "Achievement unlocked: First job"
    assert n.message == "Deliver your first job."

    s = sync_blocked_notification("The server does not know your API key (401).")
    assert s.warning and s.title == "Sync paused"
    assert "kept locally" in s.message


def test_other_events_are_quiet_and_batches_are_capped() -> None:
    assert notification_for(TollPaid(t_s=0, game_time_min=0, job_key=None, amount=5)) is None
    burst = [delivered() for _ in range(10)]
    shown = notifications_for(burst)
    assert len(shown) == MAX_NOTIFICATIONS_PER_BATCH
    assert shown[-1].message == "…and 8 more (see the job log)."


# --- the icon object (no tray host needed to build it) ---------------------------------------


def test_menu_actions_call_the_app(qtbot) -> None:
    actions = Actions()
    tray = TrayIcon(actions)
    tray.menu().aboutToShow.emit()
    by_key = tray.actions_by_key()
    assert by_key["capture"].text() == "Start capture"
    assert by_key["overlay"].text() == "Hide overlay"  # from the optional overlay_visible()
    by_key["capture"].trigger()
    assert actions.calls == ["start_capture"]
    tray.menu().aboutToShow.emit()
    assert tray.actions_by_key()["capture"].text() == "Stop capture"
    for key in ("capture", "dashboard", "overlay", "click_through", "sync", "data", "quit"):
        tray.actions_by_key()[key].trigger()
    assert actions.calls[1:] == [
        "stop_capture",
        "toggle_dashboard",
        "toggle_overlay",
        "toggle_click_through",
        "sync_now",
        "open_data_folder",
        "quit",
    ]
    assert tray.toolTip() == "RoadMaster — Capturing ATS — job to Sacramento — synced"
    actions.state = "Offline: 12 jobs waiting"
    tray.trigger("sync")
    assert tray.toolTip() == "RoadMaster — Offline: 12 jobs waiting"


def test_notifications_are_also_signalled_for_a_status_bar(qtbot) -> None:
    tray = TrayIcon(Actions())
    with qtbot.waitSignal(tray.notified) as sig:
        shown = tray.notify_events([delivered()])
    assert sig.args[0] == "Delivered" and shown[0].title == "Delivered"


def test_without_a_tray_closing_the_window_quits(qtbot) -> None:
    app = QApplication.instance()
    tray = TrayIcon(Actions())  # never shown: no tray here, or shown and hidden again
    assert apply_close_policy(app, tray) is False
    assert app.quitOnLastWindowClosed()
    assert apply_close_policy(app, None) is False


@pytest.fixture
def needs_tray(qapp) -> None:
    # Asked after the QApplication exists: before it, Qt crashes on this call.
    if not QSystemTrayIcon.isSystemTrayAvailable():
        pytest.skip("no system tray on this platform (offscreen / bare Xvfb; run trayer for one)")


def test_with_a_tray_the_app_lives_on_in_it(needs_tray, qtbot) -> None:
    app = QApplication.instance()
    tray = TrayIcon(Actions())
    tray.show()
    try:
        assert tray_available()
        assert apply_close_policy(app, tray) is True
        assert not app.quitOnLastWindowClosed()
        tray.notify_events([delivered()])  # shows a balloon; must not raise
    finally:
        tray.hide()
        app.setQuitOnLastWindowClosed(True)


def _contrast(a, b) -> float:
    def lum(c) -> float:
        def ch(v: float) -> float:
            return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

        return 0.2126 * ch(c.redF()) + 0.7152 * ch(c.greenF()) + 0.0722 * ch(c.blueF())

    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize("mode", ["dark", "light"])
def test_balloons_and_tooltips_are_readable_in_either_theme(mode: str) -> None:
    """Qt draws its own balloon where the desktop has no notification service, with
    QToolTip's palette: near-white text on pale yellow under the dark theme."""
    from PySide6.QtGui import QPalette
    from PySide6.QtWidgets import QToolTip

    from roadmaster.ui import theme

    app = QApplication.instance()
    try:
        theme.apply(app, mode, 1.0)
        tip = QToolTip.palette()
        roles = QPalette.ColorRole
        assert _contrast(tip.color(roles.WindowText), tip.color(roles.Window)) >= 4.5
        assert _contrast(tip.color(roles.ToolTipText), tip.color(roles.ToolTipBase)) >= 4.5
        app_text = app.palette().color(roles.WindowText)
        assert _contrast(app_text, tip.color(roles.Window)) >= 4.5
    finally:
        theme.apply(app, "dark", 1.0)
