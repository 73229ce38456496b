"""Decode cost of one snapshot: our typed ``decode``, our ``decode_raw`` and the PyPI
package truck-telemetry 0.0.3, run the way spec §5 "Fair benchmark" asks.

1. One realistic driving frame (a truck on a job, one attached trailer, non-empty
   strings), held once as ``bytes`` and once as a read-only mmap of a /dev/shm file.
2. Correctness first: exact float equality of a few fields between the parsers.
3. ``timeit.repeat(number=N, repeat=5)``: min/N and the median over repeats, per
   parser and per buffer kind, in microseconds.

What each parser decodes: ``decode`` every typed Frame field (a selection of the
map); ``decode_raw`` and truck-telemetry every member of the map.

Run: ``.venv/bin/python bench/run.py decode`` (or this file directly).
"""

from __future__ import annotations

import importlib
import mmap
import os
import platform
import statistics
import sys
import tempfile
import timeit
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from roadmaster.telemetry.codec import MapWriter, decode_raw
from roadmaster.telemetry.decode import decode
from roadmaster.telemetry.layout import MAP_SIZE

REPEAT = 5
TARGET_REPEAT_S = 0.2  # N is chosen so that one repeat takes about this long
DECODE_MEDIAN_TARGET_US = 25.0
DECODE_SPEEDUP_TARGET = 30.0
DECODE_RAW_MEDIAN_TARGET_US = 150.0
SIM_TICKS = 3000


# --- the frame ----------------------------------------------------------------------------


def simulator_frame() -> bytes | None:
    """The simulator's map after ~3000 ticks, when the simulator exists and can be driven."""
    try:
        module = importlib.import_module("roadmaster.telemetry.simulator")
    except ImportError:
        return None
    simulator: Any = module.Simulator
    try:
        sim: Any = simulator(game="ets2", seed=1)
        data: bytes | None = None
        for _ in range(SIM_TICKS):
            if hasattr(sim, "step"):
                sim.step()
            else:
                snap = sim.snapshot()
                if snap is None:
                    break
                data = bytes(getattr(snap, "data", snap))
        if hasattr(sim, "step"):
            snap = sim.snapshot()
            data = bytes(getattr(snap, "data", snap))
    except (TypeError, AttributeError) as exc:
        print(f"  (simulator present but not drivable here: {exc}; using MapWriter)")
        return None
    if data is None or len(data) != MAP_SIZE:
        return None
    frame = decode(data)
    if not (frame.job.on_job and frame.trailers and frame.trailers[0].attached):
        print("  (simulator frame has no job or no attached trailer; using MapWriter)")
        return None
    return data


