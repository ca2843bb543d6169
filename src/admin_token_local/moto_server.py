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
from typing import Any


class EmbeddedMotoServer:
    """moto's ThreadedMotoServer on 127.0.0.1 and a free port, in this process."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        # Imported here: moto's server pulls in Flask and every backend, which `seed` never needs.
        from moto.server import ThreadedMotoServer

        from admin_token_local import dynamodb_local, moto_speedups

        # werkzeug logs every request at INFO on stderr; the functions' logs are what matter.
        werkzeug_logger = logging.getLogger("werkzeug")
        if werkzeug_logger.level == logging.NOTSET:
            werkzeug_logger.setLevel(logging.WARNING)
        dynamodb_local.add_dynamodb_behaviours()
        moto_speedups.install()
        self._server: Any = ThreadedMotoServer(ip_address=host, port=0, verbose=False)
        self.endpoint_url = ""

    def start(self) -> str:
        """Start serving; return the endpoint URL."""
        self._server.start()
        _set_nodelay(self._server._server)
        host, port = self._server.get_host_and_port()
        self.endpoint_url = f"http://{host}:{port}"
        return self.endpoint_url

    def stop(self) -> None:
        self._server.stop()


def _set_nodelay(server: Any) -> None:
    """TCP_NODELAY on each connection werkzeug's server accepts, as on every local server here.

    Patched on the instance before anyone knows its port, so no connection is accepted without."""
    accept = server.get_request

    def get_request() -> tuple[socket.socket, Any]:
        connection, address = accept()
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection, address

    server.get_request = get_request
