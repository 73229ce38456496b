"""Throughput of the reference server on SQLite, measured from a second process.

The server runs as ``roadmaster serve`` in its own process (uvicorn with uvloop and
httptools, SQLite in WAL mode) with the rate limits raised out of the way.  The
load comes from another process on loopback:

* ``wrk`` (C, from apt) with a Lua script that POSTs a fixed body, when installed —
  it costs the machine least, so the figure is the server's;
* otherwise a small Python load generator: threads with keep-alive ``httpx`` clients
  in a child process (a lower bound: the generator competes for the same CPUs).

Figures: single-sample requests/s on ``POST /api/telemetry`` and samples/s through
``POST /api/telemetry/batch`` (1,000 samples a request).  Run:
``.venv/bin/python bench/bench_server.py``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

DURATION_S = 8
CONNECTIONS = 8
BATCH = 1000


def _sample(key: str | None) -> dict[str, object]:
    body: dict[str, object] = {
        "speed": 55.5,
        "rpm": 1400,
        "gear": 8,
        "fuel_current": 80.25,
        "fuel_capacity": 150.0,
        "engine_damage": 0.01,
        "transmission_damage": 0.02,
        "chassis_damage": 0.0,
        "wheels_damage": 0.03,
        "cabin_damage": 0.0,
        "cargo_damage": 0.0,
        "position_x": -1234.5,
        "position_y": 40.0,
        "position_z": 98765.25,
        "cruise_control_enabled": True,
        "cruise_control_speed": 55.0,
        "parking_brake": False,
        "motor_brake": False,
        "retarder_level": 0,
        "air_pressure": 120.0,
        "brake_temperature": 80.0,
        "navigation_distance": 120.5,
        "navigation_time": 130.0,
        "speed_limit": 65.0,
        "recorded_at": "2026-01-18T15:04:05Z",
    }
    if key is not None:
        body["api_key"] = key
    return body


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of process ``pid`` (Linux /proc), else None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _server_cpu(pid: int, before: float | None, requests: float) -> str:
    # Wall-clock rates move with whatever else the machine runs; the server's own
    # CPU time per request does not (much), so it is printed beside them.
    after = _cpu_seconds(pid)
    if before is None or after is None or requests <= 0:
        return ""
    return f"; server CPU {(after - before) / requests * 1000:.2f} ms/request"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wrk(url: str, body: bytes, tmp: Path, connections: int) -> tuple[float, int]:
    """(requests/s, non-2xx count) from wrk."""
    script = tmp / f"post{len(body)}.lua"
    (tmp / "body.json").write_bytes(body)
    script.write_text(
        'wrk.method = "POST"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        f'local f = io.open("{tmp / "body.json"}", "rb")\n'
        "wrk.body = f:read('*a')\nf:close()\n"
    )
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{DURATION_S}s", "-s", str(script), url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return rate, int(bad.group(1)) if bad else 0


_PY_LOAD = r"""
import sys, threading, time, httpx
url, threads, duration = sys.argv[1], int(sys.argv[3]), float(sys.argv[4])
body = open(sys.argv[2], "rb").read()
counts, bad = [0] * threads, [0] * threads
stop = time.perf_counter() + duration
def run(i):
    with httpx.Client(timeout=30) as c:
        while time.perf_counter() < stop:
            r = c.post(url, content=body, headers={"Content-Type": "application/json"})
            counts[i] += 1
            bad[i] += r.status_code != 200
ts = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
t0 = time.perf_counter()
[t.start() for t in ts]; [t.join() for t in ts]
print(sum(counts) / (time.perf_counter() - t0), sum(bad))
"""


def _python_load(url: str, body: bytes, tmp: Path, connections: int) -> tuple[float, int]:
    (tmp / "body.json").write_bytes(body)
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            _PY_LOAD,
            url,
            str(tmp / "body.json"),
            str(connections),
            str(DURATION_S),
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return float(out[0]), int(out[1])


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="roadmaster-bench-"))
    db = f"sqlite:///{tmp / 'server.db'}"
    env = {**os.environ, "ROADMASTER_HOME": str(tmp)}
    roadmaster = [sys.executable, "-m", "roadmaster"]
    key = subprocess.run(
        [*roadmaster, "serve", "user", "add", "bench", "--db", db],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    ).stdout.strip()
    port = _free_port()
    server = subprocess.Popen(
        [
            *roadmaster,
            "serve",
            "--db",
            db,
            "--port",
            str(port),
            "--telemetry-per-hour",
            "1000000000",
            "--jobs-per-hour",
            "1000000",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:  # bounded wait for the port to answer
            try:
                httpx.get(base + "/api/health", timeout=1).raise_for_status()
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("server did not start") from None
                time.sleep(0.05)
        tool = "wrk" if shutil.which("wrk") else "python-httpx"
        load = _wrk if tool == "wrk" else _python_load
        single = json.dumps(_sample(key)).encode()
        batch = json.dumps({"api_key": key, "samples": [_sample(None)] * BATCH}).encode()
        print(
            f"reference server on SQLite, load from a second process with {tool}, "
            f"{CONNECTIONS} connections, {DURATION_S} s each, {os.cpu_count()} CPUs"
        )
        print(f"  load average before: {os.getloadavg()[0]:.2f} (1 min)")
        cpu = _cpu_seconds(server.pid)
        rate, bad = load(base + "/api/telemetry", single, tmp, CONNECTIONS)
        used = _server_cpu(server.pid, cpu, rate * DURATION_S)
        print(f"  POST /api/telemetry        {rate:10,.0f} requests/s  ({bad} non-2xx{used})")
        cpu = _cpu_seconds(server.pid)
        rate, bad = load(base + "/api/telemetry/batch", batch, tmp, 2)
        used = _server_cpu(server.pid, cpu, rate * DURATION_S)
        print(
            f"  POST /api/telemetry/batch  {rate * BATCH:10,.0f} samples/s   "
            f"({rate:,.1f} requests/s of {BATCH}, {len(batch) / 1024:.0f} KiB; {bad} non-2xx{used})"
        )
        print(f"  load average after:  {os.getloadavg()[0]:.2f} (1 min)")
        stored = subprocess.run(
            [
                sys.executable,
                "-c",
                "import sqlite3,sys;print(sqlite3.connect(sys.argv[1]).execute("
                "'select count(*) from telemetry').fetchone()[0])",
                str(tmp / "server.db"),
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        print(f"  rows stored                {int(stored):10,}")
    finally:
        server.terminate()
        server.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
