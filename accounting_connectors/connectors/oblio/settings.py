"""The Oblio connector's typed settings and its ``connect`` keyword arguments."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Required

import attrs

from ...errors import ConfigurationError
from ...model import VatRate
from ...options import ConnectOptions
from ...provider import base_url

BASE_URL = "https://www.oblio.eu/"
"""Oblio's host; the API is under ``api/`` (oblio.md §1)."""


def _needed(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(f"oblio needs {attribute.name}", provider="oblio")


def _optional_text(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise ConfigurationError(f"oblio {attribute.name} must be a non-empty string or None", provider="oblio")


def _vat_names(value: Mapping[VatRate, str] | None) -> dict[VatRate, str]:
    names = dict(value or {})
    for rate, name in names.items():
        if not isinstance(rate, VatRate) or not isinstance(name, str) or not name.strip():
            raise ConfigurationError(f"oblio vat_names maps VatRate to a VAT name, not {rate!r}: {name!r}")
    return names


def _pages(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 100:
        raise ConfigurationError("oblio lookup_pages must be an integer from 1 to 100", provider="oblio")


@attrs.frozen(kw_only=True)
class OblioSettings:
    """Settings of the Oblio connector (``ac.connect("oblio", ...)``)."""

    email: str = attrs.field(validator=_needed)
    """The login e-mail of the Oblio account, sent as the OAuth ``client_id``."""
    api_secret: str = attrs.field(validator=_needed, repr=False)
    """The API secret from *Setari > Date cont*, sent as ``client_secret`` (a password reset regenerates it)."""
    company_vat_code: str = attrs.field(validator=_needed)
    """The issuing company's CIF (``cif`` in every call), e.g. ``"RO37311090"``."""
    invoice_series: str | None = attrs.field(default=None, validator=_optional_text)
    """Series for invoices that name none; default: the account's default ``Factura`` series."""
    receipt_series: str | None = attrs.field(default=None, validator=_optional_text)
    """Series of receipts (collects of type ``Chitanta``); default: the account's ``Chitanta`` series, if any."""
    correction_series: str | None = attrs.field(default=None, validator=_optional_text)
    """Series for storno invoices; default: the corrected invoice's series."""
    work_station: str | None = attrs.field(default=None, validator=_optional_text)
    """``workStation`` (punct de lucru) for invoices that take stock; Oblio's default is ``Sediu``."""
    management: str | None = attrs.field(default=None, validator=_optional_text)
    """Warehouse (``management``) for stock lines of invoices that name no ``warehouse``."""
    key_namespace: str = ""
    """A name for this installation in its idempotency keys, which are account-wide at Oblio
    (oblio.md §14, §16). Empty, the login (``email``) stands for the installation, so two
    installations with their own logins never collide; installations that share one login
    must each set their own. Also written into the reference note of ``mentions``."""
    save_clients: bool = False
    """Let Oblio update its stored client from each document (``client.save``; Oblio's default is 0)."""
    vat_names: Mapping[VatRate, str] = attrs.field(factory=dict, converter=_vat_names, hash=False)
    """Oblio VAT names (``vatName``) for given rates, overriding the match against ``nomenclature/vat_rates``."""
    walk_in_client_name: str = attrs.field(default="Persoana fizica", validator=_needed)
    """The client named on receipts that have no buyer (Oblio needs a client name)."""
    lookup_pages: int = attrs.field(default=5, validator=_pages)
    """How many pages of 100 recent invoices ``find_document`` reads, newest first."""
    base_url: str = attrs.field(default=BASE_URL, converter=base_url)
    """The host (https; http only on loopback, where the testing kit serves fakes)."""


class OblioArgs(ConnectOptions, total=False):
    """The keyword arguments of ``ac.connect("oblio", ...)``: the settings and the driver's."""

    email: Required[str]
    api_secret: Required[str]
    company_vat_code: Required[str]
    invoice_series: str | None
    receipt_series: str | None
    correction_series: str | None
    work_station: str | None
    management: str | None
    key_namespace: str
    save_clients: bool
    vat_names: Mapping[VatRate, str] | None
    walk_in_client_name: str
    lookup_pages: int
    base_url: str
