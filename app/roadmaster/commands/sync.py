"""``roadmaster sync``: send what the outbox holds to the cloud, then exit.

``--once`` ends in bounded time: it sends what can be sent and exits with a summary
of what is left and why, the exit status telling the reasons apart (:data:`EXIT_CODES`).
Without it, sync waits out network failures, server errors and rate limits until
the queue is empty.  ``--retry-dead`` puts parked rows back in the queue first
(after a fix).  ``--set-key`` stores the API key in the OS keyring.
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
    KeyCache,
    load_api_key,
    resolve_server_url,
)
from roadmaster.sync.errors import ConfigError
from roadmaster.sync.worker import SyncStats, SyncWorker

log = logging.getLogger("roadmaster.sync")

EXIT_OK = 0
EXIT_BLOCKED = 2  # the CLI's user-error status: no key, key refused, bad URL
EXIT_OFFLINE = 3
EXIT_SERVER_ERROR = 4
EXIT_PARKED = 5
EXIT_RATE_LIMITED = 6
EXIT_CODES = f"""exit status of --once:
  {EXIT_OK}  everything was sent
  {EXIT_BLOCKED}  blocked: no API key, the key was refused, or a bad server URL
  {EXIT_OFFLINE}  rows left: the network failed (the server could not be reached)
  {EXIT_SERVER_ERROR}  rows left: the server answered with errors (5xx or a wrong answer)
  {EXIT_PARKED}  rows parked: the server would not accept them (see `roadmaster status`)
  {EXIT_RATE_LIMITED}  rows left: the server's rate limit did not allow more before the deadline
rows left stay queued; nothing is dropped."""


def register(sub: Any) -> None:
    p = sub.add_parser(
        "sync",
        help="send the queued jobs and telemetry to the cloud and exit",
        description="Drain the sync queue to the RoadMaster server, then exit. The API key "
        "comes from ROADMASTER_API_KEY or the OS keyring (set it with --set-key).",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_server_arguments(p)
    p.add_argument("--data-dir", help="data folder (default: the user data folder)")
    p.add_argument(
        "--once",
        action="store_true",
        help="send what can be sent within --deadline, then exit with a summary of what is "
        "left and why (exit status below)",
    )
    p.add_argument(
        "--deadline",
        type=_seconds,
        default=300.0,
        metavar="S",
        help="with --once: stop waiting (rate limit, retries) after S seconds (default 300)",
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


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < value <= 86_400:
        raise argparse.ArgumentTypeError("give a number of seconds between 0 and 86400")
    return value


def make_worker(store: Store, server_url: str) -> SyncWorker:
    """A worker on the store's data file: its own engine (the capture keeps its
    connection), HTTP to ``server_url``."""
    from roadmaster.storage.engine import make_engine

    # httpx logs every request at INFO: one line per sample is noise.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    engine = make_engine(store.data_file, pool_size=1)
    return SyncWorker(engine=engine, client=CloudClient(server_url), key_provider=KeyCache())


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
        worker.once_deadline_s = args.deadline
        worker.report = _progress
        try:
            stats = worker.drain(once=args.once)
        finally:
            worker.engine.dispose()
        with store.engine.connect() as conn:
            pending = ob.pending_count(conn)
            parked = ob.dead_summary(conn)
        return _summary(url, stats, pending, parked)
    finally:
        store.close()


def _progress(text: str) -> None:
    print(f"roadmaster sync: {text}", file=sys.stderr, flush=True)


def _summary(url: str, stats: SyncStats, pending: int, parked: str | None) -> int:
    """Print what was sent and what is left and why; the exit status for it."""
    sent = "1 row" if stats.rows_sent == 1 else f"{stats.rows_sent:,} rows"
    print(f"Sent {sent} to {url} in {stats.requests:,} requests.")
    code = EXIT_OK
    if pending:
        detail = stats.stopped_detail or "no details"
        why, code = {
            "offline": (
                f"the network failed, the server could not be reached ({detail}); check "
                "the connection and the server URL (--server)",
                EXIT_OFFLINE,
            ),
            "server_error": (
                f"the server answered with errors, the network is fine ({detail})",
                EXIT_SERVER_ERROR,
            ),
        }.get(
            stats.stopped_because or "",
            (
                "the server's rate limit allowed no more before the deadline "
                f"(--deadline); {detail}",
                EXIT_RATE_LIMITED,
            ),
        )
        rows = "1 row" if pending == 1 else f"{pending:,} rows"
        print(f"{rows} left: {why}. They stay queued: run `roadmaster sync` again.")
    if parked:
        print(
            f"{parked}. Parked: `roadmaster sync --retry-dead` queues them again (parked "
            "server errors are retried once a day on their own); see `roadmaster status`."
        )
        if code == EXIT_OK:
            code = EXIT_PARKED
    return code
