"""The computed layout against the numbers of the spec (specs/scs-telemetry.md §1a,
§1b, §1c), which were obtained by compiling the plugin's own header.

The offsets below are typed from the spec's tables: they are the expectations the
layout table must reproduce, not a second layout table.
"""

import itertools
import struct

import pytest

from roadmaster.telemetry.layout import (
    MAP_SIZE,
    SUPPORTED_REVISIONS,
    TRAILER_BASE,
    TRAILER_COUNT,
    layout,
    revision_of,
    struct_for,
)

# Rev 12, scsTelemetryMap_t (§1a): path -> (offset, bytes).  At least one member per
# zone, the first and last member of each zone, and every member the spec names
# as moved between revisions.
REV12_MAIN = {
    # zone 1 @0
    "sdkActive": (0, 1),
    "paused": (4, 1),
    "time": (8, 8),
    "simulatedTime": (16, 8),
    "renderTime": (24, 8),
    "multiplayerTimeOffset": (32, 4),  # int32 in an 8-byte slot (pitfall 11)
    # zone 2 @40
    "scs_values.telemetry_plugin_revision": (40, 4),
    "scs_values.version_major": (44, 4),
    "scs_values.game": (52, 4),
    "scs_values.telemetry_version_game_minor": (60, 4),
    "common_ui.time_abs": (64, 4),
    "config_ui.gears": (68, 4),
    "config_ui.time_abs_delivery": (88, 4),
    "config_ui.plannedDistanceKm": (100, 4),
    "truck_ui.shifterSlot": (104, 4),
    "truck_ui.lightsAuxRoof": (116, 4),
    "truck_ui.truck_wheelSubstance": (120, 64),
    "truck_ui.hshifterPosition": (184, 128),
    "truck_ui.hshifterBitmask": (312, 128),
    "gameplay_ui.jobDeliveredDeliveryTime": (440, 4),
    "gameplay_ui.jobStartingTime": (444, 4),
    "gameplay_ui.jobFinishedTime": (448, 4),
    # zone 3 @500
    "common_i.restStop": (500, 4),
    "truck_i.gear": (504, 4),
    "truck_i.gearDashboard": (508, 4),
    "truck_i.hshifterResulting": (512, 128),
    "gameplay_i.jobDeliveredEarnedXp": (640, 4),
    # zone 4 @700
    "common_f.scale": (700, 4),
    "config_f.fuelCapacity": (704, 4),
    "config_f.airPressurEmergency": (724, 4),
    "config_f.engineRpmMax": (740, 4),
    "config_f.cargoMass": (748, 4),
    "config_f.truckWheelRadius": (752, 64),
    "config_f.gearRatiosForward": (816, 96),
    "config_f.gearRatiosReverse": (912, 32),
    "config_f.unitMass": (944, 4),
    "truck_f.speed": (948, 4),
    "truck_f.engineRpm": (952, 4),
    "truck_f.cruiseControlSpeed": (988, 4),
    "truck_f.fuel": (1000, 4),
    "truck_f.wearEngine": (1036, 4),
    "truck_f.truckOdometer": (1056, 4),
    "truck_f.routeDistance": (1060, 4),
    "truck_f.routeTime": (1064, 4),
    "truck_f.speedLimit": (1068, 4),
    "truck_f.truck_wheelSuspDeflection": (1072, 64),
    "truck_f.truck_wheelLiftOffset": (1392, 64),
    "gameplay_f.jobDeliveredCargoDamage": (1456, 4),
    "gameplay_f.refuelAmount": (1464, 4),
    "job_f.cargoDamage": (1468, 4),
    # zone 5 @1500
    "config_b.truckWheelSteerable": (1500, 16),
    "config_b.truckWheelLiftable": (1548, 16),
    "config_b.isCargoLoaded": (1564, 1),
    "config_b.specialJob": (1565, 1),
    "truck_b.parkBrake": (1566, 1),
    "truck_b.engineEnabled": (1576, 1),
    "truck_b.lightsReverse": (1587, 1),
    "truck_b.lightsHazard": (1588, 1),
    "truck_b.cruiseControl": (1589, 1),
    "truck_b.truck_wheelOnGround": (1590, 16),
    "truck_b.shifterToggle": (1606, 2),
    "truck_b.differentialLock": (1608, 1),
    "truck_b.trailerLiftAxleIndicator": (1612, 1),
    "gameplay_b.jobDeliveredAutoparkUsed": (1613, 1),
    "gameplay_b.jobDeliveredAutoloadUsed": (1614, 1),
    # zone 6 @1640
    "config_fv.cabinPositionX": (1640, 4),
    "config_fv.cabinPositionZ": (1648, 4),
    "config_fv.truckHookPositionZ": (1672, 4),
    "config_fv.truckWheelPositionX": (1676, 64),
    "config_fv.truckWheelPositionZ": (1804, 64),
    "truck_fv.lv_accelerationX": (1868, 4),
    "truck_fv.cabinAAZ": (1936, 4),
    # zone 7 @2000
    "truck_fp.cabinOffsetX": (2000, 4),
    "truck_fp.headOffsetrotationZ": (2044, 4),
    # zone 8 @2200
    "truck_dp.coordinateX": (2200, 8),
    "truck_dp.coordinateZ": (2216, 8),
    "truck_dp.rotationZ": (2240, 8),
    # zone 9 @2300
    "config_s.truckBrandId": (2300, 64),
    "config_s.truckName": (2492, 64),
    "config_s.cargo": (2620, 64),
    "config_s.compSrc": (3132, 64),
    "config_s.shifterType": (3196, 16),
    "config_s.truckLicensePlate": (3212, 64),
    "config_s.truckLicensePlateCountry": (3340, 64),
    "config_s.jobMarket": (3404, 32),
    "gameplay_s.fineOffence": (3436, 32),
    "gameplay_s.ferrySourceName": (3468, 64),
    "gameplay_s.trainTargetId": (3916, 64),
    # zone 10 @4000
    "config_ull.jobIncome": (4000, 8),
    # zone 11 @4200
    "gameplay_ll.jobCancelledPenalty": (4200, 8),
    "gameplay_ll.jobDeliveredRevenue": (4208, 8),
    "gameplay_ll.fineAmount": (4216, 8),
    "gameplay_ll.trainPayAmount": (4240, 8),
    # zone 12 @4300
    "special_b.onJob": (4300, 1),
    "special_b.jobDelivered": (4303, 1),
    "special_b.refuel": (4308, 1),
    "special_b.refuelPayed": (4309, 1),
    # zone 13 @4400
    "substances.substance": (4400, 1600),
}

