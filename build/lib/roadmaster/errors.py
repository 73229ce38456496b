"""The project's error hierarchy.

A :class:`UserError` is a problem the user can fix: its message says what happened
and what to do, and it is shown as one line (CLI) or a status message (GUI), never
as a traceback.  Anything else that escapes is a bug and goes to the crash report.
"""

from __future__ import annotations


class RoadMasterError(Exception):
    """Base of every error this project raises on purpose."""


class UserError(RoadMasterError):
    """Something the user can fix; ``str(error)`` is the message to show."""


class SnapshotError(UserError):
    """A telemetry snapshot that cannot be decoded (size, revision, corruption)."""

    def __init__(self, message: str, *, revision: int | None = None) -> None:
        super().__init__(message)
        self.revision = revision


class RecordingError(UserError):
    """A recording file that cannot be read or written."""


class SourceError(UserError):
    """A telemetry source that cannot be opened."""
