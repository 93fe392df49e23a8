"""Pytest fixtures for testing code against the fake providers.

Registered through the ``pytest11`` entry point, so installing the package makes the
fixtures available everywhere; without installation, add
``pytest_plugins = ["accounting_connectors.testing.pytest_plugin"]`` to a root conftest.

* ``fake_clock`` - a fresh :class:`~accounting_connectors.testing.clock.FakeClock`.
* ``smartbill_fake`` - a :class:`~accounting_connectors.testing.smartbill.SmartBillFake`
  (user ``demo@example.ro``, token ``demo-token``, company ``RO12345678``, series
  ``FCT``/``CHT``/``PRF``) running on ``fake_clock``. Give the same clock to the client
  under test so its rate-limit waits advance the fake's time instantly.
* ``ifirma_fake`` - an :class:`~accounting_connectors.testing.ifirma.IFirmaFake` (user
  ``demo`` with the keys in ``DEFAULT_KEYS``, accounting month 2026-01, series
  ``Domyślna``) running on ``fake_clock``.
* ``infakt_fake`` - an :class:`~accounting_connectors.testing.infakt.InFaktFake` (API key
  ``demo-key``; a create task finishes on its second status poll) running on ``fake_clock``.
"""

from __future__ import annotations

import pytest

from accounting_connectors.registry import builtin_providers, fake_class
from accounting_connectors.testing.clock import FakeClock
from accounting_connectors.testing.ifirma import IFirmaFake
from accounting_connectors.testing.infakt import InFaktFake
from accounting_connectors.testing.smartbill import SmartBillFake

__all__ = ["fake_clock", "ifirma_fake", "infakt_fake", "smartbill_fake"]


@pytest.fixture
def fake_clock() -> FakeClock:
    """A virtual clock starting at 2026-01-01T00:00:00Z; it moves only when told to."""
    return FakeClock()


@pytest.fixture
def smartbill_fake(fake_clock: FakeClock) -> SmartBillFake:
    """A SmartBill fake with the default demo account, on ``fake_clock``."""
    return SmartBillFake(
        username="demo@example.ro",
        token="demo-token",
        company_vat_code="RO12345678",
        clock=fake_clock,
    )


@pytest.fixture
def ifirma_fake(fake_clock: FakeClock) -> IFirmaFake:
    """An iFirma fake with the demo user and keys, on ``fake_clock`` (accounting month 2026-01)."""
    return IFirmaFake(clock=fake_clock)


@pytest.fixture
def infakt_fake(fake_clock: FakeClock) -> InFaktFake:
    """An inFakt fake with API key ``demo-key``, on ``fake_clock``."""
    return InFaktFake(api_key="demo-key", clock=fake_clock)


def _fixture_for(name: str) -> object:
    def fixture(fake_clock: FakeClock) -> object:
        return fake_class(name).demo(clock=fake_clock)

    fixture.__name__ = f"{name}_fake"
    fixture.__doc__ = f"The {name} fake with its demo account (``demo_settings``), on ``fake_clock``."
    return pytest.fixture(name=f"{name}_fake")(fixture)


# One fixture per built-in provider, from the registry: a new provider needs no edit here.
for _name in builtin_providers():
    if f"{_name}_fake" not in globals():
        globals()[f"{_name}_fake"] = _fixture_for(_name)
        __all__.append(f"{_name}_fake")
