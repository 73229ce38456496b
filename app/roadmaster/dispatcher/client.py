"""The boundary with the Anthropic SDK: one streamed request, errors in plain words.

``anthropic`` costs ~1.3 s to import, so it is imported on first use, on the thread
that streams (never at start-up, never on the GUI thread).  The SDK's own retries
are off (``max_retries=0``): :mod:`roadmaster.dispatcher.session` retries itself, so
it can say "retrying…" and a Stop interrupts the wait.

Everything the SDK or its HTTP library (``httpx2``) raises is mapped here to a
:class:`~roadmaster.dispatcher.errors.DispatcherError`; a stream that ends before
``message_stop`` (``stop_reason`` None) is an :class:`IncompleteAnswerError`,
never a whole answer.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from roadmaster.dispatcher import errors as e

if TYPE_CHECKING:
    import anthropic

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S: Final = 60.0
CONNECT_TIMEOUT_S: Final = 10.0


@dataclass(frozen=True, slots=True)
class ToolCall:
    id: str
    name: str
    input: dict[str, Any]


@dataclass(frozen=True, slots=True)
class StreamResult:
    """One complete streamed reply: its text, tool calls, stop reason and usage."""

    text: str
    content: tuple[dict[str, Any], ...]  # the assistant content blocks, to send back
    tool_calls: tuple[ToolCall, ...]
    stop_reason: str
    input_tokens: int
    output_tokens: int


@dataclass
class Cancel:
    """A Stop button: ``cancel()`` from any thread ends the stream being read."""

    _event: threading.Event = field(default_factory=threading.Event)
    _closers: list[Callable[[], None]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def cancel(self) -> None:
        with self._lock:
            self._event.set()
            closers = list(self._closers)
        for close in closers:
            try:
                close()
            except Exception:  # closing a half-read response may raise; it is closed anyway
                log.debug("closing the stream on cancel raised", exc_info=True)

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def wait(self, seconds: float) -> bool:
        """Wait up to ``seconds``; True when cancelled meanwhile."""
        return self._event.wait(seconds)

    def _watch(self, close: Callable[[], None]) -> None:
        with self._lock:
            self._closers.append(close)
            now = self._event.is_set()
        if now:
            close()

    def _unwatch(self, close: Callable[[], None]) -> None:
        with self._lock:
            if close in self._closers:
                self._closers.remove(close)


class CancelledError(Exception):
    """The player pressed Stop; ``partial`` is what had arrived."""

    def __init__(self, partial: str) -> None:
        super().__init__("stopped")
        self.partial = partial


def make_client(api_key: str, base_url: str | None, timeout_s: float) -> anthropic.Anthropic:
    """The SDK client (imports the SDK: call it off the GUI thread)."""
    import anthropic

    return anthropic.Anthropic(
        api_key=api_key,
        base_url=base_url or None,
        max_retries=0,
        timeout=anthropic.Timeout(timeout_s, connect=CONNECT_TIMEOUT_S),
    )


def _shutdown_socket(response: Any) -> None:
    """Wake a thread blocked reading ``response``: closing a socket from another
    thread does not interrupt a ``recv`` on Linux, shutting it down does."""
    stream = getattr(response, "extensions", {}).get("network_stream")
    sock = stream.get_extra_info("socket") if stream is not None else None
    if isinstance(sock, socket.socket):
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def _retry_after(exc: Any) -> float | None:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    raw = headers.get("retry-after")
    if raw is None:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        return None


def _wait_words(seconds: float | None) -> str:
    if seconds is None:
        return "wait a minute"
    if seconds < 90:
        return f"wait {seconds:.0f} s"
    return f"wait {seconds / 60:.0f} min"


def map_error(exc: BaseException, model: str, partial: str = "") -> e.DispatcherError | None:
    """Our error for an SDK / httpx2 exception (None: not one we know, i.e. a bug)."""
    import anthropic

    if isinstance(exc, anthropic.APIStatusError):
        kind = exc.type or ""
        status = exc.status_code
        detail = exc.api_message or ""
        if status == 401 or kind == "authentication_error":
            return e.InvalidKeyError(
                "Anthropic refused the API key (401 invalid key): check it in "
                "Settings → Dispatcher or ANTHROPIC_API_KEY.",
                partial=partial,
            )
        if status == 403 or kind == "permission_error":
            return e.InvalidKeyError(
                "This Anthropic key may not use that model or API (403): check the key's "
                "workspace and the model in Settings → Dispatcher.",
                partial=partial,
            )
        if status == 429 or kind == "rate_limit_error":
            wait = _retry_after(exc)
            return e.RateLimitedError(
                f"Anthropic is rate limiting this key (429): {_wait_words(wait)} and ask again.",
                retry_after_s=wait,
                partial=partial,
            )
        if status == 529 or kind == "overloaded_error":
            return e.OverloadedError(
                "Anthropic is overloaded right now (529): try again in a minute.",
                partial=partial,
                retry_after_s=_retry_after(exc),
            )
        if (
            status == 404
            or kind == "not_found_error"
            or (status < 500 and "model" in detail.lower())
        ):
            return e.ModelError(
                f"The model {model!r} is not available (retired or misspelled): choose "
                "another in Settings → Dispatcher.",
                partial=partial,
            )
        if status == 400 or kind == "invalid_request_error":
            return e.DispatcherError(
                f"Anthropic refused the request (400): {detail[:200] or 'invalid request'}.",
                partial=partial,
            )
        return e.ServerError(
            f"Anthropic had a server error ({status} {kind or 'api_error'}): try again shortly.",
            partial=partial,
            retry_after_s=_retry_after(exc),
        )
    if isinstance(exc, anthropic.APITimeoutError):
        return e.TimedOutError(
            "Anthropic did not answer in time (timeout): check the connection and ask again.",
            partial=partial,
        )
    if isinstance(exc, anthropic.APIConnectionError):
        return e.NetworkError(
            "Can't reach Anthropic (network down?): check the internet connection or the "
            "base URL, then ask again.",
            partial=partial,
        )
    # httpx2's own errors escape the SDK while a stream is read.
    module = type(exc).__module__.split(".")[0]
    if module in ("httpx2", "httpx", "httpcore", "httpcore2"):
        if "Timeout" in type(exc).__name__:
            return e.TimedOutError(
                "The answer stopped arriving (read timeout): it is incomplete; ask again.",
                partial=partial,
            )
        return e.IncompleteAnswerError(
            "The connection broke mid-answer: what arrived is incomplete; ask again.",
            partial=partial,
        )
    return None


def stream_once(
    client: anthropic.Anthropic,
    *,
    model: str,
    system: str,
    messages: Sequence[dict[str, Any]],
    tools: Sequence[dict[str, Any]],
    max_tokens: int,
    on_text: Callable[[str], None],
    cancel: Cancel,
    on_notice: Callable[[str], None] = lambda _n: None,
) -> StreamResult:
    """Stream one reply, calling ``on_text`` with each text delta.

    Raises :class:`CancelledError` on Stop and a DispatcherError for everything else
    that goes wrong, including a stream cut before ``message_stop``."""
    parts: list[str] = []
    try:
        # The SDK warns (DeprecationWarning) about a model near its end of life: say it
        # in words instead, once per request.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", DeprecationWarning)
            manager = client.messages.stream(
                model=model,
                system=system,
                messages=list(messages),  # type: ignore[arg-type]
                tools=list(tools),  # type: ignore[arg-type]
                max_tokens=max_tokens,
            )
        for w in caught:
            if issubclass(w.category, DeprecationWarning) and "end-of-life" in str(w.message):
                first = str(w.message).split("\n")[0]
                on_notice(f"{first} Choose a newer model in Settings → Dispatcher.")
        with manager as stream:

            def interrupt() -> None:
                _shutdown_socket(stream.response)
                stream.close()

            cancel._watch(interrupt)
            try:
                for event in stream:
                    if cancel.cancelled:
                        raise CancelledError("".join(parts))
                    if event.type == "content_block_delta" and event.delta.type == "text_delta":
                        parts.append(event.delta.text)
                        on_text(event.delta.text)
                if cancel.cancelled:
                    raise CancelledError("".join(parts))
                try:
                    message = stream.current_message_snapshot
                except AssertionError:  # no message_start at all
                    message = None
            finally:
                cancel._unwatch(interrupt)
    except CancelledError:
        raise
    except Exception as exc:
        if cancel.cancelled:
            raise CancelledError("".join(parts)) from None
        mapped = map_error(exc, model, "".join(parts))
        if mapped is None:
            raise
        raise mapped from None
    text = "".join(parts)
    if message is None or message.stop_reason is None:
        raise e.IncompleteAnswerError(
            "The answer was cut off before it finished (the stream ended early): what "
            "arrived is incomplete; ask again.",
            partial=text,
        )
    content: list[dict[str, Any]] = []
    calls: list[ToolCall] = []
    for block in message.content:
        if block.type == "text":
            content.append({"type": "text", "text": block.text})
        elif block.type == "tool_use":
            raw_input = block.input if isinstance(block.input, dict) else {}
            content.append(
                {"type": "tool_use", "id": block.id, "name": block.name, "input": raw_input}
            )
            calls.append(ToolCall(block.id, block.name, dict(raw_input)))
    return StreamResult(
        text=text,
        content=tuple(content),
        tool_calls=tuple(calls),
        stop_reason=str(message.stop_reason),
        input_tokens=int(message.usage.input_tokens or 0),
        output_tokens=int(message.usage.output_tokens or 0),
    )


def list_models(api_key: str, base_url: str | None, timeout_s: float = 15.0) -> list[str]:
    """The model ids the models endpoint offers this key (newest first)."""
    client = make_client(api_key, base_url, timeout_s)
    try:
        return [m.id for m in client.models.list(limit=100)]
    except Exception as exc:
        mapped = map_error(exc, "")
        if mapped is None:
            raise
        raise mapped from None
    finally:
        client.close()
