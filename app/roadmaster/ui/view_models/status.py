"""The status bar: game, plugin, recording and sync, each with a severity."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from roadmaster.telemetry.status import GameState, Reading
from roadmaster.ui.view_models.job_panel import JobProgress

GAME_STATE_TEXT: Final = {
    GameState.NOT_RUNNING: "Game not running",
    GameState.MENU: "Game paused / in menu",
    GameState.DRIVING: "Driving",
    GameState.STALE: "Game not responding",
    GameState.UNSUPPORTED: "Unsupported plugin",
    GameState.CORRUPT: "Telemetry unreadable",
}


@dataclass(frozen=True, slots=True)
class StatusModel:
    game: str
    game_level: str  # "ok" | "warn" | "error" | "idle" (the view picks colours)
    game_tooltip: str
    plugin: str
    recording: str
    recording_level: str
    sync: str
    sync_level: str
    sync_tooltip: str
    capture_running: bool = True  # the window's Stop/Start capture button follows it


@dataclass(frozen=True, slots=True)
class SyncInfo:
    """What the status bar knows about sync, normalised from whatever the sync worker
    reports (see :func:`sync_info_from`)."""

    enabled: bool
    online: bool | None = None  # None: not tried yet
    pending: int = 0
    dead: int = 0
    last_error: str = ""
    key_state: str = "ok"  # "ok" | "missing" | "invalid"
    detail: str = ""  # why sync is off, when it is
    parked: str = ""  # e.g. "1 delivery not accepted by the server: Failed to complete job"


def sync_info_from(status: object, pending: int, dead: int) -> SyncInfo:
    """Normalise the sync worker's status (``roadmaster.sync.worker.SyncStatus``: a
    ``state`` and ``last_error``) with the outbox counts."""
    state = str(getattr(status, "state", "") or "")
    last_error = str(getattr(status, "last_error", "") or "")
    key_state = {"no_key": "missing", "unauthorized": "invalid"}.get(state, "ok")
    online: bool | None
    if state in ("idle", "sending", "pacing", "rate_limited", "server_error"):
        online = True
    elif state == "offline":
        online = False
    else:
        online = None  # not started yet, stopped, or waiting for a key
    return SyncInfo(
        enabled=True,
        online=online,
        pending=pending,
        dead=dead,
        last_error=last_error,
        key_state=key_state,
        detail={
            "rate_limited": "rate limited: sending slower",
            "server_error": "the server answered with an error: retrying",
        }.get(state, ""),
        parked=str(getattr(status, "parked", "") or ""),
    )


def _sync_parts(sync: SyncInfo) -> tuple[str, str, str]:
    counts = []
    if sync.pending:
        counts.append(f"{sync.pending} pending")
    if sync.dead:
        counts.append(f"{sync.dead} dead")
    suffix = f" · {', '.join(counts)}" if counts else ""
    if not sync.enabled:
        text = f"Sync off{suffix}"
        return text, "idle", sync.detail or "Cloud sync is not set up: jobs stay in the local log."
    if sync.key_state == "missing":
        return (
            f"Sync: API key missing{suffix}",
            "error",
            "Add your RoadMaster API key in Settings; jobs wait in the local log until then.",
        )
    if sync.key_state == "invalid":
        return (
            f"Sync: API key rejected{suffix}",
            "error",
            "The cloud rejected the API key: check it in Settings. Jobs wait in the local log.",
        )
    level = "warn" if sync.dead else "ok"
    if sync.online is False:
        error = f": {sync.last_error}" if sync.last_error else ""
        return (
            f"Sync offline{suffix}",
            "warn",
            f"The cloud can't be reached{error}. Jobs are kept locally and sent later.",
        )
    tip = sync.last_error or "Jobs and telemetry are mirrored to the cloud."
    if sync.detail:
        tip = f"{sync.detail}. {tip}"
    if sync.dead:
        parked = sync.parked or f"{sync.dead} item(s) were refused by the cloud"
        tip = f"{parked} (parked; retried daily, or by `roadmaster sync --retry-dead`). {tip}"
    state = "Sync online" if sync.online else "Sync starting"
    if sync.dead and sync.parked:
        waiting = f" · {sync.pending} pending" if sync.pending else ""
        return f"{state}{waiting} · {sync.parked}", level, tip
    return f"{state}{suffix}", level, tip


def status_model(
    reading: Reading | None,
    *,
    capture_running: bool,
    capture_problem: str,
    job: JobProgress | None,
    sync: SyncInfo,
) -> StatusModel:
    """The status bar: game, plugin, recording and sync, each with a severity."""
    state = reading.state if reading is not None else GameState.NOT_RUNNING
    game = GAME_STATE_TEXT[state]
    if reading is not None and reading.frame is not None and state is GameState.DRIVING:
        game = f"Driving · {reading.frame.header.game.name}"
    game_level = {
        GameState.DRIVING: "ok",
        GameState.MENU: "idle",
        GameState.NOT_RUNNING: "idle",
        GameState.STALE: "warn",
        GameState.UNSUPPORTED: "error",
        GameState.CORRUPT: "error",
    }[state]
    revision = reading.revision if reading is not None else None
    plugin = f"plugin rev {revision}" if revision else "plugin: –"
    if not capture_running:
        why = capture_problem or "capture is stopped"
        recording, rec_level = f"NOT RECORDING: {why}", "error"
    elif capture_problem:
        recording, rec_level = f"NOT RECORDING: {capture_problem}", "error"
    elif state in (GameState.UNSUPPORTED, GameState.CORRUPT):
        recording, rec_level = "NOT RECORDING: telemetry can't be read", "error"
    elif job is not None:
        recording = f"● Recording delivery to {job.info.destination_city}"
        rec_level = "ok" if state is GameState.DRIVING else "idle"
    elif state is GameState.NOT_RUNNING:
        recording, rec_level = "Ready to record (waiting for the game)", "idle"
    else:
        recording, rec_level = "● Recording (no job)", "ok"
    sync_text, sync_level, sync_tip = _sync_parts(sync)
    return StatusModel(
        game=game,
        game_level=game_level,
        game_tooltip=reading.message if reading is not None else "",
        plugin=plugin,
        recording=recording,
        recording_level=rec_level,
        sync=sync_text,
        sync_level=sync_level,
        sync_tooltip=sync_tip,
        capture_running=capture_running,
    )
