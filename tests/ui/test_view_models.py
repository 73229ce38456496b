"""What the views are told to show, from real frames (no widgets)."""

from roadmaster.telemetry.status import GameState, Reading
from roadmaster.ui import view_models as vm
from roadmaster.units import UnitSystem
from tests.ui.frames import KMH, reading


def test_a_driving_frame_shows_speed_gear_and_no_warnings():
    m = vm.dashboard_model(reading(), UnitSystem.METRIC)
    assert (m.speed_text, m.speed_unit, m.gear) == ("72", "km/h", "10")
    assert m.speed_limit_text == "limit 80"
    assert m.warnings == ()
    assert m.fuel_text == "300 l"
    assert "range 909 km" in m.range_text  # 300 l at the game's 0.33 l/km


def test_low_fuel_and_speeding_light_their_warnings():
    m = vm.dashboard_model(
        reading(**{"truck_f.fuel": 40.0, "truck_f.speed": 95 * KMH}), UnitSystem.METRIC
    )
    assert m.fuel_low and m.speeding
    assert "LOW FUEL" in m.warnings and "SPEEDING" in m.warnings


def test_riding_the_limit_is_not_speeding():
    m = vm.dashboard_model(reading(**{"truck_f.speed": 80.5 * KMH}), UnitSystem.METRIC)
    assert not m.speeding


def test_low_air_and_overheating():
    m = vm.dashboard_model(
        reading(**{"truck_b.airPressureWarning": 1, "truck_b.waterTemperatureWarning": 1}),
        UnitSystem.METRIC,
    )
    assert "LOW AIR" in m.warnings and "OVERHEATING" in m.warnings


def test_ats_shows_imperial_by_default_and_the_user_may_override():
    r = reading(**{"scs_values.game": 2})
    assert vm.units_for(r.frame.header.game) is UnitSystem.IMPERIAL
    m = vm.dashboard_model(r, vm.units_for(r.frame.header.game))
    assert (m.speed_text, m.speed_unit) == ("45", "mph")
    assert vm.units_for(r.frame.header.game, "metric") is UnitSystem.METRIC


def test_measured_consumption_predicts_the_range():
    meter = vm.ConsumptionMeter()
    for km in range(11):  # 4 l over 10 km, seen every kilometre
        meter.observe(1000.0 + km, 500.0 - 0.4 * km)
    assert round(meter.l_per_km, 6) == 0.4
    m = vm.dashboard_model(reading(), UnitSystem.METRIC, meter.l_per_km)
    assert m.range_text == "range 750 km (measured)"


def test_a_refuel_is_not_negative_consumption():
    meter = vm.ConsumptionMeter()
    meter.observe(1000.0, 100.0)
    meter.observe(1003.0, 99.0)
    meter.observe(1003.0, 600.0)  # refuelled
    assert meter.fuel_used_l == 1.0


def test_status_bar_words_for_each_game_state():
    sync = vm.SyncInfo(enabled=False)
    texts = {}
    for state in GameState:
        r = Reading(state, None, 12, f"message {state}", 1.0, True)
        texts[state] = vm.status_model(
            r, capture_running=True, capture_problem="", job=None, sync=sync
        )
    assert texts[GameState.NOT_RUNNING].game == "Game not running"
    assert texts[GameState.MENU].game == "Game paused / in menu"
    assert texts[GameState.STALE].game == "Game not responding"
    assert texts[GameState.STALE].game_level == "warn"
    assert texts[GameState.UNSUPPORTED].recording.startswith("NOT RECORDING")
    assert texts[GameState.CORRUPT].recording_level == "error"
    assert texts[GameState.NOT_RUNNING].recording == "Ready to record (waiting for the game)"
    assert texts[GameState.DRIVING].plugin == "plugin rev 12"


def test_a_stopped_capture_says_not_recording_and_why():
    s = vm.status_model(
        reading(),
        capture_running=False,
        capture_problem="the disk is full",
        job=None,
        sync=vm.SyncInfo(enabled=False),
    )
    assert s.recording == "NOT RECORDING: the disk is full"
    assert s.recording_level == "error"


def test_sync_states_are_named():
    def text(**kw):
        info = vm.SyncInfo(enabled=True, **kw)
        return vm.status_model(
            None, capture_running=True, capture_problem="", job=None, sync=info
        ).sync

    assert text(online=True) == "Sync online"
    assert text(online=False, pending=3) == "Sync offline · 3 pending"
    assert text(online=True, dead=2) == "Sync online · 2 dead"
    assert text(key_state="missing") == "Sync: API key missing"
    assert text(key_state="invalid") == "Sync: API key rejected"


def test_the_worker_status_maps_to_sync_info():
    class Status:
        state = "no_key"
        last_error = None

    assert vm.sync_info_from(Status(), 4, 0).key_state == "missing"
    Status.state = "offline"
    assert vm.sync_info_from(Status(), 4, 0).online is False


# --- the overlay and the dashboard agree (one set of helpers) ---------------------------


def _both(r, measured=None):
    from roadmaster.settings import Settings

    settings = Settings()
    system = vm.units_for(r.frame.header.game, settings.display.units)
    return vm.dashboard_model(r, system, measured), vm.overlay_view(r, settings, measured), system


def test_overlay_and_dashboard_show_the_same_range():
    # The plugin's own range (fuelRange) disagrees with fuel ÷ consumption: the
    # overlay once showed it ("range 608 km") beside the dashboard's 560–569 km.
    r = reading(
        **{"truck_f.fuelRange": 608.0, "truck_f.fuel": 186.0, "truck_f.fuelAvgConsumption": 0.33}
    )
    dash, over, _ = _both(r)
    assert dash.range_text == "range 564 km (game avg)"
    assert dash.range_text in over.fuel
    dash, over, _ = _both(r, measured=0.31)
    assert dash.range_text == "range 600 km (measured)"
    assert dash.range_text in over.fuel


def test_overlay_and_dashboard_agree_on_speeding_at_the_margin():
    limit = 80 * KMH
    for over_by, speeding in ((0.0, False), (0.8, False), (1.2, True), (5.0, True)):
        r = reading(**{"truck_f.speed": limit + over_by, "truck_f.speedLimit": limit})
        dash, over, _ = _both(r)
        assert dash.speeding is over.speeding is speeding, over_by
        assert ("SPEEDING" in dash.warnings) is speeding
        assert over.warning.startswith("Speeding") is speeding


def test_overlay_and_route_panel_word_the_eta_the_same():
    r = reading(**{"truck_f.routeDistance": 142_000.0, "truck_f.routeTime": 2 * 3600 + 600.0})
    _, over, system = _both(r)
    assert over.route == vm.navigation_text(r.frame, system)
    assert over.route == "142 km to go · ETA Day 1 (Mon) 12:10 (2 h 10 min)"
