"""Providers by name: the built-in ones and those added by other packages.

A third-party package adds a provider by declaring an entry point in the group
``accounting_connectors.providers`` whose name is the provider's name and whose object
is its :class:`~accounting_connectors.provider.Provider` subclass::

    [project.entry-points."accounting_connectors.providers"]
    myservice = "my_package.connector:MyService"
"""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points
from typing import Any

import httpx

from .capabilities import CapabilityMatrix
from .client import AsyncClient, Client
from .clock import Clock
from .errors import ConfigurationError
from .provider import Provider
from .ratelimit import CredentialLimiter

ENTRY_POINT_GROUP = "accounting_connectors.providers"

_BUILTIN: dict[str, str] = {
    "smartbill": "accounting_connectors.providers.smartbill:SmartBill",
    "ifirma": "accounting_connectors.providers.ifirma:IFirma",
    "infakt": "accounting_connectors.providers.infakt:InFakt",
}


def _load(target: str) -> type[Provider]:
    module_name, _, attribute = target.partition(":")
    loaded = getattr(importlib.import_module(module_name), attribute)
    if not (isinstance(loaded, type) and issubclass(loaded, Provider)):
        raise ConfigurationError(f"{target} is not a Provider subclass")
    return loaded


def _plugins() -> dict[str, str]:
    return {point.name: point.value for point in entry_points(group=ENTRY_POINT_GROUP)}


def providers() -> list[str]:
    """Names of the installed providers, built-in and plugins, sorted."""
    return sorted({**_plugins(), **_BUILTIN})


def provider_class(name: str) -> type[Provider]:
    """The :class:`Provider` subclass registered as ``name``."""
    target = _BUILTIN.get(name) or _plugins().get(name)
    if target is None:
        raise ConfigurationError(f"no provider named {name!r}; installed: {', '.join(providers())}")
    return _load(target)


def connect(
    provider: str,
    *,
    transport: httpx.BaseTransport | None = None,
    timeout: httpx.Timeout | float | None = None,
    http_client: httpx.Client | None = None,
    clock: Clock | None = None,
    max_retries: int = 3,
    retry_cap: float = 60.0,
    limiter: CredentialLimiter | None = None,
    **settings: Any,
) -> Client:
    """A synchronous connector to ``provider``.

    ``settings`` are the provider's credentials and options (for SmartBill ``username``,
    ``token``, ``company_vat_code``). ``transport`` takes any httpx transport, such as a
    fake from :mod:`accounting_connectors.testing`.
    """
    return Client(
        provider_class(provider)(**settings),
        transport=transport,
        timeout=timeout,
        http_client=http_client,
        clock=clock,
        max_retries=max_retries,
        retry_cap=retry_cap,
        limiter=limiter,
    )


def connect_async(
    provider: str,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    timeout: httpx.Timeout | float | None = None,
    http_client: httpx.AsyncClient | None = None,
    clock: Clock | None = None,
    max_retries: int = 3,
    retry_cap: float = 60.0,
    limiter: CredentialLimiter | None = None,
    **settings: Any,
) -> AsyncClient:
    """An asynchronous connector to ``provider``; the same methods as coroutines."""
    return AsyncClient(
        provider_class(provider)(**settings),
        transport=transport,
        timeout=timeout,
        http_client=http_client,
        clock=clock,
        max_retries=max_retries,
        retry_cap=retry_cap,
        limiter=limiter,
    )


def capability_matrix() -> CapabilityMatrix:
    """Every installed provider's capabilities, as text, Markdown or HTML."""
    return CapabilityMatrix.of(provider_class(name).capabilities for name in providers())
