"""What the views are told to show, from real frames (no widgets)."""

from roadmaster.telemetry.status import GameState, Reading
from roadmaster.ui import present
from roadmaster.units import UnitSystem
from tests.ui.frames import KMH, reading


def test_a_driving_frame_shows_speed_gear_and_no_warnings():
    m = present.dashboard_model(reading(), UnitSystem.METRIC)
    assert (m.speed_text, m.speed_unit, m.gear) == ("72", "km/h", "10")
    assert m.speed_limit_text == "limit 80"
    assert m.warnings == ()
    assert m.fuel_text == "300 l"
    assert "range 909 km" in m.range_text  # 300 l at the game's 0.33 l/km


def test_low_fuel_and_speeding_light_their_warnings():
    m = present.dashboard_model(
        reading(**{"truck_f.fuel": 40.0, "truck_f.speed": 95 * KMH}), UnitSystem.METRIC
    )
    assert m.fuel_low and m.speeding
    assert "LOW FUEL" in m.warnings and "SPEEDING" in m.warnings


def test_riding_the_limit_is_not_speeding():
    m = present.dashboard_model(reading(**{"truck_f.speed": 80.5 * KMH}), UnitSystem.METRIC)
    assert not m.speeding


def test_low_air_and_overheating():
    m = present.dashboard_model(
        reading(**{"truck_b.airPressureWarning": 1, "truck_b.waterTemperatureWarning": 1}),
        UnitSystem.METRIC,
    )
    assert "LOW AIR" in m.warnings and "OVERHEATING" in m.warnings


def test_ats_shows_imperial_by_default_and_the_user_may_override():
    r = reading(**{"scs_values.game": 2})
    assert present.units_for(r.frame.header.game) is UnitSystem.IMPERIAL
    m = present.dashboard_model(r, present.units_for(r.frame.header.game))
    assert (m.speed_text, m.speed_unit) == ("45", "mph")
    assert present.units_for(r.frame.header.game, "metric") is UnitSystem.METRIC


def test_measured_consumption_predicts_the_range():
    meter = present.ConsumptionMeter()
    for km in range(11):  # 4 l over 10 km, seen every kilometre
        meter.observe(1000.0 + km, 500.0 - 0.4 * km)
    assert round(meter.l_per_km, 6) == 0.4
    m = present.dashboard_model(reading(), UnitSystem.METRIC, meter.l_per_km)
    assert m.range_text == "range 750 km (measured)"


def test_a_refuel_is_not_negative_consumption():
    meter = present.ConsumptionMeter()
    meter.observe(1000.0, 100.0)
    meter.observe(1003.0, 99.0)
    meter.observe(1003.0, 600.0)  # refuelled
    assert meter.fuel_used_l == 1.0


def test_status_bar_words_for_each_game_state():
    sync = present.SyncInfo(enabled=False)
    texts = {}
    for state in GameState:
        r = Reading(state, None, 12, f"message {state}", 1.0, True)
        texts[state] = present.status_model(
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
    s = present.status_model(
        reading(),
        capture_running=False,
        capture_problem="the disk is full",
        job=None,
        sync=present.SyncInfo(enabled=False),
    )
    assert s.recording == "NOT RECORDING: the disk is full"
    assert s.recording_level == "error"


def test_sync_states_are_named():
    def text(**kw):
        info = present.SyncInfo(enabled=True, **kw)
        return present.status_model(
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

    assert present.sync_info_from(Status(), 4, 0).key_state == "missing"
    Status.state = "offline"
    assert present.sync_info_from(Status(), 4, 0).online is False
