"""The immutable values the runtime hands to its faces (the window, ``headless``, the
dispatcher): what they may read from any thread, and the events of its one stream.

Everything here is frozen: a value made on the capture or the sync thread is read on
the GUI thread without a lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from roadmaster.jobs.events import Event, JobInfo, JobStats

if TYPE_CHECKING:
    from roadmaster.settings import Settings
    from roadmaster.sync.worker import SyncStatus


@dataclass(frozen=True, slots=True)
class OpenJob:
    """The open job as the capture thread last saw it."""

    job_key: str
    info: JobInfo
    stats: JobStats


@dataclass(frozen=True, slots=True)
class CaptureProgress:
    """The open job after a commit, and the game minute of the latest reading."""

    job: OpenJob | None
    game_time_min: int | None


@dataclass(frozen=True, slots=True)
class SyncSnapshot:
    """What the cloud sync is doing, for the status bar and the tray.

    ``configured`` False: no sync runs (``detail`` says why, in words for the player);
    otherwise ``base_url`` is where it sends and ``status`` the worker's last status
    (None until the worker reported)."""

    configured: bool
    base_url: str | None = None
    detail: str = ""
    status: SyncStatus | None = None


# --- the event stream (subscribers are called on the runtime's threads) ----------------


@dataclass(frozen=True, slots=True)
class EventsCommitted:
    """Tracker events, after the transaction that stored them committed."""

    events: tuple[Event, ...]


@dataclass(frozen=True, slots=True)
class ProgressChanged:
    progress: CaptureProgress


@dataclass(frozen=True, slots=True)
class CaptureStateChanged:
    """Capture started (``running``) or ended (``reason`` says why, "" when asked to)."""

    running: bool
    reason: str = ""


@dataclass(frozen=True, slots=True)
class ProblemReported:
    """A user-fixable problem, one line that says what to do."""

    message: str


@dataclass(frozen=True, slots=True)
class StoreOpened:
    """The local log is open (reads may start: :meth:`Runtime.engine`)."""

    data_file: Path
    source_name: str


@dataclass(frozen=True, slots=True)
class SourceOpened:
    """A telemetry source was opened (at start, or again after a settings change)."""

    source_name: str


@dataclass(frozen=True, slots=True)
class SyncChanged:
    """Sync was (re)wired: started, stopped, or pointed elsewhere."""

    sync: SyncSnapshot


@dataclass(frozen=True, slots=True)
class SettingsApplied:
    """New settings are in force; ``changed`` names the sections that differ
    (``"cloud"``, ``"game"``, ``"display"``, ``"economy"``, ``"overlay"`` …)."""

    settings: Settings
    changed: frozenset[str]


RuntimeEvent = (
    EventsCommitted
    | ProgressChanged
    | CaptureStateChanged
    | ProblemReported
    | StoreOpened
    | SourceOpened
    | SyncChanged
    | SettingsApplied
)
