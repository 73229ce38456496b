"""A conversation with Roadie: the tool loop, the guards, history and storage.

:meth:`Dispatcher.ask` runs on a worker thread (the dock's pool task, or the
``ask`` command's main thread) and reports through two callbacks: ``on_text`` with
each piece of the answer as it arrives and ``on_status`` with one-line states
("checking your log…", "retrying in 5 s…").  It returns an :class:`Answer` or
raises a :class:`~roadmaster.dispatcher.errors.DispatcherError`; a Stop returns an
answer in state "stopped".

Guards: ``max_tokens`` per reply, at most ``requests_per_hour`` API requests per
rolling hour (counted in the data file, so every window and terminal shares it),
at most :data:`MAX_TOOL_ROUNDS` tool rounds per question, one retry (our own, so it
can be shown and stopped) of a 429/529/5xx whose wait is short.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from roadmaster import secrets
from roadmaster.dispatcher import errors as e
from roadmaster.dispatcher.client import (
    DEFAULT_TIMEOUT_S,
    Cancel,
    CancelledError,
    StreamResult,
    make_client,
    stream_once,
)
from roadmaster.dispatcher.conversations import ConversationStore
from roadmaster.dispatcher.live import LiveSource, Prefs, summary
from roadmaster.dispatcher.persona import system_prompt
from roadmaster.dispatcher.tools import SCHEMAS, Toolbox, ToolError

if TYPE_CHECKING:
    import anthropic

log = logging.getLogger(__name__)

KEY_ENV: Final = "ANTHROPIC_API_KEY"
BASE_URL_ENV: Final = "ANTHROPIC_BASE_URL"
MAX_TOOL_ROUNDS: Final = 6
#: A retry waits at most this long; a longer Retry-After is reported, not waited out.
MAX_RETRY_WAIT_S: Final = 20.0
DEFAULT_RETRY_WAIT_S: Final = 2.0

QUICK_PROMPTS: Final = (
    "What should I haul next?",
    "Will I make the deadline?",
    "How's my fuel economy?",
    "Where does my money go?",
)


def resolve_key(session_key: str | None = None) -> str | None:
    """The Anthropic key: ``ANTHROPIC_API_KEY``, else the key typed this session
    (no secure keyring), else the OS keyring's entry."""
    env = os.environ.get(KEY_ENV, "").strip()
    if env:
        return env
    if session_key:
        return session_key
    secure, _message = secrets.keyring_status(secrets.ANTHROPIC_API_KEY)
    if not secure:  # no keyring at all (headless): simply no stored key, no warning
        return None
    return secrets.get_secret(secrets.ANTHROPIC_API_KEY)


def resolve_base_url(setting: str) -> str | None:
    """``ANTHROPIC_BASE_URL``, else the setting; None: the SDK's default."""
    return os.environ.get(BASE_URL_ENV, "").strip() or setting.strip() or None


NO_KEY_MESSAGE: Final = (
    "Roadie needs an Anthropic API key: add it in Settings → Dispatcher (or set ANTHROPIC_API_KEY)."
)


@dataclass(frozen=True, slots=True)
class DispatcherConfig:
    api_key: str | None
    model: str
    base_url: str | None = None
    max_tokens: int = 1024
    requests_per_hour: int = 30
    max_retries: int = 1
    timeout_s: float = DEFAULT_TIMEOUT_S


@dataclass(frozen=True, slots=True)
class Answer:
    text: str
    state: str  # "complete" or "stopped"
    input_tokens: int
    output_tokens: int
    api_requests: int
    tools_used: tuple[str, ...]


