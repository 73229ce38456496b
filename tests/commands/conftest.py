"""Recordings and helpers shared by the command tests (headless, jobs, status).

Recordings are made once per test session with the real simulator (or the scripted
frames of ``tests/jobs/script.py``) and the real recording writer.  The simulator
runs with a 0.5 s tick: its story is the same whatever the tick, and a job then
takes ~2,400 frames instead of ~12,000.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from roadmaster.telemetry.recording import RecordingWriter, read_recording
from roadmaster.telemetry.sim.simulator import SimulatorSource
from roadmaster.telemetry.source import Snapshot
from roadmaster.telemetry.status import Monitor, Reading
from tests.jobs.script import Script

SIM_TICK_S = 0.5


def record_simulator(path: Path, game: str, seed: int, duration_s: float) -> Path:
    source = SimulatorSource(game, seed, duration_s=duration_s, tick_s=SIM_TICK_S)
    # start_s=0: the recording keeps the simulator's own clock.
    with RecordingWriter(path, start_s=0.0, level=1) as writer:
        while (snap := source.snapshot()) is not None:
            writer.write(snap.t_s, snap.data)
    return path


def write_snapshots(path: Path, snapshots: Iterable[Snapshot]) -> Path:
    with RecordingWriter(path, start_s=0.0, level=1) as writer:
        for snap in snapshots:
            writer.write(snap.t_s, snap.data)
    return path


def tail_of(recording: Path, path: Path, after_s: float) -> Path:
    """The part of ``recording`` after ``after_s`` (its clock kept): what a restarted
    capture sees of a game that kept running."""
    return write_snapshots(path, (s for s in read_recording(recording) if s.t_s > after_s))


class RecordingScript(Script):
    """The tracker-test script, recording every frame it produces."""

    def __init__(self, *, revision: int = 12, t0: float = 0.0) -> None:
        super().__init__(revision=revision)
        self.t = t0
        self.snapshots: list[Snapshot] = []
        self.monitor = Monitor(stale_after_s=5.0)

    def reading(self, dt: float = 0.1) -> Reading:
        reading = super().reading(dt)
        self.snapshots.append(Snapshot(self.w.snapshot(), self.t))
        return reading


def scripted_session(*, revisions: Sequence[int] = (12,)) -> list[Snapshot]:
    """~50 s of telemetry at 10 Hz: a job started, driven (fined once), delivered,
    then a cancelled job.  With several ``revisions`` the plugin changes revision
    part-way (the game restarted with another plugin build) while the job runs."""
    first = RecordingScript(revision=revisions[0])
    first.step()
    first.start_job()
    first.drive(8.0)
    first.flip("special_b.fined")
    first.set({"gameplay_ll.fineAmount": 400, "gameplay_s.fineOffence": "speeding"})
    first.step()
    first.drive(8.0)
    script = first
    for revision in revisions[1:]:
        nxt = RecordingScript(revision=revision, t0=script.t)
        nxt.game_min, nxt.game_clock = script.game_min, script.game_clock
        nxt.render_us = script.render_us
        nxt.w.update({path: script.w.get(path) for path in _CARRIED})
        nxt.snapshots = script.snapshots
        nxt.step()
        script = nxt
    script.drive(10.0)
    script.deliver(revenue=11_500)
    script.drive(4.0)
    script.start_job(**{"config_ull.jobIncome": 9000, "config_s.cargoId": "paper"})
    script.drive(10.0)
    script.cancel(penalty=900)
    script.drive(3.0)
    return script.snapshots


# What a new plugin revision still reports about the running job and the truck.
_CARRIED = (
    "special_b.onJob",
    "truck_f.truckOdometer",
    "truck_f.fuel",
    "gameplay_ui.jobStartingTime",
    *(f"config_s.{k}" for k in (
        "cargoId cargo citySrcId citySrc compSrcId compSrc cityDstId cityDst compDstId "
        "compDst jobMarket"
    ).split()),
    "config_f.cargoMass",
    "config_ull.jobIncome",
    "config_ui.plannedDistanceKm",
    "config_ui.time_abs_delivery",
)  # fmt: skip


@pytest.fixture(scope="session")
def recordings(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("recordings")


@pytest.fixture(scope="session")
def ets2_recording(recordings: Path) -> Path:
    """ETS2, seed 0, 2,400 s: a job cancelled (after a ferry, a toll and a fine), one
    delivered (toll, fine), and a third still open at the end."""
    return record_simulator(recordings / "ets2.rec", "ets2", 0, 2400.0)


@pytest.fixture(scope="session")
def ats_recording(recordings: Path) -> Path:
    """ATS, seed 2, 2,000 s: two jobs delivered (at ~983 s and ~1,855 s), a third
    just begun."""
    return record_simulator(recordings / "ats.rec", "ats", 2, 2000.0)


@pytest.fixture(scope="session")
def scripted_recording(recordings: Path) -> Path:
    return write_snapshots(recordings / "scripted.rec", scripted_session())


def roadmaster(*args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    """Run the real command line in a new process."""
    return subprocess.run(
        [sys.executable, "-m", "roadmaster", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=_env(),
    )


def spawn(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "roadmaster", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )


def _env() -> dict[str, str]:
    env = dict(os.environ)
    # No cloud: a developer's own server settings must not reach these runs.
    env.pop("ROADMASTER_SERVER_URL", None)
    return env


def db_rows(data_dir: Path, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Read the data file with plain sqlite3 (read-only, beside a running capture)."""
    conn = sqlite3.connect(f"file:{data_dir / 'roadmaster.db'}?mode=ro", uri=True, timeout=5)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 2 MiB filesystem (tmpfs; needs root, else the test is skipped).  Room for
    several of capture's batches (up to 500 events, ~0.4 MB of WAL each) before it
    fills: on 600 KiB the first batch alone could fill it, and then nothing had been
    recorded to check."""
    mount_point = tmp_path / "tiny"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=True)
