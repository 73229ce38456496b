"""Soak benchmark: does the window stay up for a whole evening of driving?

Starts its own Xvfb, then the real window (dashboard and overlay visible), fed by
``roadmaster simulate --speedup 30`` in a separate process through a map file chosen
the way a player chooses it (Settings → Game → telemetry file), for ``--minutes``
(default 30: about 15 simulated hours, many deliveries).  ``--demo`` runs
``roadmaster --demo`` at 1× instead (simulator, in-process server and sync inside
the app; default 120 minutes).

Measured from outside, the way a player's task manager sees the process:
still up, RSS at the start, every 5 minutes and at the end, CPU % of one core per
minute (utime+stime from /proc/PID/stat), the slowest GUI tick (the app's own tick
timings, which it writes to a file for this bench), log lines written and how many
are ERROR/WARNING, jobs finished.  Goal: up for the whole run, RSS flat (≤ +30 MB
after warm-up, ≤ 250 MB), no error lines.

    .venv/bin/python bench/bench_soak.py [--minutes 30] [--demo] [--size 1366x768]

CPU figures are disturbed by whatever else runs on the machine: say so with them.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import cpu_seconds, rss_mb, start_xvfb

START_S = 15.0  # "start": the window painted, capture running
WARMUP_S = 60.0  # RSS growth is judged from here (caches, the map, pyqtgraph loaded)
STOP_TIMEOUT_S = 30.0


def write_settings(home: Path, map_path: Path | None) -> None:
    """The player's settings: overlay on; the telemetry file (when not the demo)."""
    env_home = os.environ.get("ROADMASTER_HOME")
    os.environ["ROADMASTER_HOME"] = str(home)
    try:
        from roadmaster.settings import Settings, save_settings

        s = Settings()
        s.overlay.enabled = True
        if map_path is not None:
            s.game.telemetry_source = "path"
            s.game.telemetry_path = str(map_path)
        save_settings(s)
    finally:
        if env_home is None:
            os.environ.pop("ROADMASTER_HOME", None)
        else:
            os.environ["ROADMASTER_HOME"] = env_home


def log_counts(log_dir: Path) -> tuple[int, int, int, list[str]]:
    """Lines, ERROR lines, WARNING lines over the log and its rotated copies, and the
    first few ERROR/WARNING lines (to say what they were)."""
    lines = errors = warnings = 0
    samples: list[str] = []
    pattern = re.compile(r"^\S+ \S+ (ERROR|WARNING|CRITICAL) ")
    for path in sorted(log_dir.glob("roadmaster.log*")):
        with path.open(encoding="utf-8", errors="replace") as fh:
            for line in fh:
                lines += 1
                m = pattern.match(line)
                if m:
                    if m.group(1) == "WARNING":
                        warnings += 1
                    else:
                        errors += 1
                    if len(samples) < 5:
                        samples.append(line.rstrip()[:200])
    return lines, errors, warnings, samples


def jobs_finished(data_dir: Path) -> dict[str, int]:
    db = next(iter(sorted(data_dir.glob("*.sqlite3")) + sorted(data_dir.glob("*.db"))), None)
    if db is None:
        return {}
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            rows = conn.execute("SELECT status, COUNT(*) FROM jobs GROUP BY status").fetchall()
    except sqlite3.Error:
        return {}
    return {str(status): int(n) for status, n in rows}


