"""The shared-memory map of the SCS telemetry plugin, as one table.

Every offset the decoders and the simulator's encoder use is computed here, from
the member declarations below, zone by zone: nothing else in the project writes
an offset.  The declarations follow the plugin's header (`scs-telemetry` V.1.12.1,
``scsTelemetryMap_t``), member names included, so the raw view can be compared
with the plugin's documentation.

Revisions 10 and 11 differ from 12 only in zone 1, zone 5 and the trailer
struct; those members carry the revisions they exist in.
"""

from __future__ import annotations

import itertools
import struct
from dataclasses import dataclass
from functools import cache
from typing import Final

MAP_SIZE: Final = 32 * 1024
SUPPORTED_REVISIONS: Final = (10, 11, 12)
CURRENT_REVISION: Final = 12
REVISION_OFFSET: Final = 40
TRAILER_COUNT: Final = 10
TRAILER_BASE: Final = 6000

# struct codes of the C types; "char" is a byte string of `count` bytes.
_CODES: Final = {
    "bool": "?",
    "u32": "I",
    "i32": "i",
    "f32": "f",
    "f64": "d",
    "u64": "Q",
    "i64": "q",
    "char": "s",
}
_SIZES: Final = {"bool": 1, "u32": 4, "i32": 4, "f32": 4, "f64": 8, "u64": 8, "i64": 8, "char": 1}

ALL: Final = frozenset(SUPPORTED_REVISIONS)


@dataclass(frozen=True, slots=True)
class Decl:
    """One declared member: ``path`` is ``group.member`` (or just ``member`` in zone 1)."""

    path: str
    ctype: str  # bool u32 i32 f32 f64 u64 i64 char pad
    count: int = 1  # array elements; for char, the byte capacity of one string
    strings: int = 1  # for char[N][M]: N strings of `count` bytes
    revs: frozenset[int] = ALL


def _d(
    path: str, ctype: str, count: int = 1, *, strings: int = 1, revs: set[int] | None = None
) -> Decl:
    return Decl(path, ctype, count, strings, frozenset(revs) if revs else ALL)


def _pad(n: int, *, revs: set[int] | None = None) -> Decl:
    return _d("", "pad", n, revs=revs)


def _many(group: str, ctype: str, names: str, *, revs: set[int] | None = None) -> list[Decl]:
    return [_d(f"{group}.{n}", ctype, revs=revs) for n in names.split()]


def _xyz(group: str, *stems: str) -> list[Decl]:
    return [_d(f"{group}.{s}{a}", "f32") for s in stems for a in "XYZ"]


