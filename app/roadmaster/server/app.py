"""The reference server's HTTP API (FastAPI): the cloud contract plus extensions.

Every POST goes through the same steps, in this order, so that a refused request
writes nothing:

1. size: ``Content-Length`` over the endpoint's limit → 413 before reading (a body
   without a length is read up to the limit and no further); a body not all in
   within the body timeout → 408, and the connection is closed;
2. JSON: malformed, nested too deep, not an object, or with text no database
   stores (NUL, a lone surrogate) → 400 ``Validation failed``;
3. key: absent or null → 401 ``Authentication required``; anything that does not
   resolve to a user → 401 ``Invalid API key`` (authentication comes before
   validation: an unknown caller learns nothing about the payload rules);
4. idempotency: a key already answered (``Idempotency-Key`` header, else the
   body's ``event_id``) → the first answer again, status and body, counting nothing
   — if the body is the same bytes (``api_key`` aside); another body → 409;
5. validation → 400 with ``details`` {field path: message} (batch: ``samples.3.speed``);
6. rate limit → 429 (a batch costs its samples; the count is made in step 7's
   transaction, so a request refused or failed at any step counts nothing);
7. one transaction: the count, job ownership (404 unknown, 403 another user's), the
   rows, and the stored answer for the idempotency key.

A body is first offered to a native validator (:mod:`roadmaster.server.fastpath`):
one it accepts is well-formed and valid, so steps 2 and 5 could not refuse it and are
skipped; any other takes the steps above as they are.  On PostgreSQL, a single
sample without an idempotency key has step 7 done by one statement in one round
trip (:mod:`roadmaster.server.pgone`) — the same count, checks and row.

Rate-limit headers go on every answer to an authenticated caller.  Only 2xx
answers are stored for idempotency: errors are recomputed, and come out the same.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, Final, TypeVar

import anyio
import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from roadmaster.server import store
from roadmaster.server.db import Database
from roadmaster.server.fastpath import FastValidator
from roadmaster.server.httplimits import HttpLimits
from roadmaster.server.keys import KeyCache, key_hash, well_formed
from roadmaster.server.limits import JOBS, TELEMETRY, Clock, Decision, Limits, RateLimiter
from roadmaster.server.pgone import OneSample
from roadmaster.server.retention import Pruner, Retention
from roadmaster.server.store import Answer, JobError
from roadmaster.sync.contract import (
    ERROR_AUTH_REQUIRED,
    ERROR_INVALID_KEY,
    ERROR_RATE_LIMITED,
    ERROR_TOO_LARGE,
    ERROR_VALIDATION,
    FEATURE_BATCH,
    FEATURE_CANCEL,
    FEATURE_CLIENT_ECONOMICS,
    FEATURE_CLIENT_TIMESTAMPS,
    FEATURE_IDEMPOTENCY,
    IDEMPOTENCY_HEADER,
    MAX_BATCH_SAMPLES,
    JobCancel,
    JobComplete,
    JobStart,
    Telemetry,
    TelemetryBatch,
)

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)

MAX_BODY_BYTES: Final = 64 * 1024
"""Single-sample and job bodies (a sample is under 1 KiB)."""
MAX_BATCH_BODY_BYTES: Final = 2 * 1024 * 1024
"""Batch bodies: 1,000 samples of a full sample each fit with room to spare."""
_TIMED_OUT: Final = Answer(408, {"error": "Request timeout"})
ERROR_KEY_REUSED: Final = "Idempotency key reused"
_OTHER_BODY: Final = "Already used with a different body"
FEATURES: Final = (
    FEATURE_BATCH,
    FEATURE_IDEMPOTENCY,
    FEATURE_CLIENT_TIMESTAMPS,
    FEATURE_CANCEL,
    FEATURE_CLIENT_ECONOMICS,
)
_JOB_OWNER_CACHE_MAX: Final = 100_000


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("roadmaster")
    except PackageNotFoundError:
        return "0+unknown"


def _json(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body, separators=(",", ":")).encode(),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


def _invalid(details: dict[str, str]) -> Answer:
    return Answer(400, {"error": ERROR_VALIDATION, "details": details})


def _details(exc: ValidationError) -> dict[str, str]:
    details: dict[str, str] = {}
    for error in exc.errors(include_url=False, include_input=False):
        path = ".".join(str(part) for part in error["loc"]) or "body"
        details[path] = f"{details[path]}; {error['msg']}" if path in details else error["msg"]
    return details


class _KeysChangedError(Exception):
    """The key epoch moved since a cached key was trusted: confirm it and write again."""


class _RefusedError(Exception):
    """An answer to send at once (413/400/401 before a user is known, or with one)."""

    def __init__(self, answer: Answer, headers: dict[str, str] | None = None) -> None:
        super().__init__(answer.status)
        self.answer = answer
        self.headers = headers or {}


class _Server:
    def __init__(self, db_url: str, limits: Limits, clock: Clock, body_timeout_s: float) -> None:
        self.body_timeout_s = body_timeout_s
        self.db = Database(db_url)
        self.limiter = RateLimiter(limits, clock)
        self.keys = KeyCache()
        self._data_version: int | None = None
        # PostgreSQL: a single sample in one statement (see pgone's docstring).
        self.one_sample = None if self.db.sqlite else OneSample(store.SAMPLE_FIELDS)
        # Jobs never change owner, so an owner once seen can be remembered.
        self._job_owner: dict[uuid.UUID, uuid.UUID] = {}

    # -- steps 1–3 -----------------------------------------------------------------------

    async def read(self, request: Request, cap: int) -> bytes | bytearray:
        length = request.headers.get("content-length")
        too_large = _RefusedError(Answer(413, {"error": ERROR_TOO_LARGE}), {"Connection": "close"})
        if length is not None:
            if not length.isdigit():
                raise _RefusedError(_invalid({"body": "Invalid Content-Length"}))
            if int(length) > cap:
                raise too_large
        raw = bytearray()
        try:
            with anyio.fail_after(self.body_timeout_s):
                async for chunk in request.stream():
                    raw += chunk
                    if len(raw) > cap:
                        raise too_large
        except TimeoutError:  # a body sent a byte at a time holds a connection
            raise _RefusedError(_TIMED_OUT, {"Connection": "close"}) from None
        except ClientDisconnect:  # nobody reads the answer; nothing to log
            raise _RefusedError(_invalid({"body": "Client disconnected"})) from None
        return raw

    @staticmethod
    def parse(raw: bytes | bytearray, *, check_text: bool) -> dict[str, Any]:
        try:
            data = json.loads(raw, parse_constant=_reject_constant)
        except ValueError:  # JSONDecodeError, bad UTF-8, NaN/Infinity
            raise _RefusedError(_invalid({"body": "Malformed JSON"})) from None
        except RecursionError:  # thousands of nested arrays: no traceback, no log
            raise _RefusedError(_invalid({"body": "JSON nested too deeply"})) from None
        if not isinstance(data, dict):
            raise _RefusedError(_invalid({"body": "Expected a JSON object"}))
        if check_text:
            bad = _unstorable_text(data)
            if bad:
                raise _RefusedError(_invalid(bad))
        return data

    async def user(self, data: dict[str, Any]) -> tuple[uuid.UUID, int | None]:
        """The caller's user id, and — when the key was taken from the cache without
        reading the key epoch (PostgreSQL) — the epoch that cached answer belongs to,
        for the write's transaction to confirm (:class:`_KeysChanged`)."""
        key = data.get("api_key")
        if key is None:
            raise _RefusedError(Answer(401, {"error": ERROR_AUTH_REQUIRED}))
        if not well_formed(key):
            raise _RefusedError(Answer(401, {"error": ERROR_INVALID_KEY}))
        digest = key_hash(key)
        if not self.db.sqlite:
            # PostgreSQL has no cheap "someone else committed" signal, and a separate
            # epoch read costs a transaction per request: the write's transaction
            # reads it instead, and a request refused earlier confirms the key first.
            cached = self.keys.get_with_epoch(digest)
            if cached is not None:
                return cached
        return await self.confirmed_user(digest), None

    async def confirmed_user(self, digest: str) -> uuid.UUID:
        """The user of the key with this hash, checked against the database's epoch."""
        await self._refresh_keys()
        user_id = self.keys.get(digest)
        if user_id is None:
            user_id, epoch = await self.db.run(
                lambda conn: (store.user_by_key_hash(conn, digest), store.key_epoch(conn))
            )
            if user_id is None:
                raise _RefusedError(Answer(401, {"error": ERROR_INVALID_KEY}))
            self.keys.put(digest, user_id, epoch)
        return user_id

    async def _refresh_keys(self) -> None:
        # SQLite: data_version moves only when another connection committed (a key
        # added or rotated by the CLI), so the epoch is read only then.  PostgreSQL:
        # read the epoch every time (one indexed row) — no cheaper signal exists.
        version = self.db.data_version()
        if version is not None and version == self._data_version:
            return
        epoch = await self.db.run(store.key_epoch)
        self.keys.sync_epoch(epoch)
        self._data_version = version

    # -- steps 4–7 -----------------------------------------------------------------------

    def idempotency_key(self, request: Request, data: dict[str, Any]) -> str | None:
        header = request.headers.get(IDEMPOTENCY_HEADER)
        if header is not None:
            if not 1 <= len(header) <= 200:
                raise _RefusedError(_invalid({IDEMPOTENCY_HEADER: "Must be 1 to 200 characters"}))
            return header
        event_id = data.get("event_id")
        # A malformed event_id is left to validation (400), never used as a key.
        if isinstance(event_id, str) and 1 <= len(event_id) <= 200:
            return event_id
        return None

    async def replay(
        self, user_id: uuid.UUID, key: str, endpoint: str, bucket: str, request_hash: str
    ) -> Response | None:
        found = await self.db.run(lambda conn: store.idempotent_answer(conn, user_id, key))
        if found is None:
            return None
        headers = (await self.peek(user_id, bucket)).headers()
        if found.endpoint != endpoint:
            message = f"Already used for {found.endpoint}"
            return _json(400, _invalid({IDEMPOTENCY_HEADER: message}).body, headers)
        if found.request_hash is not None and found.request_hash != request_hash:
            # Not a retry: another request under a used key.  Answering the first
            # request's answer would tell the client it was stored.
            body = {"error": ERROR_KEY_REUSED, "details": {IDEMPOTENCY_HEADER: _OTHER_BODY}}
            return _json(409, body, headers)
        return _json(found.answer.status, found.answer.body, headers)

    async def peek(self, user_id: uuid.UUID, bucket: str) -> Decision:
        return await self.db.run(lambda conn: self.limiter.peek(conn, user_id, bucket))

    def owner_known(self, job_id: uuid.UUID) -> uuid.UUID | None:
        return self._job_owner.get(job_id)

    def remember_owners(self, owners: dict[uuid.UUID, uuid.UUID]) -> None:
        if len(self._job_owner) > _JOB_OWNER_CACHE_MAX:
            self._job_owner.clear()
        self._job_owner.update(owners)

    async def handle(
        self,
        request: Request,
        *,
        endpoint: str,
        model: FastValidator[M],
        bucket: str,
        cap: int,
        cost: Callable[[M], int],
        write: Callable[[Any, uuid.UUID, M, datetime], Answer],
    ) -> Response:
        headers: dict[str, str] = {}
        user_id: uuid.UUID | None = None
        unconfirmed: int | None = None
        digest = ""
        try:
            raw = await self.read(request, cap)
            # A body the native validator accepts is well-formed JSON and valid, so
            # steps 2 and 5 cannot refuse it: only the key's steps are left.  Any
            # other body takes the original steps, which word the refusal.
            suspect = _suspect_text(raw)
            body: M | None = None if suspect else model.validate(raw)
            data = _credentials(body) if body is not None else self.parse(raw, check_text=suspect)
            user_id, unconfirmed = await self.user(data)
            digest = key_hash(data["api_key"])
            idem = self.idempotency_key(request, data)
            request_hash = ""
            if idem is not None:
                request_hash = _request_hash(raw, data["api_key"])
                if unconfirmed is not None:  # a replay answers without a write
                    user_id, unconfirmed = await self.confirmed_user(digest), None
                replayed = await self.replay(user_id, idem, endpoint, bucket, request_hash)
                if replayed is not None:
                    return replayed
            if body is None:
                try:
                    body = model.model.model_validate(data)
                except ValidationError as exc:
                    raise _RefusedError(_invalid(_details(exc)), headers) from None
            now = datetime.now(UTC)
            if isinstance(body, Telemetry) and idem is None:
                one = await self.write_one(user_id, unconfirmed, body, now)
                if one is not None:
                    return one
            spend = cost(body)
            decisions: list[Decision] = []

            def transaction(
                conn: Any, user_id: uuid.UUID, unconfirmed: int | None
            ) -> Answer | None:
                if unconfirmed is not None and store.key_epoch(conn) != unconfirmed:
                    raise _KeysChangedError  # a key was added or rotated meanwhile
                # The limiter's count is in the write's transaction: one round trip
                # fewer, and a request that fails (404, 403, a crash) spends nothing.
                decision = self.limiter.hit(conn, user_id, bucket, spend)
                decisions.append(decision)
                if not decision.allowed:
                    return None
                answer = write(conn, user_id, body, now)
                if idem is not None and answer.status == 200:
                    store.remember_answer(conn, user_id, idem, endpoint, answer, now, request_hash)
                return answer

            try:
                caller, epoch = user_id, unconfirmed
                try:
                    done = await self.db.run(lambda conn: transaction(conn, caller, epoch))
                except _KeysChangedError:
                    user_id, unconfirmed = await self.confirmed_user(digest), None
                    caller = user_id
                    done = await self.db.run(lambda conn: transaction(conn, caller, None))
                headers = decisions[-1].headers()
                if done is None:
                    return _rate_limited(decisions[-1])
                answer = done
            except JobError as exc:
                answer = exc.answer
                headers = (await self.peek(user_id, bucket)).headers()
            except sa.exc.IntegrityError:
                if idem is None:
                    raise
                # A concurrent request with the same key committed first: replay it.
                replayed = await self.replay(user_id, idem, endpoint, bucket, request_hash)
                if replayed is None:
                    raise
                return replayed
            return _json(answer.status, answer.body, headers)
        except _RefusedError as refused:
            if unconfirmed is not None and refused.answer.status != 401:
                # Tell a caller whose key was rotated away nothing but that.
                try:
                    await self.confirmed_user(digest)
                except _RefusedError as denied:
                    return _json(denied.answer.status, denied.answer.body)
            if user_id is not None and not headers:
                # Rate-limit headers on every answer to a known caller (read only
                # here: the limiter is a database round trip).
                headers = (await self.peek(user_id, bucket)).headers()
            return _json(refused.answer.status, refused.answer.body, headers | refused.headers)

    async def write_one(
        self, user_id: uuid.UUID, unconfirmed: int | None, body: Telemetry, now: datetime
    ) -> Response | None:
        """A single sample in one round trip (PostgreSQL), or None when it must take the
        general path: SQLite, a job whose owner this process does not know to be the
        caller (the general path reads it and words a 404/403), or a key epoch that
        moved since the key was cached (then nothing was written)."""
        one = self.one_sample
        if one is None:
            return None
        job = None
        if body.job_id is not None:
            job = uuid.UUID(body.job_id)
            if self.owner_known(job) != user_id:
                return None
        plan = self.limiter.plan(TELEMETRY, 1)
        outcome = await self.db.run_statement(
            lambda conn: one.run(
                conn,
                user_id=user_id,
                plan=plan,
                epoch=unconfirmed,
                sample=body,
                job_id=job,
                now=now,
            )
        )
        if unconfirmed is not None and outcome.epoch != unconfirmed:
            return None
        if outcome.counted is None:
            refused = await self.db.run(lambda conn: self.limiter.refused(conn, user_id, plan))
            return _rate_limited(refused)
        used, prev_used = outcome.counted
        return _json(200, {"success": True}, self.limiter.counted(plan, used, prev_used).headers())

    # -- the writes ----------------------------------------------------------------------

    def _check_samples_jobs(self, conn: Any, user_id: uuid.UUID, wanted: set[uuid.UUID]) -> None:
        if not wanted:
            return
        owners = {job: owner for job in wanted if (owner := self.owner_known(job)) is not None}
        missing = wanted - owners.keys()
        if missing:
            found = store.job_owners(conn, missing)
            self.remember_owners(found)
            owners.update(found)
        store.check_jobs(owners, wanted, user_id)

    def write_sample(self, conn: Any, user_id: uuid.UUID, body: Telemetry, now: datetime) -> Answer:
        if body.job_id is not None:
            self._check_samples_jobs(conn, user_id, {uuid.UUID(body.job_id)})
        store.insert_samples(conn, user_id, [body], now)
        return Answer(200, {"success": True})

    def write_batch(
        self, conn: Any, user_id: uuid.UUID, body: TelemetryBatch, now: datetime
    ) -> Answer:
        # Parse each distinct job id once: a batch's samples mostly share one job.
        job_ids = {s.job_id for s in body.samples}
        wanted = {uuid.UUID(job) for job in job_ids if job is not None}
        self._check_samples_jobs(conn, user_id, wanted)
        store.insert_samples(conn, user_id, body.samples, now)
        return Answer(200, {"success": True, "accepted": len(body.samples)})

    def write_start(self, conn: Any, user_id: uuid.UUID, body: JobStart, now: datetime) -> Answer:
        answer = store.start_job(conn, user_id, body, now)
        self.remember_owners({uuid.UUID(answer.body["job"]["id"]): user_id})
        return answer


