"""The encoder (MapWriter) and the two decoders (decode_raw, decode) against each
other and against the spec: every member of every revision, every typed field,
the string pitfalls (§2e, §6.10), revision detection and corrupt maps."""

import math
import mmap
import random
import struct
import typing

import pytest

from roadmaster.errors import SnapshotError, UserError
from roadmaster.telemetry.codec import (
    STRINGS,
    MapWriter,
    check_snapshot,
    decode_raw,
    decode_string,
    encode_string,
    flatten_raw,
    non_finite_members,
)
from roadmaster.telemetry.decoding import decode
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
from roadmaster.telemetry.layout import (
    MAP_SIZE,
    SUPPORTED_REVISIONS,
    TRAILER_COUNT,
    Layout,
    Member,
    layout,
)

REVISIONS = list(SUPPORTED_REVISIONS)
RECORD_ATTR = {
    Header: "header",
    Truck: "truck",
    Navigation: "navigation",
    Job: "job",
    EventFlags: "events",
    Gameplay: "gameplay",
}
ZERO_OF = {bool: False, int: 0, float: 0.0, str: "", Game: Game.UNKNOWN}
INT_RANGES = {
    "u32": (0, 2**32 - 1),
    "i32": (-(2**31), 2**31 - 1),
    "u64": (0, 2**64 - 1),
    "i64": (-(2**63), 2**63 - 1),
}
# Letters for generated strings: ASCII, 2-, 3- and 4-byte UTF-8, never NUL.
ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-. äöüßŁódź€漢字🚚"


# --- value generation -------------------------------------------------------------------


def f32(x: float) -> float:
    """The nearest float32, so that an exact round trip is possible."""
    return struct.unpack("<f", struct.pack("<f", x))[0]


def random_text(rng: random.Random, capacity: int) -> str:
    """A string whose UTF-8 fits ``capacity`` bytes; sometimes exactly (no NUL left)."""
    if rng.random() < 0.25:  # fill the field completely with ASCII: no NUL in the map
        return "".join(rng.choice(ALPHABET[:62]) for _ in range(capacity))
    target = rng.randint(1, capacity)
    text = ""
    while True:
        ch = rng.choice(ALPHABET)
        if len((text + ch).encode()) > target:
            return text or "x"
        text += ch


def scalar(rng: random.Random, ctype: str, capacity: int) -> typing.Any:
    if ctype == "bool":
        return rng.random() < 0.5
    if ctype in INT_RANGES:
        low, high = INT_RANGES[ctype]
        return rng.choice([low, high, rng.randint(low, high), rng.randint(-1000, 1000) % high])
    if ctype == "f32":
        return f32(rng.uniform(-1e6, 1e6))
    if ctype == "f64":
        return rng.uniform(-1e9, 1e9)
    assert ctype == "char"
    return random_text(rng, capacity)


def member_value(rng: random.Random, m: Member) -> typing.Any:
    """A value for ``m`` shaped as decode_raw returns it."""
    if m.ctype == "char":
        if m.strings > 1:
            return [random_text(rng, m.count) for _ in range(m.strings)]
        return random_text(rng, m.count)
    if not m.is_array:
        return scalar(rng, m.ctype, m.count)
    values = [scalar(rng, m.ctype, 0) for _ in range(m.count)]
    if m.ctype in INT_RANGES:  # both extremes in every integer array
        values[0], values[-1] = INT_RANGES[m.ctype]
    return values


def random_raw(lay: Layout, seed: int) -> dict[str, typing.Any]:
    """A decode_raw-shaped dictionary with a generated value for every member."""
    rng = random.Random(seed)
    raw: dict[str, typing.Any] = {}
    for m in lay.members:
        value = member_value(rng, m)
        if m.group:
            raw.setdefault(m.group, {})[m.name] = value
        else:
            raw[m.name] = value
    raw["scs_values"]["telemetry_plugin_revision"] = lay.revision
    trailers = []
    for _ in range(TRAILER_COUNT):
        trailer: dict[str, dict[str, typing.Any]] = {}
        for m in lay.trailer_members:
            trailer.setdefault(m.group, {})[m.name] = member_value(rng, m)
        trailers.append(trailer)
    raw["trailer"] = {"trailer": trailers}
    return raw