def writer_frame() -> bytes:
    """An ETS2 truck at 82 km/h on a freight-market job with one attached trailer."""
    w = MapWriter(12)
    wheels = 6
    w.update(
        {
            "sdkActive": True,
            "paused": False,
            "time": 812_345_678,
            "simulatedTime": 815_000_000,
            "renderTime": 830_000_000,
            "scs_values.version_major": 1,
            "scs_values.version_minor": 18,
            "scs_values.game": 1,
            "scs_values.telemetry_version_game_major": 1,
            "scs_values.telemetry_version_game_minor": 18,
            "common_ui.time_abs": 5 * 1440 + 13 * 60 + 42,
            "config_ui.gears": 12,
            "config_ui.gears_reverse": 2,
            "config_ui.retarderStepCount": 3,
            "config_ui.truckWheelCount": wheels,
            "config_ui.selectorCount": 2,
            "config_ui.time_abs_delivery": 6 * 1440 + 9 * 60,
            "config_ui.maxTrailerCount": 10,
            "config_ui.unitCount": 22,
            "config_ui.plannedDistanceKm": 734,
            "truck_ui.lightsAuxFront": 1,
            "truck_ui.truck_wheelSubstance": [1] * wheels + [0] * (16 - wheels),
            "gameplay_ui.jobStartingTime": 5 * 1440 + 8 * 60,
            "common_i.restStop": 412,
            "truck_i.gear": 10,
            "truck_i.gearDashboard": 10,
            "common_f.scale": 19.0,
            "config_f.fuelCapacity": 800.0,
            "config_f.fuelWarningFactor": 0.15,
            "config_f.adblueCapacity": 80.0,
            "config_f.airPressureWarning": 65.0,
            "config_f.airPressurEmergency": 35.0,
            "config_f.oilPressureWarning": 10.0,
            "config_f.waterTemperatureWarning": 105.0,
            "config_f.batteryVoltageWarning": 22.0,
            "config_f.engineRpmMax": 2500.0,
            "config_f.gearDifferential": 2.85,
            "config_f.cargoMass": 18_700.0,
            "config_f.unitMass": 850.0,
            "config_f.truckWheelRadius": [0.51] * wheels + [0.0] * (16 - wheels),
            "config_f.gearRatiosForward": [
                11.32,
                9.16,
                7.19,
                5.82,
                4.58,
                3.7,
                3.03,
                2.46,
                1.94,
                1.57,
                1.23,
                1.0,
            ]
            + [0.0] * 12,
            "config_f.gearRatiosReverse": [-10.13, -8.19] + [0.0] * 6,
            "truck_f.speed": 22.784_533,
            "truck_f.engineRpm": 1312.25,
            "truck_f.gameThrottle": 0.42,
            "truck_f.airPressure": 118.0,
            "truck_f.brakeTemperature": 61.5,
            "truck_f.fuel": 431.125,
            "truck_f.fuelAvgConsumption": 0.318,
            "truck_f.fuelRange": 1355.0,
            "truck_f.adblue": 61.0,
            "truck_f.oilPressure": 52.0,
            "truck_f.oilTemperature": 88.5,
            "truck_f.waterTemperature": 86.25,
            "truck_f.batteryVoltage": 27.6,
            "truck_f.wearEngine": 0.031,
            "truck_f.wearChassis": 0.044,
            "truck_f.truckOdometer": 184_233.7,
            "truck_f.routeDistance": 402_118.0,
            "truck_f.routeTime": 17_560.0,
            "truck_f.speedLimit": 22.222_222,
            "truck_f.truck_wheelVelocity": [7.1] * wheels + [0.0] * (16 - wheels),
            "truck_f.truck_wheelRotation": [0.25, 0.5, 0.75, 0.125, 0.375, 0.625] + [0.0] * 10,
            "job_f.cargoDamage": 0.012,
            "config_b.truckWheelSimulated": [True] * wheels + [False] * (16 - wheels),
            "config_b.truckWheelPowered": [False, False, True, True, True, True] + [False] * 10,
            "config_b.isCargoLoaded": True,
            "truck_b.electricEnabled": True,
            "truck_b.engineEnabled": True,
            "truck_b.lightsParking": True,
            "truck_b.lightsBeamLow": True,
            "truck_b.truck_wheelOnGround": [True] * wheels + [False] * (16 - wheels),
            "config_fv.cabinPositionY": 1.45,
            "config_fv.headPositionX": -0.6,
            "config_fv.truckWheelPositionZ": [-1.6, -1.6, 2.1, 2.1, 3.4, 3.4] + [0.0] * 10,
            "truck_fv.lv_accelerationZ": -22.78,
            "truck_fv.accelerationZ": 0.13,
            "truck_dp.coordinateX": -31_842.562_5,
            "truck_dp.coordinateY": 61.234_375,
            "truck_dp.coordinateZ": 18_211.906_25,
            "truck_dp.rotationX": 0.261_2,
            "config_s.truckBrandId": "scania",
            "config_s.truckBrand": "Scania",
            "config_s.truckId": "vehicle.scania.s_2016",
            "config_s.truckName": "S",
            "config_s.cargoId": "electronics",
            "config_s.cargo": "Electronics",
            "config_s.cityDstId": "lyon",
            "config_s.cityDst": "Lyon",
            "config_s.compDstId": "tree_et",
            "config_s.compDst": "Tree-ET",
            "config_s.citySrcId": "munchen",
            "config_s.citySrc": "München",
            "config_s.compSrcId": "posped",
            "config_s.compSrc": "Posped",
            "config_s.shifterType": "arcade",
            "config_s.truckLicensePlate": "M RM 1234",
            "config_s.truckLicensePlateCountryId": "germany",
            "config_s.truckLicensePlateCountry": "Germany",
            "config_s.jobMarket": "freight_market",
            "config_ull.jobIncome": 14_820,
            "special_b.onJob": True,
            "substances.substance": [
                "static",
                "road",
                "road_snow",
                "dirt",
                "snow",
                "grass",
                "road_dirt",
                "invis",
                "ice",
                "metal",
                "rubber",
                "wood",
                "glass",
                "plastic",
            ]
            + [""] * 11,
            "trailer[0].con_b.wheelSimulated": [True] * 6 + [False] * 10,
            "trailer[0].com_b.wheelOnGround": [True] * 6 + [False] * 10,
            "trailer[0].com_b.attached": True,
            "trailer[0].con_ui.wheelCount": 6,
            "trailer[0].com_f.cargoDamage": 0.012,
            "trailer[0].com_f.wearChassis": 0.02,
            "trailer[0].com_f.wearWheels": 0.05,
            "trailer[0].com_f.wearBody": 0.017,
            "trailer[0].com_f.wheelVelocity": [7.0] * 6 + [0.0] * 10,
            "trailer[0].con_f.wheelRadius": [0.47] * 6 + [0.0] * 10,
            "trailer[0].com_fv.linearVelocityZ": -22.6,
            "trailer[0].con_fv.hookPositionZ": -6.1,
            "trailer[0].con_fv.wheelPositionZ": [4.2, 4.2, 5.5, 5.5, 6.8, 6.8] + [0.0] * 10,
            "trailer[0].com_dp.worldX": -31_848.812_5,
            "trailer[0].com_dp.worldY": 61.5,
            "trailer[0].com_dp.worldZ": 18_219.25,
            "trailer[0].com_dp.rotationX": 0.259_8,
            "trailer[0].con_s.id": "trailer.scs_box.single_3",
            "trailer[0].con_s.cargoAcessoryId": "cargo_electronics",
            "trailer[0].con_s.bodyType": "dryvan",
            "trailer[0].con_s.brandId": "krone",
            "trailer[0].con_s.brand": "Krone",
            "trailer[0].con_s.name": "Profi Liner",
            "trailer[0].con_s.chainType": "single",
            "trailer[0].con_s.licensePlate": "M TR 771",
            "trailer[0].con_s.licensePlateCountry": "Germany",
            "trailer[0].con_s.licensePlateCountryId": "germany",
        }
    )
    return w.snapshot()


