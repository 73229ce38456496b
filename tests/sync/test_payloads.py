"""Cloud payloads: contract units, bounds, optional-means-absent, and the old
plugin's defects — every payload is checked by a validator written from the
tables of specs/cloud-api.md."""

import json
import math
import re
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from roadmaster.jobs.events import (
    JobAbandoned,
    JobCancelled,
    JobDelivered,
    JobStats,
    Sample,
    Wear,
)
from roadmaster.sync.payloads import (
    game_clock_iso,
    job_cancel_payload,
    job_complete_payload,
    job_start_payload,
    telemetry_payload,
    utc_iso,
)
from tests.factories import job_info

GAL = 3.785411784
MILE_KM = 1.609344
MPH = 0.44704
JOB_ID = "3f2b8c1e-9a4d-4e57-8b0a-2c6d1e9f7a10"

# --- a validator from the contract's tables ---------------------------------------------
# (kind, required, lo, hi); "pos" = number > 0
INF = math.inf
TELEMETRY = {
    "speed": ("number", True, 0, 150), "rpm": ("integer", True, 0, 3000),
    "gear": ("integer", True, -6, 18), "fuel_current": ("number", True, 0, INF),
    "fuel_capacity": ("pos", True, 0, INF),
    **{f"{c}_damage": ("number", True, 0, 1)
       for c in ("engine", "transmission", "chassis", "wheels", "cabin", "cargo")},
    "position_x": ("number", True, -INF, INF), "position_y": ("number", True, -INF, INF),
    "position_z": ("number", True, -INF, INF), "game_time": ("datetime", False, 0, 0),
    "job_id": ("uuid", False, 0, 0), "cruise_control_speed": ("number", False, 0, 150),
    "cruise_control_enabled": ("bool", False, 0, 0), "parking_brake": ("bool", False, 0, 0),
    "motor_brake": ("bool", False, 0, 0), "retarder_level": ("integer", False, 0, 5),
    "air_pressure": ("number", False, 0, 200), "brake_temperature": ("number", False, 0, 1000),
    "navigation_distance": ("number", False, 0, INF),
    "navigation_time": ("number", False, 0, INF), "speed_limit": ("number", False, 0, 150),
}  # fmt: skip
JOB_START = {
    "source_city": ("string", True, 1, 100), "destination_city": ("string", True, 1, 100),
    "source_company": ("string", False, 1, 100),
    "destination_company": ("string", False, 1, 100), "cargo_type": ("string", True, 1, 100),
    "cargo_weight": ("integer", False, 0, 100_000), "income": ("integer", True, 0, 1_000_000),
    "distance": ("integer", True, 1, 10_000), "deadline": ("datetime", False, 0, 0),
}  # fmt: skip
JOB_COMPLETE = {
    "job_id": ("uuid", True, 0, 0), "cargo_damage": ("number", True, 0, 1),
    "delivered_late": ("bool", True, 0, 0), "fuel_consumed": ("number", False, 0, INF),
    "damage_taken": ("number", False, 0, 1), "avg_speed": ("number", False, 0, 150),
    "avg_rpm": ("integer", False, 0, 3000),
}  # fmt: skip
ISO_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")


def violations(body, table):
    json.dumps(body, allow_nan=False)  # NaN/inf never reach the wire
    problems = []
    for name, (kind, required, lo, hi) in table.items():
        if name not in body:
            if required:
                problems.append(f"{name}: missing")
            continue
        v = body[name]
        if v is None:
            problems.append(f"{name}: null (optional means absent)")
        elif kind == "bool":
            if not isinstance(v, bool):
                problems.append(f"{name}: not a boolean")
        elif kind in ("number", "integer", "pos"):
            if isinstance(v, bool) or not isinstance(v, int | float):
                problems.append(f"{name}: not a number")
            elif kind == "integer" and not isinstance(v, int):
                problems.append(f"{name}: not an integer")
            elif not lo <= v <= hi or (kind == "pos" and v <= 0):
                problems.append(f"{name}: {v} out of bounds")
        elif kind == "string":
            units = len(v.encode("utf-16-le")) // 2
            if not isinstance(v, str) or not lo <= units <= hi:
                problems.append(f"{name}: bad string length {units}")
        elif kind == "uuid":
            uuid.UUID(v)
        elif kind == "datetime" and not ISO_Z.match(v):
            problems.append(f"{name}: not ISO 8601 with Z: {v}")
    return problems


# --- factories --------------------------------------------------------------------------