def noisy_writer(revision: int, seed: int) -> MapWriter:
    """A writer over a map whose every byte (padding included) starts random."""
    rng = random.Random(seed)
    return MapWriter(revision, bytearray(rng.randbytes(MAP_SIZE)))


def writer_with(revision: int = 12, **values: typing.Any) -> MapWriter:
    w = MapWriter(revision)
    w.update({k.replace("__", "."): v for k, v in values.items()})
    return w


# --- raw round trips --------------------------------------------------------------------


@pytest.mark.parametrize("revision", REVISIONS)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_member_round_trips(revision, seed):
    raw = random_raw(layout(revision), seed)
    w = noisy_writer(revision, seed)
    w.write_raw(raw)
    assert decode_raw(w.snapshot()) == raw


@pytest.mark.parametrize("revision", REVISIONS)
def test_round_trip_from_every_buffer_type(revision, tmp_path):
    raw = random_raw(layout(revision), 7)
    w = MapWriter(revision)
    w.write_raw(raw)
    data = w.snapshot()
    assert decode_raw(bytearray(data)) == raw
    assert decode_raw(memoryview(data)) == raw
    path = tmp_path / "map"
    path.write_bytes(data)
    with path.open("rb") as fh, mmap.mmap(fh.fileno(), MAP_SIZE, access=mmap.ACCESS_READ) as mm:
        assert decode_raw(mm) == raw
        assert decode(mm) == decode(data)


@pytest.mark.parametrize("revision", REVISIONS)
def test_decode_raw_has_exactly_the_layout_members_no_padding(revision):
    lay = layout(revision)
    w = noisy_writer(revision, 5)  # padding full of random bytes
    raw = decode_raw(w.snapshot())
    expected = {m.path for m in lay.members}
    expected |= {
        f"trailer[{i}].{m.path}" for i in range(TRAILER_COUNT) for m in lay.trailer_members
    }
    assert set(flatten_raw(raw)) == expected
    assert not [p for p in expected if "buffer" in p or "placeHolder" in p or p.endswith(".")]


def test_decode_raw_nesting():
    w = MapWriter(12)
    w.update(
        {
            "truck_f.speed": 22.5,
            "config_s.citySrc": "Berlin",
            "sdkActive": True,
            "substances.substance": ["dirt", "grass"] + [""] * 23,
            "trailer[3].com_f.wearBody": 0.25,
            "trailer[9].con_s.licensePlateCountryId": "de",
        }
    )
    raw = decode_raw(w.snapshot())
    assert raw["truck_f"]["speed"] == 22.5
    assert raw["config_s"]["citySrc"] == "Berlin"
    assert raw["sdkActive"] is True
    assert raw["scs_values"]["telemetry_plugin_revision"] == 12
    assert raw["substances"] == {"substance": ["dirt", "grass"] + [""] * 23}
    assert list(raw["trailer"]) == ["trailer"]
    trailers = raw["trailer"]["trailer"]
    assert isinstance(trailers, list)
    assert len(trailers) == 10
    assert trailers[3]["com_f"]["wearBody"] == 0.25
    assert trailers[9]["con_s"]["licensePlateCountryId"] == "de"
    assert trailers[2]["com_f"]["wearBody"] == 0.0
    assert raw["truck_f"]["truck_wheelVelocity"] == [0.0] * 16
    assert raw["truck_ui"]["hshifterPosition"] == [0] * 32


