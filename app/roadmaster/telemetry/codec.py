"""Raw decoding and encoding of the map, generated from the layout table.

``decode_raw`` returns every member under the plugin's own names, nested by
sub-struct; ``MapWriter`` is the encoder the simulator, the tests and the
recorder use.  Both are built from :mod:`roadmaster.telemetry.layout` only.
"""

from __future__ import annotations

import math
import struct
import sys
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any, Final

from roadmaster.errors import SnapshotError
from roadmaster.telemetry.layout import (
    MAP_SIZE,
    SUPPORTED_REVISIONS,
    TRAILER_COUNT,
    Layout,
    Member,
    layout,
    revision_of,
    struct_for,
)

Buffer = bytes | bytearray | memoryview

_STRING_CACHE_LIMIT: Final = 4096


class _StringCache(dict[bytes, str]):
    """Raw field bytes -> decoded text.  The same few dozen strings repeat in every
    frame, so a hit is one C-level dict lookup; a miss decodes and stores."""

    def __missing__(self, raw: bytes) -> str:
        end = raw.find(0)
        text = (raw if end < 0 else raw[:end]).decode("utf-8", "replace")
        if len(self) >= _STRING_CACHE_LIMIT:
            self.clear()
        self[raw] = text
        return text


STRINGS: Final = _StringCache()


def decode_string(raw: bytes) -> str:
    """A fixed-size C string field: up to the first NUL (or the whole field when the
    plugin's ``strncpy`` left none), UTF-8 with replacement for cut characters."""
    return STRINGS[raw]


def encode_string(text: str, capacity: int) -> bytes:
    """Like the plugin's ``strncpy``: cut at ``capacity`` bytes (possibly mid-character,
    leaving no NUL), NUL-padded otherwise."""
    return text.encode("utf-8")[:capacity]


def check_snapshot(buffer: Buffer) -> int:
    """The revision of a snapshot that can be decoded; raises :class:`SnapshotError`
    with a message for a user otherwise."""
    if len(buffer) != MAP_SIZE:
        raise SnapshotError(
            f"a telemetry snapshot is {MAP_SIZE} bytes; this one has {len(buffer)}. "
            "Is it a snapshot of the SCS telemetry map (scs-telemetry.dll)?"
        )
    revision = revision_of(buffer)
    if revision not in SUPPORTED_REVISIONS:
        raise SnapshotError(unsupported_revision_message(revision), revision=revision)
    return revision


# Where the plugin goes: the native Linux build is a .so in linux_x64, not the .dll.
PLUGIN_PLACE: Final = (
    "bin/linux_x64/plugins/scs-telemetry.so"
    if sys.platform.startswith("linux")
    else "bin/win_x64/plugins/scs-telemetry.dll"
)


def unsupported_revision_message(revision: int) -> str:
    supported = ", ".join(str(r) for r in SUPPORTED_REVISIONS)
    if revision == 0:
        return (
            f"the map holds no telemetry (revision 0; supported revisions are {supported}): "
            "the game has exited or the plugin has shut down. Start the game with the "
            f"scs-telemetry plugin installed ({PLUGIN_PLACE})."
        )
    return (
        f"unsupported telemetry plugin revision {revision}; supported revisions are "
        f"{supported}. Install scs-telemetry 1.12.x (revision 12) in the game's "
        f"folder as {PLUGIN_PLACE}."
    )


# --- decode_raw ------------------------------------------------------------------------


def _raw_decoder(lay: Layout) -> Callable[[Buffer], dict[str, Any]]:
    """Generate a function that unpacks the whole map with two structs (main map,
    one trailer) and builds the nested dictionary from the resulting tuples.

    Most trailer slots are empty (all zero bytes); those are built from constants
    instead of being unpacked, which halves the cost of a typical map.
    """
    main = struct_for(lay.members)
    trailer = struct_for(lay.trailer_members)
    size = lay.trailer_size
    templates: dict[str, dict[str, Any]] = {}
    lines = ["def decode_raw(buf):", "    v = MAIN.unpack_from(buf, 0)", "    s = S"]
    lines += _dict_source("root", lay.members, "v")
    lines.append("    trailers = []")
    lines.append(f"    for base in range({lay.trailer_offset(0)}, {lay.size}, {size}):")
    lines.append(f"        if buf[base:base + {size}] == ZERO:")
    lines.append(f"            tr = {_zero_source(lay.trailer_members, templates)}")
    lines.append("        else:")
    lines.append("            t = TRAILER.unpack_from(buf, base)")
    lines += ["        " + line for line in _dict_source("tr", lay.trailer_members, "t")]
    lines.append("        trailers.append(tr)")
    lines.append('    root["trailer"] = {"trailer": trailers}')
    lines.append("    return root")
    namespace: dict[str, Any] = {
        "MAIN": main,
        "TRAILER": trailer,
        "S": STRINGS.__getitem__,
        "ZERO": bytes(size),
        **templates,
    }
    exec("\n".join(lines), namespace)  # generated from the layout table only
    fn: Callable[[Buffer], dict[str, Any]] = namespace["decode_raw"]
    return fn


_ZERO_VALUE: Final = {"bool": "False", "char": "''", "f32": "0.0", "f64": "0.0"}


