import os
import tempfile
from collections.abc import Iterator

import keyring
import pytest
from keyring.backends import fail

# Qt must never try to reach a display in tests (no display here: Qt would abort).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Nothing a test runs may write into the user's real data, config or log folders.
os.environ["ROADMASTER_HOME"] = tempfile.mkdtemp(prefix="roadmaster-tests-")
# Nor read or write the host's keyring: programs the tests start get the fail backend
# (a test that wants a key there passes it in the environment) ...
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"

from tests.fakes import MemoryKeyring

# The session's throwaway PostgreSQL cluster, shared by tests/server and tests/sync.
from tests.pg import pg_cluster  # noqa: F401


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    """... and every test in this process an empty in-memory keyring of its own."""
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def no_keyring() -> Iterator[None]:
    """No usable keyring, as on a desktop without a secret service."""
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)