def test_an_empty_trailer_slot_decodes_like_a_filled_one():
    """decode_raw builds all-zero slots from constants: same keys, types and lengths
    as a slot that is unpacked."""
    w = MapWriter(12)
    w.set("trailer[2].com_b.attached", True)
    raw = decode_raw(w.snapshot())
    filled, empty = raw["trailer"]["trailer"][2], raw["trailer"]["trailer"][3]
    filled["com_b"]["attached"] = False
    assert empty == filled

    def types(d):
        return {
            (g, n): (type(v), len(v) if isinstance(v, list) else None, type(v[0]) if v else None)
            if isinstance(v, list)
            else (type(v), None, None)
            for g, members in d.items()
            for n, v in members.items()
        }

    assert types(empty) == types(filled)


def test_integer_extremes_and_signed_multiplayer_offset():
    w = MapWriter(12)
    w.update(
        {
            "time": 2**64 - 1,
            "renderTime": 0,
            "multiplayerTimeOffset": -(2**31),
            "common_i.restStop": -90,
            "truck_i.gear": -2,
            "config_ull.jobIncome": 2**64 - 1,
            "gameplay_ll.jobCancelledPenalty": -(2**63),
            "gameplay_ll.fineAmount": 2**63 - 1,
            "common_ui.time_abs": 2**32 - 1,
        }
    )
    data = w.snapshot()
    raw = decode_raw(data)
    assert raw["time"] == 2**64 - 1
    assert raw["multiplayerTimeOffset"] == -(2**31)
    assert raw["common_i"]["restStop"] == -90
    assert raw["config_ull"]["jobIncome"] == 2**64 - 1
    assert raw["gameplay_ll"]["jobCancelledPenalty"] == -(2**63)
    assert raw["gameplay_ll"]["fineAmount"] == 2**63 - 1
    frame = decode(data)
    assert frame.header.time_us == 2**64 - 1
    assert frame.header.multiplayer_time_offset_min == -(2**31)
    assert frame.header.rest_stop_min == -90
    assert frame.truck.gear == -2
    assert frame.job.income == 2**64 - 1
    assert frame.gameplay.cancelled_penalty == -(2**63)


def test_multiplayer_offset_as_the_plugin_stores_it():
    """The plugin writes the s32 channel into bytes 32..35 and leaves 36..39 zero:
    -5 must read as -5, not 4294967291 (pitfall 11)."""
    buf = bytearray(MapWriter(12).snapshot())
    struct.pack_into("<i", buf, 32, -5)
    assert buf[36:40] == b"\0\0\0\0"
    assert decode_raw(bytes(buf))["multiplayerTimeOffset"] == -5
    assert decode(bytes(buf)).header.multiplayer_time_offset_min == -5


# --- typed frame against its sources ----------------------------------------------------


def expected_field(raw_flat, lay, path, ftype, prefix=""):
    if not (lay.has(path) if not prefix else any(m.path == path for m in lay.trailer_members)):
        return ZERO_OF[ftype]
    value = raw_flat[prefix + path]
    return Game.from_id(value) if ftype is Game else value


PRESENT = {0: (True, "schmitz.sko"), 3: (False, "krone.box"), 9: (True, "")}


@pytest.mark.parametrize("revision", REVISIONS)
@pytest.mark.parametrize("seed", [11, 12])
def test_every_typed_field_equals_its_source_member(revision, seed):
    lay = layout(revision)
    raw = random_raw(lay, seed)
    # Slots 0, 3 and 9 hold a trailer (attached, or configured with an id); the
    # others are neither, though the rest of their members hold random values.
    for i, trailer in enumerate(raw["trailer"]["trailer"]):
        attached, ident = PRESENT.get(i, (False, ""))
        trailer["com_b"]["attached"] = attached
        trailer["con_s"]["id"] = ident
    w = noisy_writer(revision, seed)
    w.write_raw(raw)
    data = w.snapshot()
    frame = decode(data)
    flat = flatten_raw(raw)
    assert isinstance(frame, Frame)

    for record, attr in RECORD_ATTR.items():
        value = getattr(frame, attr)
        assert type(value) is record
        hints = typing.get_type_hints(record)
        assert set(record._fields) == set(SOURCES[record]), record.__name__
        for name, path in SOURCES[record].items():
            got = getattr(value, name)
            want = expected_field(flat, lay, path, hints[name])
            assert got == want, (record.__name__, name, path)
            assert type(got) is type(want), (record.__name__, name)

    assert [t.slot for t in frame.trailers] == sorted(PRESENT)
    hints = typing.get_type_hints(Trailer)
    assert set(Trailer._fields) == set(SOURCES[Trailer]) | {n for _, n in DERIVED}
    for trailer in frame.trailers:
        assert type(trailer) is Trailer
        for name, path in SOURCES[Trailer].items():
            want = expected_field(flat, lay, path, hints[name], f"trailer[{trailer.slot}].")
            got = getattr(trailer, name)
            assert got == want, (trailer.slot, name, path)
            assert type(got) is type(want), (trailer.slot, name)