class Dispatcher:
    """One conversation at a time; ``ask`` must not run twice at once."""

    def __init__(
        self,
        config: DispatcherConfig,
        *,
        toolbox: Toolbox,
        live: LiveSource,
        prefs: Prefs,
        store: ConversationStore | None = None,
        client_factory: Callable[[str, str | None, float], anthropic.Anthropic] = make_client,
    ) -> None:
        self.config = config
        self.toolbox = toolbox
        self.live = live
        self.prefs = prefs
        self.store = store
        self._client_factory = client_factory
        self._client: anthropic.Anthropic | None = None
        self._client_key: tuple[str, str | None] | None = None
        self.conversation_id: int | None = None
        self._memory: list[dict[str, Any]] = []  # history when there is no store

    # --- conversations ------------------------------------------------------------

    def new_conversation(self) -> None:
        """Forget the history: the next question starts a new conversation."""
        self.conversation_id = None
        self._memory = []

    def _history(self) -> list[dict[str, Any]]:
        if self.store is None:
            return list(self._memory)
        if self.conversation_id is None:
            return []
        return self.store.history(self.conversation_id)

    def _remember(self, role: str, text: str, **kw: Any) -> None:
        if self.store is None:
            return
        if self.conversation_id is None:
            self.conversation_id = self.store.new_conversation()
        self.store.add(self.conversation_id, role, text, **kw)

    # --- asking -------------------------------------------------------------------

    def _get_client(self) -> anthropic.Anthropic:
        key = self.config.api_key
        if not key:
            raise e.NoKeyError(NO_KEY_MESSAGE)
        ident = (key, self.config.base_url)
        if self._client is None or self._client_key != ident:
            self._client = self._client_factory(key, self.config.base_url, self.config.timeout_s)
            self._client_key = ident
        return self._client

    def _check_cap(self, made_now: int) -> None:
        cap = self.config.requests_per_hour
        used = made_now + (self.store.requests_last_hour() if self.store is not None else 0)
        if used >= cap:
            raise e.RequestCapError(
                f"Roadie has made {used} requests in the last hour, the cap you set "
                f"({cap} per hour, Settings → Dispatcher): ask again later or raise the cap."
            )

    def ask(
        self,
        question: str,
        *,
        on_text: Callable[[str], None],
        on_status: Callable[[str], None] = lambda _s: None,
        cancel: Cancel | None = None,
    ) -> Answer:
        """Answer ``question`` (see the module docstring)."""
        question = question.strip()
        if not question:
            raise e.DispatcherError("Type a question for Roadie first.")
        cancel = cancel or Cancel()
        client = self._get_client()
        self._check_cap(0)
        history = self._history()
        system = system_prompt(summary(self.live(), self.prefs))
        # The player's words only ever go in a user message.
        messages: list[dict[str, Any]] = [*history, {"role": "user", "content": question}]
        self._remember("user", question)

        parts: list[str] = []
        requests = 0
        usage_in = usage_out = 0
        tools_used: list[str] = []

        def emit(delta: str) -> None:
            parts.append(delta)
            on_text(delta)

        def finish(state: str, text: str) -> None:
            self._remember(
                "assistant",
                text,
                state=state,
                api_requests=requests,
                input_tokens=usage_in,
                output_tokens=usage_out,
            )
            if self.store is None and state == "complete":
                self._memory += [
                    {"role": "user", "content": question},
                    {"role": "assistant", "content": text},
                ]

        try:
            for _round in range(MAX_TOOL_ROUNDS):
                if parts and not "".join(parts).endswith("\n"):
                    emit("\n\n")
                result: StreamResult | None = None
                retries = self.config.max_retries
                while result is None:
                    self._check_cap(requests)
                    requests += 1
                    try:
                        result = stream_once(
                            client,
                            model=self.config.model,
                            system=system,
                            messages=messages,
                            tools=SCHEMAS,
                            max_tokens=self.config.max_tokens,
                            on_text=emit,
                            cancel=cancel,
                            on_notice=on_status,
                        )
                    except (e.RateLimitedError, e.OverloadedError, e.ServerError) as exc:
                        wait = exc.retry_after_s
                        wait = DEFAULT_RETRY_WAIT_S if wait is None else wait
                        if retries <= 0 or exc.partial or wait > MAX_RETRY_WAIT_S:
                            raise
                        retries -= 1
                        on_status(f"{exc} — retrying in {wait:.0f} s…")
                        if cancel.wait(wait):
                            raise CancelledError("".join(parts)) from None
                        on_status("retrying…")
                usage_in += result.input_tokens
                usage_out += result.output_tokens
                if result.stop_reason == "max_tokens":
                    raise e.IncompleteAnswerError(
                        f"The answer reached the length guard ({self.config.max_tokens} tokens "
                        "per answer) and was cut: ask for less, or raise the limit.",
                        partial="".join(parts),
                    )
                if result.stop_reason != "tool_use" or not result.tool_calls:
                    break
                messages.append({"role": "assistant", "content": list(result.content)})
                results: list[dict[str, Any]] = []
                for call in result.tool_calls:
                    tools_used.append(call.name)
                    on_status(f"checking {call.name.replace('_', ' ')}…")
                    results.append(self._run_tool(call.id, call.name, call.input))
                messages.append({"role": "user", "content": results})
            else:
                raise e.IncompleteAnswerError(
                    f"Roadie kept calling tools ({MAX_TOOL_ROUNDS} rounds) without answering: "
                    "ask a narrower question.",
                    partial="".join(parts),
                )
        except CancelledError:
            text = "".join(parts)
            finish("stopped", text)
            return Answer(text, "stopped", usage_in, usage_out, requests, tuple(tools_used))
        except e.DispatcherError as exc:
            partial = "".join(parts)
            state = "incomplete" if isinstance(exc, e.IncompleteAnswerError) else "error"
            finish(state, partial)
            exc.partial = partial
            raise
        text = "".join(parts)
        finish("complete", text)
        return Answer(text, "complete", usage_in, usage_out, requests, tuple(tools_used))

    def _run_tool(self, tool_id: str, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        try:
            content = self.toolbox.run(name, arguments)
            return {"type": "tool_result", "tool_use_id": tool_id, "content": content}
        except ToolError as exc:
            message = str(exc)
        except Exception as exc:  # a bug in a tool must not end the conversation
            log.exception("tool %s failed", name)
            message = f"internal error in the tool ({type(exc).__name__})"
        return {
            "type": "tool_result",
            "tool_use_id": tool_id,
            "content": message,
            "is_error": True,
        }

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
