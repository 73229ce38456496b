"""API keys: generation, hashing, and the in-memory key → user cache.

A key is ``rm_`` + 64 lowercase hex digits from :func:`secrets.token_hex` (32
random bytes).  Only its SHA-256 is stored.  A plain (unsalted, fast) hash is
enough here, unlike for passwords: a 256-bit random key cannot be guessed or
looked up in a table, so slowing the hash would only slow every request.

Lookups go by hash, and the stored hash is then compared with
:func:`hmac.compare_digest` (constant time), so no comparison on a secret value
takes a data-dependent time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import uuid
from typing import Final

from roadmaster.sync.contract import API_KEY_PATTERN

_KEY_RE: Final = re.compile(API_KEY_PATTERN)


def new_key() -> str:
    return "rm_" + secrets.token_hex(32)


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("ascii", "replace")).hexdigest()


def well_formed(key: object) -> bool:
    return isinstance(key, str) and _KEY_RE.match(key) is not None


def same_hash(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


class KeyCache:
    """hash → user id, dropped whole when the database's key epoch changes (a key was
    added or rotated, possibly by another process)."""

    def __init__(self) -> None:
        self._users: dict[str, uuid.UUID] = {}
        self._epoch: int | None = None
        self._lock = threading.Lock()

    def sync_epoch(self, epoch: int) -> None:
        with self._lock:
            if epoch != self._epoch:
                self._users.clear()
                self._epoch = epoch

    def get(self, digest: str) -> uuid.UUID | None:
        return self._users.get(digest)

    def get_with_epoch(self, digest: str) -> tuple[uuid.UUID, int] | None:
        """The cached user and the epoch the cache is valid for, read together."""
        with self._lock:
            user_id = self._users.get(digest)
            if user_id is None or self._epoch is None:
                return None
            return user_id, self._epoch

    def put(self, digest: str, user_id: uuid.UUID, epoch: int) -> None:
        with self._lock:
            if epoch == self._epoch:  # a stale answer must not outlive a rotation
                self._users[digest] = user_id

    def clear(self) -> None:
        with self._lock:
            self._users.clear()
            self._epoch = None
