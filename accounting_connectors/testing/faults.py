"""Provider-independent fault injection for the fake providers.

A fake owns a :class:`FaultPlan` and asks it, once per incoming request, whether a fault
should hit that request (:meth:`FaultPlan.take`). The plan only decides *which* fault;
the fake decides what the fault means for its own state (for example whether a document
was committed before the timeout). Keeping the plan free of provider knowledge lets every
fake (SmartBill, Oblio, ...) share the same vocabulary in tests::

    fake.inject(Fault.TIMEOUT_AFTER_COMMIT, path="invoice", times=1)
"""

from __future__ import annotations

import enum
import threading

import attrs
import httpx

__all__ = [
    "Fault",
    "FaultPlan",
    "FaultRule",
    "connect_error",
    "normalize_path",
    "read_timeout",
]


class Fault(enum.Enum):
    """A failure a fake provider can be told to produce.

    Members:
        TIMEOUT_BEFORE_COMMIT: the request reaches the provider, nothing is stored, and
            the client gets :class:`httpx.ReadTimeout`.
        TIMEOUT_AFTER_COMMIT: the request is processed normally (a document may be
            stored), then the client gets :class:`httpx.ReadTimeout` instead of the answer.
            This is the case that makes blind retries of creates dangerous.
        SERVER_ERROR: HTTP 500 with the provider's error body; nothing is stored.
        CONNECTION_RESET: :class:`httpx.ConnectError` before the request reaches the
            provider: nothing is stored and nothing counts against rate limits.
        ERROR_TEXT_200: HTTP 200 whose body nevertheless reports an error; nothing is
            stored (some providers signal business failures this way).
    """

    TIMEOUT_BEFORE_COMMIT = "timeout_before_commit"
    TIMEOUT_AFTER_COMMIT = "timeout_after_commit"
    SERVER_ERROR = "server_error"
    CONNECTION_RESET = "connection_reset"
    ERROR_TEXT_200 = "error_text_200"


def normalize_path(path: str) -> str:
    """Canonical form used to match paths: no leading or trailing slashes.

    ``"/invoice/"`` and ``"invoice"`` are the same path to a rule.
    """
    return path.strip("/")


@attrs.define
class FaultRule:
    """One queued fault.

    Attributes:
        fault: what to do.
        path: the API path relative to the provider's base URL (``"invoice"``), or
            ``None`` for any path. Matching is exact after :func:`normalize_path`, so
            ``"invoice"`` does not match ``"invoice/v2"``.
        method: an HTTP method (``"POST"``) or ``None`` for any method.
        remaining: how many more matching requests it hits; ``None`` means every one
            until :meth:`FaultPlan.clear`.
    """

    fault: Fault
    path: str | None = None
    method: str | None = None
    remaining: int | None = 1

    def matches(self, path: str, method: str) -> bool:
        """Whether this rule applies to a request for ``path`` with ``method``."""
        if self.path is not None and self.path != normalize_path(path):
            return False
        return self.method is None or self.method == method.upper()


class FaultPlan:
    """A thread-safe FIFO of :class:`FaultRule` consulted once per request.

    The first rule (in insertion order) that matches a request fires and has its
    ``remaining`` count decremented; exhausted rules are dropped. Every firing is
    recorded in :attr:`fired` so tests can assert that an injected fault was used.
    """

    def __init__(self) -> None:
        self._rules: list[FaultRule] = []
        self._fired: list[tuple[Fault, str, str]] = []
        # Fakes may be called from many threads (bulk export); the plan must not hand
        # the same single-shot fault to two requests.
        self._lock = threading.Lock()

    def add(
        self,
        fault: Fault,
        path: str | None = None,
        *,
        times: int | None = 1,
        method: str | None = None,
    ) -> FaultRule:
        """Queue ``fault`` for the next ``times`` requests matching ``path``/``method``.

        ``times=None`` keeps the fault active until :meth:`clear`.
        """
        if times is not None and times < 1:
            raise ValueError("times must be at least 1 (or None for unlimited)")
        rule = FaultRule(
            fault=fault,
            path=None if path is None else normalize_path(path),
            method=None if method is None else method.upper(),
            remaining=times,
        )
        with self._lock:
            self._rules.append(rule)
        return rule

    def take(self, path: str, method: str) -> Fault | None:
        """The fault for this request, consuming one use of its rule; ``None`` if none."""
        with self._lock:
            for index, rule in enumerate(self._rules):
                if not rule.matches(path, method):
                    continue
                if rule.remaining is not None:
                    rule.remaining -= 1
                    if rule.remaining <= 0:
                        del self._rules[index]
                self._fired.append((rule.fault, normalize_path(path), method.upper()))
                return rule.fault
        return None

    def clear(self) -> None:
        """Drop every queued rule (the firing history is kept)."""
        with self._lock:
            self._rules.clear()

    @property
    def pending(self) -> list[FaultRule]:
        """Copies of the rules still queued, in matching order."""
        with self._lock:
            return [attrs.evolve(rule) for rule in self._rules]

    @property
    def fired(self) -> list[tuple[Fault, str, str]]:
        """``(fault, path, method)`` for every fault handed out so far, oldest first."""
        with self._lock:
            return list(self._fired)

    def __len__(self) -> int:
        with self._lock:
            return len(self._rules)

    def __repr__(self) -> str:
        return f"FaultPlan(pending={self.pending!r})"


def read_timeout(request: httpx.Request) -> httpx.ReadTimeout:
    """The exception httpx raises when the server accepted a request but never answered."""
    return httpx.ReadTimeout("injected fault: the server did not answer in time", request=request)


def connect_error(request: httpx.Request) -> httpx.ConnectError:
    """The exception httpx raises when the request never reached the server."""
    return httpx.ConnectError("injected fault: connection reset by peer", request=request)
