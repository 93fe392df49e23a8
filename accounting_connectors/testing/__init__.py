"""The testing kit: fake providers built from their documentation, and what drives them.

Each fake is an httpx transport (sync and async): pass it as ``transport=`` to
:func:`accounting_connectors.connect`. Give the fake and the client one
:class:`FakeClock`, so rate-limit waits and penalties cost no real time. Faults are
injected with :meth:`SmartBillFake.inject`; :func:`serve` puts a fake on loopback HTTP.
The pytest plugin (installed with the package) provides ``fake_clock`` and one fixture
per fake.
"""

from __future__ import annotations

from .clock import FakeClock
from .faults import Fault, FaultPlan
from .ifirma import IFirmaFake
from .infakt import InFaktFake
from .pdf import make_pdf
from .server import serve
from .smartbill import SmartBillFake, StoredDocument

__all__ = [
    "FakeClock",
    "Fault",
    "FaultPlan",
    "IFirmaFake",
    "InFaktFake",
    "SmartBillFake",
    "StoredDocument",
    "make_pdf",
    "serve",
]