# (zone start, declarations).  Zone starts are fixed in every revision.
_MAIN: Final[list[tuple[int, list[Decl]]]] = [
    (
        0,
        [
            _d("sdkActive", "bool"),
            _pad(3),
            _d("paused", "bool"),
            _pad(3),
            _d("time", "u64"),
            _d("simulatedTime", "u64"),
            _d("renderTime", "u64"),
            # A `long long` in the header, but the plugin stores the s32 SDK channel into
            # its first four bytes only: read as int32 (spec pitfall 11).
            _d("multiplayerTimeOffset", "i32", revs={12}),
            _pad(4, revs={12}),
            _pad(8, revs={10, 11}),
        ],
    ),
    (
        40,
        [
            *_many(
                "scs_values",
                "u32",
                "telemetry_plugin_revision version_major version_minor game "
                "telemetry_version_game_major telemetry_version_game_minor",
            ),
            _d("common_ui.time_abs", "u32"),
            *_many(
                "config_ui",
                "u32",
                "gears gears_reverse retarderStepCount truckWheelCount "
                "selectorCount time_abs_delivery maxTrailerCount unitCount plannedDistanceKm",
            ),
            *_many("truck_ui", "u32", "shifterSlot retarderBrake lightsAuxFront lightsAuxRoof"),
            _d("truck_ui.truck_wheelSubstance", "u32", 16),
            _d("truck_ui.hshifterPosition", "u32", 32),
            _d("truck_ui.hshifterBitmask", "u32", 32),
            *_many(
                "gameplay_ui", "u32", "jobDeliveredDeliveryTime jobStartingTime jobFinishedTime"
            ),
            _pad(48),
        ],
    ),
    (
        500,
        [
            _d("common_i.restStop", "i32"),
            _d("truck_i.gear", "i32"),
            _d("truck_i.gearDashboard", "i32"),
            _d("truck_i.hshifterResulting", "i32", 32),
            _d("gameplay_i.jobDeliveredEarnedXp", "i32"),
            _pad(56),
        ],
    ),
    (
        700,
        [
            _d("common_f.scale", "f32"),
            *_many(
                "config_f",
                "f32",
                "fuelCapacity fuelWarningFactor adblueCapacity adblueWarningFactor "
                "airPressureWarning airPressurEmergency oilPressureWarning waterTemperatureWarning "
                "batteryVoltageWarning engineRpmMax gearDifferential cargoMass",
            ),
            _d("config_f.truckWheelRadius", "f32", 16),
            _d("config_f.gearRatiosForward", "f32", 24),
            _d("config_f.gearRatiosReverse", "f32", 8),
            _d("config_f.unitMass", "f32"),
            *_many(
                "truck_f",
                "f32",
                "speed engineRpm userSteer userThrottle userBrake userClutch "
                "gameSteer gameThrottle gameBrake gameClutch cruiseControlSpeed airPressure "
                "brakeTemperature fuel fuelAvgConsumption fuelRange adblue oilPressure "
                "oilTemperature waterTemperature batteryVoltage lightsDashboard wearEngine "
                "wearTransmission wearCabin wearChassis wearWheels truckOdometer routeDistance "
                "routeTime speedLimit",
            ),
            *[
                _d(f"truck_f.truck_wheel{n}", "f32", 16)
                for n in (
                    "SuspDeflection",
                    "Velocity",
                    "Steering",
                    "Rotation",
                    "Lift",
                    "LiftOffset",
                )
            ],
            *_many(
                "gameplay_f", "f32", "jobDeliveredCargoDamage jobDeliveredDistanceKm refuelAmount"
            ),
            _d("job_f.cargoDamage", "f32"),
            _pad(28),
        ],
    ),
    (
        1500,
        [
            *[
                _d(f"config_b.truckWheel{n}", "bool", 16)
                for n in ("Steerable", "Simulated", "Powered", "Liftable")
            ],
            *_many("config_b", "bool", "isCargoLoaded specialJob"),
            *_many(
                "truck_b",
                "bool",
                "parkBrake motorBrake airPressureWarning airPressureEmergency "
                "fuelWarning adblueWarning oilPressureWarning waterTemperatureWarning "
                "batteryVoltageWarning electricEnabled engineEnabled wipers blinkerLeftActive "
                "blinkerRightActive blinkerLeftOn blinkerRightOn lightsParking lightsBeamLow "
                "lightsBeamHigh lightsBeacon lightsBrake lightsReverse",
            ),
            _d("truck_b.lightsHazard", "bool", revs={11, 12}),
            _d("truck_b.cruiseControl", "bool"),
            _d("truck_b.truck_wheelOnGround", "bool", 16),
            _d("truck_b.shifterToggle", "bool", 2),
            *_many(
                "truck_b",
                "bool",
                "differentialLock liftAxle liftAxleIndicator trailerLiftAxle "
                "trailerLiftAxleIndicator",
                revs={11, 12},
            ),
            *_many("gameplay_b", "bool", "jobDeliveredAutoparkUsed jobDeliveredAutoloadUsed"),
            _pad(25, revs={11, 12}),
            _pad(31, revs={10}),
        ],
    ),
    (
        1640,
        [
            *_xyz("config_fv", "cabinPosition", "headPosition", "truckHookPosition"),
            *[_d(f"config_fv.truckWheelPosition{a}", "f32", 16) for a in "XYZ"],
            *_xyz(
                "truck_fv",
                "lv_acceleration",
                "av_acceleration",
                "acceleration",
                "aa_acceleration",
                "cabinAV",
                "cabinAA",
            ),
            _pad(60),
        ],
    ),
    (
        2000,
        [
            *_xyz(
                "truck_fp", "cabinOffset", "cabinOffsetrotation", "headOffset", "headOffsetrotation"
            ),
            _pad(152),
        ],
    ),
    (
        2200,
        [
            *_many(
                "truck_dp",
                "f64",
                "coordinateX coordinateY coordinateZ rotationX rotationY rotationZ",
            ),
            _pad(52),
        ],
    ),
    (
        2300,
        [
            *[
                _d(f"config_s.{n}", "char", 64)
                for n in [
                    "truckBrandId",
                    "truckBrand",
                    "truckId",
                    "truckName",
                    "cargoId",
                    "cargo",
                    "cityDstId",
                    "cityDst",
                    "compDstId",
                    "compDst",
                    "citySrcId",
                    "citySrc",
                    "compSrcId",
                    "compSrc",
                ]
            ],
            _d("config_s.shifterType", "char", 16),
            *[
                _d(f"config_s.{n}", "char", 64)
                for n in [
                    "truckLicensePlate",
                    "truckLicensePlateCountryId",
                    "truckLicensePlateCountry",
                ]
            ],
            _d("config_s.jobMarket", "char", 32),
            _d("gameplay_s.fineOffence", "char", 32),
            *[
                _d(f"gameplay_s.{n}", "char", 64)
                for n in [
                    "ferrySourceName",
                    "ferryTargetName",
                    "ferrySourceId",
                    "ferryTargetId",
                    "trainSourceName",
                    "trainTargetName",
                    "trainSourceId",
                    "trainTargetId",
                ]
            ],
            _pad(20),
        ],
    ),
    (4000, [_d("config_ull.jobIncome", "u64"), _pad(192)]),
    (
        4200,
        [
            *_many(
                "gameplay_ll",
                "i64",
                "jobCancelledPenalty jobDeliveredRevenue fineAmount "
                "tollgatePayAmount ferryPayAmount trainPayAmount",
            ),
            _pad(52),
        ],
    ),
    (
        4300,
        [
            *_many(
                "special_b",
                "bool",
                "onJob jobFinished jobCancelled jobDelivered fined tollgate "
                "ferry train refuel refuelPayed",
            ),
            _pad(90),
        ],
    ),
    (4400, [_d("substances.substance", "char", 64, strings=25)]),
    (TRAILER_BASE, []),
]

