"""Throughput of the reference server, measured from a second process: SQLite with
one process, and PostgreSQL with ``--workers 1`` and ``--workers 2`` side by side.

The server runs as ``roadmaster serve`` in its own process(es) (uvicorn with uvloop
and httptools).  The rate limiter is **on** (its database counter is read and
written on every request) with 100 users taking turns, and the per-user limit
raised so that 429s do not replace the work being measured.  PostgreSQL is a
throwaway cluster in a temp folder (``initdb``/``pg_ctl`` as in tests/pg.py,
``fsync=off`` like the tests; a production server's fsync costs a commit more) —
or ``--pg-url postgresql+psycopg://…`` for one you run.

The load comes from another process on loopback:

* ``wrk`` (C, from apt) with a Lua script that POSTs the users' bodies in turn,
  when installed — it costs the machine least, so the figure is the server's;
* otherwise a small Python load generator (threads with keep-alive ``httpx``
  clients in a child process: a lower bound, it competes for the same CPUs).

Figures: single-sample requests/s on ``POST /api/telemetry`` and samples/s through
``POST /api/telemetry/batch`` (1,000 samples a request), plus the CPU time each
request cost the server processes and PostgreSQL (process CPU time: less disturbed
by other load on the machine than the wall-clock rates).  Run:
``.venv/bin/python bench/bench_server.py [--pg-url URL] [--duration S]``.
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import sqlalchemy as sa

from harness import cpu_seconds
from roadmaster.examples import telemetry_body

DURATION_S = 8
CONNECTIONS = 16
BATCH_CONNECTIONS = 4
BATCH = 1000
USERS = 100
HIGH_LIMIT = "1000000000"


def _sample(key: str | None) -> dict[str, object]:
    return telemetry_body(
        key,
        motor_brake=False,
        retarder_level=0,
        air_pressure=120.0,
        brake_temperature=80.0,
        navigation_distance=120.5,
        navigation_time=130.0,
        speed_limit=65.0,
        recorded_at="2026-01-18T15:04:05Z",
    )


# --- CPU accounting (Linux /proc) ------------------------------------------------------


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants."""
    out = [pid]
    with contextlib.suppress(OSError):
        for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
            out += _tree(int(child))
    return out


def _tree_cpu(pids: list[int]) -> float:
    return sum(cpu_seconds(p) or 0.0 for root in pids for p in _tree(root))


# --- load generators -------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _lua_string(data: bytes) -> str:
    return "[==[" + data.decode() + "]==]"


def _wrk(
    url: str, bodies: list[bytes], tmp: Path, connections: int, duration: int
) -> tuple[float, int]:
    """(requests/s, non-2xx count) from wrk, POSTing ``bodies`` in turn."""
    script = tmp / "post.lua"
    script.write_text(
        'wrk.method = "POST"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        "local bodies = {" + ",\n".join(_lua_string(b) for b in bodies) + "}\n"
        "local i = 0\n"
        "request = function()\n"
        "  i = i % #bodies + 1\n"
        "  return wrk.format(nil, nil, nil, bodies[i])\n"
        "end\n"
    )
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "-s", str(script), url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return rate, int(bad.group(1)) if bad else 0


_PY_LOAD = r"""
import json, sys, threading, time, httpx
url, threads, duration = sys.argv[1], int(sys.argv[3]), float(sys.argv[4])
bodies = [b.encode() for b in json.load(open(sys.argv[2]))]
counts, bad = [0] * threads, [0] * threads
stop = time.perf_counter() + duration
def run(i):
    with httpx.Client(timeout=30) as c:
        n = i
        while time.perf_counter() < stop:
            r = c.post(url, content=bodies[n % len(bodies)],
                       headers={"Content-Type": "application/json"})
            n += 1
            counts[i] += 1
            bad[i] += r.status_code != 200
ts = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
t0 = time.perf_counter()
[t.start() for t in ts]; [t.join() for t in ts]
print(sum(counts) / (time.perf_counter() - t0), sum(bad))
"""


