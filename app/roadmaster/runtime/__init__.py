"""The running app under any face (the window, ``roadmaster headless``, the dispatcher):
the capture thread, the sync wiring and the demo server, the immutable snapshots the
faces read, and one facade, :class:`Runtime`.  No Qt here."""

from roadmaster.runtime.cloud import SyncTarget
from roadmaster.runtime.config import RuntimeConfig, settings_source, sync_target
from roadmaster.runtime.facade import Runtime
from roadmaster.runtime.snapshots import (
    CaptureProgress,
    CaptureStateChanged,
    EventsCommitted,
    OpenJob,
    ProblemReported,
    ProgressChanged,
    RuntimeEvent,
    SettingsApplied,
    SourceOpened,
    StoreOpened,
    SyncChanged,
    SyncSnapshot,
)

__all__ = [
    "CaptureProgress",
    "CaptureStateChanged",
    "EventsCommitted",
    "OpenJob",
    "ProblemReported",
    "ProgressChanged",
    "Runtime",
    "RuntimeConfig",
    "RuntimeEvent",
    "SettingsApplied",
    "SourceOpened",
    "StoreOpened",
    "SyncChanged",
    "SyncSnapshot",
    "SyncTarget",
    "settings_source",
    "sync_target",
]