def sample(**overrides):
    base = dict(
        t_s=10.0, game_time_min=3725, job_key="k1", speed_mps=25.0, engine_rpm=1400.4,
        gear_dashboard=10, fuel_l=378.5411784, fuel_capacity_l=757.0823568,
        wear=Wear(engine=0.02, transmission=0.03, cabin=0.04, chassis=0.05, wheels=0.5),
        cargo_damage=0.01, x_m=-1234.5, y_m=40.0, z_m=5678.9, heading=0.25,
        cruise_control=True, cruise_control_speed_mps=24.5872, park_brake=False,
        motor_brake=True, retarder_level=2, air_pressure_psi=120.0,
        brake_temperature_c=80.0, route_distance_m=16_093.44, route_time_s=900.0,
        speed_limit_mps=29.0576,
    )  # fmt: skip
    base.update(overrides)
    return Sample(**base)


info = job_info


STATS = JobStats(
    distance_km=804.672,
    fuel_used_l=100 * GAL,
    avg_speed_mps=25.0,
    avg_rpm=1299.6,
    wear_start=Wear(engine=0.1),
    wear_end=Wear(engine=0.2, wheels=0.05, trailer=0.5),
    cargo_damage=0.03,
)


def delivered(**overrides):
    base = dict(
        t_s=1.0, game_time_min=3000, job_key="k1", info=info(), stats=STATS, revenue=19_000,
        xp=500, cargo_damage=0.03, distance_km=804.0, delivery_time_min=600,
        finished_game_min=3000, autopark_used=False, autoload_used=False, late=True,
    )  # fmt: skip
    base.update(overrides)
    return JobDelivered(**base)


# --- telemetry ----------------------------------------------------------------------------


def test_telemetry_in_contract_units():
    p = telemetry_payload(sample(), JOB_ID)
    b = p.body
    assert violations(b, TELEMETRY) == []
    assert p.clamped == ()
    assert b["speed"] == pytest.approx(25 / MPH)  # 55.92 mph
    assert b["rpm"] == 1400 and isinstance(b["rpm"], int)
    assert b["gear"] == 10
    assert b["fuel_current"] == pytest.approx(100.0)  # 378.54 l = 100 gal
    assert b["fuel_capacity"] == pytest.approx(200.0)
    assert b["wheels_damage"] == 0.5  # a fraction, not 50 (the old plugin's × 100)
    assert b["cargo_damage"] == 0.01
    assert b["job_id"] == JOB_ID
    assert b["cruise_control_speed"] == pytest.approx(55.0)  # 24.5872 / 0.44704
    assert b["cruise_control_enabled"] is True and b["parking_brake"] is False
    assert b["navigation_distance"] == pytest.approx(10.0)  # 16,093.44 m
    assert b["navigation_time"] == pytest.approx(15.0)  # 900 s
    assert b["speed_limit"] == pytest.approx(65.0)  # 29.0576 m/s
    assert "api_key" not in b and "game_time" not in b


def test_no_job_means_job_id_absent_not_null():
    b = telemetry_payload(sample(job_key=None), None).body
    assert "job_id" not in b
    assert violations(b, TELEMETRY) == []


def test_an_unmapped_job_id_is_dropped_and_reported():
    p = telemetry_payload(sample(), "local-17")
    assert "job_id" not in p.body
    assert p.clamped_fields == {"job_id"}


def test_reverse_speed_is_sent_positive():
    b = telemetry_payload(sample(speed_mps=-5.0, gear_dashboard=-1), None).body
    assert b["speed"] == pytest.approx(5 / MPH)
    assert b["gear"] == -1
    assert violations(b, TELEMETRY) == []


def test_extreme_values_are_clamped_and_reported():
    p = telemetry_payload(
        sample(speed_mps=100.0, engine_rpm=3500.0, gear_dashboard=-8, retarder_level=7,
               air_pressure_psi=250.0, brake_temperature_c=1200.0, cargo_damage=1.2,
               wear=Wear(engine=-0.1), fuel_l=-3.0, cruise_control_speed_mps=90.0,
               speed_limit_mps=80.0),
        JOB_ID,
    )  # fmt: skip
    b = p.body
    assert violations(b, TELEMETRY) == []
    assert (b["speed"], b["rpm"], b["gear"], b["retarder_level"]) == (150.0, 3000, -6, 5)
    assert (b["air_pressure"], b["brake_temperature"]) == (200.0, 1000.0)
    assert (b["cargo_damage"], b["engine_damage"], b["fuel_current"]) == (1.0, 0.0, 0.0)
    assert p.clamped_fields == {
        "speed", "rpm", "gear", "retarder_level", "air_pressure", "brake_temperature",
        "cargo_damage", "engine_damage", "fuel_current", "cruise_control_speed", "speed_limit",
    }  # fmt: skip
    speed = next(c for c in p.clamped if c.field == "speed")
    assert speed.original == pytest.approx(100 / MPH) and speed.sent == 150.0
    assert telemetry_payload(sample(gear_dashboard=20), None).body["gear"] == 18


