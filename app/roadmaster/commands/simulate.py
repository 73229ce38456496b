"""``roadmaster simulate``: play the telemetry simulator into a shared-memory map, so
that RoadMaster (or any other reader of the SCS plugin's map) can be tried without
the game.

The map is opened the way the truckermudgeon Linux plugin opens it
(``O_CREAT|O_RDWR``, mode 0600, 32768 bytes, zeroed), each frame is written with one
slice assignment, and on exit (end of ``--duration``, Ctrl-C, SIGTERM) the plugin's
clean-shutdown resets are written; a map under ``/dev/shm`` is then unlinked, as the
plugin's ``shm_unlink`` does, unless ``--keep``.
"""

from __future__ import annotations

import argparse
import contextlib
import mmap
import os
import signal
import threading
from pathlib import Path
from types import FrameType
from typing import Any

from roadmaster.errors import SourceError, UserError
from roadmaster.telemetry.layout import MAP_SIZE
from roadmaster.telemetry.sim.scenario import PROFILES
from roadmaster.telemetry.sim.simulator import SimulatorSource
from roadmaster.telemetry.source import iterate

DEFAULT_SHM_PATH = "/dev/shm/SCSTelemetry"  # the truckermudgeon Linux plugin's map
SHM_DIR = Path("/dev/shm")
TICK_S = 0.1  # the plugin's readers poll at 10 Hz; one frame per tick


def register(subparsers: Any) -> None:
    """Add the ``simulate`` sub-command."""
    parser = subparsers.add_parser(
        "simulate",
        help="write simulated game telemetry into a shared-memory map",
        description="Write simulated ETS2/ATS telemetry (plugin layout revision 12) into "
        "a shared-memory map at 10 frames per simulated second, for trying readers "
        "without the game. A whole job (toll, fine, fuel stop, delivery) takes about "
        "20 simulated minutes: use --speedup 60 to watch one in about 20 seconds.",
    )
    parser.add_argument("--game", choices=sorted(PROFILES), default="ets2")
    parser.add_argument("--seed", type=int, default=0, help="story seed (default 0)")
    parser.add_argument(
        "--speedup",
        type=float,
        default=1.0,
        metavar="X",
        help="play X simulated seconds per wall-clock second (default 1)",
    )
    parser.add_argument(
        "--duration",
        type=float,
        default=None,
        metavar="S",
        help="stop after S simulated seconds (default: run until Ctrl-C)",
    )
    parser.add_argument(
        "--shm-path",
        default=DEFAULT_SHM_PATH,
        metavar="P",
        help=f"the map file (default {DEFAULT_SHM_PATH}); any writable file path works",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="leave a map under /dev/shm in place on exit (it is unlinked otherwise)",
    )
    parser.set_defaults(func=run)


class _Terminated(BaseException):
    """SIGTERM, turned into an exception so that the shutdown resets still run."""


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise _Terminated


def open_map(path: str) -> tuple[int, mmap.mmap]:
    """Create or open the map file like the plugin does and zero it."""
    try:
        fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    except OSError as exc:
        raise SourceError(
            f"can't write the telemetry map {path}: {exc.strerror or exc}. "
            "Choose a writable file with --shm-path."
        ) from exc
    try:
        os.ftruncate(fd, MAP_SIZE)
        view = mmap.mmap(fd, MAP_SIZE, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
    except (OSError, ValueError) as exc:
        os.close(fd)
        raise SourceError(
            f"can't map the telemetry map {path}: {exc}. Choose a regular file with --shm-path."
        ) from exc
    view[:] = bytes(MAP_SIZE)
    return fd, view


def _under_shm(path: str) -> bool:
    try:
        return Path(path).resolve().is_relative_to(SHM_DIR.resolve())
    except OSError:
        return False


def run(args: argparse.Namespace) -> int:
    """Play the simulator into the map until the duration ends or the user stops it."""
    if not args.speedup > 0:
        raise UserError("--speedup must be a positive number, for example 1 or 60")
    if args.duration is not None and args.duration < 0:
        raise UserError("--duration must be zero or more simulated seconds")
    source = SimulatorSource(args.game, args.seed, args.duration, TICK_S)
    path: str = args.shm_path
    fd, view = open_map(path)
    until = (
        f"for {args.duration:g} simulated seconds (Ctrl-C stops earlier)"
        if args.duration is not None
        else "until Ctrl-C"
    )
    print(
        f"roadmaster: simulating {PROFILES[args.game].title} (seed {args.seed}) into {path} "
        f"at {10 * args.speedup:g} frames/s, {until}.",
        flush=True,
    )
    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _on_sigterm) if in_main else None
    try:
        for snap in iterate(source, speed=args.speedup):
            if snap is not None:
                view[:] = snap.data  # one copy: a reader never sees half a frame of ours
    except (KeyboardInterrupt, _Terminated):
        pass  # stopping is the normal way out; the resets follow
    finally:
        if in_main:
            signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)
        view[:] = source.simulator.shutdown()
        view.close()
        os.close(fd)
        source.close()
        if _under_shm(path) and not args.keep:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)  # like the plugin's shm_unlink: readers see the game gone
    return 0
