"""``roadmaster headless``: capture → track → store without any GUI."""

from __future__ import annotations

import argparse
import logging
import signal
from collections.abc import Callable, Sequence
from types import FrameType
from typing import Any

from roadmaster import fatal, paths
from roadmaster.commands.sync import add_server_arguments, make_worker
from roadmaster.commands.watch import event_text
from roadmaster.jobs.events import Event, Sample
from roadmaster.runtime import EventsCommitted, Runtime, RuntimeConfig, RuntimeEvent, StoreOpened
from roadmaster.settings import Settings, load_settings
from roadmaster.storage.store import Store
from roadmaster.sync.config import load_api_key, resolve_server_url
from roadmaster.sync.errors import ConfigError
from roadmaster.sync.worker import SyncWorker
from roadmaster.telemetry.frame import Game
from roadmaster.telemetry.readers import SOURCE_FORMS, open_source
from roadmaster.telemetry.status import Reading

log = logging.getLogger("roadmaster.headless")


def _sync_factory(args: argparse.Namespace) -> Callable[[Store], SyncWorker | None]:
    """The sync worker for the open log; None (with the reason logged) when sync is
    off.  A bad --server is an error; a missing server or key only turns sync off,
    since capture works fully offline."""

    def make(store: Store) -> SyncWorker | None:
        if args.no_sync:
            return None
        url = resolve_server_url(args.server, store.get_setting)
        if url is None:
            log.info("cloud sync is off: no server configured (--server or ROADMASTER_SERVER_URL)")
            return None
        try:
            source = load_api_key()
        except ConfigError as exc:
            log.warning("cloud sync is off: %s", exc)
            return None
        if source.key is None:
            log.warning("cloud sync is off: %s", source.problem)
            return None
        worker = make_worker(store, url)
        log.info("syncing to %s with the key %s from the %s", url, source.key, source.origin)
        return worker

    return make


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
    add_server_arguments(p)
    p.add_argument(
        "--sync-flush",
        type=float,
        default=5.0,
        metavar="S",
        help="on exit, give sync up to S seconds to send what is queued (default 5)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # A crash in C code ends the process before any handler runs: leave its trace in
    # the log folder, and say so at the next start.
    with fatal.traced(paths.log_dir(), "headless"):
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    source = open_source(args.source, args.shm_path)  # a bad --source fails before the log opens
    if args.speedup is not None:
        speed: float | None = args.speedup if args.speedup > 0 else None
    else:
        speed = None if args.source.startswith("replay:") else 1.0
    runtime = Runtime(
        RuntimeConfig(
            source_factory=lambda: source,
            data_dir=paths.data_dir(args.data_dir),
            # jobs are settled with the player's prices, as in the window
            settings=_settings(),
            speed=speed,
            sample_interval_s=args.sample_interval,
            sync_factory=_sync_factory(args),
            sync_flush_s=args.sync_flush,
            on_reading=_log_reading,
        )
    )
    runtime.subscribe(lambda event: _log_event(event, runtime))
    # SIGTERM and Ctrl-C stop the capture cleanly.  The handlers stay in place until
    # the "stopped" line: a second SIGTERM (`timeout` signals the whole process
    # group; service managers repeat themselves) or a Ctrl-C during the shutdown is
    # told to wait rather than cutting it short.
    with _StopOnSignals(runtime) as stopping:
        try:
            # The order of DESIGN.md, kept by the runtime: capture stopped and
            # flushed → a bounded sync flush → close the database.
            summary = runtime.run(duration_s=args.duration)
        except KeyboardInterrupt:  # a SIGINT that came before the handler was in place
            capture = runtime.capture
            if capture is None:
                raise
            summary = capture.summary
            summary.stopped_by = "interrupt"
        if stopping.signal_name is not None:
            summary.stopped_by = stopping.signal_name
        log.info(
            "stopped (%s): %d readings, %.0f s of telemetry, %d events, %d samples, "
            "%d jobs finished",
            summary.stopped_by,
            summary.readings,
            summary.source_seconds,
            summary.events - summary.samples,
            summary.samples,
            summary.jobs_finished,
        )
    return 0


def _settings() -> Settings:
    loaded = load_settings()
    if loaded.problem:
        log.warning("%s", loaded.problem)
    return loaded.settings


class _StopOnSignals:
    """SIGTERM and SIGINT stop the capture cleanly; any further one while it stops
    is acknowledged and ignored.  The previous handlers come back on exit."""

    SIGNALS = (signal.SIGTERM, signal.SIGINT)

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.signal_name: str | None = None
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> _StopOnSignals:
        for signum in self.SIGNALS:
            self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        name = "interrupt" if signum == signal.SIGINT else signal.Signals(signum).name
        if self.signal_name is None:
            self.signal_name = name
            log.info("stopping (%s): committing what was captured", name)
            self.runtime.stop_capture()
        else:
            log.info("%s: already stopping, please wait", name)


def _log_reading(reading: Reading) -> None:
    if reading.changed:
        log.info("game state: %s — %s", reading.state, reading.message)


def _log_event(event: RuntimeEvent, runtime: Runtime) -> None:
    if isinstance(event, StoreOpened):
        log.info("capturing from %s into %s", event.source_name, event.data_file)
    elif isinstance(event, EventsCommitted):
        _log_events(event.events, runtime.latest())


def _log_events(events: Sequence[Event], latest: Reading | None) -> None:
    game = latest.frame.header.game if latest is not None and latest.frame else Game.UNKNOWN
    for e in events:
        text = None if isinstance(e, Sample) else event_text(e, game)
        if text:
            log.info("%s", text)