def test_nan_and_inf_never_sent():
    p = telemetry_payload(
        sample(speed_mps=math.inf, engine_rpm=math.nan, wear=Wear(cabin=math.nan),
               air_pressure_psi=math.nan, brake_temperature_c=math.inf, x_m=math.nan,
               fuel_capacity_l=0.0),
        None,
    )  # fmt: skip
    b = p.body
    assert violations(b, TELEMETRY) == []
    assert b["speed"] == 150.0  # required, +inf → top bound
    assert b["rpm"] == 0  # required, NaN → bottom bound
    assert b["cabin_damage"] == 0.0 and b["position_x"] == 0.0
    assert "air_pressure" not in b and "brake_temperature" not in b  # optional: dropped
    assert b["fuel_capacity"] > 0  # > 0 required, tank of 0 reported
    dropped = {c.field for c in p.clamped if c.sent is None}
    assert dropped == {"air_pressure", "brake_temperature"}
    assert {"speed", "rpm", "cabin_damage", "position_x", "fuel_capacity"} <= p.clamped_fields


def test_no_route_and_no_speed_limit_are_absent():
    b = telemetry_payload(sample(route_distance_m=0.0, route_time_s=0.0, speed_limit_mps=0.0),
                          None).body  # fmt: skip
    assert not {"navigation_distance", "navigation_time", "speed_limit"} & set(b)
    assert violations(b, TELEMETRY) == []


def test_game_clock_and_recorded_at_on_request():
    recorded = datetime(2026, 1, 18, 15, 4, 5, 123, tzinfo=UTC)
    p = telemetry_payload(sample(), None, include_game_clock=True, recorded_at_utc=recorded)
    # 3725 min = day 3 (Wednesday) 14:05 → 0001-01-03T14:05:00Z
    assert p.body["game_time"] == "0001-01-03T14:05:00Z"
    assert p.body["recorded_at"] == "2026-01-18T15:04:05Z"
    assert violations(p.body, TELEMETRY) == []


# --- job start ----------------------------------------------------------------------------


def test_job_start_in_miles_pounds_and_integers():
    started = datetime(2026, 1, 18, 17, 4, 5, tzinfo=timezone(timedelta(hours=2)))
    p = job_start_payload(info(planned_distance_km=805), started)
    b = p.body
    assert violations(b, JOB_START) == []
    # 805 km / 1.609344 = 500.2 mi → 500 (the old plugin sent 805, in km)
    assert b["distance"] == 500
    # 20,000 kg / 0.45359237 = 44,092.45 lb → 44,092
    assert b["cargo_weight"] == 44_092
    assert b["income"] == 20_000
    assert (b["source_city"], b["destination_city"], b["cargo_type"]) == ("Reno", "Fresno",
                                                                          "Apples")  # fmt: skip
    assert b["started_at"] == "2026-01-18T15:04:05Z"  # converted to UTC, literal Z
    assert "deadline" not in b and p.clamped == ()


def test_job_start_bounds():
    p = job_start_payload(info(planned_distance_km=0, cargo_mass_kg=60_000.0, income=2_500_000))
    b = p.body
    assert violations(b, JOB_START) == []
    assert (b["distance"], b["cargo_weight"], b["income"]) == (1, 100_000, 1_000_000)
    assert p.clamped_fields == {"distance", "cargo_weight", "income"}
    far = job_start_payload(info(planned_distance_km=20_000, income=-5)).body
    assert (far["distance"], far["income"]) == (10_000, 0)  # 12,427 mi → 10,000


