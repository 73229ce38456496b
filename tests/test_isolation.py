"""The test harness keeps tests off the host: its keyring and its folders."""

from __future__ import annotations

import os
import subprocess
import sys

import keyring

from roadmaster import secrets
from tests.fakes import MemoryKeyring


def test_each_test_gets_an_empty_memory_keyring(memory_keyring: MemoryKeyring) -> None:
    assert keyring.get_keyring() is memory_keyring
    assert secrets.get_secret(secrets.CLOUD_API_KEY) is None
    secrets.set_secret(secrets.CLOUD_API_KEY, "rm_live_isolation_test_key_0000")
    assert memory_keyring.store  # stored here, not in the host's keyring


def test_a_program_a_test_starts_gets_no_keyring() -> None:
    code = "import keyring; print(type(keyring.get_keyring()).__module__)"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=os.environ
    )
    assert done.stdout.strip() == "keyring.backends.fail"