def _zero_source(members: tuple[Member, ...], templates: dict[str, dict[str, Any]]) -> str:
    """The expression building the dict of an all-zero area.  A group without arrays
    is a ``.copy()`` of a template (one C call instead of a key at a time); groups
    with arrays are literals, so that every call gets lists of its own."""
    groups: dict[str, list[str]] = {}
    has_array: dict[str, bool] = {}
    for m in sorted(members, key=lambda m: m.offset):
        zero = _ZERO_VALUE.get(m.ctype, "0")
        groups.setdefault(m.group, []).append(
            f"{m.name!r}: {f'[{zero}] * {m.values}' if m.is_array else zero}"
        )
        has_array[m.group] = has_array.get(m.group, False) or m.is_array
    items = []
    for group, entries in groups.items():
        literal = f"{{{', '.join(entries)}}}"
        if has_array[group]:
            items.append(f"{group!r}: {literal}")
        else:
            name = f"ZERO_{group}"
            templates[name] = eval(literal)  # constants only: names and zero values
            items.append(f"{group!r}: {name}.copy()")
    return f"{{{', '.join(items)}}}"


def _dict_source(var: str, members: tuple[Member, ...], tup: str) -> list[str]:
    """Source lines building a nested dict ``var`` from tuple ``tup``."""
    groups: dict[str, list[str]] = {}
    index = 0
    for m in sorted(members, key=lambda m: m.offset):
        n = m.values
        if m.ctype == "char":
            expr = (
                f"[*map(s, {tup}[{index}:{index + n}])]" if m.strings > 1 else f"s({tup}[{index}])"
            )
        elif m.is_array:
            expr = f"[*{tup}[{index}:{index + n}]]"
        else:
            expr = f"{tup}[{index}]"
        index += n
        groups.setdefault(m.group, []).append(f"{m.name!r}: {expr}")
    items = [*groups.pop("", [])]
    items += [f"{g!r}: {{{', '.join(entries)}}}" for g, entries in groups.items()]
    return [f"    {var} = {{{', '.join(items)}}}"]


@cache
def _raw_decoder_for(revision: int) -> Callable[[Buffer], dict[str, Any]]:
    return _raw_decoder(layout(revision))


def decode_raw(buffer: Buffer) -> dict[str, Any]:
    """Every member of the map, keyed by the plugin's own names and nested by
    sub-struct: ``{"truck_f": {"speed": ...}, "trailer": {"trailer": [{...} x 10]}}``.
    Padding is left out, arrays are lists, strings decoded."""
    decoder = _raw_decoder_for(check_snapshot(buffer))
    if isinstance(buffer, memoryview):  # comparing memoryview slices is slow
        buffer = buffer.tobytes()
    return decoder(buffer)


# --- encoding ---------------------------------------------------------------------------


class MapWriter:
    """Builds a map image member by member, the way the plugin writes it.

    ``set("truck_f.speed", 22.2)``, ``set("trailer[0].com_b.attached", True)``;
    arrays take sequences, ``char[N][M]`` a sequence of strings.
    """

    def __init__(self, revision: int = 12, buffer: bytearray | None = None) -> None:
        self.layout = layout(revision)
        self.buffer = buffer if buffer is not None else bytearray(MAP_SIZE)
        self._packers: dict[str, tuple[struct.Struct, Member]] = {}
        self.set("scs_values.telemetry_plugin_revision", revision)

    def _packer(self, path: str) -> tuple[struct.Struct, Member]:
        entry = self._packers.get(path)
        if entry is None:
            m = self.layout.member(path)
            entry = (struct.Struct("<" + m.code), m)
            self._packers[path] = entry
        return entry

    def set(self, path: str, value: Any) -> None:
        packer, m = self._packer(path)
        if m.ctype == "char":
            texts = list(value) if m.strings > 1 else [value]
            values: list[Any] = [
                v if isinstance(v, bytes) else encode_string(v, m.count) for v in texts
            ]
        elif m.is_array:
            values = list(value)
        else:
            values = [value]
        packer.pack_into(self.buffer, m.offset, *values)

    def update(self, values: Mapping[str, Any]) -> None:
        for path, value in values.items():
            self.set(path, value)

    def get(self, path: str) -> Any:
        """Read one member back (decoded like ``decode_raw``)."""
        packer, m = self._packer(path)
        values = packer.unpack_from(self.buffer, m.offset)
        if m.ctype == "char":
            texts = [decode_string(v) for v in values]
            return texts if m.strings > 1 else texts[0]
        return list(values) if m.is_array else values[0]

    def write_raw(self, raw: Mapping[str, Any]) -> None:
        """Write a whole ``decode_raw``-shaped dictionary (the inverse of decode_raw)."""
        for path, value in flatten_raw(raw).items():
            self.set(path, value)

    def snapshot(self) -> bytes:
        return bytes(self.buffer)


def flatten_raw(raw: Mapping[str, Any]) -> dict[str, Any]:
    """``decode_raw`` output as ``{"truck_f.speed": ..., "trailer[0].com_b.attached": ...}``."""
    flat: dict[str, Any] = {}
    for key, value in raw.items():
        if key == "trailer":
            for i, trailer in enumerate(value["trailer"][:TRAILER_COUNT]):
                for group, members in trailer.items():
                    for name, v in members.items():
                        flat[f"trailer[{i}].{group}.{name}"] = v
        elif isinstance(value, Mapping):
            for name, v in value.items():
                flat[f"{key}.{name}"] = v
        else:
            flat[key] = value
    return flat


def non_finite_members(raw: Mapping[str, Any]) -> list[str]:
    """Paths of float members holding NaN or infinity (a corrupt or foreign map)."""
    bad = []
    for path, value in flatten_raw(raw).items():
        values = value if isinstance(value, list) else [value]
        if any(isinstance(v, float) and not math.isfinite(v) for v in values):
            bad.append(path)
    return bad