# Rev 12 scsTrailer_t (§1b): path -> (offset relative to the trailer, bytes).
REV12_TRAILER = {
    "con_b.wheelSteerable": (0, 16),
    "con_b.wheelLiftable": (48, 16),
    "com_b.wheelOnGround": (64, 16),
    "com_b.attached": (80, 1),
    "com_ui.wheelSubstance": (84, 64),
    "con_ui.wheelCount": (148, 4),
    "com_f.cargoDamage": (152, 4),
    "com_f.wearChassis": (156, 4),
    "com_f.wearWheels": (160, 4),
    "com_f.wearBody": (164, 4),
    "com_f.wheelSuspDeflection": (168, 64),
    "com_f.wheelLift": (424, 64),
    "com_f.wheelLiftOffset": (488, 64),
    "con_f.wheelRadius": (552, 64),
    "com_fv.linearVelocityX": (616, 4),
    "com_fv.angularAccelerationZ": (660, 4),
    "con_fv.hookPositionX": (664, 4),
    "con_fv.wheelPositionX": (676, 64),
    "con_fv.wheelPositionZ": (804, 64),
    "com_dp.worldX": (872, 8),
    "com_dp.worldZ": (888, 8),
    "com_dp.rotationX": (896, 8),
    "com_dp.rotationZ": (912, 8),
    "con_s.id": (920, 64),
    "con_s.cargoAcessoryId": (984, 64),
    "con_s.brandId": (1112, 64),
    "con_s.name": (1240, 64),
    "con_s.licensePlate": (1368, 64),
    "con_s.licensePlateCountry": (1432, 64),
    "con_s.licensePlateCountryId": (1496, 64),
}

ZONE_STARTS = (0, 40, 500, 700, 1500, 1640, 2000, 2200, 2300, 4000, 4200, 4300, 4400, 6000)

# §1c: the zone-5 members whose offsets differ between rev 10 and rev 11/12.
ZONE5_REV10 = {
    "truck_b.cruiseControl": 1588,
    "truck_b.truck_wheelOnGround": 1589,
    "truck_b.shifterToggle": 1605,
    "gameplay_b.jobDeliveredAutoparkUsed": 1607,
    "gameplay_b.jobDeliveredAutoloadUsed": 1608,
}
ZONE5_REV11 = {
    "truck_b.lightsHazard": 1588,
    "truck_b.cruiseControl": 1589,
    "truck_b.truck_wheelOnGround": 1590,
    "truck_b.shifterToggle": 1606,
    "truck_b.differentialLock": 1608,
    "truck_b.liftAxle": 1609,
    "truck_b.liftAxleIndicator": 1610,
    "truck_b.trailerLiftAxle": 1611,
    "truck_b.trailerLiftAxleIndicator": 1612,
    "gameplay_b.jobDeliveredAutoparkUsed": 1613,
    "gameplay_b.jobDeliveredAutoloadUsed": 1614,
}
REV11_ONLY_ZONE5 = [
    "truck_b.lightsHazard",
    "truck_b.differentialLock",
    "truck_b.liftAxle",
    "truck_b.liftAxleIndicator",
    "truck_b.trailerLiftAxle",
    "truck_b.trailerLiftAxleIndicator",
]


