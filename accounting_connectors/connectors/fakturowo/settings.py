"""The Fakturowo.pl connector's settings (``ac.connect("fakturowo", ...)``) and their checks."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Required

import attrs

from ...errors import ConfigurationError
from ...options import ConnectOptions
from ...provider import base_url

__all__ = ["BASE_URL", "MIN_SPACING", "FakturowoArgs", "FakturowoSettings", "normalise_nip"]

BASE_URL = "https://www.fakturowo.pl/api"
"""The API endpoint (FO-DOC "interfejs-api"); the Konto page may show another (§1)."""

MIN_SPACING = 0.5
"""Seconds between calls: the sheet's advice (§13) on top of "wait for each answer" (FO-DOC)."""

_NIP_WEIGHTS = (6, 5, 7, 2, 3, 4, 5, 6, 7)


def normalise_nip(value: str) -> str | None:
    """A Polish NIP as ten digits (``PL`` prefix, spaces and dashes dropped).

    ``None`` when it is not one (wrong length or check digit).
    """
    digits = re.sub(r"[\s-]", "", value.strip())
    digits = digits.removeprefix("PL").removeprefix("pl")
    if not re.fullmatch(r"[0-9]{10}", digits):
        return None
    check = sum(int(digit) * weight for digit, weight in zip(digits, _NIP_WEIGHTS, strict=False)) % 11
    return digits if check == int(digits[9]) else None


def _needed(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(f"fakturowo needs {attribute.name}", provider="fakturowo")


def _nip(value: Any) -> str:
    if not isinstance(value, str) or normalise_nip(value) is None:
        raise ConfigurationError(f"fakturowo seller_nip {value!r} is not a valid NIP", provider="fakturowo")
    return normalise_nip(value) or ""


def _optional_text(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise ConfigurationError(f"fakturowo {attribute.name} must be non-empty text or None", provider="fakturowo")


def _code_map(value: Mapping[str, str] | None) -> dict[str, str]:
    mapping = dict(value or {})
    for name, code in mapping.items():
        if not isinstance(name, str) or not name.strip() or not isinstance(code, str) or not code.strip():
            raise ConfigurationError(f"fakturowo code maps name to code text, not {name!r}: {code!r}")
    return mapping


def _kind_map(value: Mapping[str, str] | None) -> dict[str, str]:
    mapping = _code_map(value)
    unknown = sorted(set(mapping) - {"invoice", "receipt"})
    if unknown:
        raise ConfigurationError(f"fakturowo document_kind_codes takes invoice and receipt, not {unknown}")
    return mapping


def _api_url(value: str) -> str:
    # base_url() checks https (http only on loopback); the endpoint itself has no trailing slash.
    return base_url(value).rstrip("/")


@attrs.frozen(kw_only=True)
class FakturowoSettings:
    """Settings of the Fakturowo.pl connector (``ac.connect("fakturowo", ...)``)."""

    api_id: str = attrs.field(validator=_needed, repr=False)
    """The API key from the Konto page, sent as the form field ``api_id`` (never in a URL
    unless ``pdf_download`` is on)."""
    seller_nip: str = attrs.field(converter=_nip)
    """The issuing company's NIP: sent as ``sprzedawca_nip`` and the ledger's account key
    (``account()``); the API has no call that tells the account's company."""
    seller_name: str = attrs.field(validator=_needed)
    """The issuing company's name, sent as ``sprzedawca_nazwa`` on every document (whether
    Fakturowo fills in the account's own data when it is left out is UNCERTAIN, §5.2)."""
    seller_street: str | None = attrs.field(default=None, validator=_optional_text)
    """``sprzedawca_ulica``."""
    seller_city: str | None = attrs.field(default=None, validator=_optional_text)
    """``sprzedawca_miasto``."""
    seller_postal_code: str | None = attrs.field(default=None, validator=_optional_text)
    """``sprzedawca_kod``."""
    place_of_issue: str | None = attrs.field(default=None, validator=_optional_text)
    """``dokument_miejsce``, printed as the place of issue."""
    base_url: str = attrs.field(default=BASE_URL, converter=_api_url)
    """The API endpoint; the per-account URL shown on the Konto page when it differs (§1)."""
    pdf_download: bool = False
    """Fetch PDFs through ``pobierz?api_id=...&api_numer=...`` (FO-LIST, UNCERTAIN) instead of
    the document link. Off by default: it puts the API key in a URL (§10, §16)."""
    receipts: bool = False
    """Allow ``send_receipt`` (``dokument_rodzaj=20``, unverified in every source, §8)."""
    read_number: bool = True
    """After issuing, read the printed number with the list task (one or two more calls);
    ``False`` leaves ``SentDocument.number`` empty unless the invoice brought its own."""
    payment_method: str = attrs.field(default="transfer", validator=_needed)
    """The payment-type name (``list_payment_types``) of invoices that carry no payment."""
    unit_codes: Mapping[str, str] = attrs.field(factory=dict, converter=_code_map, hash=False)
    """``produkt_jm`` codes by unit text, added to or overriding the built-in ``szt.``/``usł.``."""
    payment_codes: Mapping[str, str] = attrs.field(factory=dict, converter=_code_map, hash=False)
    """``dokument_zaplata`` codes by payment-type name, added to or overriding the 2019 list."""
    document_kind_codes: Mapping[str, str] = attrs.field(factory=dict, converter=_kind_map, hash=False)
    """``dokument_rodzaj`` of ``invoice`` and ``receipt``, overriding the 2019 list's ``0`` and
    ``20`` (every code list is configurable, §17.1)."""
    currency_codes: Mapping[str, str] = attrs.field(factory=dict, converter=_code_map, hash=False)
    """``dokument_waluta`` codes by ISO 4217 code, added to or overriding FO-CS's table (§5.1, §17.1)."""
    language_codes: Mapping[str, str] = attrs.field(factory=dict, converter=_code_map, hash=False)
    """``dokument_jezyk`` codes by two-letter language code, added to or overriding the only
    attested one, ``pl`` = ``0`` (§5.1, §17.1)."""
    exemption_basis_code: str | None = attrs.field(default=None, validator=_optional_text)
    """``dokument_rodzaj_podstawa_zw``: the VAT-exemption basis code sent with ``zw`` lines
    (FO-PHP sends 3)."""
    exemption_basis: str | None = attrs.field(default=None, validator=_optional_text)
    """``dokument_podstawa_zw``: the VAT-exemption basis text printed with ``zw`` lines."""


class FakturowoArgs(ConnectOptions, total=False):
    """The keyword arguments of ``ac.connect("fakturowo", ...)``: the settings and the driver's."""

    api_id: Required[str]
    seller_nip: Required[str]
    seller_name: Required[str]
    seller_street: str | None
    seller_city: str | None
    seller_postal_code: str | None
    place_of_issue: str | None
    base_url: str
    pdf_download: bool
    receipts: bool
    read_number: bool
    payment_method: str
    unit_codes: Mapping[str, str]
    payment_codes: Mapping[str, str]
    document_kind_codes: Mapping[str, str]
    currency_codes: Mapping[str, str]
    language_codes: Mapping[str, str]
    exemption_basis_code: str | None
    exemption_basis: str | None
