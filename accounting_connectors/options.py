"""The driver's own keyword arguments of ``connect``, as a TypedDict without I/O.

Each provider's ``<Provider>Args`` TypedDict (its settings, for the ``connect``
overloads) extends :class:`ConnectOptions`, so type checkers know every keyword a call
of ``connect("name", ...)`` may pass.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict

import httpx

if TYPE_CHECKING:
    from .clock import Clock
    from .ratelimit import Limiter

__all__ = ["ConnectOptions"]


class ConnectOptions(TypedDict, total=False):
    """The driver's own keyword arguments of ``connect``, the same for every provider."""

    transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None
    timeout: httpx.Timeout | float | None
    http_client: httpx.Client | httpx.AsyncClient | None
    clock: Clock | None
    max_retries: int
    retry_cap: float
    limiter: Limiter | None


DRIVER_OPTIONS = frozenset(ConnectOptions.__annotations__)
"""The names in :class:`ConnectOptions`."""
