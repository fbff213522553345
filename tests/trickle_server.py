"""A loopback server that answers one byte at a time (a slow-loris answer): the headers and a JSON body, each byte
after `gap_s`, so that no single socket read ever waits long enough for a per-read timeout."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

ANSWER = (
    b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 30\r\n\r\n{"data": {"__typename": "Q"}} '
)


@contextmanager
def trickling(answer: bytes = ANSWER, gap_s: float = 0.2, fast_paths: tuple[bytes, ...] = ()) -> Iterator[str]:
    """Serve `answer` byte by byte to every connection (at once to a request for one of `fast_paths`, on a
    connection of its own); yields the base URL."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve(connection: socket.socket) -> None:
        with connection, contextlib.suppress(OSError):
            head = connection.recv(65536)
            if any(b" " + path + b" " in head.split(b"\r\n", 1)[0] for path in fast_paths):
                connection.sendall(answer.replace(b"Content-Length", b"Connection: close\r\nContent-Length"))
                return
            for byte in answer:
                if stop.wait(gap_s):
                    return
                connection.sendall(bytes([byte]))

    def accept() -> None:
        with contextlib.suppress(OSError):
            while not stop.is_set():
                connection, _ = listener.accept()
                threading.Thread(target=serve, args=(connection,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        listener.close()
        time.sleep(0)
