import os
import tempfile

# Qt must never try to reach a display in tests (no display here: Qt would abort).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Nothing a test runs may write into the user's real data, config or log folders.
os.environ["ROADMASTER_HOME"] = tempfile.mkdtemp(prefix="roadmaster-tests-")

# The session's throwaway PostgreSQL cluster, shared by tests/server and tests/sync.
from tests.pg import pg_cluster  # noqa: F401
