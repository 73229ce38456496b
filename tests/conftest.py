import os

# Qt must never try to reach a display in tests (no display here: Qt would abort).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