# What may make text that no database stores: a JSON escape of NUL or of a UTF-16
# surrogate (a pair is fine, a lone one is not), or a UTF-8-encoded surrogate (which
# Python's json decodes with "surrogatepass").  Bodies without any, nearly all, skip
# the check; a false alarm (an escaped backslash before "u0000") only costs it.
_SUSPECT_TEXT: Final = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])|\xed[\xa0-\xbf]")


def _suspect_text(raw: bytes | bytearray) -> bool:
    # Two substring scans spare nearly every body the regex: on a 400 KB batch the
    # regex costs ~1 ms of CPU, the scans ~0.3 ms.
    if b"\\u" not in raw and b"\xed" not in raw:
        return False
    return _SUSPECT_TEXT.search(raw) is not None


def _unstorable_text(data: dict[str, Any]) -> dict[str, str]:
    """{path: message} for strings (keys or values) PostgreSQL or SQLite cannot store:
    NUL, or a lone surrogate (not UTF-8 encodable).  Iterative: the data may nest as
    deep as the parser allowed."""
    found: dict[str, str] = {}
    stack: list[tuple[str, Any]] = [("", data)]
    while stack and len(found) < 10:
        path, value = stack.pop()
        if isinstance(value, dict):
            items: Iterable[tuple[Any, Any]] = value.items()
        elif isinstance(value, list):
            items = enumerate(value)
        else:
            continue
        for name, item in items:
            here = f"{path}.{name}" if path else str(name)
            for text in (name, item):
                if isinstance(text, str) and (message := _text_problem(text)):
                    found[here] = message
            stack.append((here, item))
    return found