@pytest.mark.parametrize("revision", [10, 11])
def test_members_absent_in_older_revisions_decode_as_zero(revision):
    lay = layout(revision)
    w = noisy_writer(revision, 99)
    raw = random_raw(lay, 99)
    raw["truck_b"]["cruiseControl"] = True
    raw["trailer"]["trailer"][0]["com_b"]["attached"] = True
    w.write_raw(raw)
    frame = decode(w.snapshot())
    assert frame.header.multiplayer_time_offset_min == 0  # bytes 32..39: random padding
    assert frame.trailers[0].wear_body == 0.0
    assert frame.truck.cruise_control is True
    if revision == 10:  # 1588 holds cruiseControl in rev 10, not lightsHazard
        assert frame.truck.lights_hazard is False
        assert frame.truck.differential_lock is False
        assert frame.truck.lift_axle is False


@pytest.mark.parametrize(("value", "game"), [(1, Game.ETS2), (2, Game.ATS), (0, Game.UNKNOWN)])
def test_game_id(value, game):
    frame = decode(writer_with(scs_values__game=value).snapshot())
    assert frame.game is game
    assert frame.header.game is game
    assert decode(writer_with(scs_values__game=7).snapshot()).game is Game.UNKNOWN


def test_trailer_presence_rule():
    w = MapWriter(12)
    w.set("trailer[1].com_b.attached", True)
    w.set("trailer[4].con_s.id", "scs.box")
    w.set("trailer[6].com_f.wearBody", 0.5)  # data but neither attached nor configured
    frame = decode(w.snapshot())
    assert [(t.slot, t.attached, t.id) for t in frame.trailers] == [
        (1, True, ""),
        (4, False, "scs.box"),
    ]
    assert decode(MapWriter(12).snapshot()).trailers == ()


# --- strings ----------------------------------------------------------------------------


def raw_field(path: str, content: bytes, revision: int = 12) -> bytes:
    """A map whose field ``path`` holds exactly ``content`` (the rest of it zero)."""
    w = MapWriter(revision)
    m = w.layout.member(path)
    assert len(content) <= m.count
    w.buffer[m.offset : m.offset + len(content)] = content
    return w.snapshot()


@pytest.mark.parametrize(
    ("path", "capacity", "frame_field"),
    [
        ("config_s.truckName", 64, ("truck", "name")),
        ("config_s.shifterType", 16, ("truck", "shifter_type")),
        ("gameplay_s.fineOffence", 32, ("gameplay", "fine_offence")),
        ("config_s.jobMarket", 32, ("job", "job_market")),
    ],
)
def test_a_full_field_without_nul_decodes_whole(path, capacity, frame_field):
    text = ("abcdefghij" * 7)[:capacity]
    data = raw_field(path, text.encode())
    group, name = path.split(".")
    assert decode_raw(data)[group][name] == text
    record, field = frame_field
    assert getattr(getattr(decode(data), record), field) == text