def _mb(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGINT) -> int | None:
    if proc.poll() is not None:
        return proc.returncode
    proc.send_signal(sig)
    try:
        return proc.wait(STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return None


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--minutes", type=float, help="how long (default 30, or 120 with --demo)")
    p.add_argument("--demo", action="store_true", help="roadmaster --demo at 1× instead")
    p.add_argument("--speedup", type=float, default=30.0, help="simulator speed (default 30)")
    p.add_argument("--size", default="1366x768", help="screen size (default 1366x768)")
    p.add_argument("--keep", action="store_true", help="keep the data folder afterwards")
    args = p.parse_args(argv)
    minutes = args.minutes if args.minutes is not None else (120.0 if args.demo else 30.0)
    duration_s = minutes * 60

    home = Path(tempfile.mkdtemp(prefix="roadmaster-soak-"))
    data_dir = home / "data"
    map_path = None if args.demo else Path("/dev/shm") / f"RoadMasterSoak-{os.getpid()}"
    write_settings(home, map_path)
    ticks_file = home / "ticks.json"
    env = {**os.environ, "ROADMASTER_HOME": str(home), "PYTHONFAULTHANDLER": "1"}
    env.pop("QT_QPA_PLATFORM", None)
    env.pop("ROADMASTER_API_KEY", None)

    xvfb, display = start_xvfb(args.size)
    env["DISPLAY"] = display
    sim = None
    if map_path is not None:
        sim = subprocess.Popen(
            [
                *(sys.executable, "-m", "roadmaster", "simulate"),
                *("--speedup", str(args.speedup), "--shm-path", str(map_path)),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=(home / "simulate.err").open("wb"),
        )
    gui_cmd = [sys.executable, "-m", "roadmaster.gui", "--data-dir", str(data_dir)]
    gui_cmd += ["--bench-ticks", str(ticks_file)]
    if args.demo:
        gui_cmd.append("--demo")
    stderr_path = home / "window.err"
    gui = subprocess.Popen(
        gui_cmd, env=env, stdout=subprocess.DEVNULL, stderr=stderr_path.open("wb")
    )
    what = "roadmaster --demo at 1×" if args.demo else f"roadmaster simulate at {args.speedup:g}×"
    print(f"soak: the window (dashboard + overlay, {args.size}) fed by {what}, {minutes:g} min")
    print(f"      data and logs in {home} (pid {gui.pid}, display {display})", flush=True)

    started = time.monotonic()
    rss: list[tuple[float, float]] = []  # (minute, MB), sampled every minute
    cpu_per_min: list[float] = []
    last_cpu = cpu_seconds(gui.pid) or 0.0
    # The simulator's CPU is the control: its work per minute is fixed, so when it
    # rises too the machine got slower, not the window.
    last_sim = (cpu_seconds(sim.pid) or 0.0) if sim is not None else 0.0
    sim_per_min: list[float] = []
    last_min = started
    start_rss: float | None = None
    warm_rss: float | None = None
    try:
        while time.monotonic() - started < duration_s and gui.poll() is None:
            now = time.monotonic()
            if start_rss is None and now - started >= START_S:
                start_rss = rss_mb(gui.pid)
            if warm_rss is None and now - started >= WARMUP_S:
                warm_rss = rss_mb(gui.pid)
            if now - last_min >= 60.0:
                c, m = cpu_seconds(gui.pid), rss_mb(gui.pid)
                if c is not None and m is not None:
                    pct = 100.0 * (c - last_cpu) / (now - last_min)
                    cpu_per_min.append(pct)
                    rss.append(((now - started) / 60, m))
                    minute = (now - started) / 60
                    control = ""
                    sim_cpu = cpu_seconds(sim.pid) if sim is not None else None
                    if sim_cpu is not None:
                        sim_pct = 100.0 * (sim_cpu - last_sim) / (now - last_min)
                        sim_per_min.append(sim_pct)
                        control = f"  (simulator {sim_pct:4.1f} %)"
                        last_sim = sim_cpu
                    print(
                        f"  {minute:5.1f} min  CPU {pct:5.1f} %  RSS {m:6.1f} MB{control}",
                        flush=True,
                    )
                    last_cpu, last_min = c, now
            time.sleep(1.0)  # a sampling period, measured from outside
        alive = gui.poll() is None
        end_rss = rss_mb(gui.pid) if alive else None
        up_s = time.monotonic() - started
        code = stop(gui)
    finally:
        if gui.poll() is None:
            gui.kill()
        if sim is not None:
            stop(sim, signal.SIGTERM)
        stop(xvfb, signal.SIGTERM)

    print()
    print(f"still up after {up_s / 60:.1f} of {minutes:g} min: {'yes' if alive else 'NO'}")
    print(f"  exit status after SIGINT: {code}")
    if not alive:
        # The window sends its stderr into the fatal-error trace file (not a terminal).
        trace = home / "logs" / "fatal-window.log"
        words = trace.read_text(errors="replace") if trace.is_file() else ""
        words += stderr_path.read_text(errors="replace")
        tail = words.strip().splitlines()[:20]
        print("  the window's last words:\n    " + "\n    ".join(tail))
    marks = [f"{m:.0f} min {v:.0f}" for m, v in rss if round(m) % 5 == 0]
    print(
        f"  RSS MB: start ({START_S:.0f} s) {_mb(start_rss)}, after the {WARMUP_S:.0f} s "
        f"warm-up {_mb(warm_rss)}, every 5 min [{', '.join(marks)}], end {_mb(end_rss)}"
    )
    if rss:
        print(f"  highest per-minute RSS {max(v for _, v in rss):.0f} MB")
    if warm_rss is not None and end_rss is not None:
        growth = end_rss - warm_rss
        print(f"  RSS growth after warm-up: {growth:+.1f} MB (goal ≤ +30 MB, ≤ 250 MB)")
    if cpu_per_min:
        text = " ".join(f"{c:.1f}" for c in cpu_per_min)
        mean = sum(cpu_per_min) / len(cpu_per_min)
        print(f"  CPU % of one core per minute: {text}")
        print(f"  CPU mean {mean:.1f} %, max {max(cpu_per_min):.1f} % (machine shared)")
    if sim_per_min:
        text = " ".join(f"{c:.1f}" for c in sim_per_min)
        mean = sum(sim_per_min) / len(sim_per_min)
        print(f"  the simulator's CPU per minute (the control: fixed work): {text}")
        print(f"  simulator mean {mean:.1f} %, max {max(sim_per_min):.1f} %")
    try:
        ticks = json.loads(ticks_file.read_text())
        worst = max(ticks["tick_max_by_name_ms"].items(), key=lambda kv: kv[1], default=("", 0))
        print(
            f"  slowest GUI tick {ticks['tick_max_ms']:.1f} ms ({worst[0]}); "
            f"{ticks['over_budget']} of {sum(ticks['ticks'].values())} ticks over 16 ms"
        )
    except (OSError, ValueError, KeyError):
        print("  slowest GUI tick: no report written")
    lines, errors, warnings, samples = log_counts(home / "logs")
    print(f"  log lines written {lines}; ERROR {errors}, WARNING {warnings}")
    for line in samples:
        print(f"    {line}")
    finished = jobs_finished(data_dir)
    print(f"  jobs by status: {finished or 'none found'}")
    for path in sorted((home / "logs").glob("fatal-*.log")):
        if "Fatal Python error" in path.read_text(errors="replace"):
            print(f"  fatal-error trace in {path}")
    if args.keep or not alive:
        print(f"  kept {home}")
    else:
        shutil.rmtree(home, ignore_errors=True)
    if map_path is not None:
        map_path.unlink(missing_ok=True)
    return 0 if alive else 1


if __name__ == "__main__":
    sys.exit(main())
