"""One RoadMaster per user and data folder: a second launch asks the first to raise
its window (over a QLocalSocket) and exits."""

from __future__ import annotations

import getpass
import hashlib
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

CONNECT_TIMEOUT_MS = 500
MESSAGE = b"raise\n"


def instance_key(data_dir: Path | None) -> str:
    """A name per user and data folder (the demo and the real log may both run)."""
    try:
        user = getpass.getuser()
    except Exception:  # no user name in odd environments: still one key
        user = "user"
    digest = hashlib.sha1(f"{user}|{data_dir}".encode()).hexdigest()[:16]
    return f"roadmaster-{digest}"


class SingleInstance(QObject):
    activation_requested = Signal()

    def __init__(self, key: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.key = key
        self.server: QLocalServer | None = None

    def activate_existing(self) -> bool:
        """True when another instance answered (and was asked to raise its window)."""
        socket = QLocalSocket()
        socket.connectToServer(self.key)
        if not socket.waitForConnected(CONNECT_TIMEOUT_MS):
            return False
        socket.write(MESSAGE)
        socket.waitForBytesWritten(CONNECT_TIMEOUT_MS)
        socket.disconnectFromServer()
        return True

    def listen(self) -> bool:
        server = QLocalServer(self)
        # A server name left by a crashed instance would block listen(): remove it
        # (activate_existing() has already shown nobody answers on it).
        QLocalServer.removeServer(self.key)
        if not server.listen(self.key):
            return False
        server.newConnection.connect(self._on_connection)
        self.server = server
        return True

    def _on_connection(self) -> None:
        assert self.server is not None
        while (socket := self.server.nextPendingConnection()) is not None:
            socket.readyRead.connect(lambda s=socket: self._read(s))
            socket.disconnected.connect(socket.deleteLater)
            if socket.bytesAvailable():
                self._read(socket)

    def _read(self, socket: QLocalSocket) -> None:
        if bytes(socket.readAll().data()).startswith(MESSAGE.strip()):
            self.activation_requested.emit()

    def close(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None
