"""Cloud wiring, in one place: the in-process demo server and the sync worker.

Both start on the capture thread right after the store opens (a hook of
CaptureService), never on the GUI thread: creating the server migrates its
database and waits until it accepts connections, and the worker needs the store's
engine.  Shutdown (another hook, after capture's final flush) gives the worker a
bounded flush, then stops the demo server — before the store closes.

``roadmaster --demo``: a reference server on a free loopback port with a demo user
(its database in the demo data folder), and the sync worker pointed at it.
Otherwise: sync runs when the settings name a server and sync is enabled.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from roadmaster.ui.capture_service import CaptureService

if TYPE_CHECKING:
    from roadmaster.storage.store import Store

log = logging.getLogger(__name__)

SYNC_FLUSH_S = 3.0  # the bounded flush at shutdown; what is left stays queued
DEMO_USER = "demo"


@dataclass
class CloudWiring:
    """What was started (for the controller's status and for tests)."""

    base_url: str | None = None
    worker: Any = None
    stop_server: Callable[[], None] | None = None
    problem: str = ""


def start_demo_server(data_dir: Path) -> tuple[str, str, Callable[[], None]]:
    """Serve the reference API in-process; returns (base URL, demo API key, stop)."""
    from roadmaster.server.app import create_app
    from roadmaster.server.limits import Limits
    from roadmaster.server.runner import serve_in_thread
    from roadmaster.server.users import UserExistsError, add_user, rotate_key

    db_url = f"sqlite:///{data_dir / 'demo-server.db'}"
    # At 60× the simulator records 60 samples a second: the hosted service's 7,200
    # an hour would hold the demo's deliveries back after two minutes.
    app = create_app(db_url, limits=Limits(telemetry_per_hour=1_000_000, jobs_per_hour=10_000))
    try:
        key = add_user(db_url, DEMO_USER)
    except UserExistsError:  # a demo run before: same user, a fresh key
        key = rotate_key(db_url, DEMO_USER)
    base_url, stop = serve_in_thread(app, "127.0.0.1", 0)
    log.info("demo cloud server at %s", base_url)
    return base_url, key, stop


def wire_cloud(
    service: CaptureService,
    *,
    demo: bool,
    data_dir: Path | None,
    server_url: str | None,
    on_started: Callable[[CloudWiring], None],
) -> CloudWiring:
    """Register the start and stop hooks on ``service``; ``on_started`` is called on
    the capture thread with what runs (keep it to an attribute assignment)."""
    wiring = CloudWiring()

    def start(store: Store) -> None:
        try:
            from roadmaster.sync.client import CloudClient
            from roadmaster.sync.config import ApiKey, KeyCache
            from roadmaster.sync.worker import SyncWorker
        except ImportError:  # a build without the sync package: local log only
            wiring.problem = "sync is not available in this build"
            on_started(wiring)
            return
        try:
            if demo:
                assert data_dir is not None
                base_url, key, wiring.stop_server = start_demo_server(data_dir)
                demo_key = ApiKey(key)

                def key_provider() -> Any:
                    return demo_key
            elif server_url:
                base_url = server_url
                # Read when it may have changed (a key saved in Settings, a 401), not
                # per request; the first read happens on the sync thread.
                key_provider = KeyCache()
            else:
                on_started(wiring)
                return
            worker = SyncWorker(
                engine=store.engine, client=CloudClient(base_url), key_provider=key_provider
            )
            worker.start()
            wiring.base_url, wiring.worker = base_url, worker
        except Exception as exc:  # the app must still record locally
            log.warning("cloud sync could not start: %s", exc, exc_info=True)
            wiring.problem = f"sync could not start ({exc})"
        on_started(wiring)

    def stop() -> None:
        if wiring.worker is not None and not wiring.worker.stop(flush_timeout_s=SYNC_FLUSH_S):
            log.warning("the sync worker did not stop in time; unsent rows stay queued")
        if wiring.stop_server is not None:
            wiring.stop_server()

    service.on_store_open.append(start)
    service.before_close.append(stop)
    return wiring
