"""The widgets, fed real frames: what a user sees, and no painting while hidden."""

from PySide6.QtCore import QTimer

from roadmaster.telemetry.frame import Game
from roadmaster.ui import view_models as vm
from roadmaster.ui.dashboard import DashboardView
from roadmaster.ui.job_panel import JobPanel
from roadmaster.ui.status_bar import StatusLine
from roadmaster.units import UnitSystem
from tests.ui.frames import KMH, reading


def test_the_dashboard_shows_a_driving_frame(qtbot):
    view = DashboardView()
    qtbot.addWidget(view)
    view.resize(1000, 650)
    view.show()
    qtbot.waitExposed(view)
    view.show_model(vm.dashboard_model(reading(**{"truck_b.parkBrake": 1}), UnitSystem.METRIC))
    assert view.speed.value_text == "72"
    assert view.speed.unit == "km/h"
    assert view.speed.limit is not None and round(view.speed.limit) == 80
    assert view.rpm.value_text == "1350"
    assert view.rpm.red_from == 2250.0  # 90 % of the engine's 2500 max
    assert view.gear.gear == "10"
    assert view.park_brake.on and not view.cruise.on
    assert view.damage.percent_text("Cabin") == "25%"
    assert view.warnings.warnings == ()
    image = view.grab().toImage()  # paints every instrument for real
    assert not image.isNull()


def test_warnings_appear_when_fuel_is_low_and_when_speeding(qtbot):
    view = DashboardView()
    qtbot.addWidget(view)
    view.show()
    r = reading(**{"truck_f.fuel": 30.0, "truck_f.speed": 100 * KMH})
    view.show_model(vm.dashboard_model(r, UnitSystem.METRIC))
    assert view.warnings.warnings == ("LOW FUEL", "SPEEDING")
    assert view.fuel.alarm and view.speed.alarm


def test_cruise_control_marks_its_set_speed(qtbot):
    view = DashboardView()
    qtbot.addWidget(view)
    r = reading(**{"truck_b.cruiseControl": 1, "truck_f.cruiseControlSpeed": 70 * KMH})
    view.show_model(vm.dashboard_model(r, UnitSystem.METRIC))
    assert view.cruise.on and view.cruise.text == "CRUISE 70"
    assert round(view.speed.cruise) == 70


def test_a_hidden_dashboard_does_not_paint(qtbot):
    view = DashboardView()
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    view.show_model(vm.dashboard_model(reading(), UnitSystem.METRIC))
    qtbot.waitUntil(lambda: view.paint_count() > 0, timeout=2000)
    view.hide()
    before = view.paint_count()
    for speed in (10, 30, 50, 70, 90):
        r = reading(**{"truck_f.speed": speed * KMH, "truck_f.fuel": speed * 1.0})
        view.show_model(vm.dashboard_model(r, UnitSystem.METRIC))
        _run_posted_events(qtbot)  # a pending repaint would be delivered here
    assert view.paint_count() == before
    # and no easing timer is left to paint later
    assert not view.speed._ease.isActive()


def _run_posted_events(qtbot):
    """One full turn of the event loop: what was posted before it is delivered."""
    turned = []
    QTimer.singleShot(0, lambda: turned.append(True))
    qtbot.waitUntil(lambda: bool(turned), timeout=2000)


def _job_progress():
    from roadmaster.jobs.events import JobInfo, JobStats

    info = JobInfo(
        game=Game.ETS2,
        cargo_id="apples",
        cargo="Apples",
        cargo_mass_kg=18_000,
        source_city_id="berlin",
        source_city="Berlin",
        source_company_id="tree_et",
        source_company="Tree-ET",
        destination_city_id="praha",
        destination_city="Praha",
        destination_company_id="kaarfor",
        destination_company="Kaarfor",
        income=9_000,
        planned_distance_km=350,
        deadline_game_min=20 * 60,
        job_market="freight_market",
        special_job=False,
        started_game_min=10 * 60,
    )
    stats = JobStats(distance_km=120.0, fuel_used_l=40.0, fines_total=250, tolls_total=80)
    return vm.JobProgress("key-1", info, stats)


def test_the_job_panel_shows_the_job_money_and_deadline(qtbot):
    panel = JobPanel()
    qtbot.addWidget(panel)
    m = vm.job_panel_model(_job_progress(), 12 * 60, UnitSystem.METRIC, None, "")
    panel.show_model(m)
    assert panel.cargo.text() == "Apples · 18,000 kg"
    assert panel.route.text() == "Berlin → Praha"
    assert panel.companies.text() == "Tree-ET → Kaarfor"
    assert panel.distance.text() == "driven 120 km of 350 km planned"
    assert panel.deadline.text().startswith("due in 8 h 00 min")
    assert panel.expenses.text() == "fines €250 · tolls €80"
    assert panel.profit.text().startswith("projected profit €")
    assert panel.last_job.text() == "No finished job yet."


def test_an_overdue_job_says_so(qtbot):
    m = vm.job_panel_model(_job_progress(), 21 * 60, UnitSystem.METRIC, None, "")
    assert m.overdue and m.deadline.startswith("late by 1 h 00 min")


def test_the_status_bar_says_recording_or_not(qtbot):
    bar = StatusLine()
    qtbot.addWidget(bar)
    sync = vm.SyncInfo(enabled=False)
    ok = vm.status_model(
        reading(), capture_running=True, capture_problem="", job=_job_progress(), sync=sync
    )
    bar.show_model(ok)
    assert bar.recording.text() == "● Recording delivery to Praha"
    assert bar.game.text() == "Driving · ETS2"
    bad = vm.status_model(
        reading(), capture_running=False, capture_problem="disk full", job=None, sync=sync
    )
    bar.show_model(bad)
    assert bar.recording.text() == "NOT RECORDING: disk full"
    assert "#ff4d4f" in bar.recording.styleSheet()


# --- papercuts ----------------------------------------------------------------------------


def test_the_limit_caption_is_red_only_while_speeding(qtbot):
    view = DashboardView()
    qtbot.addWidget(view)
    view.show_model(vm.dashboard_model(reading(**{"truck_f.speed": 60 * KMH}), UnitSystem.METRIC))
    assert view.speed.caption == "limit 80" and not view.speed.caption_alarm()
    view.show_model(vm.dashboard_model(reading(**{"truck_f.speed": 95 * KMH}), UnitSystem.METRIC))
    assert view.speed.caption_alarm()


def test_recent_events_carry_the_time_they_happened(qtbot):
    from datetime import datetime

    panel = JobPanel()
    qtbot.addWidget(panel)
    panel.add_notification("Fined", "€250 for speeding", datetime(2026, 3, 1, 14, 5))
    assert panel.events.item(0).text() == "14:05  Fined: €250 for speeding"


def test_ets2_air_pressure_reads_in_bar_and_ats_in_psi():
    ets2 = vm.dashboard_model(reading(**{"truck_f.airPressure": 116.0}), UnitSystem.METRIC)
    assert ets2.air_text == "8.0 bar"
    ats = vm.dashboard_model(
        reading(**{"scs_values.game": 2, "truck_f.airPressure": 116.0}), UnitSystem.IMPERIAL
    )
    assert ats.air_text == "116 psi"


def test_the_map_axes_are_in_miles_on_an_imperial_map():
    assert vm.map_axis_unit(UnitSystem.IMPERIAL) == ("mi", 1609.344)
    assert vm.map_axis_unit(UnitSystem.METRIC) == ("km", 1000.0)
