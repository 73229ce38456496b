"""The HTTP boundary of sync: one ``httpx.Client`` per worker, the contract's
requests, and every answer classified into what the worker must do.

httpx exceptions stop here: a request that could not be made, or whose answer was
lost, becomes :class:`OfflineError` (``maybe_delivered`` tells the two apart, because a
lost answer means the server may have stored it).  The API key goes only into the
JSON body; it is scrubbed from any text taken from an answer, so no reason we store
or log can contain it.
"""

from __future__ import annotations

import email.utils
import enum
import json
import logging
import math
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from typing import Any, Final

import httpx
import pydantic

from roadmaster.secrets import redact, redact_text
from roadmaster.sync import contract
from roadmaster.sync.config import ApiKey
from roadmaster.sync.pacing import RateInfo

log = logging.getLogger(__name__)

TELEMETRY: Final = "/api/telemetry"
TELEMETRY_BATCH: Final = "/api/telemetry/batch"
JOB_START: Final = "/api/jobs/start"
JOB_COMPLETE: Final = "/api/jobs/complete"
JOB_CANCEL: Final = "/api/jobs/cancel"
HEALTH: Final = "/api/health"
_REASON_MAX: Final = 500
#: The largest answer read: the contract's answers are a few hundred bytes.
MAX_ANSWER_BYTES: Final = 1 << 20
#: The longest a request may take in all, its answer included.
REQUEST_DEADLINE_S: Final = 60.0
#: The longest wait a server may ask for (Retry-After, rate-limit resets).
MAX_WAIT_S: Final = 3600.0


class Outcome(enum.Enum):
    OK = "ok"
    REJECTED = "rejected"  # 400/403/404/413/422: never accepted as is → dead letter
    UNAUTHORIZED = "unauthorized"  # 401: pause until the key changes
    RATE_LIMITED = "rate_limited"  # 429: wait Retry-After
    SERVER_ERROR = "server_error"  # 5xx and anything unexpected: back off, retry
    NO_ENDPOINT = "no_endpoint"  # 404/405 on an extension: the server lost a feature


