"""``roadmaster record --out FILE``: capture telemetry snapshots into a recording.

The default source is the game's shared memory, polled every ``--interval-ms``;
snapshots are written only while the map exists.  A recorded source (the
simulator, another recording) is captured as fast as it produces snapshots, with
its own clock, so ``--duration`` counts that clock.  Ctrl-C or SIGTERM ends the
recording cleanly; every record is flushed as it is written, so even a killed
recorder leaves a readable file.
"""

from __future__ import annotations

import argparse
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import TypeVar

from roadmaster.telemetry.readers import open_source
from roadmaster.telemetry.recording import RecordingWriter
from roadmaster.telemetry.source import Source, iterate

Clock = Callable[[], float]
_Number = TypeVar("_Number", int, float)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "record",
        help="record telemetry snapshots to a file",
        description="Record snapshots of the SCS telemetry map (or of the simulator, or "
        "of another recording) into a recording file that `--source replay:FILE` plays "
        "back. Ctrl-C stops the recording.",
    )
    parser.add_argument(
        "--out", type=Path, required=True, metavar="FILE", help="the recording to write"
    )
    parser.add_argument(
        "--source",
        default="shm",
        metavar="SOURCE",
        help='"shm" (the game, default), "sim" (the simulator) or "replay:FILE"',
    )
    parser.add_argument(
        "--shm-path",
        metavar="P",
        help="the shared-memory file (Linux) or mapping name (Windows) to read "
        "instead of the plugin's default",
    )
    parser.add_argument(
        "--duration",
        type=_positive(float),
        metavar="S",
        help="stop after S seconds (default: until Ctrl-C)",
    )
    parser.add_argument(
        "--interval-ms",
        type=_positive(int),
        default=100,
        metavar="MS",
        help="time between snapshots in milliseconds (default 100)",
    )
    parser.set_defaults(func=run)


def _positive(kind: Callable[[str], _Number]) -> Callable[[str], _Number]:
    """An argparse type: ``kind`` of the text, refused unless greater than 0."""

    def parse(text: str) -> _Number:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if not value > 0:  # also refuses NaN
            raise argparse.ArgumentTypeError(f"must be greater than 0: {text!r}")
        return value

    parse.__name__ = kind.__name__  # argparse names the type in its messages
    return parse


def run(args: argparse.Namespace) -> int:
    """Record until the duration is over, the source ends, or Ctrl-C / SIGTERM."""
    interval_s = args.interval_ms / 1000
    duration_s: float | None = args.duration
    source = open_source(args.source, args.shm_path, tick_s=interval_s)
    stop = threading.Event()
    try:
        with RecordingWriter(args.out) as writer, _stop_on_signals(stop):
            print(_start_line(source, args.out, args.interval_ms, duration_s), flush=True)
            capture(source, writer, interval_s=interval_s, duration_s=duration_s, stop=stop)
    finally:
        source.close()
    print(_summary(writer, source), flush=True)
    return 0


def capture(
    source: Source,
    writer: RecordingWriter,
    *,
    interval_s: float,
    duration_s: float | None,
    stop: threading.Event,
    clock: Clock = time.monotonic,
) -> None:
    """Write snapshots of ``source`` to ``writer`` until ``stop`` is set, the source
    ends, or ``duration_s`` has passed (wall clock for a live source, the source's
    own clock for a recorded one)."""
    started_s = clock()
    first_t_s: float | None = None
    # A recorded source is read as fast as it goes: its snapshots carry their own times.
    for snap in iterate(source, poll_interval_s=interval_s, speed=None, stop=stop):
        if not source.recorded and duration_s is not None and clock() - started_s >= duration_s:
            return
        if snap is None:  # no map: the game is not running (yet)
            continue
        if first_t_s is None:
            first_t_s = snap.t_s
        if source.recorded and duration_s is not None and snap.t_s - first_t_s >= duration_s:
            return
        writer.write(snap.t_s, snap.data)


@contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """Turn Ctrl-C and SIGTERM into ``stop.set()`` for the duration, so the loop ends
    between two records instead of being interrupted inside one."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be installed from the main thread
        return

    def handle(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)


def _start_line(source: Source, out: Path, interval_ms: int, duration_s: float | None) -> str:
    pace = (
        "as fast as the source goes, on its own clock"
        if source.recorded
        else f"one snapshot every {interval_ms} ms while the game's map exists"
    )
    until = f"for {duration_s:g} s" if duration_s is not None else "until Ctrl-C"
    return f"Recording {source.name} to {out}: {pace}, {until}."


def _summary(writer: RecordingWriter, source: Source) -> str:
    seconds = writer.last_s or 0.0
    frames = "frame" if writer.frames == 1 else "frames"
    line = (
        f"Recorded {writer.frames} {frames} over {seconds:.1f} s to {writer.path} "
        f"({_size(writer.size_bytes)})."
    )
    if writer.frames == 0 and not source.recorded:
        line += " The telemetry map never appeared: is the game running with the plugin?"
    return line


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} bytes"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KiB"
    return f"{n / (1024 * 1024):.1f} MiB"
