"""``roadmaster ask "QUESTION"``: Roadie on the terminal.

The answer is streamed to stdout as it arrives; tool calls run against the local
log; notices ("retrying in 5 s…") go to stderr.  Any failure (no key, invalid key,
rate limited, overloaded, network down, timeout, a cut stream) is one line on
stderr and exit status 2: cli.main prints the DispatcherError, a UserError.
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

from roadmaster import paths
from roadmaster.errors import UserError

log = logging.getLogger(__name__)


def register(sub: Any) -> None:
    p = sub.add_parser(
        "ask",
        help="ask Roadie, the AI dispatcher, about your jobs and your truck",
        description="Ask Roadie a question. The answer streams to stdout; Roadie looks "
        "things up in your local job log (and the live telemetry while the game runs). "
        "Needs an Anthropic API key (Settings → Dispatcher, or ANTHROPIC_API_KEY).",
    )
    p.add_argument("question", help='the question, e.g. "Which route pays best?"')
    p.add_argument("--data-dir", help="data folder (default: the user data folder)")
    p.add_argument("--model", help="the model to use (default: the one in the settings)")
    p.add_argument("--shm-path", help="the telemetry map to read the live state from")
    p.add_argument(
        "--continue",
        dest="resume",
        action="store_true",
        help="continue the latest conversation instead of starting a new one",
    )
    p.set_defaults(func=run)


def _live_now(shm_path: str | None) -> Any:
    """The game's state right now from the shared memory, or None."""
    from roadmaster.dispatcher.live import live_from
    from roadmaster.telemetry.readers import open_source
    from roadmaster.telemetry.status import Monitor

    try:
        source = open_source("shm", shm_path)
    except UserError:
        return None
    try:
        return live_from(Monitor().update(source.snapshot()))
    except (UserError, OSError):
        return None
    finally:
        source.close()


def run(args: argparse.Namespace) -> int:
    from roadmaster.dispatcher.conversations import ConversationStore
    from roadmaster.dispatcher.datafile import open_log
    from roadmaster.dispatcher.live import Prefs
    from roadmaster.dispatcher.session import (
        Dispatcher,
        DispatcherConfig,
        resolve_base_url,
        resolve_key,
    )
    from roadmaster.dispatcher.tools import Toolbox
    from roadmaster.settings import load_settings

    if not getattr(args, "verbose", False):
        # The SDK's HTTP library logs every request at INFO: noise on a terminal.
        for name in ("httpx2", "httpx", "anthropic"):
            logging.getLogger(name).setLevel(logging.WARNING)
    question = args.question.strip()
    if not question:
        raise UserError('ask needs a question, e.g. roadmaster ask "Which route pays best?"')
    loaded = load_settings()
    if loaded.problem:
        print(f"roadmaster: {loaded.problem}", file=sys.stderr)
    s = loaded.settings
    prefs = Prefs(units=s.display.units, currency=s.display.currency)
    config = DispatcherConfig(
        api_key=resolve_key(),
        model=(args.model or s.dispatcher.model).strip(),
        base_url=resolve_base_url(s.dispatcher.base_url),
        max_tokens=s.dispatcher.max_tokens,
        requests_per_hour=s.dispatcher.requests_per_hour,
    )
    engine = open_log(paths.data_dir(args.data_dir))
    live = _live_now(args.shm_path)
    store = ConversationStore(engine) if engine is not None else None
    dispatcher = Dispatcher(
        config,
        toolbox=Toolbox(engine, lambda: live, prefs),
        live=lambda: live,
        prefs=prefs,
        store=store,
    )
    if args.resume and store is not None:
        dispatcher.conversation_id = store.latest_conversation()
    out = sys.stdout
    wrote: list[str] = []

    def on_text(piece: str) -> None:
        wrote.append(piece)
        out.write(piece)
        out.flush()

    def on_status(line: str) -> None:
        if line.startswith("checking "):
            log.debug("%s", line)
            return
        print(f"roadie: {line}", file=sys.stderr, flush=True)

    try:
        dispatcher.ask(question, on_text=on_text, on_status=on_status)
    finally:
        if wrote and not "".join(wrote).endswith("\n"):
            out.write("\n")
            out.flush()
        dispatcher.close()
        if engine is not None:
            engine.dispose()
    return 0
