"""inFakt's constants and the connector's settings.

Tags in comments cite the sources of the project's inFakt sheet (``shared/providers/infakt.md``): IF-README
inFakt's official API v3 README, IF-OL the live-verified openlinker adapter, IF-GO and
IF-PHP1/2 third-party clients.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Required, TypedDict

import attrs

from ...errors import ConfigurationError
from ...model import PaymentType, VatRate
from ...provider import Provider, base_url
from ..fakturowo.settings import normalise_nip

if TYPE_CHECKING:
    from ...options import ConnectOptions as _DriverOptions
else:  # the driver's options matter to type checkers only; connectors import no driver code

    class _DriverOptions(TypedDict, total=False):
        """At run time an empty stand-in for the registry's ``ConnectOptions``."""


BASE_URL = "https://api.infakt.pl/api/v3/"
"""Production API root (IF-README "Punkt dostępowy")."""

SANDBOX_URL = "https://api.sandbox-infakt.pl/api/v3/"
"""Sandbox API root (IF-README); accounts register at konto.sandbox-infakt.pl."""

RATE_WINDOW = 60.0
"""inFakt's limits are counted per 60 s (IF-README "Limity")."""

PAYMENT_TYPES: tuple[PaymentType, ...] = tuple(
    Provider.payment_types(
        [
            ("transfer", "Bank transfer (przelew); needs a bank account set up in inFakt"),
            ("cash", "Cash (gotówka)"),
            ("card", "Card (karta)"),
            ("barter", "Barter"),
            ("check", "Cheque (czek)"),
            ("bill_of_sale", "Bill of exchange (weksel)"),
            ("delivery", "Cash on delivery (za pobraniem)"),
            ("compensation", "Set-off (kompensata)"),
            ("accredited", "Letter of credit (akredytywa)"),
            ("paypal", "PayPal"),
            ("instalment_sale", "Instalment sale (sprzedaż ratalna)"),
            ("payu", "PayU"),
            ("tpay", "Tpay"),
            ("przelewy24", "Przelewy24"),
            ("dotpay", "Dotpay"),
            ("other", "Other (inna)"),
        ]
    )
)
"""``payment_method`` values, a fixed list (IF-README "Metody płatności"; no endpoint lists them)."""

_PAYMENT_NAMES = {payment_type.name.casefold(): payment_type.name for payment_type in PAYMENT_TYPES}

CORRECTION_REASONS = ("mistake", "other")
"""``correction_reason`` symbols the reference confirms (older IF-README; IF-OL live: ``other``)."""

PDF_DOCUMENT_TYPES = tuple(
    "original_copy original copy original_duplicate copy_duplicate duplicate regular double_regular".split()
)
"""``document_type`` values of ``pdf.json`` (IF-README)."""

PDF_LOCALES = ("pl", "en", "pe")
"""``locale`` values of ``pdf.json``: Polish, English, Polish-English (IF-README)."""


def _api_key(instance: Any, attribute: Any, value: Any) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError("infakt needs api_key", provider="infakt")


def _company_tax_id(value: Any) -> str:
    nip = normalise_nip(value) if isinstance(value, str) else None
    if nip is None:
        raise ConfigurationError(
            f"infakt company_tax_id {value!r} is not a valid NIP (ten digits with a valid check digit)",
            provider="infakt",
        )
    return nip


def _payment_method(value: str) -> str:
    name = _PAYMENT_NAMES.get(str(value).casefold())
    if name is None:
        raise ConfigurationError(
            f"payment_method {value!r} is not an inFakt payment method; use one of {sorted(_PAYMENT_NAMES.values())}",
            provider="infakt",
        )
    return name


def _one_of(choices: tuple[str, ...]) -> Any:
    def check(instance: Any, attribute: Any, value: Any) -> None:
        if value not in choices:
            raise ConfigurationError(f"{attribute.name} must be one of {choices}", provider="infakt")

    return check


def _symbols(value: Mapping[VatRate, str] | None) -> Mapping[VatRate, str]:
    return dict(value or {})


@attrs.frozen(kw_only=True)
class InFaktSettings:
    """Settings of the inFakt connector (``ac.connect("infakt", api_key=...)``)."""

    api_key: str = attrs.field(repr=False, validator=_api_key)
    """The API key from the inFakt web app (account settings > API), sent as
    ``X-inFakt-ApiKey``; it needs the ``api:invoices:read`` and ``api:invoices:write`` scopes."""
    company_tax_id: str = attrs.field(converter=_company_tax_id)
    """The issuing company's NIP (``PL`` prefix, spaces and dashes dropped; the check digit is
    checked): the send-once ledger's account (``account()``). A key names no company, and a
    rotated key is the same company, so the ledger never keys documents by the key."""
    sandbox: bool = False
    """Use the sandbox (``api.sandbox-infakt.pl``) instead of production."""
    base_url: str | None = attrs.field(default=None, converter=attrs.converters.optional(base_url))
    """The API root, overriding ``sandbox`` (https, or http on loopback for a served fake)."""
    payment_method: str = attrs.field(default="transfer", converter=_payment_method)
    """inFakt's ``payment_method`` for invoices that carry no payment (``transfer`` needs a
    bank account configured in inFakt); matched case-insensitively."""
    tax_symbols: Mapping[VatRate, str] = attrs.field(factory=dict, converter=_symbols, hash=False)
    """inFakt ``tax_symbol`` values for given VAT rates, overriding the default (the
    percentage, ``zw``, ``np``); needed for reverse charge, intra-EU supply and export,
    whose symbols the documentation does not confirm."""
    pdf_document_type: str = attrs.field(default="original", validator=_one_of(PDF_DOCUMENT_TYPES))
    """``document_type`` of downloaded PDFs."""
    pdf_locale: str = attrs.field(default="pl", validator=_one_of(PDF_LOCALES))
    """``locale`` of downloaded PDFs: ``pl``, ``en`` or ``pe`` (both)."""
    poll_interval: float = 0.5
    """Seconds before the first poll of a create task."""
    poll_backoff: float = 2.0
    """Factor by which each wait between polls grows."""
    max_poll_interval: float = 8.0
    """The longest wait between two polls."""
    poll_timeout: float = 60.0
    """Total seconds of waiting before a task still running is reported as
    :class:`~accounting_connectors.connectors.infakt.InFaktTaskPending`."""

    def __attrs_post_init__(self) -> None:
        polls = (self.poll_interval > 0, self.poll_backoff >= 1, self.max_poll_interval >= self.poll_interval)
        if not all(polls) or self.poll_timeout < 0:
            raise ConfigurationError(
                "polling needs poll_interval > 0, poll_backoff >= 1, max_poll_interval >= poll_interval "
                "and poll_timeout >= 0",
                provider="infakt",
            )

    @property
    def root(self) -> str:
        """The API root in use: ``base_url``, else the sandbox or production root."""
        return self.base_url or (SANDBOX_URL if self.sandbox else BASE_URL)


class InFaktArgs(_DriverOptions, total=False):
    """The keyword arguments of ``connect("infakt", ...)``: the settings and the driver's options."""

    api_key: Required[str]
    company_tax_id: Required[str]
    sandbox: bool
    base_url: str | None
    payment_method: str
    tax_symbols: Mapping[VatRate, str] | None
    pdf_document_type: str
    pdf_locale: str
    poll_interval: float
    poll_backoff: float
    max_poll_interval: float
    poll_timeout: float