def build_frame() -> tuple[bytes, str]:
    data = simulator_frame()
    if data is not None:
        return data, f"simulator (ets2, seed 1, {SIM_TICKS} ticks)"
    return writer_frame(), "MapWriter driving frame (truck on a job, 1 attached trailer)"


@contextmanager
def shm_mmap(data: bytes) -> Iterator[mmap.mmap]:
    """``data`` copied into a /dev/shm file and mapped read-only (MAP_SHARED)."""
    directory = "/dev/shm" if os.path.isdir("/dev/shm") else tempfile.gettempdir()
    fd, name = tempfile.mkstemp(prefix="roadmaster-bench-", dir=directory)
    try:
        os.write(fd, data)
        os.close(fd)
        fd = os.open(name, os.O_RDONLY)
        if hasattr(mmap, "PROT_READ"):
            mm = mmap.mmap(fd, MAP_SIZE, mmap.MAP_SHARED, mmap.PROT_READ)
        else:
            mm = mmap.mmap(fd, MAP_SIZE, access=mmap.ACCESS_READ)
        try:
            yield mm
        finally:
            mm.close()
    finally:
        os.close(fd)
        os.unlink(name)


# --- correctness --------------------------------------------------------------------------


def check(buf: Any, parse: Callable[[Any], dict[str, Any]]) -> list[str]:
    """Differences between our decoders and truck-telemetry on a few fields, compared
    exactly (floats included)."""
    frame = decode(buf)
    raw = decode_raw(buf)
    theirs = parse(buf)
    t0 = frame.trailers[0]
    pairs = [
        ("speed", frame.truck.speed_mps, raw["truck_f"]["speed"], theirs["speed"]),
        ("engineRpm", frame.truck.engine_rpm, raw["truck_f"]["engineRpm"], theirs["engineRpm"]),
        ("fuel", frame.truck.fuel_l, raw["truck_f"]["fuel"], theirs["fuel"]),
        (
            "truckOdometer",
            frame.truck.odometer_km,
            raw["truck_f"]["truckOdometer"],
            theirs["truckOdometer"],
        ),
        ("coordinateX", frame.truck.x_m, raw["truck_dp"]["coordinateX"], theirs["coordinateX"]),
        ("coordinateZ", frame.truck.z_m, raw["truck_dp"]["coordinateZ"], theirs["coordinateZ"]),
        ("time", frame.header.time_us, raw["time"], theirs["time"]),
        ("jobIncome", frame.job.income, raw["config_ull"]["jobIncome"], theirs["jobIncome"]),
        ("cargo", frame.job.cargo, raw["config_s"]["cargo"], theirs["cargo"]),
        ("citySrc", frame.job.source_city, raw["config_s"]["citySrc"], theirs["citySrc"]),
        (
            "trailer[0].worldX",
            t0.x_m,
            raw["trailer"]["trailer"][0]["com_dp"]["worldX"],
            theirs["trailer"][0]["worldX"],
        ),
        (
            "trailer[0].wearBody",
            t0.wear_body,
            raw["trailer"]["trailer"][0]["com_f"]["wearBody"],
            theirs["trailer"][0]["wearBody"],
        ),
    ]
    problems = [
        f"{name}: decode {a!r}, decode_raw {b!r}, truck-telemetry {c!r}"
        for name, a, b, c in pairs
        if not (a == b == c and type(a) is type(c))
    ]
    if not (frame.job.on_job and t0.attached and frame.truck.brand):
        problems.append("the frame is not a driving frame on a job with an attached trailer")
    return problems


