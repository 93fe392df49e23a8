"""The testing kit: fake providers built from their documentation, and what drives them.

Each fake is an httpx transport (sync and async): pass it as ``transport=`` to
:func:`accounting_connectors.connect`. Give the fake and the client one clock
(:class:`FakeClock`, or :class:`VirtualClock` for concurrent async code), so rate-limit
waits and penalties cost no real time. Every fake speaks the same words (``inject``,
``documents``, ``find``, ``penalties``, ``requests``, ``demo()``); :func:`serve` puts any
fake on loopback HTTP. The pytest plugin (installed with the package) provides
``fake_clock``, ``virtual_clock`` and one ``<provider>_fake`` fixture per built-in
provider.

The fake of each built-in provider is importable from its module
(``accounting_connectors.testing.smartbill``) and, by its class name, from here
(``from accounting_connectors.testing import SmartBillFake``).
"""

from __future__ import annotations

from typing import Any

from .base import FakeProvider
from .clock import FakeClock, VirtualClock
from .documents import StoredDocument
from .faults import Fault, FaultPlan
from .pdf import make_pdf
from .routes import RouteTable, route
from .server import serve
from .throttle import FakeLimit
from .wire import FakeError, FakeRequest, Reply

__all__ = [
    "FakeClock",
    "FakeError",
    "FakeLimit",
    "FakeProvider",
    "FakeRequest",
    "Fault",
    "FaultPlan",
    "Reply",
    "RouteTable",
    "StoredDocument",
    "VirtualClock",
    "make_pdf",
    "route",
    "serve",
]


def _fakes() -> dict[str, str]:
    from ..registry import BUILTIN

    return {entry.fake.rpartition(":")[2]: entry.name for entry in BUILTIN}


def __getattr__(name: str) -> Any:
    # The fakes, by class name, from the registry: a new provider needs no edit here.
    provider = _fakes().get(name)
    if provider is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from ..registry import fake_class

    return fake_class(provider)


def __dir__() -> list[str]:
    return sorted([*__all__, *_fakes()])
