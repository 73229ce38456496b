"""A local stand-in for the Anthropic Messages API: real HTTP on 127.0.0.1.

The real ``anthropic`` SDK is pointed at it with ``base_url``.  Each POST to
``/v1/messages`` takes the next scripted reply from a queue and streams it as the
API does (``event: …`` / ``data: …`` Server-Sent Events); ``GET /v1/models`` lists
models.  Every request is recorded (headers and JSON body) so a test can assert what
the dispatcher sent.  The event shapes follow the Messages streaming protocol
(message_start, content_block_start, ping, content_block_delta, content_block_stop,
message_delta, message_stop; ``event: error`` mid-stream).
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MODELS = ("claude-sonnet-5-5", "claude-haiku-5-5", "claude-opus-5-5", "claude-sonnet-4-5")


@dataclass
class Reply:
    """One scripted answer to one POST /v1/messages.

    kind: "text" (stream ``chunks``), "tool" (optional text chunks, then one tool_use
    block), "error" (an HTTP error with ``status``/``error_type``), "midstream_error"
    (``chunks`` then ``event: error``), "cut" (``chunks`` then the connection closes
    before message_stop), "hang" (``chunks`` then nothing until ``release`` is set).
    """

    kind: str = "text"
    chunks: tuple[str, ...] = ()
    tool_name: str = ""
    tool_input: dict[str, Any] = field(default_factory=dict)
    tool_id: str = "toolu_01"
    status: int = 200
    error_type: str = "api_error"
    message: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    input_tokens: int = 120
    output_tokens: int = 40
    # "hang": set when the test wants the server thread to let go
    release: threading.Event = field(default_factory=threading.Event)
    # set by the server once the chunks before a hang (or a cut) are written
    sent: threading.Event = field(default_factory=threading.Event)


def text(*chunks: str, **kw: Any) -> Reply:
    return Reply(kind="text", chunks=chunks, **kw)


def tool(name: str, tool_input: dict[str, Any], *chunks: str, **kw: Any) -> Reply:
    return Reply(kind="tool", chunks=chunks, tool_name=name, tool_input=tool_input, **kw)


def error(status: int, error_type: str, message: str, **kw: Any) -> Reply:
    return Reply(kind="error", status=status, error_type=error_type, message=message, **kw)


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any] | None


def _sse(event: str, data: dict[str, Any]) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n".encode()


def _message_start(model: str, reply: Reply) -> bytes:
    return _sse(
        "message_start",
        {
            "type": "message_start",
            "message": {
                "id": "msg_fake",
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": [],
                "stop_reason": None,
                "stop_sequence": None,
                "usage": {"input_tokens": reply.input_tokens, "output_tokens": 1},
            },
        },
    )


def _text_block(index: int, chunks: tuple[str, ...]) -> Iterator[bytes]:
    yield _sse(
        "content_block_start",
        {
            "type": "content_block_start",
            "index": index,
            "content_block": {"type": "text", "text": ""},
        },
    )
    yield _sse("ping", {"type": "ping"})
    for chunk in chunks:
        yield _sse(
            "content_block_delta",
            {
                "type": "content_block_delta",
                "index": index,
                "delta": {"type": "text_delta", "text": chunk},
            },
        )


def _stop_block(index: int) -> bytes:
    return _sse("content_block_stop", {"type": "content_block_stop", "index": index})


def _end(stop_reason: str, reply: Reply) -> Iterator[bytes]:
    yield _sse(
        "message_delta",
        {
            "type": "message_delta",
            "delta": {"stop_reason": stop_reason, "stop_sequence": None},
            "usage": {"output_tokens": reply.output_tokens},
        },
    )
    yield _sse("message_stop", {"type": "message_stop"})


class FakeAnthropic:
    """The server.  ``with FakeAnthropic() as api: api.queue(text("Hi")); …``"""

    def __init__(self, *, models: tuple[str, ...] = MODELS) -> None:
        self.models = models
        self.replies: deque[Reply] = deque()
        self.requests: list[Recorded] = []
        self.api_keys: list[str] = []
        self._lock = threading.Lock()
        self._hanging: list[Reply] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def _record(self, body: dict[str, Any] | None) -> None:
                key = self.headers.get("x-api-key") or ""
                auth = self.headers.get("authorization") or ""
                if not key and auth.lower().startswith("bearer "):
                    key = auth[7:]
                with server._lock:
                    server.requests.append(
                        Recorded(self.command, self.path, dict(self.headers.items()), body)
                    )
                    server.api_keys.append(key)

            def _json(self, status: int, payload: dict[str, Any], headers: dict[str, str]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._record(None)
                if self.path.startswith("/v1/models"):
                    data = [
                        {
                            "type": "model",
                            "id": m,
                            "display_name": m,
                            "created_at": "2025-09-29T00:00:00Z",
                        }
                        for m in server.models
                    ]
                    self._json(
                        200,
                        {
                            "data": data,
                            "has_more": False,
                            "first_id": data[0]["id"],
                            "last_id": data[-1]["id"],
                        },
                        {},
                    )
                    return
                self._json(
                    404,
                    {"type": "error", "error": {"type": "not_found_error", "message": "no"}},
                    {},
                )

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                self._record(body)
                with server._lock:
                    reply = (
                        server.replies.popleft() if server.replies else text("(no reply scripted)")
                    )
                if reply.kind == "error":
                    self._json(
                        reply.status,
                        {
                            "type": "error",
                            "error": {"type": reply.error_type, "message": reply.message},
                        },
                        {"connection": "close", **reply.headers},
                    )
                    self.close_connection = True
                    return
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.send_header("cache-control", "no-cache")
                self.send_header("connection", "close")
                self.end_headers()
                self.close_connection = True
                try:
                    self._stream(reply, str(body.get("model", "")))
                except (BrokenPipeError, ConnectionResetError):
                    pass
                finally:
                    reply.sent.set()

            def _send(self, data: bytes) -> None:
                self.wfile.write(data)
                self.wfile.flush()

            def _stream(self, reply: Reply, model: str) -> None:
                self._send(_message_start(model, reply))
                if reply.kind == "tool":
                    index = 0
                    if reply.chunks:
                        for part in _text_block(0, reply.chunks):
                            self._send(part)
                        self._send(_stop_block(0))
                        index = 1
                    self._send(
                        _sse(
                            "content_block_start",
                            {
                                "type": "content_block_start",
                                "index": index,
                                "content_block": {
                                    "type": "tool_use",
                                    "id": reply.tool_id,
                                    "name": reply.tool_name,
                                    "input": {},
                                },
                            },
                        )
                    )
                    raw = json.dumps(reply.tool_input)
                    for part in (raw[: len(raw) // 2], raw[len(raw) // 2 :]):
                        self._send(
                            _sse(
                                "content_block_delta",
                                {
                                    "type": "content_block_delta",
                                    "index": index,
                                    "delta": {"type": "input_json_delta", "partial_json": part},
                                },
                            )
                        )
                    self._send(_stop_block(index))
                    for part in _end("tool_use", reply):
                        self._send(part)
                    return
                for part in _text_block(0, reply.chunks):
                    self._send(part)
                if reply.kind == "midstream_error":
                    self._send(
                        _sse(
                            "error",
                            {
                                "type": "error",
                                "error": {"type": reply.error_type, "message": reply.message},
                            },
                        )
                    )
                    return
                if reply.kind == "cut":
                    return  # the connection closes: no content_block_stop, no message_stop
                if reply.kind == "hang":
                    reply.sent.set()
                    reply.release.wait(30)
                    return
                self._send(_stop_block(0))
                for part in _end("end_turn", reply):
                    self._send(part)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def queue(self, *replies: Reply) -> None:
        with self._lock:
            for reply in replies:
                if reply.kind == "hang":
                    self._hanging.append(reply)
                self.replies.append(reply)

    def posts(self) -> list[dict[str, Any]]:
        """The JSON bodies of every POST /v1/messages, in order."""
        return [r.body for r in self.requests if r.method == "POST" and r.body is not None]

    def __enter__(self) -> FakeAnthropic:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for reply in self._hanging:
            reply.release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
