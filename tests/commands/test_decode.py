"""``roadmaster decode FILE [--raw] [--json]`` through the real entry point."""

import json
import math
import os
import random
import struct
import sys

import pytest

from roadmaster.cli import main
from roadmaster.telemetry.codec import MapWriter
from roadmaster.telemetry.layout import MAP_SIZE


def driving_map(revision: int = 12) -> MapWriter:
    """An ETS2 truck on a job with one attached trailer."""
    w = MapWriter(revision)
    w.update(
        {
            "sdkActive": True,
            "paused": False,
            "time": 123_456_789,
            "scs_values.version_major": 1,
            "scs_values.version_minor": 18,
            "scs_values.game": 1,
            "scs_values.telemetry_version_game_major": 1,
            "scs_values.telemetry_version_game_minor": 18,
            "common_ui.time_abs": 2 * 1440 + 14 * 60 + 5,  # day 3, 14:05
            "config_ui.time_abs_delivery": 3 * 1440 + 8 * 60,  # day 4, 08:00
            "config_ui.plannedDistanceKm": 1054,
            "config_s.truckBrand": "Scania",
            "config_s.truckName": "R 2016",
            "config_s.cargo": "Electronics",
            "config_s.cargoId": "electronics",
            "config_s.citySrc": "Berlin",
            "config_s.cityDst": "Paris",
            "config_s.compSrc": "Tree-ET",
            "config_s.compDst": "Posped",
            "config_s.jobMarket": "freight_market",
            "config_f.cargoMass": 18_500.0,
            "config_ull.jobIncome": 12_345,
            "special_b.onJob": True,
            "special_b.fined": True,
            "truck_f.speed": 25.0,  # 90 km/h, 55.9 mph
            "truck_f.engineRpm": 1350.0,
            "truck_f.fuel": 412.5,
            "config_f.fuelCapacity": 800.0,
            "truck_f.truckOdometer": 123_456.5,
            "truck_i.gear": 11,
            "truck_i.gearDashboard": 11,
            "truck_dp.coordinateX": -1234.5,
            "truck_dp.coordinateY": 45.25,
            "truck_dp.coordinateZ": 5678.75,
            "trailer[0].com_b.attached": True,
            "trailer[0].con_s.id": "schmitz.sko",
            "trailer[0].con_s.brand": "Schmitz",
            "trailer[0].con_s.name": "SKO",
            "trailer[0].con_ui.wheelCount": 6,
        }
    )
    return w


@pytest.fixture
def snap(tmp_path):
    path = tmp_path / "snap.bin"
    path.write_bytes(driving_map().snapshot())
    return path