def test_job_start_strings():
    long_name = "Ж" * 99 + "🚛" + "x"  # 99 + 2 (surrogate pair) + 1 UTF-16 units
    p = job_start_payload(info(source_city=long_name, source_company="", source_company_id="",
                               destination_city="", cargo="", cargo_id=""))  # fmt: skip
    b = p.body
    assert violations(b, JOB_START) == []
    assert b["source_city"] == "Ж" * 99  # the emoji would make 101: cut before it
    assert "source_company" not in b  # optional and empty: absent
    assert b["destination_city"] == "fresno"  # falls back on the city id
    assert b["cargo_type"] == "Unknown"
    assert p.clamped_fields == {"source_city", "cargo_type"}


def test_job_start_deadline_on_request():
    b = job_start_payload(info(deadline_game_min=1440 + 600), include_game_clock=True).body
    assert b["deadline"] == "0001-01-02T10:00:00Z"
    assert violations(b, JOB_START) == []


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="naive"):
        job_start_payload(info(), datetime(2026, 1, 18, 15, 4, 5))
    assert utc_iso(datetime(2026, 1, 18, 15, 4, 5, tzinfo=UTC)) == "2026-01-18T15:04:05Z"
    assert game_clock_iso(0) == "0001-01-01T00:00:00Z"


# --- job complete / cancel ------------------------------------------------------------------


def test_job_complete_carries_cargo_damage_and_real_lateness():
    p = job_complete_payload(delivered(), JOB_ID,
                             completed_at_utc=datetime(2026, 1, 18, 16, 0, tzinfo=UTC))  # fmt: skip
    b = p.body
    assert violations(b, JOB_COMPLETE) == []
    assert b["job_id"] == JOB_ID
    assert b["cargo_damage"] == 0.03  # required; the old plugin never sent it
    assert b["delivered_late"] is True  # the old plugin always sent false
    assert b["fuel_consumed"] == pytest.approx(100.0)
    # truck damage taken: engine +0.1, wheels +0.05 over 5 components = 0.03
    assert b["damage_taken"] == pytest.approx(0.03)
    assert b["avg_speed"] == pytest.approx(25 / MPH)
    assert b["avg_rpm"] == 1300
    assert b["completed_at"] == "2026-01-18T16:00:00Z"
    on_time = job_complete_payload(delivered(late=False), JOB_ID).body
    assert on_time["delivered_late"] is False


def test_job_complete_clamps_and_refuses_a_local_id():
    p = job_complete_payload(delivered(cargo_damage=1.5,
                                       stats=JobStats(avg_speed_mps=-80.0, avg_rpm=math.nan)),
                             JOB_ID)  # fmt: skip
    assert violations(p.body, JOB_COMPLETE) == []
    assert p.body["cargo_damage"] == 1.0 and p.body["avg_speed"] == 150.0
    assert "avg_rpm" not in p.body
    with pytest.raises(ValueError):
        job_complete_payload(delivered(), "local-17")


def test_job_cancel_for_the_reference_server():
    cancelled = JobCancelled(t_s=1.0, game_time_min=2000, job_key="k1", info=info(),
                             stats=STATS, penalty=2500, finished_game_min=2000)  # fmt: skip
    b = job_cancel_payload(cancelled, JOB_ID).body
    assert (b["penalty"], b["abandoned"], b["cargo_damage"]) == (2500, False, 0.03)
    table = {k: v for k, v in JOB_COMPLETE.items() if k != "delivered_late"}
    assert violations(b, table) == []
    abandoned = JobAbandoned(t_s=1.0, game_time_min=2000, job_key="k1", info=info(),
                             stats=STATS, reason="new job appeared")  # fmt: skip
    b = job_cancel_payload(abandoned, JOB_ID).body
    assert (b["penalty"], b["abandoned"]) == (0, True)


def test_the_validator_catches_what_the_service_rejects():
    good = telemetry_payload(sample(), JOB_ID).body
    assert violations({**good, "job_id": None}, TELEMETRY) == [
        "job_id: null (optional means absent)"
    ]
    assert violations({**good, "rpm": 1400.5}, TELEMETRY) == ["rpm: not an integer"]
    assert violations({**good, "engine_damage": 50.0}, TELEMETRY) == [
        "engine_damage: 50.0 out of bounds"
    ]
    assert violations({**good, "parking_brake": 0}, TELEMETRY) == ["parking_brake: not a boolean"]
    missing = dict(good)
    del missing["cargo_damage"]
    assert violations(missing, TELEMETRY) == ["cargo_damage: missing"]
    start = job_start_payload(info()).body
    assert violations({**start, "cargo_type": ""}, JOB_START) == ["cargo_type: bad string length 0"]
    with pytest.raises(ValueError):
        violations({**good, "speed": math.nan}, TELEMETRY)