def test_a_full_trailer_and_substance_field_without_nul():
    data = raw_field("trailer[2].con_s.licensePlateCountryId", b"Z" * 64)
    assert decode_raw(data)["trailer"]["trailer"][2]["con_s"]["licensePlateCountryId"] == "Z" * 64
    w = MapWriter(12)
    w.set("substances.substance", ["q" * 64, "road"] + [""] * 23)
    assert decode_raw(w.snapshot())["substances"]["substance"][:3] == ["q" * 64, "road", ""]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"a" * 63 + "Ł".encode()[:1], "a" * 63 + "\ufffd"),  # 2-byte char cut
        (b"a" * 62 + "€".encode()[:2], "a" * 62 + "\ufffd"),  # 3-byte char cut
        (b"a" * 61 + "🚚".encode()[:3], "a" * 61 + "\ufffd"),  # 4-byte char cut
        ("Łódź".encode(), "Łódź"),
        (b"\xff\xfeok", "\ufffd\ufffdok"),  # not UTF-8 at all
    ],
)
def test_utf8_cut_mid_character_is_replaced(content, expected):
    data = raw_field("config_s.cityDst", content)
    assert decode_raw(data)["config_s"]["cityDst"] == expected
    assert decode(data).job.destination_city == expected


def test_the_encoder_cuts_like_strncpy():
    assert encode_string("a" * 63 + "Łódź", 64) == b"a" * 63 + b"\xc5"
    w = writer_with(config_s__cityDst="a" * 63 + "Łódź")
    assert decode(w.snapshot()).job.destination_city == "a" * 63 + "\ufffd"


def test_job_market_holds_20_bytes_of_a_32_byte_field():
    """The plugin strncpy's at most 20 bytes into jobMarket; the rest stays zero."""
    data = raw_field("config_s.jobMarket", b"external_contracts_x")
    assert decode(data).job.job_market == "external_contracts_x"
    assert decode_raw(data)["config_s"]["jobMarket"] == "external_contracts_x"
    # The next string starts right after the 32-byte field.
    assert layout(12).member("gameplay_s.fineOffence").offset == 3404 + 32


def test_text_after_the_first_nul_is_ignored():
    data = raw_field("config_s.citySrc", b"Berlin\0stale text of a longer name")
    assert decode_raw(data)["config_s"]["citySrc"] == "Berlin"
    assert decode(data).job.source_city == "Berlin"
    data = raw_field("trailer[0].con_s.id", b"\0leftover")
    assert decode_raw(data)["trailer"]["trailer"][0]["con_s"]["id"] == ""


def test_decode_string():
    assert decode_string(b"abc\0def") == "abc"
    assert decode_string(b"abc") == "abc"
    assert decode_string(b"") == ""
    assert decode_string(b"\xe2\x82") == "\ufffd"


def test_the_string_cache_stays_bounded():
    for i in range(6000):
        decode_string(f"city-{i}".encode().ljust(64, b"\0"))
    assert len(STRINGS) <= 4096


# --- revisions and sizes ----------------------------------------------------------------


@pytest.mark.parametrize("revision", REVISIONS)
def test_supported_revisions_decode(revision):
    data = writer_with(revision, truck_f__speed=12.5).snapshot()
    assert check_snapshot(data) == revision
    assert decode(data).revision == revision
    assert decode(data).truck.speed_mps == 12.5
    assert decode_raw(data)["scs_values"]["telemetry_plugin_revision"] == revision


def snapshot_with_revision(value: int) -> bytes:
    buf = bytearray(MapWriter(12).snapshot())
    struct.pack_into("<I", buf, 40, value)
    return bytes(buf)


def assert_refused(data: bytes, revision: int) -> SnapshotError:
    for fn in (decode, decode_raw, check_snapshot):
        with pytest.raises(SnapshotError) as info:
            fn(data)
        assert isinstance(info.value, UserError)
        assert info.value.revision == revision
        assert str(revision) in str(info.value)
    return info.value


@pytest.mark.parametrize("revision", [9, 13, 2**32 - 1])
def test_unsupported_revisions_are_refused_naming_found_and_supported(revision):
    error = assert_refused(snapshot_with_revision(revision), revision)
    message = str(error)
    assert f"revision {revision}" in message
    assert all(str(r) in message for r in SUPPORTED_REVISIONS)


