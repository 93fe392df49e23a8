"""Pytest fixtures for testing code against the fake providers.

Registered through the ``pytest11`` entry point, so installing the package makes the
fixtures available everywhere; without installation, add
``pytest_plugins = ["accounting_connectors.testing.pytest_plugin"]`` to a root conftest.

* ``fake_clock`` - a fresh :class:`~accounting_connectors.testing.clock.FakeClock`.
* ``virtual_clock`` - a fresh :class:`~accounting_connectors.testing.clock.VirtualClock`,
  for async code whose concurrent waits must overlap (run it with ``virtual_clock.run``).
* ``<provider>_fake`` - for every built-in provider (``smartbill_fake``, ``infakt_fake``,
  ...), its fake with the demo account (``FakeClass.demo()``, whose connect settings are
  ``FakeClass.demo_settings``), running on ``fake_clock``. Give the same clock to the
  client under test so its rate-limit waits advance the fake's time instantly.
"""

from __future__ import annotations

from typing import Any

import pytest

from accounting_connectors.registry import builtin_providers, fake_class
from accounting_connectors.testing.clock import FakeClock, VirtualClock

__all__ = ["fake_clock", "virtual_clock"]


@pytest.fixture
def fake_clock() -> FakeClock:
    """A virtual clock starting at 2026-01-01T00:00:00Z; it moves only when told to."""
    return FakeClock()


@pytest.fixture
def virtual_clock() -> VirtualClock:
    """A virtual clock whose event loop jumps to its earliest timer (2026-01-01T00:00:00Z)."""
    return VirtualClock()


def _fixture_for(name: str) -> Any:
    def fixture(fake_clock: FakeClock) -> Any:
        return fake_class(name).demo(clock=fake_clock)

    fixture.__name__ = f"{name}_fake"
    fixture.__doc__ = f"The {name} fake with its demo account (``demo_settings``), on ``fake_clock``."
    return pytest.fixture(name=f"{name}_fake")(fixture)


# One fixture per built-in provider, from the registry: a new provider needs no edit here.
for _name in builtin_providers():
    globals()[f"{_name}_fake"] = _fixture_for(_name)
    __all__ += [f"{_name}_fake"]
