"""HTTP endpoints of the worker: ``/metrics``, ``/healthz`` and ``/readyz``.

The server is the stdlib `ThreadingHTTPServer` in a daemon thread, so a scrape does
not wait for the consume loop, and the server does not keep the process alive.
"""

from __future__ import annotations

import logging
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Protocol

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from worker.exceptions import StartupError

log = logging.getLogger(__name__)


class HealthStatus(Protocol):
    """Liveness and readiness of the worker, as the probes report them."""

    def liveness(self) -> tuple[bool, str]:
        """Return whether the consume loop is alive, and why not."""
        ...

    def readiness(self) -> tuple[bool, str]:
        """Return whether the worker is ready for traffic, and why not."""
        ...


class MetricsServer:
    """Serves the worker's registry and health probes on one port."""

    def __init__(
        self,
        host: str,
        port: int,
        registry: CollectorRegistry,
        status: HealthStatus,
    ) -> None:
        self._host = host
        self._port = port
        self._registry = registry
        self._status = status
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """Bound port, which differs from the requested one only when that was 0."""
        if self._server is None:
            return self._port
        return self._server.server_address[1]

    def start(self) -> None:
        """Bind the port and serve requests in a daemon thread.

        Raises:
            StartupError: when the address cannot be bound.
        """
        handler = _make_handler(self._registry, self._status)
        try:
            self._server = ThreadingHTTPServer((self._host, self._port), handler)
        except OSError as exc:
            raise StartupError(
                f"cannot serve metrics on {self._host}:{self._port}: {exc}. Choose "
                "another --metrics-port, or 0 to disable the HTTP server"
            ) from exc
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="metrics-http", daemon=True
        )
        self._thread.start()
        log.info(
            "Serving /metrics, /healthz and /readyz on %s:%d", self._host, self.port
        )

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None


def _make_handler(
    registry: CollectorRegistry, status: HealthStatus
) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (name fixed by BaseHTTPRequestHandler)
            path = self.path.split("?", 1)[0]
            if path == "/metrics":
                self._reply(
                    HTTPStatus.OK, generate_latest(registry), CONTENT_TYPE_LATEST
                )
            elif path == "/healthz":
                self._reply_probe(*status.liveness())
            elif path == "/readyz":
                self._reply_probe(*status.readiness())
            else:
                self._reply(HTTPStatus.NOT_FOUND, b"not found\n")

        def _reply_probe(self, ok: bool, reason: str) -> None:
            code = HTTPStatus.OK if ok else HTTPStatus.SERVICE_UNAVAILABLE
            self._reply(code, f"{reason}\n".encode())

        def _reply(
            self,
            code: HTTPStatus,
            body: bytes,
            content_type: str = "text/plain; charset=utf-8",
        ) -> None:
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            # BaseHTTPRequestHandler writes every request to stderr, but scrapes come
            # every few seconds and belong at DEBUG.
            log.debug("%s %s", self.address_string(), format % args)

    return Handler