@pytest.mark.parametrize(("path", "expected"), sorted(REV12_MAIN.items()))
def test_rev12_main_member_offset_and_size(path, expected):
    member = layout(12).member(path)
    assert (member.offset, member.size) == expected


@pytest.mark.parametrize(("path", "expected"), sorted(REV12_TRAILER.items()))
def test_rev12_trailer_member_offset_and_size(path, expected):
    lay = layout(12)
    relative = {m.path: m for m in lay.trailer_members}[path]
    assert (relative.offset, relative.size) == expected
    # Absolute addressing: trailer i starts at 6000 + 1560 * i.
    for i in (0, 1, 9):
        assert lay.member(f"trailer[{i}].{path}").offset == 6000 + 1560 * i + expected[0]


def test_the_sample_covers_every_zone():
    starts = set(ZONE_STARTS[:-1])
    assert starts <= {offset for offset, _ in REV12_MAIN.values()}


@pytest.mark.parametrize(
    ("revision", "map_size", "trailer_size"),
    [(10, 21520, 1552), (11, 21520, 1552), (12, 21600, 1560)],
)
def test_sizes(revision, map_size, trailer_size):
    lay = layout(revision)
    assert lay.size == map_size
    assert lay.trailer_size == trailer_size
    assert lay.size <= MAP_SIZE == 32768
    last = max(lay.trailer_members, key=lambda m: m.offset)
    assert lay.trailer_offset(9) + last.offset + last.size == map_size


@pytest.mark.parametrize("revision", SUPPORTED_REVISIONS)
def test_members_do_not_overlap_and_stay_inside_their_zone(revision):
    lay = layout(revision)
    members = sorted(lay.members, key=lambda m: m.offset)
    for a, b in itertools.pairwise(members):
        assert a.offset + a.size <= b.offset, (a.path, b.path)
    for m in members:
        zone = max(z for z in ZONE_STARTS if z <= m.offset)
        following = ZONE_STARTS[ZONE_STARTS.index(zone) + 1]
        assert m.offset + m.size <= following, m.path
    trailer = sorted(lay.trailer_members, key=lambda m: m.offset)
    for a, b in itertools.pairwise(trailer):
        assert a.offset + a.size <= b.offset, (a.path, b.path)
    assert trailer[-1].offset + trailer[-1].size == lay.trailer_size


@pytest.mark.parametrize("revision", SUPPORTED_REVISIONS)
def test_eight_byte_members_are_aligned(revision):
    """§1: every 8-byte member sits at a multiple of 8, so no compiler pads."""
    lay = layout(revision)
    for m in lay.members:
        if m.ctype in {"u64", "i64", "f64"}:
            assert m.offset % 8 == 0, m.path
    for i in range(TRAILER_COUNT):
        for m in lay.trailer_members:
            if m.ctype in {"u64", "i64", "f64"}:
                assert (lay.trailer_offset(i) + m.offset) % 8 == 0, (i, m.path)


@pytest.mark.parametrize("revision", SUPPORTED_REVISIONS)
def test_every_zone_begins_at_its_fixed_start(revision):
    """Each fixed zone start holds a member (the first of that zone) in every revision."""
    offsets = {m.offset for m in layout(revision).members}
    assert set(ZONE_STARTS[:-1]) <= offsets
    assert layout(revision).trailer_offset(0) == TRAILER_BASE == 6000


def test_rev10_zone5_offsets():
    lay = layout(10)
    for path, offset in ZONE5_REV10.items():
        assert lay.member(path).offset == offset, path
    for path in REV11_ONLY_ZONE5:
        assert not lay.has(path)


@pytest.mark.parametrize("revision", [11, 12])
def test_rev11_and_rev12_zone5_offsets(revision):
    lay = layout(revision)
    for path, offset in ZONE5_REV11.items():
        assert lay.member(path).offset == offset, path


