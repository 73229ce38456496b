"""Cloud wiring, in one place: the in-process demo server and the sync worker.

Sync starts once the local log is open (the worker reads its outbox), on the capture
thread, and is wired again when the settings name another server or key
(:meth:`SyncWiring.rewire`, on the runtime's control thread): the old worker stops
(what it had not sent stays queued) and a new one starts.  At shutdown, after capture's last commit
and before the log closes, :meth:`SyncWiring.close` gives the worker its bounded flush
and stops the demo server.  The GUI thread never waits on any of it.

``demo``: a reference server on a free loopback port with a demo user (its database in
the demo data folder), and the worker pointed at it; the settings' server is ignored.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from roadmaster import secrets
from roadmaster.runtime.snapshots import SyncSnapshot

if TYPE_CHECKING:
    from roadmaster.storage.store import Store
    from roadmaster.sync.config import ApiKey, KeySource
    from roadmaster.sync.worker import SyncWorker

log = logging.getLogger(__name__)

DEMO_USER = "demo"
NOT_SET_UP = "Cloud sync is not set up (Settings → Cloud): jobs stay in the local log."

#: Builds the worker for a log (``roadmaster headless`` passes its own: --server, the
#: environment's key); None when sync stays off (the factory logs why).
WorkerFactory = Callable[["Store"], "SyncWorker | None"]


@dataclass(frozen=True, slots=True)
class SyncTarget:
    """Where sync should send, from the settings; ``session_key`` is a key typed this
    session where no secure keyring exists (used after the environment's, before the
    keyring's)."""

    server_url: str | None = None
    session_key: str | None = None

    def __repr__(self) -> str:  # never the key itself
        return f"SyncTarget({self.server_url!r}, session_key={secrets.redact(self.session_key)})"


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


def key_loader(session_key: str | None) -> Callable[[], KeySource]:
    """The key: ``$ROADMASTER_API_KEY``, else the session's, else the OS keyring."""
    from roadmaster.sync.config import API_KEY_ENV, ApiKey, KeySource, load_api_key

    def load() -> KeySource:
        if session_key and not os.environ.get(API_KEY_ENV):
            return KeySource(ApiKey(session_key.strip()), "session")
        return load_api_key()

    return load


class SyncWiring:
    """Owns the sync worker and the demo server.  Thread-safe: ``start`` and ``close``
    run on the capture thread, ``rewire`` on the control thread, ``snapshot`` and
    ``wake`` anywhere."""

    def __init__(
        self,
        *,
        demo: bool,
        data_dir: Path | None,
        flush_s: float,
        announce: Callable[[SyncSnapshot], None],
        factory: WorkerFactory | None = None,
    ) -> None:
        self._demo = demo
        self._data_dir = data_dir
        self._flush_s = flush_s
        self._announce = announce
        self._factory = factory
        self._lock = threading.RLock()
        self._store: Store | None = None
        self._closed = False
        self._worker: SyncWorker | None = None
        self._base_url: str | None = None
        self._detail = NOT_SET_UP
        self._stop_server: Callable[[], None] | None = None
        self._target = SyncTarget()
        self._demo_key: ApiKey | None = None

    # --- queries (any thread) ----------------------------------------------------------

    @property
    def worker(self) -> SyncWorker | None:
        return self._worker

    def snapshot(self) -> SyncSnapshot:
        worker, base_url, detail = self._worker, self._base_url, self._detail
        if worker is None:
            return SyncSnapshot(configured=False, detail=detail)
        return SyncSnapshot(configured=True, base_url=base_url, status=worker.status)

    def wake(self) -> None:
        worker = self._worker
        if worker is not None:
            worker.wake()

    # --- commands ----------------------------------------------------------------------

    def start(self, store: Store, target: SyncTarget) -> None:
        """The log is open: start sync (on the capture thread)."""
        with self._lock:
            self._store, self._target, self._closed = store, target, False
            self._wire()

    def rewire(self, target: SyncTarget) -> None:
        """New settings: when the server or the session key changed, stop the old
        worker (bounded flush) and start one for the new target.  Before the log is
        open, only remember the target."""
        with self._lock:
            if target == self._target:
                return
            self._target = target
            if self._store is None or self._closed or self._demo or self._factory is not None:
                return
            self._unwire(flush=False)
            self._wire()

    def close(self) -> None:
        """Bounded flush, stop the worker and the demo server (before the log closes)."""
        with self._lock:
            self._closed = True
            self._unwire()
            if self._stop_server is not None:
                self._stop_server()
                self._stop_server = None

    # --- inside the lock ---------------------------------------------------------------

    def _wire(self) -> None:
        store = self._store
        assert store is not None
        try:
            worker = self._make_worker(store)
        except Exception as exc:  # the app must still record locally
            log.warning("cloud sync could not start: %s", exc, exc_info=True)
            self._detail = (
                f"Cloud sync is off: sync could not start ({exc}). Jobs are kept in the local log."
            )
            worker = None
        if worker is not None:
            logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per request: noise
            worker.start()
            self._worker = worker
        self._announce(self.snapshot())

    def _make_worker(self, store: Store) -> SyncWorker | None:
        if self._factory is not None:
            worker = self._factory(store)
            self._base_url = None if worker is None else worker.client.base_url
            return worker
        from roadmaster.sync.client import CloudClient
        from roadmaster.sync.config import ApiKey, KeyCache, validate_server_url
        from roadmaster.sync.errors import ConfigError
        from roadmaster.sync.worker import KeyProvider, SyncWorker

        key_provider: KeyProvider
        if self._demo:
            if self._stop_server is None:
                assert self._data_dir is not None
                self._base_url, key, self._stop_server = start_demo_server(self._data_dir)
                self._demo_key = ApiKey(key)
            demo_key = self._demo_key
            base_url = self._base_url

            def key_provider() -> ApiKey | None:
                return demo_key
        else:
            url = self._target.server_url
            if not url:
                self._base_url, self._detail = None, NOT_SET_UP
                return None
            try:
                base_url = validate_server_url(url)
            except ConfigError as exc:
                self._base_url = None
                self._detail = f"Cloud sync is off: {exc}"
                return None
            # Read when it may have changed (a key saved in Settings, a 401), not per
            # request; the first read happens on the sync thread.
            key_provider = KeyCache(key_loader(self._target.session_key))
        assert base_url is not None
        self._base_url = base_url
        log.info("syncing to %s", base_url)
        return SyncWorker(
            engine=store.engine, client=CloudClient(base_url), key_provider=key_provider
        )

    def _unwire(self, *, flush: bool = True) -> None:
        """Stop the worker: with a bounded flush at shutdown; at once on a re-wire (what
        is queued stays in the outbox and goes to the new target)."""
        worker = self._worker
        if worker is None:
            return
        if not worker.stop(flush_timeout_s=self._flush_s if flush else 0.0):
            log.warning("sync did not stop in time; what is queued goes next time")
        self._worker = None  # only now: nothing is sent once "not configured" shows
        store = self._store
        if store is not None and worker.engine is not store.engine:
            worker.engine.dispose()  # a factory's own engine
        self._detail = NOT_SET_UP
        self._announce(self.snapshot())