def _text_problem(text: str) -> str | None:
    if "\x00" in text:
        return "Text must not contain NUL characters"
    try:
        text.encode()
    except UnicodeEncodeError:
        return "Text must be valid Unicode (it has a lone surrogate)"
    return None


def _request_hash(raw: bytes | bytearray, api_key: str) -> str:
    """What tells a retry from another request under the same idempotency key: the
    body's bytes without the API key (a retry after a key rotation is still one).
    Clients resend a queued request's very bytes; one re-encoded differently (other
    key order or spacing) counts as another request."""
    return hashlib.sha256(raw.replace(api_key.encode(), b"")).hexdigest()


def _reject_constant(name: str) -> Any:
    # JSON has no NaN or Infinity; Python's parser would accept them.
    raise ValueError(f"{name} is not JSON")


def _credentials(body: BaseModel) -> dict[str, Any]:
    # What steps 3 and 4 read from a body: every request model has both fields
    # (event_id None when absent, as ``data.get`` gives for a parsed body).
    return {"api_key": getattr(body, "api_key", None), "event_id": getattr(body, "event_id", None)}


def _rate_limited(decision: Decision) -> Response:
    body = {"error": ERROR_RATE_LIMITED, "retry_after": decision.retry_after_s}
    return _json(429, body, decision.headers())


