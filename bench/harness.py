"""What the GUI benchmarks share (``bench_gui``, ``bench_soak``; ``bench_server`` for
its CPU figures): a private X server, and a process's CPU time and memory read from
``/proc`` (Linux), the way a player's task manager sees them.

A benchmark imports this as ``harness``: ``bench/run.py`` and running a benchmark
file directly both put ``bench/`` on ``sys.path``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_ticks(pid: int) -> int:
    """utime + stime of the whole process (all threads), in clock ticks."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def cpu_seconds(pid: int) -> float | None:
    """utime + stime of a process, in seconds (None once it is gone)."""
    try:
        return cpu_ticks(pid) / CLK_TCK
    except OSError:
        return None


def rss_mb(pid: int) -> float | None:
    """Resident memory of a process in MB (None once it is gone or has exited)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _bench() -> str:
    return Path(sys.argv[0]).stem or "bench"


def start_xvfb(size: str) -> tuple[subprocess.Popen[bytes], str]:
    """A private X server of ``size`` ("1366x768"): the process and its display."""
    if shutil.which("Xvfb") is None:
        raise SystemExit(f"{_bench()}: Xvfb is not installed: apt-get install xvfb xauth")
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", f"{size}x24", "-nolisten", "tcp"],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    with os.fdopen(read_fd) as fh:
        number = fh.readline().strip()
    if not number:
        proc.kill()
        raise SystemExit(f"{_bench()}: Xvfb did not start")
    return proc, f":{number}"


@contextlib.contextmanager
def xvfb(size: str) -> Iterator[str]:
    """A private X server (and a window manager when one is installed)."""
    server, display = start_xvfb(size)
    wm = None
    if shutil.which("openbox"):
        wm = subprocess.Popen(
            ["openbox"],
            env={**os.environ, "DISPLAY": display},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    try:
        yield display
    finally:
        for proc in (wm, server):
            if proc is not None:
                proc.terminate()
                proc.wait(10)
