"""Transitional: the pre-kit fake base, kept only until every fake is on FakeProvider."""

from __future__ import annotations

import threading
from typing import ClassVar

import httpx

from .faults import Fault, FaultPlan, connect_error


class LegacyFakeProvider(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Base of the fakes: one sync and async transport over a provider's simulated state.

    Subclasses implement :meth:`_handle`; it runs under no lock of its own, so it takes
    ``self._lock`` (re-entrant) around any state it touches. Many threads and tasks may
    share one fake, as they would share the real service.
    """

    origin: ClassVar[str]
    """Scheme and host of the real service; :func:`~accounting_connectors.testing.serve` uses it."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._requests: list[httpx.Request] = []
        self._dropped: list[httpx.Request] = []
        self.faults = FaultPlan()
        """Faults to inject into coming requests."""

    def _arrive(self, request: httpx.Request, path: str, method: str) -> Fault | None:
        """Log ``request`` as arrived and return the fault planned for it, if any.

        A ``CONNECTION_RESET`` is raised here: that request never arrives. Call with
        ``self._lock`` held.
        """
        fault = self.faults.take(path, method)
        if fault is Fault.CONNECTION_RESET:
            self._dropped.append(request)
            raise connect_error(request)
        self._requests.append(request)
        return fault

    @property
    def requests(self) -> list[httpx.Request]:
        """Every request that reached the fake, refused ones included.

        Requests dropped by ``Fault.CONNECTION_RESET`` never arrived and are not here.
        """
        with self._lock:
            return list(self._requests)

    @property
    def dropped_requests(self) -> list[httpx.Request]:
        """Requests lost to ``Fault.CONNECTION_RESET`` before they arrived."""
        with self._lock:
            return list(self._dropped)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Answer ``request`` as the provider would (sync transport entry point)."""
        request.read()
        return self._handle(request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Answer ``request`` as the provider would (async transport entry point)."""
        await request.aread()
        return self._handle(request)

    def close(self) -> None:
        """Nothing to release; the fake's state outlives the clients using it."""

    async def aclose(self) -> None:
        """Nothing to release; the fake's state outlives the clients using it."""

    def _handle(self, request: httpx.Request) -> httpx.Response:
        raise NotImplementedError
