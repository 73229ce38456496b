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

from roadmaster.telemetry.codec import decode_raw
from roadmaster.telemetry.decoding import decode
from roadmaster.telemetry.layout import MAP_SIZE
from roadmaster.telemetry.sim.simulator import Simulator

REPEAT = 5
TARGET_REPEAT_S = 0.2  # N is chosen so that one repeat takes about this long
DECODE_MEDIAN_TARGET_US = 25.0
DECODE_SPEEDUP_TARGET = 30.0
DECODE_RAW_MEDIAN_TARGET_US = 150.0
SIM_TICKS = 3000


# --- the frame ----------------------------------------------------------------------------


def simulator_frame() -> bytes:
    """The simulator's map after ~3000 ticks (5 simulated minutes): driving on a job
    with a trailer attached."""
    sim = Simulator(game="ets2", seed=1)
    data = b""
    for _ in range(SIM_TICKS):
        data = sim.step()
    frame = decode(data)
    if not (frame.job.on_job and frame.trailers and frame.trailers[0].attached):
        raise SystemExit("the simulator frame has no job or no attached trailer")
    return data


def build_frame() -> tuple[bytes, str]:
    return simulator_frame(), f"simulator (ets2, seed 1, {SIM_TICKS} ticks)"


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
