"""``roadmaster --self-test``: a quick proof that this installation works.

Run on a frozen bundle (CI runs it on every build) or from a checkout.  Each step
exercises real parts: the simulator writes a plugin-layout map that the decoder
reads, a capture writes the SQLite log in a temporary data folder (so the Alembic
migration scripts must be present) and a read-only engine reads it back, the
reference server's schema is created (the ``--demo`` server needs its migrations
too).  The GUI entry point adds the Qt steps (offscreen start, dashboard render,
the binding's reference-count check) and runs them all with :func:`run_steps`.

The result is one line per step; the first failing step stops the run and is
named, and the exit code is 1.  Nothing outside the temporary folder is touched.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from roadmaster.telemetry.status import Reading

EXIT_PASSED = 0
EXIT_FAILED = 1
SIM_GAME = "ets2"
SIM_SEED = 7
# Simulated seconds of driving: enough for the simulated player to take a job (~10 s)
# (and for samples to be stored), a few hundredths of a second of work.
SIM_SECONDS = 20.0


class SelfTestError(Exception):
    """A step found something wrong (its message says what)."""


@dataclass
class Context:
    """What the steps share: the temporary folder and the last reading."""

    tmp: Path
    reading: Reading | None = None
    notes: dict[str, str] = field(default_factory=dict)


Step = tuple[str, Callable[[Context], str]]


def check(condition: bool, problem: str) -> None:
    if not condition:
        raise SelfTestError(problem)


def decode_frame(ctx: Context) -> str:
    """The simulator writes maps in the plugin's layout; the decoder reads them."""
    from roadmaster.telemetry.decoding import decode
    from roadmaster.telemetry.frame import Game
    from roadmaster.telemetry.sim.simulator import Simulator

    sim = Simulator(SIM_GAME, SIM_SEED)
    data = b""
    for _ in range(50):  # past the main menu and the profile load (3 s)
        data = sim.step()
    frame = decode(data)
    h, t = frame.header, frame.truck
    check(h.revision == 12, f"decoded revision {h.revision}, expected 12")
    check(h.game is Game.ETS2, f"decoded game {h.game}, expected ets2")
    check(bool(t.brand), "the decoded truck has no brand")
    check(0 < t.fuel_l <= t.fuel_capacity_l, f"implausible fuel {t.fuel_l} l")
    return f"rev {h.revision}, {t.brand} {t.name}, {t.fuel_l:.0f} l"


def sqlite_log(ctx: Context) -> str:
    """Capture simulated driving into a new data folder, then read it back."""
    from roadmaster.capture import Capture
    from roadmaster.storage import migrate, queries
    from roadmaster.storage.readonly import open_for_reading
    from roadmaster.storage.store import Store
    from roadmaster.telemetry.sim.simulator import SimulatorSource

    data_dir = ctx.tmp / "data"
    store = Store.open(data_dir)  # creates the file: runs every migration
    try:
        capture = Capture(
            SimulatorSource(SIM_GAME, SIM_SEED, duration_s=SIM_SECONDS), store, speed=None
        )
        summary = capture.run()
        ctx.reading = capture.latest
    finally:
        store.close()
    started = summary.counts.get("JobStarted", 0)
    check(started >= 1, "the simulated drive started no job")
    engine = open_for_reading(data_dir)
    try:
        counts = queries.status_counts(engine)
        with engine.connect() as conn:
            revision = migrate.current_revision(conn)
    finally:
        engine.dispose()
    stored = sum(counts.values())
    check(stored == started, f"{started} jobs written but {stored} read back")
    return f"schema {revision}, {stored} job(s), {summary.samples} samples"


def server_schema(ctx: Context) -> str:
    """The reference server's schema (the ``--demo`` sync target) is created."""
    from roadmaster.server import db

    engine = db.make_engine(f"sqlite:///{ctx.tmp / 'server.db'}")
    try:
        db.upgrade(engine)
    finally:
        engine.dispose()
    return f"schema {db.head_revision()}"


CORE_STEPS: tuple[Step, ...] = (
    ("decode a simulated frame", decode_frame),
    ("write and read the SQLite log", sqlite_log),
    ("create the demo server's schema", server_schema),
)


def run_steps(steps: Sequence[Step], ctx: Context, out: TextIO) -> int:
    """Run ``steps`` in order, one line each on ``out``; stop at the first failure.

    Returns :data:`EXIT_PASSED` or :data:`EXIT_FAILED`.  A failing step is named with
    what went wrong (its exception), never a traceback."""
    began = time.perf_counter()
    for name, step in steps:
        t0 = time.perf_counter()
        try:
            detail = step(ctx)
        except Exception as exc:
            reason = str(exc) if isinstance(exc, SelfTestError) else f"{type(exc).__name__}: {exc}"
            print(f"FAIL {name}: {reason}", file=out)
            print(f"self-test FAILED at step '{name}'", file=out)
            return EXIT_FAILED
        ms = (time.perf_counter() - t0) * 1000
        print(f"ok   {name} ({ms:.0f} ms): {detail}", file=out)
    print(f"self-test passed in {time.perf_counter() - began:.2f} s", file=out)
    return EXIT_PASSED