# --- timing -------------------------------------------------------------------------------


def measure(fn: Callable[[Any], object], buf: Any) -> tuple[float, float, int]:
    """(min, median) microseconds per call over REPEAT repeats of N calls, and N."""
    timer = timeit.Timer("fn(buf)", globals={"fn": fn, "buf": buf})
    number, _ = timer.autorange()
    number = max(1, int(number * TARGET_REPEAT_S / 0.2))
    runs = timer.repeat(number=number, repeat=REPEAT)
    per_call = [r / number * 1e6 for r in runs]
    return min(per_call), statistics.median(per_call), number


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def main() -> int:
    # never truck_telemetry.init(): it opens (and at exit unlinks) the shared memory
    import truck_telemetry.telemetry_version.v1_12 as tt  # type: ignore[import-untyped]

    data, origin = build_frame()
    print(f"  python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs")
    print(f"  frame: {origin}")
    with shm_mmap(data) as mm:
        buffers: dict[str, Any] = {"bytes": data, "mmap": mm}
        for kind, buf in buffers.items():
            problems = check(buf, tt.parse_data)
            if problems:
                print(f"  correctness check FAILED on {kind}:")
                for p in problems:
                    print(f"    {p}")
                return 1
        print("  correctness: 12 fields equal exactly in decode, decode_raw and truck-telemetry")

        parsers: list[tuple[str, str, Callable[[Any], object]]] = [
            ("decode", "typed Frame, every typed field", decode),
            ("decode_raw", "every member, nested dict", decode_raw),
            ("truck-telemetry", "v1_12.parse_data, every member", tt.parse_data),
        ]
        results: dict[tuple[str, str], tuple[float, float, int]] = {}
        print()
        print(f"  {'parser':<16} {'buffer':<6} {'min µs':>9} {'median µs':>10} {'N':>7}  decodes")
        for name, what, fn in parsers:
            for kind, buf in buffers.items():
                results[name, kind] = figures = measure(fn, buf)
                low, median, number = figures
                print(f"  {name:<16} {kind:<6} {low:9.2f} {median:10.2f} {number:7d}  {what}")

    print()
    for kind in buffers:
        d_min, d_med, _ = results["decode", kind]
        _, r_med, _ = results["decode_raw", kind]
        t_min, t_med, _ = results["truck-telemetry", kind]
        speedup_min, speedup_med = t_min / d_min, t_med / d_med
        print(
            f"  {kind}: truck-telemetry/decode = {speedup_min:.0f}x (min), "
            f"{speedup_med:.0f}x (median); truck-telemetry/decode_raw = {t_med / r_med:.1f}x"
        )
        print(
            f"    targets: decode median {d_med:.2f} µs ≤ {DECODE_MEDIAN_TARGET_US:.0f} µs "
            f"[{verdict(d_med <= DECODE_MEDIAN_TARGET_US)}]; "
            f"decode ≥ {DECODE_SPEEDUP_TARGET:.0f}x faster "
            f"[{verdict(speedup_med >= DECODE_SPEEDUP_TARGET)}]; "
            f"decode_raw median {r_med:.2f} µs ≤ {DECODE_RAW_MEDIAN_TARGET_US:.0f} µs "
            f"[{verdict(r_med <= DECODE_RAW_MEDIAN_TARGET_US)}]"
        )
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "app"))
    sys.exit(main())