_TRAILER: Final[list[Decl]] = [
    *[_d(f"con_b.wheel{n}", "bool", 16) for n in ("Steerable", "Simulated", "Powered", "Liftable")],
    _d("com_b.wheelOnGround", "bool", 16),
    _d("com_b.attached", "bool"),
    _pad(3),
    _d("com_ui.wheelSubstance", "u32", 16),
    _d("con_ui.wheelCount", "u32"),
    *_many("com_f", "f32", "cargoDamage wearChassis wearWheels"),
    _d("com_f.wearBody", "f32", revs={12}),
    *[
        _d(f"com_f.wheel{n}", "f32", 16)
        for n in ("SuspDeflection", "Velocity", "Steering", "Rotation", "Lift", "LiftOffset")
    ],
    _d("con_f.wheelRadius", "f32", 16),
    *_xyz(
        "com_fv", "linearVelocity", "angularVelocity", "linearAcceleration", "angularAcceleration"
    ),
    *_xyz("con_fv", "hookPosition"),
    *[_d(f"con_fv.wheelPosition{a}", "f32", 16) for a in "XYZ"],
    _pad(4, revs={12}),
    *_many("com_dp", "f64", "worldX worldY worldZ rotationX rotationY rotationZ"),
    *[
        _d(f"con_s.{n}", "char", 64)
        for n in [
            "id",
            "cargoAcessoryId",
            "bodyType",
            "brandId",
            "brand",
            "name",
            "chainType",
            "licensePlate",
            "licensePlateCountry",
            "licensePlateCountryId",
        ]
    ],
]