class OfflineError(Exception):
    """No answer.  ``maybe_delivered``: the request was sent and the answer lost (the
    server may have stored it); False when the connection was never made."""

    def __init__(self, reason: str, *, maybe_delivered: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.maybe_delivered = maybe_delivered


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    outcome: Outcome
    body: Any
    reason: str  # for last_error / dead rows; never contains the key
    rate: RateInfo
    retry_after_s: float | None


@dataclass(frozen=True, slots=True)
class ServerInfo:
    """What ``GET /api/health`` advertised (no features: the plain contract)."""

    features: frozenset[str]
    version: str | None = None
    max_batch_samples: int | None = None

    def has(self, feature: str) -> bool:
        return feature in self.features


PLAIN: Final = ServerInfo(frozenset())


def _app_version() -> str:
    try:
        return metadata.version("roadmaster")
    except metadata.PackageNotFoundError:
        return "dev"


def _float_header(headers: httpx.Headers, name: str) -> float | None:
    """A finite number, or None (absent, garbage, nan); ±inf become ±1e12, so the
    callers' clamps apply and ``int()`` never overflows."""
    value = headers.get(name)
    if value is None:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    if math.isnan(number):
        return None
    return max(-1e12, min(1e12, number))


def parse_rate(headers: httpx.Headers, wall_s: float) -> RateInfo:
    """``X-RateLimit-Limit/Remaining/Reset``.  Reset may be seconds from now or a Unix
    time (seconds or milliseconds); told apart by size."""
    limit = _float_header(headers, "X-RateLimit-Limit")
    remaining = _float_header(headers, "X-RateLimit-Remaining")
    reset = _float_header(headers, "X-RateLimit-Reset")
    if reset is not None:
        if reset > 1e12:
            reset = reset / 1000.0 - wall_s
        elif reset > 1e9:
            reset = reset - wall_s
        reset = min(MAX_WAIT_S, max(0.0, reset))
    return RateInfo(
        limit=None if limit is None else int(limit),
        remaining=None if remaining is None else max(0, int(remaining)),
        reset_in_s=reset,
    )


def parse_retry_after(headers: httpx.Headers, wall_s: float) -> float | None:
    """``Retry-After`` in seconds (delta-seconds or an HTTP date).
    Clamped to [0, :data:`MAX_WAIT_S`]: a huge or infinite value must neither crash
    the worker nor stop sync for days."""
    value = headers.get("Retry-After")
    if value is None:
        return None
    seconds = _float_header(headers, "Retry-After")
    if seconds is None:
        try:
            when = email.utils.parsedate_to_datetime(value)
            seconds = when.timestamp() - wall_s
        except (TypeError, ValueError, OverflowError):
            return None
    return min(MAX_WAIT_S, max(0.0, seconds))


def _classify(status: int, path: str) -> Outcome:
    if 200 <= status < 300:
        return Outcome.OK
    if status == 401:
        return Outcome.UNAUTHORIZED
    if status == 429:
        return Outcome.RATE_LIMITED
    if status in (404, 405) and path in (TELEMETRY_BATCH, JOB_CANCEL):
        return Outcome.NO_ENDPOINT
    if status in (400, 403, 404, 409, 413, 422):
        return Outcome.REJECTED
    return Outcome.SERVER_ERROR


def _reason(status: int, body: Any, fallback: str) -> str:
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        text = body["error"]
        details = body.get("details")
        if details:
            text += ": " + json.dumps(details, separators=(",", ":"), default=str)
    else:
        text = fallback.strip() or "no details"
    return f"HTTP {status}: {text}"[:_REASON_MAX]


class CloudClient:
    """Requests to one server.  Thread: the sync thread only (httpx.Client is not
    shared).  ``transport`` lets tests plug in httpx's own transports."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout_s: float = 15.0,
        deadline_s: float = REQUEST_DEADLINE_S,
        max_answer_bytes: int = MAX_ANSWER_BYTES,
        transport: httpx.BaseTransport | None = None,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.deadline_s = deadline_s
        self.max_answer_bytes = max_answer_bytes
        self._wall = wall
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, 5.0)),
            transport=transport,
            headers={"User-Agent": f"RoadMaster-Desktop/{_app_version()}"},
            follow_redirects=False,  # a redirect could carry the body elsewhere
        )

    def close(self) -> None:
        self._http.close()

    def health(self) -> ServerInfo:
        """The server's extensions; the plain contract when it has no health endpoint
        (the hosted service).  Raises :class:`OfflineError`."""
        try:
            with self._http.stream("GET", HEALTH) as response:
                raw, cut = self._read_capped(response, time.monotonic())
        except httpx.HTTPError as exc:
            raise _offline(exc, self.base_url) from None
        if response.status_code != 200 or cut is not None:
            return PLAIN
        try:
            health = contract.Health.model_validate_json(raw)
        except pydantic.ValidationError:
            return PLAIN
        return ServerInfo(frozenset(health.features), health.version, health.max_batch_samples)

    def post(
        self,
        path: str,
        body: dict[str, Any],
        key: ApiKey,
        *,
        idempotency_key: str | None = None,
        expect_accepted: int | None = None,
    ) -> Reply:
        """POST ``body`` plus ``api_key``; raises :class:`OfflineError` when no answer came.

        A 2xx counts as :attr:`Outcome.OK` only when its body has the contract's shape
        for ``path`` (``expect_accepted``: the batch's sample count); anything else —
        a login page, ``{"success": false}``, a job without an id — is a server error
        with the server's words, so the rows stay queued.  The answer is read up to
        :data:`MAX_ANSWER_BYTES` and for at most ``deadline_s`` in all."""
        secret = key.reveal()
        headers = {"Content-Type": "application/json"}
        if idempotency_key is not None:
            headers[contract.IDEMPOTENCY_HEADER] = idempotency_key
        content = json.dumps({"api_key": secret, **body}, separators=(",", ":"))
        started = time.monotonic()
        try:
            with self._http.stream("POST", path, content=content, headers=headers) as response:
                raw, cut = self._read_capped(response, started)
        except httpx.HTTPError as exc:
            raise _offline(exc, self.base_url) from None
        wall = self._wall()
        status = response.status_code
        parsed: Any = None
        if cut is None:
            try:
                parsed = json.loads(raw)
            except ValueError:
                parsed = None
        outcome = _classify(status, path)
        text = _decode(raw)
        if cut is not None:
            outcome, reason = Outcome.SERVER_ERROR, f"HTTP {status}: {cut}"
        elif outcome is Outcome.OK:
            problem = _answer_problem(path, parsed, expect_accepted)
            if problem is not None:
                outcome = Outcome.SERVER_ERROR
                reason = _bad_answer(status, problem, response.headers, parsed, text)
            else:
                reason = f"HTTP {status}: ok"
        elif 300 <= status < 400:
            where = response.headers.get("Location")
            reason = (
                f"HTTP {status}: the server redirects to {where}; "
                "use that address as the server URL (--server)"
                if where
                else f"HTTP {status}: the server redirects without saying where"
            )
        else:
            reason = _reason(status, parsed, text[:200])
        reason = redact_text(reason.replace(secret, redact(secret)))[:_REASON_MAX]
        return Reply(
            status=status,
            outcome=outcome,
            body=parsed,
            reason=reason,
            rate=parse_rate(response.headers, wall),
            retry_after_s=parse_retry_after(response.headers, wall),
        )

    def _read_capped(self, response: httpx.Response, started: float) -> tuple[bytes, str | None]:
        """The body, or what was read and why it was cut: larger than the cap, or not
        finished by the deadline (httpx's timeouts are per read: a body trickling in
        forever never trips them)."""
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_raw():
            size += len(chunk)
            if size > self.max_answer_bytes:
                return b"".join(chunks), (
                    f"the answer is larger than {self.max_answer_bytes:,} bytes "
                    "(not a RoadMaster server?)"
                )
            chunks.append(chunk)
            if time.monotonic() - started > self.deadline_s:
                return b"".join(chunks), (f"the answer did not finish within {self.deadline_s:g} s")
        return b"".join(chunks), None


def _decode(raw: bytes) -> str:
    return raw[:400].decode("utf-8", errors="replace")


def _answer_problem(path: str, body: Any, expect_accepted: int | None) -> str | None:
    """What is wrong with a 2xx answer's body for ``path`` (None: it has the shape)."""
    if not isinstance(body, dict):
        return "the answer is not a JSON object"
    if path == JOB_START:
        try:
            job_id = contract.JobStarted.model_validate(body).job.id
            uuid.UUID(job_id)
        except (pydantic.ValidationError, ValueError):
            return "the job start answer has no job id"
        return None
    if body.get("success") is not True:
        return 'the answer does not say {"success": true}'
    if expect_accepted is not None:
        accepted = body.get("accepted")
        if accepted != expect_accepted or isinstance(accepted, bool):
            return f"the server accepted {accepted!r} of {expect_accepted} samples"
    return None


def _bad_answer(status: int, problem: str, headers: httpx.Headers, body: Any, text: str) -> str:
    ctype = headers.get("Content-Type", "").split(";")[0].strip()
    if ctype and ctype != "application/json":
        hint = (
            " (a Wi-Fi login page or a proxy, not a RoadMaster server?)" if "html" in ctype else ""
        )
        return f"HTTP {status}: {problem}: got {ctype}{hint}"
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        return f"HTTP {status}: {problem}: {body['error']}"
    snippet = " ".join(text.split())[:120] or "empty"
    return f"HTTP {status}: {problem}: {snippet}"


def _offline(exc: httpx.HTTPError, base_url: str = "") -> OfflineError:
    # The message names the class only: httpx texts are safe, but short is enough.
    name = type(exc).__name__
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
        text = str(exc).upper()
        if base_url.startswith("https:") and ("SSL" in text or "TLS" in text):
            return OfflineError(
                f"cannot connect: the TLS handshake failed ({name}); if the server speaks "
                "plain HTTP, use http:// (allowed for this computer only)",
                maybe_delivered=False,
            )
        return OfflineError(f"cannot connect ({name})", maybe_delivered=False)
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return OfflineError(f"bad server URL ({name})", maybe_delivered=False)
    return OfflineError(f"connection lost ({name})", maybe_delivered=True)
