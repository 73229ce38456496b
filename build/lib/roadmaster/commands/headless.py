"""``roadmaster headless``: capture → track → store without any GUI."""

from __future__ import annotations

import argparse
import logging
import signal
from collections.abc import Sequence
from typing import Any

from roadmaster import paths
from roadmaster.capture import Capture
from roadmaster.commands.watch import event_text
from roadmaster.jobs.events import Event, Sample
from roadmaster.storage.store import Store
from roadmaster.telemetry.frame import Game
from roadmaster.telemetry.readers import SOURCE_FORMS, open_source
from roadmaster.telemetry.status import Reading

log = logging.getLogger("roadmaster.headless")


def register(sub: Any) -> None:
    p = sub.add_parser(
        "headless",
        help="capture telemetry into the local log without a window",
        description="Read telemetry, detect jobs and events and store them in the local "
        "database, without a GUI. Ctrl-C or SIGTERM stops cleanly with everything "
        "committed. Replay sources run as fast as they can unless --speedup is given.",
    )
    p.add_argument("--source", default="shm", help=f"where telemetry comes from: {SOURCE_FORMS}")
    p.add_argument("--shm-path", help="path of the shared-memory file (Linux) or map name")
    p.add_argument("--data-dir", help="data folder (default: the user data folder)")
    p.add_argument("--duration", type=float, help="stop after this many seconds of telemetry")
    p.add_argument(
        "--speedup",
        type=float,
        help="play sim/replay sources this many times faster than real time "
        "(default: sim in real time, replays as fast as possible)",
    )
    p.add_argument(
        "--sample-interval",
        type=float,
        default=1.0,
        help="seconds of telemetry between stored samples (default 1)",
    )
    p.add_argument("--no-sync", action="store_true", help="do not send to the cloud")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    source = open_source(args.source, args.shm_path)
    if args.speedup is not None:
        speed: float | None = args.speedup if args.speedup > 0 else None
    else:
        speed = None if args.source.startswith("replay:") else 1.0
    data_dir = paths.data_dir(args.data_dir)
    store = Store.open(data_dir)
    capture = Capture(
        source,
        store,
        sample_interval_s=args.sample_interval,
        speed=speed,
        on_reading=_log_reading,
    )
    capture.on_events = lambda events: _log_events(events, capture)
    previous = signal.signal(signal.SIGTERM, lambda *_: capture.stop())
    log.info("capturing from %s into %s", source.name, store.data_file)
    try:
        summary = capture.run(duration_s=args.duration)
    except KeyboardInterrupt:
        capture.flush()
        summary = capture.summary
        summary.stopped_by = "interrupt"
    finally:
        signal.signal(signal.SIGTERM, previous)
        source.close()
        store.close()
    log.info(
        "stopped (%s): %d readings, %.0f s of telemetry, %d events, %d samples, %d jobs finished",
        summary.stopped_by,
        summary.readings,
        summary.source_seconds,
        summary.events - summary.samples,
        summary.samples,
        summary.jobs_finished,
    )
    return 0


def _log_reading(reading: Reading) -> None:
    if reading.changed:
        log.info("game state: %s — %s", reading.state, reading.message)


def _log_events(events: Sequence[Event], capture: Capture) -> None:
    latest = capture.latest
    game = latest.frame.header.game if latest is not None and latest.frame else Game.UNKNOWN
    for e in events:
        text = None if isinstance(e, Sample) else event_text(e, game)
        if text:
            log.info("%s", text)
