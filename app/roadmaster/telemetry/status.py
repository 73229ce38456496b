"""What state the game is in, judged from each snapshot: a typed status, not exceptions.

"Game not running", "paused", "frozen", "wrong plugin" are normal states the status
bar and tray show; :class:`Monitor` turns every snapshot (or the lack of one) into a
:class:`Reading` and never raises.  It runs beside the game at 10 Hz, so it decodes
each snapshot once and checks only a few values.
"""

from __future__ import annotations

import logging
import math
from enum import StrEnum
from typing import Final, NamedTuple

from roadmaster.telemetry.codec import PLUGIN_PLACE, unsupported_revision_message
from roadmaster.telemetry.decoding import decoder
from roadmaster.telemetry.frame import SOURCES, Frame, Game, Header, Job, Truck
from roadmaster.telemetry.layout import MAP_SIZE, SUPPORTED_REVISIONS, revision_of
from roadmaster.telemetry.source import Snapshot

log = logging.getLogger(__name__)


class GameState(StrEnum):
    """The state shown to the user; the values are stable names for logs and the UI."""

    NOT_RUNNING = "not_running"  # no map, or the plugin shut down cleanly
    MENU = "menu"  # plugin loaded, game paused (menus, map, loading)
    DRIVING = "driving"  # plugin loaded, simulation running
    STALE = "stale"  # renderTime stopped advancing: crashed or frozen
    UNSUPPORTED = "unsupported"  # a plugin revision this version cannot decode
    CORRUPT = "corrupt"  # not a whole map, or key values NaN/infinite


class Reading(NamedTuple):
    """One judgement of one snapshot; immutable, so it may cross threads."""

    state: GameState
    frame: Frame | None  # the decoded frame whenever the snapshot could be decoded
    revision: int | None  # the plugin revision found, None without a whole map
    message: str  # one line for the status bar
    t_s: float | None  # the snapshot's clock, None without a snapshot
    changed: bool  # state differs from the previous reading (True for the first)


NO_MAP_MESSAGE: Final = (
    f"Game not running: start ATS or ETS2 with the scs-telemetry plugin installed ({PLUGIN_PLACE})."
)
SHUTDOWN_MESSAGE: Final = (
    "Game not running: the game has exited (the telemetry plugin shut down). "
    "Start ATS or ETS2 to continue."
)
GAME_NAMES: Final = {
    Game.ETS2: "Euro Truck Simulator 2",
    Game.ATS: "American Truck Simulator",
    Game.UNKNOWN: "The game",
}
# A plugin revision is a small number; a huge one means the bytes are not a map at
# all (random data, another program's file) rather than a newer plugin.
_MAX_PLAUSIBLE_REVISION: Final = 255
_ZERO3: Final = bytes(3)

# The floats checked for NaN/infinity, by their map member names for the message.
# NaN in these would poison every figure the tracker accumulates.
_KEY_FLOATS: Final = (
    SOURCES[Header]["scale"],
    *(
        SOURCES[Truck][name]
        for name in ("speed_mps", "engine_rpm", "fuel_l", "odometer_km", "x_m", "y_m", "z_m")
    ),
    SOURCES[Job]["cargo_mass_kg"],
)


def _key_floats(frame: Frame) -> tuple[float, ...]:
    """The values named by ``_KEY_FLOATS``, in that order."""
    t = frame.truck
    return (
        frame.header.scale,
        t.speed_mps,
        t.engine_rpm,
        t.fuel_l,
        t.odometer_km,
        t.x_m,
        t.y_m,
        t.z_m,
        frame.job.cargo_mass_kg,
    )


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


