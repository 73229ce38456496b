"""``roadmaster decode FILE [--raw] [--json]``: decode one telemetry snapshot file.

A snapshot file is one whole copy of the plugin's map (32768 bytes), as the
recorder writes or as ``cp /dev/shm/SCSTelemetry snap.bin`` takes.  Without
options the command prints a compact summary; ``--json`` prints the typed Frame,
``--raw`` every member under the plugin's own names (as text, or with ``--json``
as the nested ``decode_raw`` dictionary).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import stat
import sys
from collections.abc import Mapping
from enum import Enum
from pathlib import Path
from typing import Any, Final

from roadmaster.errors import SnapshotError, UserError
from roadmaster.telemetry.codec import (
    check_snapshot,
    decode_raw,
    flatten_raw,
    non_finite_members,
)
from roadmaster.telemetry.decoding import decode
from roadmaster.telemetry.frame import Frame, Game, Trailer
from roadmaster.telemetry.layout import MAP_SIZE

KMH_PER_MPS: Final = 3.6
MPH_PER_MPS: Final = 3600 / 1609.344
MINUTES_PER_DAY: Final = 24 * 60
# Game minute 0 is 00:00 of the first in-game day, a Monday (the plugin's C# client
# counts from 0001-01-01, which was one).
WEEKDAYS: Final = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
CURRENCY: Final = {Game.ETS2: "EUR", Game.ATS: "USD"}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "decode",
        help="decode one telemetry snapshot file",
        description="Decode one snapshot of the SCS telemetry map (a 32768-byte file) "
        "and print a summary, the typed frame (--json) or every raw member (--raw).",
    )
    parser.add_argument("file", type=Path, metavar="FILE", help="the snapshot file")
    parser.add_argument(
        "--raw",
        action="store_true",
        help="every member of the map under the plugin's own names",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    path: Path = args.file
    buffer = read_snapshot(path)
    try:
        check_snapshot(buffer)
    except SnapshotError as exc:
        raise SnapshotError(f"{path}: {exc}", revision=exc.revision) from None
    raw = decode_raw(buffer)
    bad = non_finite_members(raw)
    if bad:
        members = "member" if len(bad) == 1 else "members"
        print(
            f"roadmaster: warning: the snapshot holds NaN/inf in {len(bad)} {members} "
            f"(a corrupt or foreign map?), e.g. {bad[0]}",
            file=sys.stderr,
        )
    if args.raw:
        text = _to_json(raw) if args.json else raw_text(raw)
    else:
        frame = decode(buffer)
        text = _to_json(frame_dict(frame)) if args.json else summary(frame)
    _emit(text)
    return 0


def read_snapshot(path: Path) -> bytes:
    """The bytes of a snapshot file; a :class:`UserError` for anything that is not a
    readable file of exactly one map."""
    if path.is_dir():  # Windows reports a directory as "permission denied"
        raise UserError(f"{path}: is a directory, not a snapshot file")
    try:
        with path.open("rb") as fh:
            info = os.fstat(fh.fileno())
            if stat.S_ISDIR(info.st_mode):  # only some platforms refuse open() itself
                raise IsADirectoryError
            data = fh.read(MAP_SIZE + 1)
    except FileNotFoundError:
        raise UserError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UserError(f"{path}: is a directory, not a snapshot file") from None
    except PermissionError:
        raise UserError(f"{path}: permission denied; cannot read the file") from None
    except OSError as exc:
        raise UserError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
    if len(data) != MAP_SIZE:
        size = info.st_size if stat.S_ISREG(info.st_mode) else len(data)
        more = "more than " if len(data) > MAP_SIZE and size <= MAP_SIZE else ""
        raise SnapshotError(
            f"{path}: a telemetry snapshot is {MAP_SIZE} bytes; this file has {more}{size}. "
            "Is it a snapshot of the SCS telemetry map (scs-telemetry.dll)?"
        )
    return data


# --- JSON ---------------------------------------------------------------------------------


def frame_dict(frame: Frame) -> dict[str, Any]:
    """The Frame as nested plain values: one object per record, trailers a list,
    enums as their string values."""
    out: dict[str, Any] = {}
    for name, record in zip(frame._fields, frame, strict=True):
        if name == "trailers":
            out[name] = [_record_dict(t) for t in record]
        else:
            out[name] = _record_dict(record)
    return out


def _record_dict(record: Any) -> dict[str, Any]:
    return {
        k: v.value if isinstance(v, Enum) else v
        for k, v in zip(record._fields, record, strict=True)
    }


def _finite(value: Any) -> Any:
    """JSON has no NaN or infinity: those become null."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def _to_json(value: Mapping[str, Any]) -> str:
    return json.dumps(_finite(value), indent=2, allow_nan=False)


# --- text -----------------------------------------------------------------------------------


def raw_text(raw: Mapping[str, Any]) -> str:
    """Every member as ``path = value``; trailer slots that hold nothing are left out."""
    flat = flatten_raw(raw)
    empty = {
        i
        for i, trailer in enumerate(raw["trailer"]["trailer"])
        if not any(_nonzero(v) for group in trailer.values() for v in group.values())
    }
    lines = []
    for path, value in flat.items():
        if path.startswith("trailer[") and int(path[8 : path.index("]")]) in empty:
            continue
        lines.append(f"{path} = {value!r}")
    if empty:
        slots = ", ".join(str(i) for i in sorted(empty))
        lines.append(f"# trailer slots holding only zeros, not shown: {slots}")
    return "\n".join(lines)