def test_rev10_to_rev11_moves_cruise_control_and_autopark():
    assert layout(10).member("truck_b.cruiseControl").offset == 1588
    assert layout(11).member("truck_b.cruiseControl").offset == 1589
    assert layout(10).member("gameplay_b.jobDeliveredAutoparkUsed").offset == 1607
    assert layout(11).member("gameplay_b.jobDeliveredAutoparkUsed").offset == 1613


def test_nothing_outside_zone_1_and_5_differs_between_revisions():
    def outside(revision):
        return {
            m.path: (m.offset, m.size)
            for m in layout(revision).members
            if not (m.offset < 40 or 1500 <= m.offset < 1640)
        }

    assert outside(10) == outside(11) == outside(12)


def test_multiplayer_time_offset_exists_only_in_rev12():
    assert layout(12).has("multiplayerTimeOffset")
    assert not layout(11).has("multiplayerTimeOffset")
    assert not layout(10).has("multiplayerTimeOffset")
    assert layout(12).member("multiplayerTimeOffset").ctype == "i32"
    for revision in SUPPORTED_REVISIONS:
        assert layout(revision).member("paused").offset == 4
        assert layout(revision).member("renderTime").offset == 24


def test_rev11_to_rev12_trailer_moves():
    """§1c: wearBody added at +164; members after it move by +4, and from com_dp on
    (+864 -> +872) by +8."""
    old = {m.path: m.offset for m in layout(11).trailer_members}
    new = {m.path: m.offset for m in layout(12).trailer_members}
    assert old == {m.path: m.offset for m in layout(10).trailer_members}
    assert "com_f.wearBody" not in old
    assert new["com_f.wearBody"] == 164
    assert old["com_dp.worldX"] == 864
    assert new["com_dp.worldX"] == 872
    assert old["con_s.id"] == 912
    assert new["con_s.id"] == 920
    for path, offset in old.items():
        if offset < 164:
            assert new[path] == offset, path
        elif offset < 864:
            assert new[path] == offset + 4, path
        else:
            assert new[path] == offset + 8, path


def test_trailer_slots_start_8_bytes_per_slot_later_in_rev12():
    for i in range(TRAILER_COUNT):
        assert layout(11).trailer_offset(i) == 6000 + 1552 * i
        assert layout(12).trailer_offset(i) == 6000 + 1560 * i
        assert layout(12).trailer_offset(i) - layout(11).trailer_offset(i) == 8 * i


def test_rev12_trailer_world_position_of_slot_1():
    assert layout(12).member("trailer[1].com_dp.worldX").offset == 6000 + 1560 + 872
    assert layout(11).member("trailer[1].com_dp.worldX").offset == 6000 + 1552 + 864


def test_member_lookup_refuses_unknown_paths_and_slots():
    lay = layout(12)
    with pytest.raises(KeyError):
        lay.member("truck_f.nope")
    with pytest.raises(KeyError):
        lay.member("trailer[10].com_b.attached")
    with pytest.raises(KeyError):
        lay.member("trailer[-1].com_b.attached")
    assert not lay.has("trailer[10].com_b.attached")
    assert lay.has("trailer[9].con_s.licensePlateCountryId")


@pytest.mark.parametrize("revision", [0, 9, 13])
def test_layout_refuses_unsupported_revisions(revision):
    with pytest.raises(ValueError, match=str(revision)):
        layout(revision)


def test_struct_codes_match_member_sizes():
    for revision in SUPPORTED_REVISIONS:
        lay = layout(revision)
        for m in (*lay.members, *lay.trailer_members):
            assert struct.calcsize("<" + m.code) == m.size, m.path


def test_struct_for_skips_gaps_and_refuses_overlaps():
    lay = layout(12)
    picked = [lay.member("truck_f.speed"), lay.member("paused"), lay.member("config_s.cargo")]
    s = struct_for(picked)
    assert s.size == 2620 + 64
    buf = bytearray(MAP_SIZE)
    struct.pack_into("<f", buf, 948, 22.5)
    buf[4] = 1
    buf[2620:2625] = b"Steel"
    paused, speed, cargo = s.unpack_from(buf)
    assert (paused, speed, cargo[:6]) == (True, 22.5, b"Steel\0")
    with pytest.raises(ValueError, match="overlapping"):
        struct_for([lay.member("time"), lay.member("time")])


def test_revision_of_reads_the_u32_at_offset_40():
    buf = bytearray(MAP_SIZE)
    struct.pack_into("<I", buf, 40, 12)
    assert revision_of(buf) == 12
    struct.pack_into("<I", buf, 40, 0xFFFFFFFF)
    assert revision_of(bytes(buf)) == 0xFFFFFFFF
    assert revision_of(b"\x00" * 43) == 0
