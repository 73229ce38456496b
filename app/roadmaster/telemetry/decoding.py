"""``decode(buffer) -> Frame``: the typed decoder, generated per revision.

For each revision one ``struct.Struct`` reads every member the Frame needs (plus
the ``attached`` flag and id of each trailer slot) in a single ``unpack_from``;
a second, per-trailer struct reads the slots that hold a trailer.  The Python
that turns the tuples into the Frame is generated from ``frame.SOURCES`` and the
layout table, so no offset or index is written by hand.
"""

from __future__ import annotations

import typing
from collections.abc import Callable
from functools import cache
from typing import Any

from roadmaster.telemetry.codec import STRINGS, Buffer, check_snapshot
from roadmaster.telemetry.frame import (
    DERIVED,
    SOURCES,
    EventFlags,
    Frame,
    Game,
    Gameplay,
    Header,
    Job,
    Navigation,
    Trailer,
    Truck,
)
from roadmaster.telemetry.layout import TRAILER_COUNT, Layout, Member, layout, struct_for

_ZERO: dict[Any, str] = {bool: "False", int: "0", float: "0.0", str: "''", Game: "G(0)"}
_MAIN_RECORDS = (Header, Truck, Navigation, Job, EventFlags, Gameplay)


def _fields(record: type) -> list[tuple[str, Any, str | None]]:
    """(field name, type, source path or None for derived) in field order."""
    hints = typing.get_type_hints(record)
    sources = SOURCES[record]
    out: list[tuple[str, Any, str | None]] = []
    for name in record._fields:  # type: ignore[attr-defined]
        if (record, name) in DERIVED:
            out.append((name, hints[name], None))
        else:
            out.append((name, hints[name], sources[name]))
    return out


def _expr(ftype: Any, member: Member | None, index: int | None, tup: str) -> str:
    if member is None or index is None:
        return _ZERO[ftype]
    value = f"{tup}[{index}]"
    if member.ctype == "char":
        return f"s[{value}]"
    if ftype is Game:
        return f"G({value})"
    return value


def _record_source(
    record: type, tup: str, index_of: dict[str, int], member_of: dict[str, Member]
) -> str:
    """The expression building ``record`` from tuple ``tup``.  It calls
    ``tuple.__new__`` directly: a NamedTuple's own ``__new__`` is a slow Python
    function.  (An ``itemgetter`` per run of plain fields was tried: slower.)"""
    args = []
    for _name, ftype, path in _fields(record):
        if path is None:
            args.append("i")  # the trailer slot, the only derived field
            continue
        args.append(_expr(ftype, member_of.get(path), index_of.get(path), tup))
    return f"N({record.__name__}, ({', '.join(args)}))"


def _indexed(members: list[Member]) -> tuple[dict[str, int], dict[str, Member]]:
    index_of: dict[str, int] = {}
    member_of: dict[str, Member] = {}
    i = 0
    for m in sorted(members, key=lambda m: m.offset):
        index_of[m.path] = i
        member_of[m.path] = m
        i += m.values
    return index_of, member_of


def _generate(lay: Layout) -> Callable[[Buffer], Frame]:
    main_paths = {p for r in _MAIN_RECORDS for p in SOURCES[r].values() if lay.has(p)}
    slots = [
        (lay.member(f"trailer[{i}].com_b.attached"), lay.member(f"trailer[{i}].con_s.id"))
        for i in range(TRAILER_COUNT)
    ]
    main_members = [lay.member(p) for p in sorted(main_paths)]
    main_members += [m for pair in slots for m in pair]
    main_index, main_member = _indexed(main_members)

    trailer_by_path = {m.path: m for m in lay.trailer_members}
    trailer_members = [
        trailer_by_path[p] for p in SOURCES[Trailer].values() if p in trailer_by_path
    ]
    trailer_index, trailer_member = _indexed(trailer_members)
    first_trailer_offset = min(m.offset for m in trailer_members)

    lines = [
        "def trailer(buf, i):",
        f"    t = TRAILER.unpack_from(buf, {lay.trailer_offset(0) + first_trailer_offset}"
        f" + {lay.trailer_size} * i)",
        "    s = S",
        f"    return {_record_source(Trailer, 't', trailer_index, trailer_member)}",
        "",
        "def decode_frame(buf):",
        "    v = MAIN.unpack_from(buf, 0)",
        "    s = S",
        "    tl = []",
    ]
    for i, (attached, ident) in enumerate(slots):
        # A slot holds a trailer when it is attached or configured (non-empty id).
        lines.append(f"    if v[{main_index[attached.path]}] or v[{main_index[ident.path]}][0]:")
        lines.append(f"        tl.append(trailer(buf, {i}))")
    records = {r.__name__: _record_source(r, "v", main_index, main_member) for r in _MAIN_RECORDS}
    lines.append(
        f"    return N(Frame, ({records['Header']}, {records['Truck']}, {records['Navigation']}, "
        f"{records['Job']}, tuple(tl), {records['EventFlags']}, {records['Gameplay']}))"
    )
    namespace: dict[str, Any] = {
        "MAIN": struct_for(main_members),
        "TRAILER": struct_for(trailer_members, base=first_trailer_offset),
        "S": STRINGS,
        "N": tuple.__new__,
        "G": Game.from_id,
        **{r.__name__: r for r in (*_MAIN_RECORDS, Trailer, Frame)},
    }
    exec("\n".join(lines), namespace)  # generated from SOURCES and the layout table only
    fn: Callable[[Buffer], Frame] = namespace["decode_frame"]
    return fn


@cache
def decoder(revision: int) -> Callable[[Buffer], Frame]:
    """The generated decoder of one revision (no size or revision checks)."""
    return _generate(layout(revision))


def decode(buffer: Buffer) -> Frame:
    """Decode one whole-map snapshot (32768 bytes) into a :class:`Frame`.

    Raises :class:`~roadmaster.errors.SnapshotError` for a wrong size or an
    unsupported revision (the message says which was found and what to do).
    """
    return decoder(check_snapshot(buffer))(buffer)