def _python_load(
    url: str, bodies: list[bytes], tmp: Path, connections: int, duration: int
) -> tuple[float, int]:
    (tmp / "bodies.json").write_text(json.dumps([b.decode() for b in bodies]))
    numbers = (str(connections), str(duration))
    out = subprocess.run(
        [sys.executable, "-c", _PY_LOAD, url, str(tmp / "bodies.json"), *numbers],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return float(out[0]), int(out[1])


# --- a throwaway PostgreSQL ------------------------------------------------------------


@dataclass
class Postgres:
    admin_url: str
    postmaster: int | None  # its pid, when we run it (for its CPU time)

    def new_database(self) -> str:
        name = f"bench_{uuid.uuid4().hex[:12]}"
        engine = sa.create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql(f"CREATE DATABASE {name}")
        finally:
            engine.dispose()
        return self.admin_url.rsplit("/", 1)[0] + "/" + name


@contextlib.contextmanager
def throwaway_postgres() -> Iterator[Postgres]:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise SystemExit("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb)")
    bindir = Path(found[-1]).parent
    root = Path(tempfile.mkdtemp(prefix="roadmaster-bench-pg-"))
    prefix: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
        prefix = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    data = root / "data"
    subprocess.run(
        [*prefix, str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"],
        check=True,
        capture_output=True,
    )
    logging = ("-l", str(root / "log"), "-w")
    options = (
        f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
    )
    subprocess.run(
        [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-o", options, *logging, "start"],
        check=True,
        capture_output=True,
    )
    try:
        postmaster = int((data / "postmaster.pid").read_text().split()[0])
        yield Postgres(f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres", postmaster)
    finally:
        subprocess.run(
            [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
            check=False,
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)


# --- one configuration -----------------------------------------------------------------


@dataclass
class Result:
    label: str
    single_rps: float
    single_bad: int
    single_cpu_ms: tuple[float, float]  # server, database
    batch_sps: float
    batch_bad: int
    batch_cpu_ms: tuple[float, float]
    stored: int


def _run(
    label: str, db: str, workers: int, tmp: Path, pg: Postgres | None, duration: int
) -> Result:
    env = {**os.environ, "ROADMASTER_HOME": str(tmp)}
    roadmaster = [sys.executable, "-m", "roadmaster"]
    add = "from roadmaster.server.users import add_user as a;import sys;"
    add += f"print('\\n'.join(a(sys.argv[1], f'bench{{i}}') for i in range({USERS})))"
    keys = subprocess.run(
        [sys.executable, "-c", add, db], check=True, capture_output=True, text=True, env=env
    ).stdout.split()
    port = _free_port()
    limits = ("--telemetry-per-hour", HIGH_LIMIT, "--jobs-per-hour", HIGH_LIMIT)
    server = subprocess.Popen(
        [*roadmaster, "serve", "--db", db, "--port", str(port), "--workers", str(workers), *limits],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    load = _wrk if shutil.which("wrk") else _python_load
    dbroots = [pg.postmaster] if pg is not None and pg.postmaster is not None else []

    def measure(
        url: str, bodies: list[bytes], connections: int
    ) -> tuple[float, int, tuple[float, float]]:
        server_cpu, db_cpu = _tree_cpu([server.pid]), _tree_cpu(dbroots)
        rate, bad = load(url, bodies, tmp, connections, duration)
        n = rate * duration
        used = (
            (_tree_cpu([server.pid]) - server_cpu) / n * 1000,
            (_tree_cpu(dbroots) - db_cpu) / n * 1000,
        )
        return rate, bad, used

    try:
        deadline = time.monotonic() + 60
        while True:  # bounded wait for the port to answer
            try:
                httpx.get(base + "/api/health", timeout=1).raise_for_status()
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError(f"{label}: the server did not start") from None
                time.sleep(0.05)
        singles = [json.dumps(_sample(k)).encode() for k in keys]
        batches = [
            json.dumps({"api_key": k, "samples": [_sample(None)] * BATCH}).encode()
            for k in keys[:10]
        ]
        s_rate, s_bad, s_cpu = measure(base + "/api/telemetry", singles, CONNECTIONS)
        b_rate, b_bad, b_cpu = measure(base + "/api/telemetry/batch", batches, BATCH_CONNECTIONS)
        engine = sa.create_engine(db)
        try:
            with engine.connect() as conn:
                stored = int(conn.exec_driver_sql("SELECT count(*) FROM telemetry").scalar_one())
        finally:
            engine.dispose()
        return Result(
            label,
            s_rate,
            s_bad,
            s_cpu,
            b_rate * BATCH,
            b_bad,
            (b_cpu[0] / BATCH, b_cpu[1] / BATCH),
            stored,
        )
    finally:
        server.terminate()
        server.wait(20)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pg-url", help="an existing PostgreSQL server (a database is created)")
    parser.add_argument("--duration", type=int, default=DURATION_S, help="seconds a run")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args(argv if argv is not None else [])
    tool = "wrk" if shutil.which("wrk") else "python-httpx (a lower bound)"
    print(
        f"reference server, load from a second process with {tool}; {USERS} users in turn, "
        f"limiter on (limit raised); {CONNECTIONS} connections for single samples, "
        f"{BATCH_CONNECTIONS} for batches of {BATCH}; {args.duration} s a run; "
        f"{os.cpu_count()} CPUs"
    )
    print(f"  load average before: {os.getloadavg()[0]:.2f} (1 min; other jobs share the machine)")
    results: list[Result] = []
    tmp = Path(tempfile.mkdtemp(prefix="roadmaster-bench-"))
    try:
        if not args.skip_sqlite:
            db = f"sqlite:///{tmp / 'server.db'}"
            results.append(_run("SQLite, 1 process", db, 1, tmp, None, args.duration))
        with contextlib.ExitStack() as stack:
            if args.pg_url:
                pg = Postgres(args.pg_url, None)
            else:
                pg = stack.enter_context(throwaway_postgres())
            for workers in (1, 2):
                label = f"PostgreSQL, {workers} worker{'s' if workers > 1 else ''}"
                results.append(_run(label, pg.new_database(), workers, tmp, pg, args.duration))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"  load average after:  {os.getloadavg()[0]:.2f} (1 min)")
    print()
    print(
        f"  {'':24} {'single req/s':>13} {'CPU ms/req srv+db':>18}"
        f" {'batch samples/s':>16} {'CPU µs/sample srv+db':>21} {'non-2xx':>8} {'rows':>10}"
    )
    for r in results:
        s_cpu = f"{r.single_cpu_ms[0]:.2f}+{r.single_cpu_ms[1]:.2f}"
        b_cpu = f"{r.batch_cpu_ms[0] * 1000:.1f}+{r.batch_cpu_ms[1] * 1000:.1f}"
        print(
            f"  {r.label:24} {r.single_rps:13,.0f} {s_cpu:>18} {r.batch_sps:16,.0f} {b_cpu:>21}"
            f" {r.single_bad + r.batch_bad:8} {r.stored:10,}"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