def run(capsys, *argv):
    code = main(["decode", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def assert_user_error(code, out, err, *fragments):
    assert code == 2
    assert out == ""
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("roadmaster: ")
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


# --- output -----------------------------------------------------------------------------


def test_summary(snap, capsys):
    code, out, err = run(capsys, snap)
    assert code == 0
    assert err == ""
    assert "ETS2" in out
    assert "revision 12" in out
    assert "telemetry 1.18" in out
    assert "day 3" in out
    assert "14:05" in out
    assert "Scania R 2016" in out
    assert "90.0 km/h" in out
    assert "55.9 mph" in out
    assert "1350 rpm" in out
    assert "gear 11" in out
    assert "412.5 l" in out
    assert "123456.5 km" in out
    assert "-1234.5" in out
    assert "5678.8" in out or "5678.75" in out
    assert "Electronics" in out
    assert "Berlin" in out
    assert "Paris" in out
    assert "12345" in out
    assert "day 4" in out
    assert "08:00" in out
    assert "SKO" in out
    assert "attached" in out
    assert "fined=1" in out
    assert "job_delivered=0" in out
    assert len(out.splitlines()) <= 20  # compact


def test_summary_of_a_paused_map_without_job_or_trailer(tmp_path, capsys):
    w = MapWriter(12)
    w.update({"sdkActive": True, "paused": True, "scs_values.game": 2, "truck_i.gearDashboard": -1})
    path = tmp_path / "menu.bin"
    path.write_bytes(w.snapshot())
    code, out, err = run(capsys, path)
    assert code == 0
    assert err == ""
    assert "ATS" in out
    assert "paused" in out
    assert "gear R1" in out
    job_line = next(line for line in out.splitlines() if line.startswith("job"))
    assert "none" in job_line
    trailers_line = next(line for line in out.splitlines() if line.startswith("trailers"))
    assert "none" in trailers_line


def test_json(snap, capsys):
    code, out, err = run(capsys, snap, "--json")
    assert code == 0
    assert err == ""
    data = json.loads(out)
    assert list(data) == ["header", "truck", "navigation", "job", "trailers", "events", "gameplay"]
    assert data["header"]["game"] == "ets2"
    assert data["header"]["revision"] == 12
    assert data["header"]["time_us"] == 123_456_789
    assert data["header"]["paused"] is False
    assert data["truck"]["speed_mps"] == 25.0
    assert data["truck"]["brand"] == "Scania"
    assert data["truck"]["x_m"] == -1234.5
    assert data["job"]["income"] == 12_345
    assert data["job"]["destination_city"] == "Paris"
    assert data["job"]["cargo_mass_kg"] == 18_500.0
    assert isinstance(data["trailers"], list)
    assert len(data["trailers"]) == 1
    assert data["trailers"][0]["slot"] == 0
    assert data["trailers"][0]["name"] == "SKO"
    assert data["trailers"][0]["wheel_count"] == 6
    assert data["events"]["fined"] is True
    assert data["events"]["job_delivered"] is False


def test_raw_json(snap, capsys):
    code, out, err = run(capsys, snap, "--raw", "--json")
    assert code == 0
    assert err == ""
    raw = json.loads(out)
    assert raw["truck_f"]["speed"] == 25.0
    assert raw["config_s"]["citySrc"] == "Berlin"
    assert raw["scs_values"]["telemetry_plugin_revision"] == 12
    assert raw["trailer"]["trailer"][0]["con_s"]["id"] == "schmitz.sko"
    assert len(raw["trailer"]["trailer"]) == 10
    assert raw["truck_ui"]["hshifterPosition"] == [0] * 32
    assert len(raw["substances"]["substance"]) == 25


def test_raw_text(snap, capsys):
    code, out, err = run(capsys, snap, "--raw")
    assert code == 0
    assert err == ""
    lines = out.splitlines()
    assert "truck_f.speed = 25.0" in lines
    assert "config_s.cityDst = 'Paris'" in lines
    assert "trailer[0].con_s.name = 'SKO'" in lines
    assert not any(line.startswith("trailer[1].") for line in lines)


def test_rev10_snapshot(tmp_path, capsys):
    path = tmp_path / "rev10.bin"
    path.write_bytes(driving_map(10).snapshot())
    code, out, _ = run(capsys, path, "--json")
    assert code == 0
    data = json.loads(out)
    assert data["header"]["revision"] == 10
    assert data["truck"]["speed_mps"] == 25.0
    code, out, _ = run(capsys, path)
    assert "revision 10" in out
    assert "event pulses" in out


def test_non_finite_floats_are_null_with_one_warning(tmp_path, capsys):
    w = driving_map()
    w.set("truck_f.speed", math.nan)
    w.set("truck_f.engineRpm", math.inf)
    w.set("trailer[0].com_dp.worldX", -math.inf)
    path = tmp_path / "nan.bin"
    path.write_bytes(w.snapshot())

    for argv in ((path, "--json"), (path, "--raw", "--json")):
        code, out, err = run(capsys, *argv)
        assert code == 0
        assert "NaN" not in out
        assert "Infinity" not in out
        data = json.loads(out)
        if "--raw" in argv:
            assert data["truck_f"]["speed"] is None
            assert data["truck_f"]["engineRpm"] is None
            assert data["trailer"]["trailer"][0]["com_dp"]["worldX"] is None
            assert data["truck_f"]["fuel"] == 412.5
        else:
            assert data["truck"]["speed_mps"] is None
            assert data["truck"]["engine_rpm"] is None
            assert data["trailers"][0]["x_m"] is None
            assert data["truck"]["fuel_l"] == 412.5
        lines = err.splitlines()
        assert len(lines) == 1
        assert lines[0].startswith("roadmaster: ")
        assert "NaN/inf in 3 members (a corrupt or foreign map?)" in lines[0]

    code, out, err = run(capsys, path)
    assert code == 0
    assert "Traceback" not in err
    assert "NaN/inf in 3 members" in err
    assert "Scania" in out


def test_truncated_strings_without_nul(tmp_path, capsys):
    w = driving_map()
    m = w.layout.member("config_s.cityDst")
    w.buffer[m.offset : m.offset + 64] = b"a" * 63 + "Ł".encode()[:1]  # cut mid-character
    m = w.layout.member("config_s.truckName")
    w.buffer[m.offset : m.offset + 64] = b"N" * 64  # full field, no NUL
    path = tmp_path / "cut.bin"
    path.write_bytes(w.snapshot())
    code, out, err = run(capsys, path, "--json")
    assert code == 0
    assert err == ""
    data = json.loads(out)
    assert data["job"]["destination_city"] == "a" * 63 + "\ufffd"
    assert data["truck"]["name"] == "N" * 64
    code, out, err = run(capsys, path)
    assert code == 0
    assert "N" * 64 in out


# --- errors -----------------------------------------------------------------------------


def test_missing_file(tmp_path, capsys):
    assert_user_error(*run(capsys, tmp_path / "nope.bin"), "nope.bin", "no such file")


def test_a_directory(tmp_path, capsys):
    assert_user_error(*run(capsys, tmp_path), str(tmp_path), "directory")


@pytest.mark.skipif(
    sys.platform == "win32" or os.geteuid() == 0, reason="root reads any file; POSIX modes"
)
def test_unreadable_file(snap, capsys):
    snap.chmod(0)
    try:
        assert_user_error(*run(capsys, snap), "snap.bin", "permission denied")
    finally:
        snap.chmod(0o600)


def test_a_path_through_a_file(snap, capsys):
    assert_user_error(*run(capsys, snap / "child"), "child", "cannot read the file")


@pytest.mark.skipif(not os.path.exists("/proc/self/mem"), reason="Linux only")
def test_a_file_that_fails_to_read(capsys):
    """/proc/self/mem opens but reading offset 0 fails (EIO), even as root."""
    assert_user_error(*run(capsys, "/proc/self/mem"), "/proc/self/mem", "cannot read the file")


@pytest.mark.parametrize("size", [0, 100, 21600, MAP_SIZE - 1, MAP_SIZE + 1, 3 * MAP_SIZE])
def test_wrong_size(tmp_path, capsys, size):
    path = tmp_path / "odd.bin"
    path.write_bytes((driving_map().snapshot() * 3)[:size])
    assert_user_error(*run(capsys, path), "odd.bin", "32768", f"has {size}")


def test_random_bytes(tmp_path, capsys):
    data = random.Random(7).randbytes(MAP_SIZE)
    found = struct.unpack_from("<I", data, 40)[0]
    path = tmp_path / "noise.bin"
    path.write_bytes(data)
    assert_user_error(*run(capsys, path, "--json"), f"revision {found}", "10, 11, 12")


@pytest.mark.parametrize("revision", [0, 9, 13])
@pytest.mark.parametrize("flags", [(), ("--json",), ("--raw", "--json"), ("--raw",)])
def test_unsupported_revision(tmp_path, capsys, revision, flags):
    buf = bytearray(driving_map().snapshot())
    struct.pack_into("<I", buf, 40, revision)
    path = tmp_path / "rev.bin"
    path.write_bytes(bytes(buf))
    assert_user_error(*run(capsys, path, *flags), "rev.bin", f"revision {revision}")
