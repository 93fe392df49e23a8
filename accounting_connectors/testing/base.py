"""The base of every fake provider: one request pipeline, one vocabulary.

A fake declares what is particular to its provider and the base does the rest, the way
``httpx.MockTransport`` owns the transport plumbing and takes only a handler:

* where the provider lives (:attr:`FakeProvider.base_urls`), checked on every request;
* how it authenticates (:meth:`FakeProvider.authenticate`) and what key its rate limits
  count by (:meth:`FakeProvider.limit_key`);
* its limits (:attr:`FakeProvider.limits`, enforced by one sliding-window implementation)
  and how it refuses (:meth:`FakeProvider.rate_limited`);
* its routes, a table of ``@route(method, pattern)`` handlers, and its error replies for
  a path or method it does not serve, for an injected server error and for an error
  under HTTP 200;
* its documents, as :class:`StoredDocument` snapshots (:meth:`FakeProvider.stored`).

Every fake then speaks the same words: keyword-only ``clock=``, :meth:`inject`,
:attr:`documents`, :meth:`find`, :attr:`penalties`, :attr:`requests`; ``keep_log=False``
keeps no request log and ``keep_documents = False`` only the latest documents (in the fakes
that honour it), so a long sandbox run stays flat in memory.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, Self

import httpx

from ..clock import SYSTEM_CLOCK, Clock
from .documents import StoredDocument
from .faults import Fault, FaultPlan, connect_error, normalize_path, read_timeout
from .routes import RouteTable
from .throttle import FakeLimit, LimitVerdict, SlidingWindows
from .wire import FakeError, FakeRequest, Reply

__all__ = ["FakeProvider"]

Handler = Callable[[FakeRequest], Reply]


class FakeProvider(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Base of the fakes: a sync and async httpx transport over a provider's simulated state.

    Many threads and tasks may share one fake, as they would share the real service:
    the whole pipeline of one request runs under the fake's re-entrant lock.
    """

    provider: ClassVar[str]
    """The registered name of the provider this fakes (``"smartbill"``)."""
    base_urls: ClassVar[tuple[str, ...]]
    """The provider's API roots (``"https://ws.smartbill.ro/SBORO/api/"``); the first is
    the default, the origin of :func:`~accounting_connectors.testing.serve`."""
    limits: ClassVar[tuple[FakeLimit, ...]] = ()
    """The provider's documented rate limits."""
    demo_settings: ClassVar[Mapping[str, Any]] = {}
    """The ``connect`` settings of the account :meth:`demo` creates."""
    recent_documents: ClassVar[int] = 256
    """How many of the latest documents a fake keeps with ``keep_documents = False``."""
    routes: ClassVar[RouteTable]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.routes = RouteTable.of(cls)

    def __init__(
        self, *, clock: Clock | None = None, keep_log: bool = True, limits: Sequence[FakeLimit] | None = None
    ) -> None:
        self.clock: Clock = clock or SYSTEM_CLOCK
        """The fake's time: give the client under test the same clock."""
        self.keep_log = keep_log
        self.keep_documents = True
        """``False``: keep only the :attr:`recent_documents` latest documents (enough to
        fetch, pay or find what was just issued) and the counters and numbering, so a long
        sandbox run stays flat in memory. Fakes that honour it say so; others keep all."""
        self._lock = threading.RLock()
        self._requests: list[httpx.Request] = []
        self._dropped: list[httpx.Request] = []
        self._request_count = 0
        self._penalties = 0
        # The class declares the provider's documented limits; an instance may be given
        # others (a benchmark's ceiling, a stricter plan).
        self._windows = SlidingWindows(tuple(self.limits if limits is None else limits))
        self.faults = FaultPlan()
        """Faults to inject into coming requests."""
        self._bases = [_Base(url) for url in self.base_urls]

    @classmethod
    def demo(cls, *, clock: Clock | None = None) -> Self:
        """A fake holding the demo account that :attr:`demo_settings` connects to."""
        return cls(clock=clock)

    @property
    def origin(self) -> str:
        """Scheme and host of the real service (the first base URL's)."""
        return self._bases[0].origin

    # The vocabulary every fake shares.

    def inject(
        self, fault: Fault, path: str | None = None, *, method: str | None = None, times: int | None = 1
    ) -> None:
        """Make the next ``times`` requests to ``path`` (relative, any if ``None``) fail with ``fault``.

        ``times=None`` keeps the fault until ``faults.clear()``.
        """
        self.faults.add(fault, path, times=times, method=method)

    @property
    def documents(self) -> list[StoredDocument]:
        """Every document the fake issued, in the order issued."""
        with self._lock:
            return list(self.stored())

    def find(self, **key: Any) -> StoredDocument | None:
        """The first issued document whose attributes (or ``detail``) equal ``key``'s values."""
        with self._lock:
            return next((document for document in self.stored() if document.matches(**key)), None)

    @property
    def penalties(self) -> int:
        """How many requests the fake refused for exceeding a rate limit."""
        with self._lock:
            return self._penalties

    @property
    def requests(self) -> list[httpx.Request]:
        """Every request that reached the fake, refused ones included (empty with ``keep_log=False``).

        Requests dropped by ``Fault.CONNECTION_RESET`` never arrived and are not here.
        """
        with self._lock:
            return list(self._requests)

    @property
    def request_count(self) -> int:
        """How many requests reached the fake, whether logged or not."""
        with self._lock:
            return self._request_count

    @property
    def dropped_requests(self) -> list[httpx.Request]:
        """Requests lost to ``Fault.CONNECTION_RESET`` before they arrived."""
        with self._lock:
            return list(self._dropped)

    @property
    def active_limits(self) -> tuple[FakeLimit, ...]:
        """The limits this fake enforces (the class's :attr:`limits` unless others were given)."""
        return self._windows.limits

    def blocked_until(self, key: str) -> float | None:
        """Unix time until which the provider refuses ``key`` (see :meth:`limit_key`), if it does."""
        with self._lock:
            return self._windows.blocked_until(key)

    # What a fake declares. Hooks run with the fake's lock held.

    def stored(self) -> list[StoredDocument]:
        """Snapshots of the documents issued so far, oldest first."""
        return []

    def authenticate(self, request: FakeRequest) -> Any:
        """Check the request's credentials the provider's way; return the principal.

        Raise :class:`FakeError` with the provider's refusal. The default accepts all.
        """
        return None

    def limit_key(self, request: FakeRequest) -> str:
        """What the provider's rate limits count by (a credential, an account, an address)."""
        return "*"

    def rate_limited(self, request: FakeRequest, verdict: LimitVerdict) -> Reply:
        """The provider's answer to a call over its limit (``verdict.reset_at`` says until when)."""
        wait = max(verdict.reset_at - self.clock.time(), 0.0)
        return Reply.json({"message": "rate limit exceeded"}, 429, {"Retry-After": str(max(1, round(wait + 0.4999)))})

    def limit_headers(self, request: FakeRequest, verdict: LimitVerdict) -> Mapping[str, str]:
        """Rate-limit headers the provider adds to every answer (none by default)."""
        return {}

    def not_found(self, request: FakeRequest) -> Reply:
        """The answer for a path the provider does not serve."""
        return Reply.json({"message": f"no such resource: {request.path}"}, 404)

    def method_not_allowed(self, request: FakeRequest, allowed: list[str]) -> Reply:
        """The answer for a method the path does not take."""
        return Reply.json({"message": f"{request.method} is not allowed here"}, 405, {"Allow": ", ".join(allowed)})

    def server_error(self, request: FakeRequest) -> Reply:
        """The provider's answer to ``Fault.SERVER_ERROR`` (nothing is stored)."""
        return Reply.json({"message": "internal server error"}, 500)

    def error_under_200(self, request: FakeRequest) -> Reply:
        """The provider's answer to ``Fault.ERROR_TEXT_200``: an error with HTTP 200."""
        raise NotImplementedError(f"{type(self).__name__} does not report errors under HTTP 200")

    def unknown_host(self, request: httpx.Request) -> httpx.Response:
        """A request for a host or path outside the provider: the connection fails."""
        raise httpx.ConnectError(f"{type(self).__name__} only serves {', '.join(self.base_urls)}", request=request)

    # The pipeline.

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

    def _relative(self, url: httpx.URL) -> str | None:
        for base in self._bases:
            path = base.relative(url)
            if path is not None:
                return path
        return None

    def _handle(self, raw: httpx.Request) -> httpx.Response:
        path = self._relative(raw.url)
        if path is None:
            return self.unknown_host(raw)
        request = FakeRequest(raw, path)
        with self._lock:
            fault = self.faults.take(path, request.method)
            if fault is Fault.CONNECTION_RESET:
                self._dropped.append(raw)
                raise connect_error(raw)
            self._request_count += 1
            if self.keep_log:
                self._requests.append(raw)
            reply = self._answer(request, fault)
            if fault is Fault.TIMEOUT_AFTER_COMMIT:
                raise read_timeout(raw)
            return reply.to_response(raw)

    def _answer(self, request: FakeRequest, fault: Fault | None) -> Reply:
        headers: Mapping[str, str] = {}
        try:
            request.principal = self.authenticate(request)
            if self._windows.limits:
                verdict = self._windows.check(self.limit_key(request), self.clock.time(), request)
                headers = self.limit_headers(request, verdict)
                if not verdict.allowed:
                    self._penalties += 1
                    return self.rate_limited(request, verdict).with_headers(headers)
            if fault is Fault.TIMEOUT_BEFORE_COMMIT:
                raise read_timeout(request.raw)
            if fault is Fault.SERVER_ERROR:
                return self.server_error(request).with_headers(headers)
            if fault is Fault.ERROR_TEXT_200:
                return self.error_under_200(request).with_headers(headers)
            return self._dispatch(request).with_headers(headers)
        except FakeError as refusal:
            return refusal.reply.with_headers(headers)

    def _dispatch(self, request: FakeRequest) -> Reply:
        found = self.routes.match(request.method, request.path)
        if found is None:
            return self.not_found(request)
        if isinstance(found, list):
            return self.method_not_allowed(request, found)
        name, groups = found
        request.groups = groups
        handler: Handler = getattr(self, name)
        return handler(request)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(documents={len(self.stored())}, requests={self.request_count})"


class _Base:
    """One API root: scheme, host and base path, matched against request URLs."""

    __slots__ = ("host", "origin", "path", "port", "scheme")

    def __init__(self, url: str) -> None:
        parsed = httpx.URL(url)
        self.scheme = parsed.scheme
        self.host = parsed.host
        self.port = parsed.port
        self.path = "/" + normalize_path(parsed.path)
        if not self.path.endswith("/"):
            self.path += "/"
        self.origin = f"{parsed.scheme}://{parsed.netloc.decode()}"

    def relative(self, url: httpx.URL) -> str | None:
        if url.scheme != self.scheme or url.host != self.host or url.port != self.port:
            return None
        path = url.path if url.path.endswith("/") or url.path != self.path.rstrip("/") else url.path + "/"
        if not path.startswith(self.path):
            return None
        return normalize_path(path[len(self.path) :])
