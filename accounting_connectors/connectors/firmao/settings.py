"""Firmao's constants and the connector's settings.

Tags in comments cite the sources of the project's Firmao sheet (``firmao.md``): F-DOC is
Firmao's official API guide (``FirmaoCRM/API`` README), F-MAG a production Magento module,
F-PD Pipedream's component, F-MISC small third-party scripts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Required, TypedDict

import attrs

from ...errors import ConfigurationError
from ...model import PaymentType
from ...provider import Provider, base_url

if TYPE_CHECKING:
    from ...options import ConnectOptions as _DriverOptions
else:  # the driver's options matter to type checkers only; connectors import no driver code
    _DriverOptions = TypedDict("_DriverOptions", {}, total=False)  # noqa: UP013

__all__ = ["HOST", "PAYMENT_TYPES", "FirmaoArgs", "FirmaoSettings"]

HOST = "https://system.firmao.pl/"
"""The documented host (F-DOC, every example; F-MAG). Pipedream uses ``system.firmao.net``
(F-PD): UNCERTAIN 14, ``.pl`` by default, ``.net`` only as a configured ``base_url``."""

PAYMENT_TYPES: tuple[PaymentType, ...] = tuple(
    Provider.payment_types([("CASH", "Cash (gotówka)"), ("TRANSFER", "Bank transfer (przelew)")], receipts=())
)
"""``paymentType`` values seen in F-DOC. Firmao has no listing endpoint; others (card, cash on
delivery) are UNCERTAIN 2 and refused unless mapped to one of these in ``payment_methods``."""

_PAYMENT_NAMES = frozenset(payment_type.name for payment_type in PAYMENT_TYPES)

DEFAULT_PAYMENT_METHODS: Mapping[str, str] = {"cash": "CASH", "transfer": "TRANSFER", "bank_transfer": "TRANSFER"}
"""The caller's method names understood without configuration (compared case-insensitively)."""

_ORGANIZATION = re.compile(r"^[A-Za-z0-9._~-]+$")
_CUSTOM_FIELD = re.compile(r"^customFields\.custom[0-9]+$")


def _text(field: str) -> Any:
    def check(instance: Any, attribute: Any, value: Any) -> None:
        if not isinstance(value, str) or not value.strip():
            raise ConfigurationError(f"firmao needs {field} (a non-empty string)", provider="firmao")

    return check


def _organization(instance: Any, attribute: Any, value: Any) -> None:
    if not isinstance(value, str) or not _ORGANIZATION.match(value):
        raise ConfigurationError(
            f"organization_id must be the identifier in the Firmao app's URL after login (like 'stellis'), "
            f"not {value!r}",
            provider="firmao",
        )


def _methods(instance: Any, attribute: Any, value: Any) -> None:
    for name, target in value.items():
        if target not in _PAYMENT_NAMES:
            raise ConfigurationError(
                f"payment_methods[{name!r}] is {target!r}; Firmao documents only CASH and TRANSFER", provider="firmao"
            )


def _payment_type(instance: Any, attribute: Any, value: Any) -> None:
    if value not in _PAYMENT_NAMES:
        raise ConfigurationError(f"default_payment_type must be CASH or TRANSFER, not {value!r}", provider="firmao")


def _reference_field(instance: Any, attribute: Any, value: Any) -> None:
    if value is not None and not _CUSTOM_FIELD.match(value):
        raise ConfigurationError(
            f"reference_field must be a custom field key like 'customFields.custom5', not {value!r}", provider="firmao"
        )


def _positive(instance: Any, attribute: Any, value: Any) -> None:
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
        raise ConfigurationError(f"{attribute.name} must be a non-negative integer, not {value!r}", provider="firmao")


@attrs.frozen(kw_only=True)
class FirmaoSettings:
    """Settings of the Firmao connector (``ac.connect("firmao", organization_id=..., login=..., password=...)``)."""

    organization_id: str = attrs.field(validator=_organization)
    """The organization identifier visible in the app's URL after login (F-DOC §2: ``stellis``).
    It is part of every URL and is the issuing company, :meth:`Firmao.account`."""
    login: str = attrs.field(validator=_text("login"))
    """The API login from Firma → Ustawienia → API (F-DOC §1)."""
    password: str = attrs.field(repr=False, validator=_text("password"))
    """The API password generated on the same page; sent as HTTP Basic and never logged."""
    base_url: str = attrs.field(default=HOST, converter=base_url)
    """The host root; the organization and ``svc/v1/`` are appended (``https://system.firmao.net/``
    only if your account lives there)."""
    numbering_line_id: int | None = attrs.field(default=None, validator=_positive)
    """The numbering line (``GET invoicenumbers``) whose next number new documents take; ``None``
    uses the first line Firmao lists."""
    receipts: bool = False
    """Issue receipts as transactions of type ``RECEIPT``. UNCERTAIN 1: the upper-case value is
    inferred from the numbering type ``receipt``; no fiscal printer is involved. Off by default."""
    payment_methods: Mapping[str, str] = attrs.field(factory=dict, validator=_methods)
    """Extra caller method names mapped to ``CASH`` or ``TRANSFER`` (e.g. ``{"card": "TRANSFER"}``);
    ``cash`` and ``transfer`` are understood without it. Others are refused (UNCERTAIN 2)."""
    default_payment_type: str = attrs.field(default="TRANSFER", validator=_payment_type)
    """``paymentType`` of invoices that are not paid at issue."""
    payment_days: int = attrs.field(default=14, validator=_positive)
    """Days to ``paymentDate`` for invoices without a due date."""
    issuing_person: str | None = None
    """``issuingPerson`` printed on documents (Firmao's default otherwise)."""
    match_customers_by_nip: bool = True
    """Attach company buyers to the customer with their NIP (``GET customers?nipNumber(eq)=``)
    instead of ``createCustomerIfNeeded``, which matches by name and merges namesakes (F-DOC)."""
    walk_in_customer_name: str = "Klient detaliczny"
    """The customer name of receipts without a buyer."""
    reference_field: str | None = attrs.field(default=None, validator=_reference_field)
    """A custom field (``customFields.customN``, F-DOC §2) that holds the caller's reference; by
    default the reference is a line ``Zamówienie <reference>`` of ``invoiceAnnotations`` (§14)."""
    read_back: bool = True
    """Read each created transaction back (``GET transactions?id(eq)=``) for its printed number and
    booked totals; ``False`` saves one call per document (at one call per second) and returns the
    number sent."""
    warehouse_id: int | None = attrs.field(default=None, validator=_positive)
    """``warehouse.id`` of invoices with ``use_stock`` that name no warehouse."""
    invoice_template: str = "Faktura"
    """Print template of invoice PDFs (F-DOC §7)."""
    correction_template: str = "Faktura_korygujaca2"
    """Print template of corrections (F-DOC's correction example, ``lastSelectedInvoiceReport``)."""
    receipt_template: str = "Paragon"
    """Print template of receipts. UNCERTAIN: not in F-DOC; set it to your account's template name."""


class FirmaoArgs(_DriverOptions, total=False):
    """The keyword arguments of ``ac.connect("firmao", ...)``: the settings and the driver's."""

    organization_id: Required[str]
    login: Required[str]
    password: Required[str]
    base_url: str
    numbering_line_id: int | None
    receipts: bool
    payment_methods: Mapping[str, str]
    default_payment_type: str
    payment_days: int
    issuing_person: str | None
    match_customers_by_nip: bool
    walk_in_customer_name: str
    reference_field: str | None
    read_back: bool
    warehouse_id: int | None
    invoice_template: str
    correction_template: str
    receipt_template: str
