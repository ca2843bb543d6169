"""moto's server on loopback, in this process: the local DynamoDB, Streams, SQS and Secrets Manager.

One server hosts every emulated service; each service's module says what it adds to moto
(`dynamodb_local`: DynamoDB's transaction isolation, request-token idempotency and stream
iterator expiry) and creates the template's resources in it (`dynamodb_local`, `sqs_local`,
`secrets_local`). `moto_speedups` holds the speed-only patches, proven to leave moto's answers as
they are.
"""

from __future__ import annotations

import logging
import socket
import threading
from typing import Any

SHUTDOWN_POLL_SECONDS = 0.05


class EmbeddedMotoServer:
    """moto's server application on 127.0.0.1 and a free port, on a thread of this process.

    As moto's ThreadedMotoServer builds it (werkzeug, a thread per connection, moto's request
    handler), but polled for shutdown every 50 ms as the other local servers are, not every
    500 ms: every `invoke`, and every test that starts the backends, waits for that poll.
    """

    def __init__(self, host: str = "127.0.0.1") -> None:
        from admin_token_local import dynamodb_local, moto_speedups

        # werkzeug logs every request at INFO on stderr; the functions' logs are what matter.
        werkzeug_logger = logging.getLogger("werkzeug")
        if werkzeug_logger.level == logging.NOTSET:
            werkzeug_logger.setLevel(logging.WARNING)
        dynamodb_local.add_dynamodb_behaviours()
        moto_speedups.install()
        self._host = host
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self.endpoint_url = ""

    def start(self) -> str:
        """Start serving; return the endpoint URL."""
        # Imported here: moto's server pulls in Flask and every backend, which `seed` never needs.
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
        from werkzeug.serving import make_server

        app = DomainDispatcherApplication(create_backend_app)
        self._server = make_server(self._host, 0, app, threaded=True, request_handler=MotoRequestHandler)
        _set_nodelay(self._server)
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(SHUTDOWN_POLL_SECONDS,), name="moto", daemon=True
        )
        self._thread.start()
        host, port = self._server.server_address[:2]
        self.endpoint_url = f"http://{host}:{port}"
        return self.endpoint_url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()  # werkzeug's serve_forever closes the socket as it returns
            self._server = None
        if self._thread is not None:
            self._thread.join()
            self._thread = None


def _set_nodelay(server: Any) -> None:
    """TCP_NODELAY on each connection werkzeug's server accepts, as on every local server here.

    Patched on the instance before anyone knows its port, so no connection is accepted without."""
    accept = server.get_request

    def get_request() -> tuple[socket.socket, Any]:
        connection, address = accept()
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection, address

    server.get_request = get_request
