"""The ``roadmaster`` command line.  Each sub-command lives in its own module under
:mod:`roadmaster.commands` and registers itself with :func:`register`.

User-fixable problems print one line on stderr and exit 2; a bug prints one line
naming the log file that holds the traceback, and exits 70.  No traceback reaches
the terminal.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import logging
import sys
import traceback
from collections.abc import Sequence

from roadmaster import paths
from roadmaster.errors import UserError
from roadmaster.version import version

log = logging.getLogger("roadmaster")

# Sub-command modules, in the order `--help` lists them.
COMMANDS = (
    "watch",
    "headless",
    "sync",
    "jobs",
    "export",
    "status",
    "repair",
    "demo_data",
    "decode",
    "simulate",
    "record",
    "serve",
    "prune",
    "ask",
)

EXIT_USER_ERROR = 2
EXIT_BUG = 70
EXIT_INTERRUPTED = 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="roadmaster",
        description="RoadMaster Desktop: telemetry, job log and cloud sync for "
        "American Truck Simulator and Euro Truck Simulator 2.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    parser.add_argument("--version", action="version", version=f"roadmaster {version()}")
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="check this installation (decode, database, dashboard, Qt binding) in a "
        "temporary folder and exit: 0 when it works, 1 naming the step that failed",
    )
    # Without a COMMAND the window starts; these options are for it (own dests, so a
    # sub-command's --data-dir/--source never collide with them).
    window = parser.add_argument_group("the window (no COMMAND)")
    window.add_argument(
        "--demo",
        dest="gui_demo",
        action="store_true",
        help="start the window with the built-in simulator and a demo cloud server",
    )
    window.add_argument("--data-dir", dest="gui_data_dir", metavar="DIR", help="data folder")
    window.add_argument("--source", dest="gui_source", metavar="SPEC", help="shm (default) or sim")
    window.add_argument(
        "--minimised",
        "--minimized",
        dest="gui_minimised",
        action="store_true",
        help="start minimised (to the tray where there is one)",
    )
    window.add_argument(
        "--speedup",
        dest="gui_speedup",
        type=float,
        metavar="N",
        help="with --demo: the simulated truck drives N times faster (60: a delivery in "
        "about 20 s); the window's demo-speed control changes it later",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        module = importlib.import_module(f"roadmaster.commands.{name}")
        module.register(sub)
    return parser


def _report_bug(exc: BaseException) -> int:
    text = "".join(traceback.format_exception(exc))
    try:
        directory = paths.log_dir()
        directory.mkdir(parents=True, exist_ok=True)
        crash = directory / "crash.log"
        with crash.open("a", encoding="utf-8") as fh:
            fh.write(text + "\n")
        where = f"the details are in {crash}"
    except OSError:
        where = "the details could not be written to the log folder"
    print(
        f"roadmaster: internal error ({type(exc).__name__}); {where}. Please report it.",
        file=sys.stderr,
    )
    return EXIT_BUG


def _run_window(args: argparse.Namespace) -> int:
    """`roadmaster` with no sub-command: the window (Qt is imported only now)."""
    from roadmaster import gui

    argv = ["--demo"] if args.gui_demo else []
    if args.gui_data_dir:
        argv += ["--data-dir", args.gui_data_dir]
    if args.gui_source:
        argv += ["--source", args.gui_source]
    if args.gui_minimised:
        argv.append("--minimised")
    if args.gui_speedup is not None:
        argv += ["--speedup", str(args.gui_speedup)]
    if args.verbose:
        argv.append("--verbose")
    return gui.main(argv)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # Alembic reports every migration context at INFO: noise for a user.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        if args.self_test:
            from roadmaster import gui

            return gui.self_test()
        result: int = _run_window(args) if args.command is None else args.func(args)
        return result
    except UserError as exc:
        print(f"roadmaster: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `roadmaster decode … | head`
        return 0
    except Exception as exc:
        return _report_bug(exc)


if __name__ == "__main__":
    sys.exit(main())