def _one(_: BaseModel) -> int:
    return 1


def create_app(
    db_url: str,
    *,
    limits: Limits | None = None,
    clock: Clock = time.time,
    http: HttpLimits | None = None,
    retention: Retention | None = None,
) -> FastAPI:
    """The reference server on ``db_url`` (``sqlite:///…`` or ``postgresql+psycopg://…``).

    The schema is migrated here, before the app is returned.  ``limits`` scales the
    per-user rate limits (tests use small ones); ``clock`` (Unix seconds) drives the
    rate limiter and the retention cutoffs, so tests can slide time without sleeping.
    ``http`` gives the time allowed to send a body (the rest of it is for
    :mod:`roadmaster.server.runner`); ``retention`` says what the server prunes by itself
    (:mod:`roadmaster.server.retention`).
    """
    server = _Server(db_url, limits or Limits(), clock, (http or HttpLimits()).body_timeout_s)
    pruner = Pruner(server.db.run, retention or Retention(), server.limiter.limits, clock)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        stop = asyncio.Event()
        task = asyncio.create_task(pruner.forever(stop), name="roadmaster-prune")
        try:
            yield
        finally:
            stop.set()
            await task
            server.db.close()

    app = FastAPI(
        title="RoadMaster reference server",
        version=_version(),
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,  # no docs served, so no schema either
    )
    app.state.server = server
    app.state.pruner = pruner
    # Built once: rewriting a model's schema takes milliseconds.
    telemetry_model = FastValidator(Telemetry)
    batch_model = FastValidator(TelemetryBatch)
    start_model = FastValidator(JobStart)
    complete_model = FastValidator(JobComplete)
    cancel_model = FastValidator(JobCancel)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, exc: StarletteHTTPException) -> Response:
        message = "Not found" if exc.status_code == 404 else str(exc.detail)
        return _json(exc.status_code, {"error": message})

    @app.exception_handler(Exception)
    async def _crash(_request: Request, exc: Exception) -> Response:
        log.exception("request failed", exc_info=exc)
        return _json(500, {"error": "Internal server error"})

    @app.get("/api/health")
    async def health() -> Response:
        body = {
            "status": "ok",
            "version": _version(),
            "features": list(FEATURES),
            "max_batch_samples": MAX_BATCH_SAMPLES,
        }
        return _json(200, body)

    @app.post("/api/telemetry")
    async def telemetry(request: Request) -> Response:
        return await server.handle(
            request,
            endpoint="/api/telemetry",
            model=telemetry_model,
            bucket=TELEMETRY,
            cap=MAX_BODY_BYTES,
            cost=_one,
            write=server.write_sample,
        )

    @app.post("/api/telemetry/batch")
    async def telemetry_batch(request: Request) -> Response:
        return await server.handle(
            request,
            endpoint="/api/telemetry/batch",
            model=batch_model,
            bucket=TELEMETRY,
            cap=MAX_BATCH_BODY_BYTES,
            cost=lambda body: len(body.samples),
            write=server.write_batch,
        )

    @app.post("/api/jobs/start")
    async def jobs_start(request: Request) -> Response:
        return await server.handle(
            request,
            endpoint="/api/jobs/start",
            model=start_model,
            bucket=JOBS,
            cap=MAX_BODY_BYTES,
            cost=_one,
            write=server.write_start,
        )

    @app.post("/api/jobs/complete")
    async def jobs_complete(request: Request) -> Response:
        return await server.handle(
            request,
            endpoint="/api/jobs/complete",
            model=complete_model,
            bucket=JOBS,
            cap=MAX_BODY_BYTES,
            cost=_one,
            write=store.complete_job,
        )

    @app.post("/api/jobs/cancel")
    async def jobs_cancel(request: Request) -> Response:
        return await server.handle(
            request,
            endpoint="/api/jobs/cancel",
            model=cancel_model,
            bucket=JOBS,
            cap=MAX_BODY_BYTES,
            cost=_one,
            write=store.cancel_job,
        )

    return app
