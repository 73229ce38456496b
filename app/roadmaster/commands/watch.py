"""``roadmaster watch``: a live terminal view of the telemetry.

On a terminal the view is redrawn in place a few times a second; piped, it prints
a line for every state change and event, and a status line every few seconds.  A
bad map is a state (shown), never a crash.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any, TextIO

from roadmaster.jobs.events import (
    Anomaly,
    Event,
    Fined,
    GameConnected,
    GameDisconnected,
    GamePaused,
    GameResumed,
    GameStale,
    JobAbandoned,
    JobCancelled,
    JobDelivered,
    JobStarted,
    RefuelPaid,
    RefuelStarted,
    Sample,
    TollPaid,
    Transport,
)
from roadmaster.jobs.tracker import Tracker
from roadmaster.telemetry.frame import Frame, Game
from roadmaster.telemetry.readers import SOURCE_FORMS, open_source
from roadmaster.telemetry.source import iterate
from roadmaster.telemetry.status import GameState, Monitor, Reading
from roadmaster.units import (
    currency_for,
    format_distance,
    format_game_time,
    format_money,
    format_speed,
    unit_system,
)

REDRAW_S = 0.2  # wall seconds between redraws on a terminal
LINE_EVERY_S = 5.0  # source seconds between status lines when piped


def register(sub: Any) -> None:
    p = sub.add_parser(
        "watch",
        help="live terminal view of the telemetry",
        description="Show the live telemetry: game state, speed, rpm, gear, fuel, the "
        "current job and the last events. Ctrl-C stops.",
    )
    p.add_argument("--source", default="shm", help=f"where telemetry comes from: {SOURCE_FORMS}")
    p.add_argument("--shm-path", help="path of the shared-memory file (Linux) or map name")
    p.add_argument(
        "--speedup",
        type=float,
        default=1.0,
        help="play sim/replay sources this many times faster (0 = as fast as possible)",
    )
    p.add_argument("--duration", type=float, help="stop after this many seconds of telemetry")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    source = open_source(args.source, args.shm_path)
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    out = sys.stdout
    view = TerminalView(out) if out.isatty() else LineView(out)
    monitor = Monitor()
    tracker = Tracker(sample_interval_s=0)
    speed = None if args.speedup <= 0 else args.speedup
    print(f"Watching {source.name} — Ctrl-C to stop.", file=sys.stderr)
    start_t: float | None = None
    try:
        for snapshot in iterate(source, speed=speed, stop=stop):
            reading = monitor.update(snapshot)
            view.show(reading, tracker.feed(reading))
            if args.duration is not None and snapshot is not None:
                start_t = snapshot.t_s if start_t is None else start_t
                if snapshot.t_s - start_t >= args.duration:
                    break
    except KeyboardInterrupt:
        pass
    finally:
        source.close()
        signal.signal(signal.SIGTERM, previous)
        view.close()
    return 0


# --- formatting ---------------------------------------------------------------------------


def game_clock(minutes: int) -> str:
    return format_game_time(minutes, weekday=True)


def money(amount: float, game: Game) -> str:
    return format_money(amount, currency_for(game))


def speed_text(mps: float, game: Game) -> str:
    return format_speed(mps, unit_system(game))


def distance_text(km: float, game: Game) -> str:
    return format_distance(km, unit_system(game), 1)


def gear_text(gear: int) -> str:
    return "N" if gear == 0 else (f"R{-gear}" if gear < 0 else str(gear))


def _num(value: float, fmt: str) -> str:
    return format(value, fmt) if value == value and abs(value) != float("inf") else "—"


def frame_lines(frame: Frame) -> list[str]:
    """The dashboard as text lines."""
    h, t, j, n = frame.header, frame.truck, frame.job, frame.navigation
    g = h.game
    limit = f"limit {speed_text(t.speed_limit_mps, g)}" if t.speed_limit_mps > 0 else "no limit"
    cruise = f"cruise {speed_text(t.cruise_control_speed_mps, g)}" if t.cruise_control else ""
    lines = [
        f"Truck     {t.brand} {t.name}".rstrip(),
        f"Game time {game_clock(h.game_time_min)}",
        f"Speed     {speed_text(t.speed_mps, g)}   {limit}   {cruise}".rstrip(),
        f"Engine    {_num(t.engine_rpm, '.0f')} rpm / {_num(t.engine_rpm_max, '.0f')}"
        f"   gear {gear_text(t.gear_dashboard)}"
        f"{'   parking brake' if t.park_brake else ''}",
        f"Fuel      {_num(t.fuel_l, '.1f')} / {_num(t.fuel_capacity_l, '.0f')} l"
        f"   range {distance_text(t.fuel_range_km, g)}"
        f"{'   LOW FUEL' if t.fuel_warning else ''}",
        f"Wear      engine {t.wear_engine:.0%}  transmission {t.wear_transmission:.0%}  "
        f"cabin {t.wear_cabin:.0%}  chassis {t.wear_chassis:.0%}  wheels {t.wear_wheels:.0%}",
    ]
    if j.on_job and j.cargo:
        lines.append(
            f"Job       {j.cargo} ({j.cargo_mass_kg / 1000:.1f} t): {j.source_city} "
            f"({j.source_company}) → {j.destination_city} ({j.destination_company})"
        )
        lines.append(
            f"          pays {money(j.income, g)}, "
            f"{distance_text(j.planned_distance_km, g)}, "
            f"due {game_clock(j.deadline_game_min)}"
        )
    else:
        lines.append("Job       none")
    if n.route_distance_m > 0:
        lines.append(
            f"Route     {distance_text(n.route_distance_m / 1000, g)} to go, "
            f"ETA {n.route_time_s / 3600:.0f} h {n.route_time_s % 3600 / 60:02.0f} min"
        )
    return lines


def event_text(event: Event, game: Game) -> str | None:
    """One line for an event worth showing, or None."""
    m: Callable[[float], str] = lambda amount: money(amount, game)  # noqa: E731
    match event:
        case JobStarted(info=i, resumed=resumed):
            verb = "Job resumed" if resumed else "Job started"
            return f"{verb}: {i.cargo}, {i.source_city} → {i.destination_city}, {m(i.income)}"
        case JobDelivered(info=i, revenue=r, late=late):
            return f"Delivered {i.cargo} to {i.destination_city}: {m(r)}" + (
                " (late)" if late else ""
            )
        case JobCancelled(info=i, penalty=p):
            return f"Job cancelled: {i.cargo} to {i.destination_city}, penalty {m(p)}"
        case JobAbandoned(info=i):
            return f"Job closed for review (no end event): {i.cargo} to {i.destination_city}"
        case Fined(offence=o, amount=a):
            return f"Fined {m(a)} ({o.replace('_', ' ')})"
        case TollPaid(amount=a):
            return f"Toll paid {m(a)}"
        case Transport(kind=k, amount=a, target_name=target):
            return f"{k.capitalize()} to {target}: {m(a)}"
        case RefuelStarted():
            return "Refuelling"
        case RefuelPaid(amount_l=litres):
            return f"Refuelled {litres:.0f} l"
        case GameConnected(revision=r, telemetry_version=v):
            return f"Game connected (plugin revision {r}, telemetry {v})"
        case GameDisconnected(reason=reason):
            return f"Game disconnected: {reason}"
        case GamePaused():
            return "Paused"
        case GameResumed():
            return "Driving"
        case GameStale():
            return "Telemetry frozen (game crashed or hung?)"
        case Anomaly(detail=d):
            return f"Note: {d}"
        case Sample():
            return None
    return None


class LineView:
    """Piped output: a line per change and event, a status line every few seconds."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.next_line_t: float | None = None

    def show(self, reading: Reading, events: list[Event]) -> None:
        frame = reading.frame
        game = frame.header.game if frame is not None else Game.UNKNOWN
        if reading.changed:
            self._print(f"[{reading.state}] {reading.message}")
        for e in events:
            text = event_text(e, game)
            if text and not isinstance(e, GameConnected | GameDisconnected):
                self._print(f"{game_clock(e.game_time_min)}  {text}")
        due = reading.t_s is not None and (
            self.next_line_t is None or reading.t_s >= self.next_line_t
        )
        if frame is not None and reading.state == GameState.DRIVING and due:
            assert reading.t_s is not None
            self.next_line_t = reading.t_s + LINE_EVERY_S
            t = frame.truck
            self._print(
                f"{game_clock(frame.header.game_time_min)}  {speed_text(t.speed_mps, game)}"
                f"  {t.engine_rpm:.0f} rpm  gear {gear_text(t.gear_dashboard)}"
                f"  fuel {t.fuel_l:.0f} l"
            )

    def _print(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def close(self) -> None:
        pass


class TerminalView:
    """A terminal: the whole view redrawn in place, at most every ``REDRAW_S``."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.events: deque[str] = deque(maxlen=8)
        self.next_draw = 0.0
        out.write("\x1b[?25l")  # hide the cursor while drawing

    def show(self, reading: Reading, events: list[Event]) -> None:
        frame = reading.frame
        game = frame.header.game if frame is not None else Game.UNKNOWN
        for e in events:
            text = event_text(e, game)
            if text:
                self.events.append(f"{game_clock(e.game_time_min)}  {text}")
        now = time.monotonic()
        if now < self.next_draw and not events and not reading.changed:
            return
        self.next_draw = now + REDRAW_S
        lines = [f"RoadMaster — {reading.message}", ""]
        if frame is not None and reading.state in (
            GameState.DRIVING,
            GameState.MENU,
            GameState.STALE,
        ):
            lines += frame_lines(frame)
        lines += ["", "Last events:", *(f"  {e}" for e in self.events)]
        self.out.write("\x1b[H\x1b[J" + "\n".join(lines) + "\n")
        self.out.flush()

    def close(self) -> None:
        self.out.write("\x1b[?25h")
        self.out.flush()