def test_revision_0_message_names_the_supported_revisions():
    message = str(assert_refused(snapshot_with_revision(0), 0))
    assert all(str(r) in message for r in SUPPORTED_REVISIONS)


def test_revision_0_is_refused_as_a_map_without_telemetry():
    message = str(assert_refused(snapshot_with_revision(0), 0))
    assert "revision 0" in message
    assert "exited" in message


def test_random_bytes_are_refused_naming_the_revision_found():
    data = random.Random(2024).randbytes(MAP_SIZE)
    found = struct.unpack_from("<I", data, 40)[0]
    assert found not in SUPPORTED_REVISIONS
    message = str(assert_refused(data, found))
    assert all(str(r) in message for r in SUPPORTED_REVISIONS)


@pytest.mark.parametrize("size", [0, 44, 21600, MAP_SIZE - 1, MAP_SIZE + 1, 2 * MAP_SIZE])
def test_wrong_sizes_are_refused(size):
    data = (MapWriter(12).snapshot() * 2)[:size]
    for fn in (decode, decode_raw, check_snapshot):
        with pytest.raises(SnapshotError) as info:
            fn(data)
        assert str(size) in str(info.value)
        assert "32768" in str(info.value)


# --- NaN and infinity -------------------------------------------------------------------


def test_non_finite_floats_decode_and_are_named():
    w = MapWriter(12)
    w.set("truck_f.speed", math.nan)
    w.set("config_f.truckWheelRadius", [0.5, 0.5, 0.5, math.inf] + [0.0] * 12)
    w.set("trailer[2].com_dp.worldX", -math.inf)
    w.set("truck_dp.coordinateX", math.nan)
    w.set("trailer[2].com_b.attached", True)
    w.set("truck_f.fuel", 400.0)
    data = w.snapshot()
    raw = decode_raw(data)
    assert math.isnan(raw["truck_f"]["speed"])
    assert sorted(non_finite_members(raw)) == sorted(
        [
            "truck_f.speed",
            "config_f.truckWheelRadius",
            "truck_dp.coordinateX",
            "trailer[2].com_dp.worldX",
        ]
    )
    frame = decode(data)
    assert math.isnan(frame.truck.speed_mps)
    assert math.isnan(frame.truck.x_m)
    assert frame.trailers[0].x_m == -math.inf
    assert frame.truck.fuel_l == 400.0


def test_a_finite_map_has_no_non_finite_members():
    raw = random_raw(layout(12), 3)
    w = MapWriter(12)
    w.write_raw(raw)
    assert non_finite_members(decode_raw(w.snapshot())) == []


def test_nan_bit_patterns_from_random_bytes_do_not_raise():
    """A foreign map with the right revision: every float slot full of NaN patterns."""
    buf = bytearray(b"\xff" * MAP_SIZE)
    struct.pack_into("<I", buf, 40, 12)
    raw = decode_raw(bytes(buf))
    bad = non_finite_members(raw)
    assert "truck_f.speed" in bad
    assert "trailer[9].com_dp.rotationZ" in bad
    frame = decode(bytes(buf))
    assert math.isnan(frame.truck.speed_mps)
    assert len(frame.trailers) == TRAILER_COUNT


def test_decode_raw_gives_every_empty_trailer_slot_objects_of_its_own():
    # Empty slots are built from templates: changing one result must not leak into
    # another slot or into the next decode.
    data = MapWriter(12).snapshot()
    first = decode_raw(data)
    slots = first["trailer"]["trailer"]
    slots[3]["com_fv"]["linearVelocityX"] = 9.0
    slots[3]["com_f"]["wheelLift"][0] = 9.0
    slots[3]["con_s"]["id"] = "changed"
    assert slots[4]["com_fv"]["linearVelocityX"] == 0.0
    assert slots[4]["com_f"]["wheelLift"][0] == 0.0
    assert slots[4]["con_s"]["id"] == ""
    again = decode_raw(data)["trailer"]["trailer"][3]
    assert again["com_fv"]["linearVelocityX"] == 0.0 and again["con_s"]["id"] == ""
