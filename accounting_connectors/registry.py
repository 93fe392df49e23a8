"""Providers by name: the one list of built-in providers, and those added by other packages.

Everything that differs per provider is derived from :data:`BUILTIN`: :func:`providers`,
:func:`connect` and :func:`connect_async`, the fake of each provider
(:func:`fake_class`), the pytest fixture ``<name>_fake``, the command line's ``--sandbox``
and ``demo --provider NAME``, and the documentation's provider pages. Adding a built-in
provider is one :class:`Builtin` line here (and its ``connect`` overloads, for type
checkers).

A third-party package adds a provider by declaring an entry point in the group
``accounting_connectors.providers`` whose name is the provider's name and whose object
is its :class:`~accounting_connectors.provider.Provider` subclass::

    [project.entry-points."accounting_connectors.providers"]
    myservice = "my_package.connector:MyService"
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Literal, Unpack, overload

import attrs

from .capabilities import Capabilities, Capability, CapabilityMatrix, Entry, Support
from .errors import ConfigurationError
from .options import DRIVER_OPTIONS, ConnectOptions

# The drivers and the provider base load with the first connector, not with the package:
# building documents or reading the matrix never needs them.
if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

    from .client import AsyncClient, Client
    from .provider import Provider
    from .testing.base import FakeProvider

ENTRY_POINT_GROUP = "accounting_connectors.providers"


@attrs.frozen
class Builtin:
    """A built-in provider: its name, its connector class and its fake.

    ``connector`` and ``fake`` are ``"module:Class"`` targets, imported only when used.
    """

    name: str
    connector: str
    fake: str


BUILTIN: tuple[Builtin, ...] = (
    Builtin(
        "smartbill",
        "accounting_connectors.connectors.smartbill:SmartBill",
        "accounting_connectors.testing.smartbill:SmartBillFake",
    ),
    Builtin(
        "fakturowo",
        "accounting_connectors.connectors.fakturowo:Fakturowo",
        "accounting_connectors.testing.fakturowo:FakturowoFake",
    ),
    Builtin(
        "firmao", "accounting_connectors.connectors.firmao:Firmao", "accounting_connectors.testing.firmao:FirmaoFake"
    ),
    Builtin(
        "ifirma", "accounting_connectors.connectors.ifirma:IFirma", "accounting_connectors.testing.ifirma:IFirmaFake"
    ),
    Builtin(
        "infakt", "accounting_connectors.connectors.infakt:InFakt", "accounting_connectors.testing.infakt:InFaktFake"
    ),
    Builtin(
        "wfirma", "accounting_connectors.connectors.wfirma:WFirma", "accounting_connectors.testing.wfirma:WFirmaFake"
    ),
    Builtin(
        "fakturownia",
        "accounting_connectors.connectors.fakturownia:Fakturownia",
        "accounting_connectors.testing.fakturownia:FakturowniaFake",
    ),
    Builtin("oblio", "accounting_connectors.connectors.oblio:Oblio", "accounting_connectors.testing.oblio:OblioFake"),
)
"""The built-in providers, in the order of the product table."""

_BY_NAME = {entry.name: entry for entry in BUILTIN}


def _load(target: str) -> Any:
    module_name, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module_name), attribute)


def entry_points(group: str) -> Iterable[EntryPoint]:
    """The installed entry points of ``group`` (:mod:`importlib.metadata` is imported only here)."""
    import importlib.metadata

    return importlib.metadata.entry_points(group=group)


def _plugins() -> dict[str, str]:
    return {point.name: point.value for point in entry_points(group=ENTRY_POINT_GROUP)}


def providers() -> list[str]:
    """Names of the installed providers, built-in and plugins, sorted."""
    return sorted({**_plugins(), **_BY_NAME})


def builtin_providers() -> list[str]:
    """Names of the built-in providers (each has a fake in the testing kit), in table order."""
    return [entry.name for entry in BUILTIN]


def provider_class(name: str) -> type[Provider]:
    """The :class:`Provider` subclass registered as ``name``.

    Raises:
        ConfigurationError: no provider has that name, or a plugin's entry point does not
            load to a ``Provider`` subclass.
    """
    from .provider import Provider

    entry = _BY_NAME.get(name)
    target = entry.connector if entry is not None else _plugins().get(name)
    if target is None:
        raise ConfigurationError(f"no provider named {name!r}; installed: {', '.join(providers())}")
    try:
        loaded = _load(target)
    except Exception as error:  # a broken plugin must not take the rest down with it
        raise ConfigurationError(f"provider {name!r} ({target}) failed to load: {error}") from error
    if not (isinstance(loaded, type) and issubclass(loaded, Provider)):
        raise ConfigurationError(f"{target} is not a Provider subclass")
    return loaded


def fake_class(name: str) -> type[FakeProvider]:
    """The testing kit's fake of the built-in provider ``name``.

    Raises:
        ConfigurationError: ``name`` is not a built-in provider (plugins bring their own).
    """
    entry = _BY_NAME.get(name)
    if entry is None:
        raise ConfigurationError(f"no built-in fake for {name!r}; built-in: {', '.join(builtin_providers())}")
    loaded: type[FakeProvider] = _load(entry.fake)
    return loaded


def _split(settings: Mapping[str, Any] | None, options: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    merged = dict(settings or {})
    driver: dict[str, Any] = {}
    for key, value in options.items():
        (driver if key in DRIVER_OPTIONS else merged)[key] = value
    return merged, driver


if TYPE_CHECKING:
    from .connectors.fakturownia import FakturowniaArgs
    from .connectors.fakturowo import FakturowoArgs
    from .connectors.firmao import FirmaoArgs
    from .connectors.ifirma import IFirmaArgs
    from .connectors.infakt import InFaktArgs
    from .connectors.oblio import OblioArgs
    from .connectors.smartbill import SmartBillArgs
    from .connectors.wfirma import WFirmaArgs


@overload
def connect(provider: Literal["smartbill"], /, **options: Unpack[SmartBillArgs]) -> Client: ...
@overload
def connect(provider: Literal["oblio"], /, **options: Unpack[OblioArgs]) -> Client: ...
@overload
def connect(provider: Literal["infakt"], /, **options: Unpack[InFaktArgs]) -> Client: ...
@overload
def connect(provider: Literal["ifirma"], /, **options: Unpack[IFirmaArgs]) -> Client: ...
@overload
def connect(provider: Literal["wfirma"], /, **options: Unpack[WFirmaArgs]) -> Client: ...
@overload
def connect(provider: Literal["fakturowo"], /, **options: Unpack[FakturowoArgs]) -> Client: ...
@overload
def connect(provider: Literal["fakturownia"], /, **options: Unpack[FakturowniaArgs]) -> Client: ...
@overload
def connect(provider: Literal["firmao"], /, **options: Unpack[FirmaoArgs]) -> Client: ...
@overload
def connect(provider: str, settings: Mapping[str, Any], /, **options: Unpack[ConnectOptions]) -> Client: ...
def connect(provider: str, settings: Mapping[str, Any] | None = None, /, **options: Any) -> Client:
    """A synchronous connector to ``provider``.

    The provider's settings (for SmartBill ``username``, ``token``,
    ``company_vat_code``) are keyword arguments beside the driver's own
    (:class:`ConnectOptions`: ``transport``, ``timeout``, ``clock``, ...), or a mapping
    passed second, which is how a name known only at run time is typed. ``transport``
    takes any httpx transport, such as a fake from :mod:`accounting_connectors.testing`.

    Raises:
        ConfigurationError: unknown provider, or an unknown or missing setting (the
            message lists the valid ones).
    """
    from .client import Client

    provider_settings, driver = _split(settings, options)
    return Client(provider_class(provider).configure(**provider_settings), **driver)


@overload
def connect_async(provider: Literal["smartbill"], /, **options: Unpack[SmartBillArgs]) -> AsyncClient: ...
@overload
def connect_async(provider: Literal["oblio"], /, **options: Unpack[OblioArgs]) -> AsyncClient: ...
@overload
def connect_async(provider: Literal["infakt"], /, **options: Unpack[InFaktArgs]) -> AsyncClient: ...
@overload
def connect_async(provider: Literal["ifirma"], /, **options: Unpack[IFirmaArgs]) -> AsyncClient: ...
@overload
def connect_async(provider: Literal["wfirma"], /, **options: Unpack[WFirmaArgs]) -> AsyncClient: ...
@overload
def connect_async(provider: Literal["fakturowo"], /, **options: Unpack[FakturowoArgs]) -> AsyncClient: ...
@overload
def connect_async(provider: Literal["fakturownia"], /, **options: Unpack[FakturowniaArgs]) -> AsyncClient: ...
@overload
def connect_async(provider: Literal["firmao"], /, **options: Unpack[FirmaoArgs]) -> AsyncClient: ...
@overload
def connect_async(provider: str, settings: Mapping[str, Any], /, **options: Unpack[ConnectOptions]) -> AsyncClient: ...
def connect_async(provider: str, settings: Mapping[str, Any] | None = None, /, **options: Any) -> AsyncClient:
    """An asynchronous connector to ``provider``; the same methods as coroutines (see :func:`connect`)."""
    from .client import AsyncClient

    provider_settings, driver = _split(settings, options)
    return AsyncClient(provider_class(provider).configure(**provider_settings), **driver)


def capability_matrix() -> CapabilityMatrix:
    """Every installed provider's capabilities, as text, Markdown or HTML.

    A plugin that fails to load is reported with a warning and shown as a row of
    unavailable entries; it does not take the matrix down.
    """
    rows = []
    for name in providers():
        try:
            rows.append(provider_class(name).capabilities)
        except ConfigurationError as error:
            warnings.warn(f"provider {name!r} is unavailable: {error.message}", RuntimeWarning, stacklevel=2)
            unavailable = Entry(Support.NOT_IMPLEMENTED, f"unavailable: {error.message}")
            rows.append(Capabilities(name, dict.fromkeys(Capability, unavailable)))
    return CapabilityMatrix.of(rows)
