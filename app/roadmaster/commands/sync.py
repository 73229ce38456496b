"""``roadmaster sync``: send what the outbox holds to the cloud, then exit.

``--once`` gives up with a one-line reason (exit 2) when sync is blocked (no key, a
refused key, the server unreachable after a few tries); without it, sync waits
those out until the queue is empty.  ``--retry-dead`` puts refused rows back in the
queue first (after a fix).  ``--set-key`` stores the API key in the OS keyring.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import sys
from typing import Any

from roadmaster import paths, secrets
from roadmaster.storage import outbox as ob
from roadmaster.storage.store import Store
from roadmaster.sync.client import CloudClient
from roadmaster.sync.config import (
    SERVER_URL_ENV,
    ApiKey,
    load_api_key,
    resolve_server_url,
)
from roadmaster.sync.errors import ConfigError
from roadmaster.sync.worker import SyncWorker

log = logging.getLogger("roadmaster.sync")


def register(sub: Any) -> None:
    p = sub.add_parser(
        "sync",
        help="send the queued jobs and telemetry to the cloud and exit",
        description="Drain the sync queue to the RoadMaster server, then exit. The API key "
        "comes from ROADMASTER_API_KEY or the OS keyring (set it with --set-key).",
    )
    add_server_arguments(p)
    p.add_argument("--data-dir", help="data folder (default: the user data folder)")
    p.add_argument(
        "--once",
        action="store_true",
        help="give up (exit 2) when blocked: no key, key refused, or server unreachable",
    )
    p.add_argument(
        "--retry-dead", action="store_true", help="queue the refused (dead) rows again first"
    )
    p.add_argument(
        "--set-key",
        action="store_true",
        help="store the API key in the OS keyring (read from the terminal or stdin) and exit",
    )
    p.set_defaults(func=run)


def add_server_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--server",
        metavar="URL",
        help=f"the server's base URL (default: ${SERVER_URL_ENV}, else the saved setting)",
    )


def key_provider() -> ApiKey | None:
    """Re-read on every call: a key changed in the keyring or environment is picked
    up by a worker paused on 401."""
    try:
        return load_api_key().key
    except ConfigError as exc:
        log.warning("%s", exc)
        return None


def make_worker(store: Store, server_url: str) -> SyncWorker:
    """A worker on the store's data file: its own engine (the capture keeps its
    connection), HTTP to ``server_url``."""
    from roadmaster.storage.engine import make_engine

    # httpx logs every request at INFO: one line per sample is noise.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    engine = make_engine(store.data_file, pool_size=1)
    return SyncWorker(engine=engine, client=CloudClient(server_url), key_provider=key_provider)


def _set_key() -> int:
    secure, message = secrets.keyring_status()
    if not secure:
        raise ConfigError(message)
    if sys.stdin.isatty():
        text = getpass.getpass("RoadMaster API key (rm_…): ")
    else:
        text = sys.stdin.readline()
    key = ApiKey(text.strip())  # validates; never echoed
    secrets.set_secret(secrets.CLOUD_API_KEY, key.reveal())
    print(f"API key {key} stored in the OS keyring.")
    return 0


def run(args: argparse.Namespace) -> int:
    if args.set_key:
        return _set_key()
    store = Store.open(paths.data_dir(args.data_dir))
    try:
        url = resolve_server_url(args.server, store.get_setting)
        if url is None:
            raise ConfigError(
                "No server to sync to: pass --server https://…, set "
                f"{SERVER_URL_ENV}, or save one in the app's settings."
            )
        source = load_api_key()
        if source.key is None:
            raise ConfigError(source.problem or "No API key.")
        if args.retry_dead:
            with store.engine.connect() as conn:
                count = ob.retry_dead(conn)
            log.info("%d refused rows queued again", count)
        worker = make_worker(store, url)
        try:
            stats = worker.drain(once=args.once)
        finally:
            worker.engine.dispose()
        with store.engine.connect() as conn:
            dead = ob.dead_count(conn)
        print(
            f"Synced {stats.rows_sent:,} rows to {url} in {stats.requests:,} requests"
            + (f"; {dead:,} refused (see `roadmaster status`)" if dead else "")
        )
    finally:
        store.close()
    return 0
