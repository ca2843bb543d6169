"""The one HTTP server class every local server here uses (API Gateway, AppConfig and GitHub stand-ins),
and the one way a stand-in runs it on a thread of its own."""

from __future__ import annotations

import socket
import sys
import threading
from http.server import ThreadingHTTPServer
from typing import Any

# Connections waiting to be accepted. socketserver's default of 5 makes the kernel drop or reset
# clients as soon as a handful arrive at once; the kernel caps this at net.core.somaxconn.
LISTEN_BACKLOG = 1024


class LocalHTTPServer(ThreadingHTTPServer):
    """A thread per connection, a real listen backlog, and TCP_NODELAY on every connection.

    Requests are queued (in the backlog, then by whatever the handler waits on), never refused."""

    daemon_threads = True
    request_queue_size = LISTEN_BACKLOG

    def __init__(self, server_address: tuple[str, int], handler: Any, *, ipv6: bool = False) -> None:
        self.address_family = socket.AF_INET6 if ipv6 else socket.AF_INET
        super().__init__(server_address, handler)

    def get_request(self) -> tuple[socket.socket, Any]:
        connection, address = super().get_request()
        # Responses are written in a few small pieces: without this, Nagle's algorithm and
        # delayed ACKs can hold each one back by tens of milliseconds.
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection, address

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that leaves early (or goes silent) is the client's business, not a traceback.
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)


class BackgroundServer:
    """A LocalHTTPServer on a daemon thread of its own: how each stand-in serves."""

    def __init__(self, handler: Any, name: str) -> None:
        self._handler = handler
        self._name = name
        self._server: LocalHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Listen on host:port (0 = any free port); the base URL, http://host:port."""
        server = LocalHTTPServer((host, port), self._handler, ipv6=":" in host)
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, args=(0.05,), name=self._name, daemon=True)
        self._thread.start()
        bound_host, bound_port = server.server_address[:2]
        return f"http://{bound_host!s}:{bound_port}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join()
            self._thread = None
