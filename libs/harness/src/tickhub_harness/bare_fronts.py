"""Fronts that speak no CTP at all: a closed port, and a TCP listener that drops (or
silently holds) every connection it accepts. CTP's library reports the first as a failed
connect, the second as OnFrontDisconnected 0x1001 about once a second, the third by its
heartbeat timeout; the tests of the ctp source and of failover both need them."""

from __future__ import annotations

import socket
import threading


def closed_port() -> int:
    """A port on 127.0.0.1 nothing listens on (bound once, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Listener:
    """A TCP listener on 127.0.0.1 that drops (or, ``hold=True``, silently holds) what
    it accepts; ``accepted`` counts the connections."""

    def __init__(self, hold: bool = False) -> None:
        self.hold = hold
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = int(self.sock.getsockname()[1])
        self.accepted = 0
        self.held: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def address(self) -> str:
        return f"tcp://127.0.0.1:{self.port}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted += 1
            if self.hold:
                self.held.append(conn)
            else:
                conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for conn in self.held:
            conn.close()
        self.sock.close()