def _nonzero(value: Any) -> bool:
    if isinstance(value, list):
        return any(_nonzero(v) for v in value)
    return bool(value) or (isinstance(value, float) and math.isnan(value))


def game_time(minutes: int) -> str:
    """Absolute game minutes as ``day 3 (Wed) 14:05`` (day 1 is the first in-game day)."""
    day, minute = divmod(minutes, MINUTES_PER_DAY)
    return f"day {day + 1} ({WEEKDAYS[day % 7]}) {minute // 60:02d}:{minute % 60:02d}"


def _duration(minutes: int) -> str:
    sign = "-" if minutes < 0 else ""
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}{hours} h {rest:02d} min"


def _gear(gear: int) -> str:
    return "N" if gear == 0 else f"R{-gear}" if gear < 0 else str(gear)


def _speed(mps: float) -> str:
    return f"{mps * KMH_PER_MPS:.1f} km/h ({mps * MPH_PER_MPS:.1f} mph)"


def _named(name: str, ident: str) -> str:
    if name and ident and name != ident:
        return f"{name} ({ident})"
    return name or ident or "-"


def _trailer_line(trailer: Trailer) -> str:
    state = "attached" if trailer.attached else "detached"
    brand = " ".join(part for part in (trailer.brand, trailer.name) if part)
    what = _named(brand, trailer.id)
    return (
        f"#{trailer.slot} {what}, {state}, {trailer.wheel_count} wheels, "
        f"cargo damage {trailer.cargo_damage:.1%}, wear chassis/wheels/body "
        f"{trailer.wear_chassis:.0%}/{trailer.wear_wheels:.0%}/{trailer.wear_body:.0%}"
    )


def summary(frame: Frame) -> str:
    """A compact, readable summary of one frame."""
    h, t, j, e = frame.header, frame.truck, frame.job, frame.events
    currency = CURRENCY.get(h.game, "")
    state = "paused" if h.paused else "running"
    if not h.sdk_active:
        state += ", SDK inactive (the game has exited or crashed)"
    rows = [
        ("game", f"{h.game.value.upper()} ({state})"),
        (
            "versions",
            f"plugin revision {h.revision}, telemetry "
            f"{h.telemetry_version_major}.{h.telemetry_version_minor}, game SDK "
            f"{h.game_telemetry_version_major}.{h.game_telemetry_version_minor}",
        ),
        ("game time", f"{game_time(h.game_time_min)}, rest stop in {_duration(h.rest_stop_min)}"),
        (
            "truck",
            f"{' '.join(p for p in (t.brand, t.name) if p) or '-'}"
            + (f", plate {t.license_plate}" if t.license_plate else ""),
        ),
        (
            "speed",
            f"{_speed(t.speed_mps)}, limit "
            + (_speed(t.speed_limit_mps) if t.speed_limit_mps else "none")
            + (f", cruise {_speed(t.cruise_control_speed_mps)}" if t.cruise_control else ""),
        ),
        (
            "engine",
            f"{t.engine_rpm:.0f} rpm, gear {_gear(t.gear_dashboard)} "
            f"(engine gear {t.gear}), {'on' if t.engine_enabled else 'off'}",
        ),
        (
            "fuel",
            f"{t.fuel_l:.1f} l of {t.fuel_capacity_l:.0f} l, range {t.fuel_range_km:.0f} km",
        ),
        ("odometer", f"{t.odometer_km:.1f} km"),
        (
            "position",
            f"x {t.x_m:.1f} m, y {t.y_m:.1f} m, z {t.z_m:.1f} m, heading {t.heading:.3f} turn",
        ),
    ]
    if j.on_job or j.cargo:
        source = _named(j.source_city, j.source_city_id)
        destination = _named(j.destination_city, j.destination_city_id)
        if j.source_company or j.source_company_id:
            source += f" / {_named(j.source_company, j.source_company_id)}"
        if j.destination_company or j.destination_company_id:
            destination += f" / {_named(j.destination_company, j.destination_company_id)}"
        rows.append(
            (
                "job",
                f"{_named(j.cargo, j.cargo_id)}, {j.cargo_mass_kg / 1000:.1f} t, "
                f"from {source} to {destination}",
            )
        )
        deadline = game_time(j.deadline_game_min) if j.deadline_game_min else "none"
        if j.deadline_game_min and h.game_time_min > 0:
            deadline += f" (in {_duration(j.deadline_game_min - h.game_time_min)})"
        rows.append(
            (
                "",
                f"income {j.income} {currency}".rstrip()
                + f", deadline {deadline}, {j.planned_distance_km} km planned"
                + (f", {j.job_market}" if j.job_market else ""),
            )
        )
    else:
        rows.append(("job", "none"))
    if frame.trailers:
        for i, trailer in enumerate(frame.trailers):
            rows.append(("trailers" if i == 0 else "", _trailer_line(trailer)))
    else:
        rows.append(("trailers", "none"))
    kind = "pulses" if h.revision == 10 else "parities"
    flags = " ".join(f"{name}={int(value)}" for name, value in zip(e._fields, e, strict=True))
    rows.append((f"event {kind}", flags))
    return "\n".join(f"{label:<16}{value}".rstrip() for label, value in rows)


def _emit(text: str) -> None:
    """Print ``text``, replacing what the terminal's encoding cannot show."""
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    print(text.encode(encoding, "replace").decode(encoding))
