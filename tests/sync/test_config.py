"""Server URL and API key rules, the keyring's status, and the pacing arithmetic."""

from __future__ import annotations

import random

import httpx
import pytest

from roadmaster import secrets
from roadmaster.sync.client import parse_rate, parse_retry_after
from roadmaster.sync.config import ApiKey, validate_server_url
from roadmaster.sync.errors import ConfigError
from roadmaster.sync.pacing import Backoff, Pacer, RateInfo, TokenBucket

KEY = "rm_" + "ab" * 32


@pytest.mark.parametrize(
    "url",
    ["https://rm.example.com/", "http://127.0.0.1:8000", "http://localhost", "http://[::1]:1"],
)
def test_https_or_loopback_urls_are_accepted(url: str) -> None:
    assert validate_server_url(url) == url.rstrip("/")


@pytest.mark.parametrize("url", ["http://rm.example.com", "http://10.0.0.2:80", "ftp://x", "rm"])
def test_other_urls_are_refused_with_what_to_do(url: str) -> None:
    with pytest.raises(ConfigError, match="https://"):
        validate_server_url(url)


def test_a_key_is_validated_and_never_shown_beyond_4_characters() -> None:
    key = ApiKey(KEY)
    assert str(key) == "rm_a…" and KEY not in repr(key) and key.reveal() == KEY
    with pytest.raises(ConfigError) as info:
        ApiKey(KEY.upper())
    assert KEY.upper()[:5] not in str(info.value)


def test_the_fail_backend_is_reported_insecure_and_nothing_is_stored(no_keyring: None) -> None:
    secure, message = secrets.keyring_status()
    assert not secure
    assert "ROADMASTER_API_KEY" in message
    with pytest.raises(secrets.KeyringError):
        secrets.set_secret(secrets.CLOUD_API_KEY, KEY)
    assert secrets.get_secret(secrets.CLOUD_API_KEY) is None


def test_backoff_grows_with_jitter_up_to_the_cap() -> None:
    b = Backoff(base_s=1, cap_s=60, rng=random.Random(3))
    delays = [b.next_delay() for _ in range(10)]
    assert 0.5 <= delays[0] <= 1 and 1 <= delays[1] <= 2 and all(d <= 60 for d in delays)
    assert delays[-1] >= 30
    b.reset()
    assert b.next_delay() <= 1


def test_the_pacer_spreads_the_remaining_allowance_until_the_reset() -> None:
    p = Pacer(TokenBucket(2.0, 10))
    p.observe(RateInfo(limit=120, remaining=120, reset_in_s=60), now=0)
    p.sent(1, now=0)
    assert p.delay(1, now=0) == pytest.approx(60 / 119, rel=0.01)
    p.observe(RateInfo(limit=120, remaining=0, reset_in_s=12), now=1)
    assert p.delay(1, now=1) == pytest.approx(12)
    p.block(30, now=1)
    assert p.delay(1, now=1) == pytest.approx(30)


def test_rate_headers_in_unix_time_or_seconds() -> None:
    h = httpx.Headers({"X-RateLimit-Remaining": "5", "X-RateLimit-Reset": "1800000030"})
    assert parse_rate(h, 1_800_000_000).reset_in_s == pytest.approx(30)
    assert parse_rate(httpx.Headers({"X-RateLimit-Reset": "12"}), 1e9 + 5).reset_in_s == 12
    assert parse_retry_after(httpx.Headers({"Retry-After": "7"}), 0) == 7
