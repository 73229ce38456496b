"""Capture benchmark: what recording costs while the game runs, and how fast a
recording is processed.  Prints its figures with the targets of the job-tracking
issue next to them.

1. tracker + 1 Hz sample commit at 10 Hz reads, through :class:`Capture` on a live
   (polled) source: process CPU time per simulated second, % of one core
   [< 0.5 %].  The simulator's frames are made before the clock starts.
2. snapshot + decode + status at 10 Hz from a real mmap'd file under /dev/shm
   (:class:`LinuxMapSource` + :class:`Monitor`): % of one core [< 0.1 %].
3. ``roadmaster headless`` on a 1-hour recording (36,000 frames) at full speed, as
   a subprocess: wall time and times real time [>= 200x].
4. the job log page and per-route aggregates on 100,000 demo-data jobs
   (``bench_storage.bench_demo``).

    .venv/bin/python bench/run.py capture          (or: bench/bench_capture.py --quick)
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from roadmaster.capture import Capture
from roadmaster.storage import Store
from roadmaster.telemetry.readers import LinuxMapSource
from roadmaster.telemetry.recording import RecordingWriter
from roadmaster.telemetry.sim.simulator import Simulator
from roadmaster.telemetry.source import Snapshot
from roadmaster.telemetry.status import Monitor

TICK_S = 0.1  # the game's readers poll at 10 Hz


class _LiveList:
    """Pre-made snapshots served as a live source (``recorded = False``), so the
    capture commits the way it does beside the game: every reading that produced
    events (a sample each second) is its own transaction."""

    recorded = False
    name = "bench"

    def __init__(self, snapshots: list[Snapshot], capture_stop: list[Capture]) -> None:
        self._snapshots = iter(snapshots)
        self._capture = capture_stop

    def snapshot(self) -> Snapshot | None:
        snap = next(self._snapshots, None)
        if snap is None:
            self._capture[0].stop()
        return snap

    def close(self) -> None:
        pass


def simulated(seconds: float, game: str = "ets2", seed: int = 0) -> list[Snapshot]:
    sim = Simulator(game, seed, TICK_S)
    return [Snapshot(sim.step(), sim.t_s) for _ in range(round(seconds / TICK_S))]


def bench_pipeline(minutes: float) -> float:
    snapshots = simulated(minutes * 60)
    sim_s = snapshots[-1].t_s - snapshots[0].t_s
    with (
        tempfile.TemporaryDirectory(prefix="rm-bench-capture-") as tmp,
        Store.open(Path(tmp)) as store,
    ):
        holder: list[Capture] = []
        capture = Capture(_LiveList(snapshots, holder), store, poll_interval_s=0.0)
        holder.append(capture)
        cpu0, wall0 = time.process_time(), time.perf_counter()
        capture.run()
        cpu = time.process_time() - cpu0
        wall = time.perf_counter() - wall0
        summary = capture.summary
    share = cpu / sim_s * 100
    print(
        f"(1) tracker + 1 Hz commits, 10 Hz reads: {cpu:.2f} s CPU for {sim_s / 60:.0f} min "
        f"of telemetry ({len(snapshots):,} frames, {summary.samples:,} samples, "
        f"{summary.jobs_finished} jobs finished; wall {wall:.1f} s) = {share:.3f} % of one "
        f"core  [target < 0.5 %]"
    )
    return share


def bench_shm(reads: int) -> float:
    frame = Simulator("ets2", 0, TICK_S)
    data = b""
    for _ in range(60):  # past the menu: a driving frame
        data = frame.step()
    shm_dir = Path("/dev/shm") if Path("/dev/shm").is_dir() else Path(tempfile.gettempdir())
    path = shm_dir / f"rm-bench-{os.getpid()}"
    path.write_bytes(data)
    try:
        source = LinuxMapSource(str(path))
        monitor = Monitor()
        cpu0 = time.process_time()
        for _ in range(reads):
            monitor.update(source.snapshot())
        cpu = time.process_time() - cpu0
        source.close()
    finally:
        path.unlink()
    share = cpu / (reads * TICK_S) * 100
    print(
        f"(2) snapshot + decode + status from {shm_dir}: {cpu / reads * 1e6:.0f} µs a read "
        f"= {share:.3f} % of one core at 10 Hz  [target < 0.1 %]"
    )
    return share


def bench_headless(hours: float) -> float:
    with tempfile.TemporaryDirectory(prefix="rm-bench-headless-") as tmp:
        recording = Path(tmp) / "hour.rec"
        sim = Simulator("ets2", 1, TICK_S)
        frames = round(hours * 3600 / TICK_S)
        t0 = time.perf_counter()
        with RecordingWriter(recording, start_s=0.0) as writer:
            for _ in range(frames):
                data = sim.step()
                writer.write(sim.t_s, data)
        made = time.perf_counter() - t0
        data_dir = Path(tmp) / "data"
        cmd = [sys.executable, "-m", "roadmaster", "headless", "--source", f"replay:{recording}",
               "--data-dir", str(data_dir), "--no-sync"]  # fmt: skip
        t0 = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        if done.returncode != 0:
            print(done.stderr[-2000:], file=sys.stderr)
            raise SystemExit("headless failed")
    ratio = hours * 3600 / wall
    print(
        f"(3) headless on a {hours:g} h recording ({frames:,} frames, made in {made:.0f} s): "
        f"{wall:.1f} s wall, process start included = {ratio:.0f}x real time  "
        f"[target >= 200x]"
    )
    return ratio


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="smaller runs (a smoke test)")
    parser.add_argument("--skip-storage", action="store_true", help="leave out (4)")
    args = parser.parse_args(argv if argv is not None else [])
    bench_pipeline(1 if args.quick else 10)
    bench_shm(600 if args.quick else 6000)
    bench_headless(0.1 if args.quick else 1.0)
    if not args.skip_storage:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import bench_storage

        bench_storage.bench_demo(2_000 if args.quick else 100_000)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