@dataclass(frozen=True, slots=True)
class Member:
    """A placed member: ``offset`` is absolute for the map, relative for a trailer."""

    path: str
    ctype: str
    offset: int
    count: int
    strings: int

    @property
    def size(self) -> int:
        return _SIZES[self.ctype] * self.count * self.strings

    @property
    def group(self) -> str:
        """The sub-struct (``truck_f``) or ``""`` for the zone-1 header members."""
        return self.path.rpartition(".")[0]

    @property
    def name(self) -> str:
        return self.path.rpartition(".")[2]

    @property
    def is_array(self) -> bool:
        return self.strings > 1 or (self.ctype != "char" and self.count > 1)

    @property
    def values(self) -> int:
        """How many values struct yields for this member."""
        return self.strings if self.ctype == "char" else self.count

    @property
    def code(self) -> str:
        """The struct format of this member, without byte-order prefix."""
        c = _CODES[self.ctype]
        if self.ctype == "char":
            return f"{self.count}s" * self.strings
        return c * self.count if self.count > 1 else c


@dataclass(frozen=True)
class Layout:
    """Every member of one revision's map, placed."""

    revision: int
    members: tuple[Member, ...]
    trailer_members: tuple[Member, ...]
    trailer_size: int

    @property
    def size(self) -> int:
        """``sizeof(scsTelemetryMap_t)``: the bytes the plugin actually uses."""
        return TRAILER_BASE + TRAILER_COUNT * self.trailer_size

    def trailer_offset(self, index: int) -> int:
        return TRAILER_BASE + self.trailer_size * index

    def member(self, path: str) -> Member:
        """A main-map member by path, or a trailer one as ``trailer[i].com_f.wearBody``
        (offset then absolute)."""
        if path.startswith("trailer["):
            index_text, _, rest = path[len("trailer[") :].partition("].")
            index = int(index_text)
            if not 0 <= index < TRAILER_COUNT:
                raise KeyError(path)
            m = _by_path(self.trailer_members)[rest]
            return Member(path, m.ctype, self.trailer_offset(index) + m.offset, m.count, m.strings)
        return _by_path(self.members)[path]

    def has(self, path: str) -> bool:
        try:
            self.member(path)
        except KeyError:
            return False
        return True


@cache
def _by_path(members: tuple[Member, ...]) -> dict[str, Member]:
    return {m.path: m for m in members}


def _place(decls: list[Decl], start: int, revision: int, out: list[Member]) -> int:
    offset = start
    for d in decls:
        if revision not in d.revs:
            continue
        if d.ctype == "pad":
            offset += d.count
            continue
        m = Member(d.path, d.ctype, offset, d.count, d.strings)
        out.append(m)
        offset += m.size
    return offset


@cache
def layout(revision: int = CURRENT_REVISION) -> Layout:
    """The placed layout of ``revision`` (10, 11 or 12)."""
    if revision not in SUPPORTED_REVISIONS:
        raise ValueError(f"unsupported layout revision {revision}")
    members: list[Member] = []
    for (start, decls), (next_start, _) in itertools.pairwise(_MAIN):
        end = _place(decls, start, revision, members)
        if end != next_start:  # the table itself is wrong: fail loudly at import
            raise AssertionError(f"rev {revision}: zone at {start} ends at {end}, not {next_start}")
    trailer: list[Member] = []
    trailer_size = _place(_TRAILER, 0, revision, trailer)
    return Layout(revision, tuple(members), tuple(trailer), trailer_size)


def struct_for(members: list[Member] | tuple[Member, ...], base: int = 0) -> struct.Struct:
    """One little-endian struct reading ``members`` (sorted, non-overlapping) with
    the gaps between them skipped, starting at ``base``."""
    parts = ["<"]
    pos = base
    for m in sorted(members, key=lambda m: m.offset):
        if m.offset < pos:
            raise ValueError(f"overlapping member {m.path}")
        if m.offset > pos:
            parts.append(f"{m.offset - pos}x")
        parts.append(m.code)
        pos = m.offset + m.size
    return struct.Struct("".join(parts))


def revision_of(buffer: bytes | bytearray | memoryview) -> int:
    """The ``telemetry_plugin_revision`` stored at offset 40 (0 if the buffer is too short)."""
    if len(buffer) < REVISION_OFFSET + 4:
        return 0
    value: int = _REV.unpack_from(buffer, REVISION_OFFSET)[0]
    return value


_REV: Final = struct.Struct("<I")
