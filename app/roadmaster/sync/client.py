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
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from typing import Any, Final

import httpx
import pydantic

from roadmaster.secrets import redact
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
    value = headers.get(name)
    if value is None:
        return None
    try:
        return float(value.strip())
    except ValueError:
        return None


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
        reset = max(0.0, reset)
    return RateInfo(
        limit=None if limit is None else int(limit),
        remaining=None if remaining is None else max(0, int(remaining)),
        reset_in_s=reset,
    )


def parse_retry_after(headers: httpx.Headers, wall_s: float) -> float | None:
    """``Retry-After`` in seconds (delta-seconds or an HTTP date)."""
    value = headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value.strip()))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - wall_s)


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
        transport: httpx.BaseTransport | None = None,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.base_url = base_url.rstrip("/")
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
            response = self._http.get(HEALTH)
        except httpx.HTTPError as exc:
            raise _offline(exc) from None
        if response.status_code != 200:
            return PLAIN
        try:
            health = contract.Health.model_validate_json(response.content)
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
    ) -> Reply:
        """POST ``body`` plus ``api_key``; raises :class:`OfflineError` when no answer came."""
        secret = key.reveal()
        headers = {"Content-Type": "application/json"}
        if idempotency_key is not None:
            headers[contract.IDEMPOTENCY_HEADER] = idempotency_key
        content = json.dumps({"api_key": secret, **body}, separators=(",", ":"))
        try:
            response = self._http.post(path, content=content, headers=headers)
        except httpx.HTTPError as exc:
            raise _offline(exc) from None
        wall = self._wall()
        try:
            parsed: Any = response.json()
        except ValueError:
            parsed = None
        status = response.status_code
        reason = _reason(status, parsed, response.text[:200]).replace(secret, redact(secret))
        return Reply(
            status=status,
            outcome=_classify(status, path),
            body=parsed,
            reason=reason,
            rate=parse_rate(response.headers, wall),
            retry_after_s=parse_retry_after(response.headers, wall),
        )


def _offline(exc: httpx.HTTPError) -> OfflineError:
    # The message names the class only: httpx texts are safe, but short is enough.
    name = type(exc).__name__
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
        return OfflineError(f"cannot connect ({name})", maybe_delivered=False)
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return OfflineError(f"bad server URL ({name})", maybe_delivered=False)
    return OfflineError(f"connection lost ({name})", maybe_delivered=True)
