"""Serve any fake provider over real HTTP on loopback.

Useful for end-to-end runs across processes (several exporters sharing one fake), for
benchmarks with real sockets, and for clients in other languages::

    with serve(SmartBillFake()) as base_url:   # the fake's origin is https://ws.smartbill.ro
        conn = ac.connect("smartbill", base_url=base_url + "/SBORO/api/", ...)

A fault that makes the fake raise (a timeout, a reset) closes the connection without an
answer, which is what the client would see from the real service.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import cast

import httpx

_HOP_BY_HOP = {"connection", "content-length", "transfer-encoding", "keep-alive", "content-encoding"}


def _handler_for(transport: httpx.BaseTransport, origin: str | None, latency: float) -> type[BaseHTTPRequestHandler]:
    class Relay(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body leave in two writes; without TCP_NODELAY the second waits for
        # the client's delayed ACK (about 40 ms a call).
        disable_nagle_algorithm = True

        def _relay(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            host, port = cast("tuple[str, int]", self.server.server_address)[:2]
            # The fake sees the provider's own address, as it would from a real client.
            # The address the client used goes along, as a reverse proxy would say it, for
            # fakes that check a signature over the URL (iFirma).
            forwarded = [
                ("X-Forwarded-Host", self.headers.get("Host", f"{host!s}:{port}")),
                ("X-Forwarded-Proto", "http"),
            ]
            request = httpx.Request(
                self.command,
                f"{origin or f'http://{host!s}:{port}'}{self.path}",
                headers=[(name, value) for name, value in self.headers.items() if name.lower() != "host"] + forwarded,
                content=body,
            )
            if latency:
                time.sleep(latency)
            try:
                response = transport.handle_request(request)
                content = response.read()
            except httpx.TransportError:
                self.close_connection = True  # the fake dropped the call: no answer at all
                return
            self.send_response(response.status_code)
            for name, value in response.headers.items():
                if name.lower() not in _HOP_BY_HOP:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        # http.server dispatches on these names.
        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _relay  # noqa: N815

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: tests and benchmarks read their own output."""

    return Relay


@contextmanager
def serve(
    transport: httpx.BaseTransport, *, origin: str | None = None, port: int = 0, latency: float = 0.0
) -> Iterator[str]:
    """Serve ``transport`` on ``127.0.0.1`` until the block ends; yields the base URL.

    Args:
        transport: a fake provider (any sync httpx transport).
        origin: the provider's scheme and host (``https://ws.smartbill.ro``), put back
            on each request for the fake; defaults to the fake's ``origin`` attribute.
        port: the port to listen on; 0 picks a free one.
        latency: seconds each answer is delayed, to imitate a distant service.
    """
    origin = origin or getattr(transport, "origin", None)
    server = ThreadingHTTPServer(("127.0.0.1", port), _handler_for(transport, origin, latency))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="fake-provider-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
