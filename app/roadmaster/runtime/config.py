"""How a runtime is started: the source, the data folder, the settings, and what the
face (window or ``headless``) adds."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from roadmaster.runtime.cloud import SyncTarget, WorkerFactory
from roadmaster.settings import Settings
from roadmaster.telemetry.source import Source
from roadmaster.telemetry.status import Reading

SYNC_FLUSH_S = 3.0  # the bounded flush at shutdown and on a re-wire; what is left stays queued

SourceFactory = Callable[[], Source]


@dataclass(frozen=True)
class RuntimeConfig:
    """``source_for`` makes the source for given settings (Settings → Game): when it
    is set, a change of the telemetry source in the settings reopens the source live.
    None: the source is fixed (``--source``, the demo's simulator, tests).
    ``sync_factory`` replaces the settings' sync target (``headless``: --server, the
    environment's key, --no-sync)."""

    source_factory: SourceFactory
    data_dir: Path | None
    settings: Settings = field(default_factory=Settings)
    demo: bool = False
    speed: float | None = 1.0
    sample_interval_s: float = 1.0
    source_for: Callable[[Settings], SourceFactory] | None = None
    sync_factory: WorkerFactory | None = None
    sync_flush_s: float = SYNC_FLUSH_S
    #: called on the capture thread for every reading (keep it cheap)
    on_reading: Callable[[Reading], None] | None = None


def sync_target(settings: Settings, session_secrets: dict[str, str] | None = None) -> SyncTarget:
    """Where the settings say to sync (no server when sync is switched off)."""
    from roadmaster import secrets

    cloud = settings.cloud
    url = (cloud.server_url or None) if cloud.sync_enabled else None
    key = (session_secrets or {}).get(secrets.CLOUD_API_KEY)
    return SyncTarget(server_url=url, session_key=key or None)


def settings_source(spec: str, shm_path: str | None) -> Callable[[Settings], SourceFactory]:
    """The source for ``--source spec`` under given settings: for the game's shared
    memory with no ``--shm-path``, Settings → Game's path when one is chosen."""
    from roadmaster.telemetry.readers import open_source

    def source_for(settings: Settings) -> SourceFactory:
        path = shm_path
        if spec == "shm" and not path and settings.game.telemetry_source == "path":
            path = settings.game.telemetry_path or None
        return lambda: open_source(spec, path)

    return source_for