class Monitor:
    """Judges a stream of snapshots from one source.

    STALE is measured on the snapshot clock (``Snapshot.t_s``): ``renderTime`` that
    has not advanced for ``stale_after_s`` seconds means the game crashed or froze,
    since after a crash nothing resets the map (``sdkActive`` stays 1).  ``time``
    cannot be used for this, because it legitimately stops while the game is paused.
    """

    def __init__(self, stale_after_s: float = 5.0) -> None:
        self.stale_after_s = stale_after_s
        self._state: GameState | None = None
        self._render_time_us: int | None = None
        self._render_since_s = 0.0  # snapshot clock when renderTime last changed

    @property
    def state(self) -> GameState | None:
        """The state of the last reading (None before the first)."""
        return self._state

    def update(self, snapshot: Snapshot | None) -> Reading:
        """Judge one snapshot (None: the source has no map).  Never raises."""
        state, frame, revision, message = self._judge(snapshot)
        changed = state is not self._state
        self._state = state
        return Reading(
            state, frame, revision, message, None if snapshot is None else snapshot.t_s, changed
        )

    def _judge(self, snapshot: Snapshot | None) -> tuple[GameState, Frame | None, int | None, str]:
        if snapshot is None:
            self._render_time_us = None
            return GameState.NOT_RUNNING, None, None, NO_MAP_MESSAGE
        data, t_s = snapshot
        if len(data) != MAP_SIZE:
            self._render_time_us = None
            return (
                GameState.CORRUPT,
                None,
                None,
                f"Telemetry map is corrupt: {len(data)} bytes instead of {MAP_SIZE}.",
            )
        revision = revision_of(data)
        if revision not in SUPPORTED_REVISIONS:
            self._render_time_us = None
            return self._unsupported(data, revision)
        if data[0] > 1 or data[4] > 1 or data[1:4] != _ZERO3 or data[5:8] != _ZERO3:
            # sdkActive and paused are C++ bools and the bytes after them padding the
            # plugin never writes: anything else is not the plugin's map.
            self._render_time_us = None
            return (
                GameState.CORRUPT,
                None,
                revision,
                "Telemetry map is corrupt: its header is not what the scs-telemetry plugin writes.",
            )
        try:
            frame = decoder(revision)(data)
        except Exception:  # the decoder checks nothing; be safe on hostile bytes
            log.debug("snapshot of revision %d failed to decode", revision, exc_info=True)
            return GameState.CORRUPT, None, revision, "Telemetry map is corrupt: cannot decode it."
        values = _key_floats(frame)
        if not all(map(math.isfinite, values)):
            bad = [n for n, v in zip(_KEY_FLOATS, values, strict=True) if not math.isfinite(v)]
            return (
                GameState.CORRUPT,
                frame,
                revision,
                f"Telemetry map is corrupt: {', '.join(bad)} "
                f"{'is' if len(bad) == 1 else 'are'} not finite (NaN or infinity).",
            )
        header = frame.header
        if not header.sdk_active:  # mid-shutdown: sdkActive already 0, revision not yet
            self._render_time_us = None
            return GameState.NOT_RUNNING, frame, revision, SHUTDOWN_MESSAGE
        if header.render_time_us != self._render_time_us:
            self._render_time_us = header.render_time_us
            self._render_since_s = t_s
        elif t_s - self._render_since_s >= self.stale_after_s:
            return (
                GameState.STALE,
                frame,
                revision,
                f"Telemetry stopped updating {t_s - self._render_since_s:.0f} s ago: "
                "the game has crashed or is frozen.",
            )
        name = GAME_NAMES[header.game]
        if header.paused:
            return GameState.MENU, frame, revision, f"{name} is paused or in a menu."
        return GameState.DRIVING, frame, revision, f"{name} is running: telemetry live."

    @staticmethod
    def _unsupported(data: bytes, revision: int) -> tuple[GameState, None, int, str]:
        sdk_active = data[0]
        if revision == 0 and not sdk_active:
            # What the plugin leaves behind on a clean exit (spec §2a).
            return GameState.NOT_RUNNING, None, 0, SHUTDOWN_MESSAGE
        if revision > _MAX_PLAUSIBLE_REVISION:
            return (
                GameState.CORRUPT,
                None,
                revision,
                f"Telemetry map is corrupt: it holds {revision} where the plugin revision "
                "belongs; is it the scs-telemetry plugin's map?",
            )
        if revision == 0:
            # sdkActive=1 with revision 0: not what any supported plugin writes (it sets
            # the revision right after sdkActive at start, so this lasts one poll at most).
            supported = ", ".join(str(r) for r in SUPPORTED_REVISIONS)
            message = (
                "Unsupported telemetry plugin revision 0 (the plugin is active but reports "
                f"no revision); supported revisions are {supported}."
            )
        else:
            message = _capitalised(unsupported_revision_message(revision))
        return GameState.UNSUPPORTED, None, revision, message
