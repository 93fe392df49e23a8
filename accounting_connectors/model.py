"""The domain model: documents an order system sends and what providers return.

Every class is a frozen attrs class with keyword-only arguments. Money, quantities and
rates are :class:`decimal.Decimal` (``int`` and ``str`` are converted; ``float`` is
refused, because a float cannot hold 0.10 exactly). Documents validate themselves when
built and raise :class:`~accounting_connectors.errors.ValidationError` naming the field,
for example ``lines[2].quantity``, so a bad document never reaches a provider.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar, cast

import attrs

from ._codes import CURRENCIES
from .errors import ValidationError

_HUNDRED = Decimal(100)
_T = TypeVar("_T")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_LANGUAGE = re.compile(r"^[A-Za-z]{2}$")


class _Invalid:
    """What a converter returns for a value it cannot convert.

    Converters do not know their field's name, so they hand this marker back and the
    class's post-init check raises a ``ValidationError`` that names the field.
    """

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason


def _invalid(reason: str, _as: type[_T]) -> _T:
    # The marker never escapes: _reject_invalid raises before the instance is returned.
    return cast(_T, _Invalid(reason))


# A field's type is the string "bool" until attrs.resolve_types (which cattrs calls) makes
# it the class itself.
_BOOL_TYPES: tuple[object, ...] = ("bool", bool)


def _reject_invalid(instance: attrs.AttrsInstance) -> None:
    """Raise for the first field whose converter could not convert its value."""
    for field in attrs.fields(type(instance)):
        value = getattr(instance, field.name)
        if type(value) is _Invalid:
            raise ValidationError(field.name, value.reason)
        if field.type in _BOOL_TYPES and type(value) is not bool:
            # "false" would be taken as true: only True and False are booleans.
            raise ValidationError(field.name, f"must be true or false, not {value!r}")
        if type(value) is str and not value.isascii():
            try:
                value.encode()
            except UnicodeEncodeError:
                # An unpaired surrogate: no provider could receive it (and the JSON
                # writer uses such characters as its private markers).
                raise ValidationError(field.name, "is not valid Unicode text") from None


MAX_AMOUNT = Decimal(10) ** 12
"""Every amount, quantity, price, rate and percentage is below this in absolute value
(10^12): more than any provider books, and small enough that totals stay exact."""
MAX_QUANTITY_PLACES = 6
"""Quantities (and exchange rates) have at most 6 decimal places."""
MAX_PRICE_PLACES = 4
"""Prices, payment amounts and percentages have at most 4 decimal places."""
FIRST_DATE = dt.date(2000, 1, 1)
"""The earliest date a document may carry (issue, sale, due and payment dates)."""
LAST_DATE = dt.date(2100, 12, 31)
"""The latest date a document may carry."""
_MAX_NUMBER_TEXT = 64


def _places(number: Decimal) -> int:
    # Without the decimal context (normalize() could overflow): trailing zeros do not count.
    _, digits, exponent = number.as_tuple()
    if not isinstance(exponent, int) or exponent >= 0:
        return 0
    trailing = 0
    for digit in reversed(digits):
        if digit:
            break
        trailing += 1
    return max(-exponent - trailing, 0)


def _decimal(value: object, places: int = MAX_QUANTITY_PLACES) -> Decimal:
    number = _any_decimal(value)
    if isinstance(cast(object, number), _Invalid):
        return number
    if number and number.adjusted() >= 12:  # abs(number) >= 10^12, without the decimal context
        return _invalid(f"{number} is outside what any provider books (its size must be below 10^12)", Decimal)
    if _places(number) > places:
        return _invalid(f"{number} has more than {places} decimal places", Decimal)
    return number


def _price(value: object) -> Decimal:
    return _decimal(value, MAX_PRICE_PLACES)


def _optional_price(value: object) -> Decimal | None:
    return None if value is None else _price(value)


def _any_decimal(value: object) -> Decimal:
    if isinstance(value, str) and len(value) > _MAX_NUMBER_TEXT:
        return _invalid(f"{value[:20]!r}... is too long for a number", Decimal)
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, bool):
        return _invalid("must be a number, not a boolean", Decimal)
    elif isinstance(value, float):
        return _invalid(f"floats are not accepted for money; pass Decimal({str(value)!r}) or a string", Decimal)
    elif isinstance(value, (int, str)):
        try:
            number = Decimal(value)
        except InvalidOperation:
            return _invalid(f"{value!r} is not a number", Decimal)
    else:
        return _invalid(f"must be a Decimal, int or numeric string, not {type(value).__name__}", Decimal)
    if not number.is_finite():
        return _invalid("must be a finite number", Decimal)
    return number


def _optional_decimal(value: object) -> Decimal | None:
    return None if value is None else _decimal(value)


def _date(value: object) -> dt.date:
    date = _any_date(value)
    if not isinstance(cast(object, date), _Invalid) and not FIRST_DATE <= date <= LAST_DATE:
        return _invalid(f"{date.isoformat()} is outside {FIRST_DATE.isoformat()}..{LAST_DATE.isoformat()}", dt.date)
    return date


def _optional_any_date(value: object) -> dt.date | None:
    return None if value is None else _any_date(value)


def _any_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return _invalid(f"{value!r} is not an ISO date (YYYY-MM-DD)", dt.date)
    return _invalid(f"must be a date, not {type(value).__name__}", dt.date)


def _optional_date(value: object) -> dt.date | None:
    return None if value is None else _date(value)


def _tuple(value: object) -> tuple[Any, ...]:
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        return _invalid("must be a list", tuple)
    return tuple(value)


def _currency(value: object) -> str:
    if not isinstance(value, str) or value.upper() not in CURRENCIES:
        return _invalid(f"{value!r} is not an ISO 4217 currency code", str)
    return value.upper()


def _optional_str(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return _invalid(f"must be a string, not {type(value).__name__}", str)


def _require_text(field: str, value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(field, "must be a non-empty string")


def _check_items(field: str, items: tuple[Any, ...], item_type: type) -> None:
    for index, item in enumerate(items):
        if not isinstance(item, item_type):
            raise ValidationError(f"{field}[{index}]", f"must be a {item_type.__name__}")


class VatKind(enum.Enum):
    """What a VAT rate is: a plain percentage or one of the special treatments."""

    RATE = "rate"
    """A percentage, including an ordinary 0 %."""
    EXEMPT = "exempt"
    """Exempt from VAT (PL "zw")."""
    NOT_SUBJECT = "not_subject"
    """Outside the scope of VAT (PL "np")."""
    REVERSE_CHARGE = "reverse_charge"
    """The buyer accounts for VAT (PL "oo", RO "taxare inversa")."""
    INTRA_EU = "intra_eu"
    """Intra-community supply of goods at 0 % (PL "0 WDT")."""
    EXPORT = "export"
    """Export of goods at 0 % (PL "0 EXP")."""


@attrs.frozen(kw_only=True, cache_hash=True)
class VatRate:
    """A VAT rate: a percentage, or a special treatment whose percentage is 0.

    Rates are data: build them from what the provider lists (``list_vat_rates``) or from
    your own tables, never from constants in this library.
    """

    percent: Decimal = attrs.field(default=Decimal(0), converter=_price)
    """The percentage (``21`` for 21 %); 0 for special treatments."""
    kind: VatKind = VatKind.RATE
    """A plain rate, or the special treatment (exempt, not subject, reverse charge, intra-EU, export)."""

    def __attrs_post_init__(self) -> None:
        _reject_invalid(self)
        if not isinstance(self.kind, VatKind):
            raise ValidationError("kind", f"must be a VatKind, not {self.kind!r}")
        if not Decimal(0) <= self.percent < _HUNDRED:
            raise ValidationError("percent", f"{self.percent} is not a percentage between 0 and 100")
        if self.kind is not VatKind.RATE and self.percent != 0:
            raise ValidationError("percent", f"a {self.kind.value} rate has no percentage")

    @classmethod
    def of(cls, percent: Decimal | int | str) -> VatRate:
        """A plain percentage, e.g. ``VatRate.of(21)``."""
        return cls(percent=percent)

    @classmethod
    def special(cls, kind: VatKind) -> VatRate:
        """A special treatment, e.g. ``VatRate.special(VatKind.EXEMPT)``."""
        return cls(kind=kind)

    @property
    def fraction(self) -> Decimal:
        """The rate as a fraction (``0.21`` for 21 %); 0 for special treatments."""
        return self.percent / _HUNDRED

    def __str__(self) -> str:
        return f"{self.percent.normalize():f}%" if self.kind is VatKind.RATE else self.kind.value


@attrs.frozen(kw_only=True)
class Address:
    """A postal address; ``country`` is ISO 3166-1 alpha-2 (``"RO"``, ``"PL"``).

    The country is required: providers print it, and choose VAT treatment and invoice
    kind by it, so no default could be right for every one of them.
    """

    street: str | None = attrs.field(default=None, converter=_optional_str)
    """Street and number."""
    city: str | None = attrs.field(default=None, converter=_optional_str)
    """City or town."""
    postal_code: str | None = attrs.field(default=None, converter=_optional_str)
    """Postal code as the country writes it."""
    region: str | None = attrs.field(default=None, converter=_optional_str)
    """County, voivodeship or state (Romanian providers require the county)."""
    country: str
    """ISO 3166-1 alpha-2 code (``"RO"``, ``"PL"``)."""

    def __attrs_post_init__(self) -> None:
        _reject_invalid(self)
        if not isinstance(self.country, str) or not _COUNTRY.match(self.country):
            raise ValidationError("country", f"{self.country!r} is not an ISO 3166-1 alpha-2 code like 'RO'")


@attrs.frozen(kw_only=True)
class Party:
    """A buyer: a company (with a tax id) or a person."""

    name: str
    """The name printed on the document."""
    tax_id: str | None = attrs.field(default=None, converter=_optional_str)
    """VAT or tax id (CIF, NIP), with or without the country prefix."""
    is_company: bool = False
    """A company (needs ``tax_id``) rather than a person."""
    registration_number: str | None = attrs.field(default=None, converter=_optional_str)
    """Trade register number (Romania's J-number, Poland's KRS)."""
    address: Address | None = None
    """The postal address."""
    email: str | None = attrs.field(default=None, converter=_optional_str)
    """Where the provider may send the document."""
    phone: str | None = attrs.field(default=None, converter=_optional_str)
    """A contact phone number."""

    def __attrs_post_init__(self) -> None:
        _reject_invalid(self)
        _require_text("name", self.name)
        if self.tax_id is not None and not self.tax_id.strip():
            raise ValidationError("tax_id", "is blank; leave it out (None) when the buyer has none")
        if self.is_company and not self.tax_id:
            raise ValidationError("tax_id", "a company buyer needs its tax id")
        if self.address is not None and not isinstance(self.address, Address):
            raise ValidationError("address", "must be an Address")


@attrs.frozen(kw_only=True)
class Line:
    """One line of a document.

    ``unit_price`` is net or gross according to the document's ``prices_include_vat``.
    ``discount_percent`` lowers the line's price by that percentage. ``sku`` is the
    product code the provider's stock knows the product by.
    """

    name: str
    """The product or service as printed."""
    quantity: Decimal = attrs.field(converter=_decimal)
    """How many (``Decimal``; zero only in corrections)."""
    unit: str
    """The unit of measure as printed (``"buc"``, ``"szt."``)."""
    unit_price: Decimal = attrs.field(converter=_price)
    """Price of one unit, net or gross by the document's ``prices_include_vat``."""
    vat: VatRate
    """The line's VAT rate or treatment."""
    sku: str | None = attrs.field(default=None, converter=_optional_str)
    """The product code the provider's stock knows it by."""
    discount_percent: Decimal | None = attrs.field(default=None, converter=_optional_price)
    """A discount on the line's price, more than 0 and at most 100."""
    is_service: bool = False
    """A service (no stock movement) rather than goods."""

    def __attrs_post_init__(self) -> None:
        _reject_invalid(self)
        _require_text("name", self.name)
        _require_text("unit", self.unit)
        if self.unit_price < 0:
            raise ValidationError("unit_price", "must not be negative (use a discount or a correction)")
        if not isinstance(self.vat, VatRate):
            raise ValidationError("vat", "must be a VatRate")
        if self.discount_percent is not None and not Decimal(0) < self.discount_percent <= _HUNDRED:
            raise ValidationError("discount_percent", "must be more than 0 and at most 100")


def _check_lines(lines: tuple[Any, ...], *, allow_zero: bool) -> None:
    if not lines:
        raise ValidationError("lines", "a document needs at least one line")
    _check_items("lines", lines, Line)
    for index, line in enumerate(lines):
        if line.quantity < 0 or (line.quantity == 0 and not allow_zero):
            need = "zero or more" if allow_zero else "more than zero"
            raise ValidationError(f"lines[{index}].quantity", f"{line.quantity} must be {need}")


def _check_reference(reference: object) -> None:
    _require_text("reference", reference)


def _check_language(language: str | None) -> None:
    if language is not None and not _LANGUAGE.match(language):
        raise ValidationError("language", f"{language!r} is not a two-letter language code")


@attrs.frozen(kw_only=True)
class Payment:
    """Money received: ``method`` is the caller's own name for how it was paid.

    ``paid_on`` may be left out; the provider then records its own default (usually
    the day the payment is sent).
    """

    method: str
    """Your own name for how it was paid, mapped to the provider's payment type."""
    amount: Decimal = attrs.field(converter=_price)
    """The amount received (``Decimal``)."""
    paid_on: dt.date | None = attrs.field(default=None, converter=_optional_date)
    """When it was received; left out, the provider's default (usually the day it is sent)."""

    def __attrs_post_init__(self) -> None:
        _reject_invalid(self)
        _require_text("method", self.method)
        if self.amount <= 0:
            raise ValidationError("amount", "must be more than zero")


@attrs.frozen(kw_only=True)
class Invoice:
    """A sales invoice.

    ``reference`` is the caller's unique id for the document (an order or invoice id) and
    the idempotency key of the export workflow. ``series``/``number`` are the caller's
    own and are used only with local numbering. ``payment`` marks the invoice paid at
    issue. ``use_stock`` asks the provider to take the lines' ``sku`` out of stock
    (from ``warehouse`` where the provider needs one).
    """

    reference: str
    """Your unique id for the document: the export workflow's idempotency key."""
    issue_date: dt.date = attrs.field(converter=_date)
    """The date of issue."""
    buyer: Party
    """Who is invoiced."""
    lines: tuple[Line, ...] = attrs.field(converter=_tuple)
    """The lines, at least one."""
    currency: str = attrs.field(converter=_currency)
    """ISO 4217 code (``"RON"``, ``"PLN"``)."""
    sale_date: dt.date | None = attrs.field(default=None, converter=_optional_date)
    """The date of sale or delivery, where it differs from the issue date."""
    due_date: dt.date | None = attrs.field(default=None, converter=_optional_date)
    """When payment is due (not before the issue date)."""
    prices_include_vat: bool = False
    """``unit_price`` values are gross rather than net."""
    payment: Payment | None = None
    """Marks the invoice paid at issue."""
    series: str | None = attrs.field(default=None, converter=_optional_str)
    """Your own series, used only with local numbering."""
    number: str | None = attrs.field(default=None, converter=_optional_str)
    """Your own number, used only with local numbering."""
    notes: str | None = attrs.field(default=None, converter=_optional_str)
    """Text printed on the document."""
    language: str | None = attrs.field(default=None, converter=_optional_str)
    """Two-letter language code of the printed document."""
    exchange_rate: Decimal | None = attrs.field(default=None, converter=_optional_decimal)
    """The rate to the local currency, for foreign-currency invoices."""
    use_stock: bool = False
    """Take the lines' SKUs out of the provider's stock."""
    warehouse: str | None = attrs.field(default=None, converter=_optional_str)
    """The stock location, where the provider needs one."""

    def __attrs_post_init__(self) -> None:
        _reject_invalid(self)
        _check_reference(self.reference)
        if not isinstance(self.buyer, Party):
            raise ValidationError("buyer", "must be a Party")
        _check_lines(self.lines, allow_zero=False)
        if self.due_date is not None and self.due_date < self.issue_date:
            raise ValidationError("due_date", "is before the issue date")
        if self.payment is not None and not isinstance(self.payment, Payment):
            raise ValidationError("payment", "must be a Payment")
        if self.exchange_rate is not None and self.exchange_rate <= 0:
            raise ValidationError("exchange_rate", "must be more than zero")
        _check_language(self.language)
        if self.use_stock:
            for index, line in enumerate(self.lines):
                if not line.is_service and not line.sku:
                    raise ValidationError(f"lines[{index}].sku", "stock transfer needs a SKU on every product line")

    def _repr_html_(self) -> str:
        from .notebook import repr_html

        return repr_html(self)


@attrs.frozen(kw_only=True)
class Receipt:
    """A receipt for a sale paid on the spot, with an optional (B2C) buyer."""

    reference: str
    """Your unique id for the document: the export workflow's idempotency key."""
    issue_date: dt.date = attrs.field(converter=_date)
    """The date of issue."""
    lines: tuple[Line, ...] = attrs.field(converter=_tuple)
    """The lines, at least one."""
    currency: str = attrs.field(converter=_currency)
    """ISO 4217 code."""
    payment_method: str = "cash"
    """Your own name for how it was paid (mapped to the provider's payment type)."""
    buyer: Party | None = None
    """The buyer, when known (B2C receipts may have none)."""
    prices_include_vat: bool = True
    """``unit_price`` values are gross (the default for receipts)."""
    series: str | None = attrs.field(default=None, converter=_optional_str)
    """Your own series, used only with local numbering."""
    number: str | None = attrs.field(default=None, converter=_optional_str)
    """Your own number, used only with local numbering."""
    notes: str | None = attrs.field(default=None, converter=_optional_str)
    """Text printed on the document."""
    language: str | None = attrs.field(default=None, converter=_optional_str)
    """Two-letter language code of the printed document."""

    def __attrs_post_init__(self) -> None:
        _reject_invalid(self)
        _check_reference(self.reference)
        _check_lines(self.lines, allow_zero=False)
        _require_text("payment_method", self.payment_method)
        if self.buyer is not None and not isinstance(self.buyer, Party):
            raise ValidationError("buyer", "must be a Party")
        _check_language(self.language)

    def _repr_html_(self) -> str:
        from .notebook import repr_html

        return repr_html(self)


class DocumentKind(enum.Enum):
    """What kind of document a provider issued."""

    INVOICE = "invoice"
    RECEIPT = "receipt"
    CORRECTION = "correction"
    PAYMENT = "payment"


@attrs.frozen(kw_only=True)
class SentDocument:
    """What the provider issued for a document.

    ``number`` and ``series`` are exactly as the provider returned them (SmartBill's
    numbers are zero-padded strings). ``external_id`` is the provider's own id when it
    has one; ``url`` a link to the document when the provider gives one; ``raw`` the
    provider's answer.
    """

    provider: str
    """The provider's registered name."""
    kind: DocumentKind
    """Invoice, receipt or correction."""
    reference: str
    """Your reference of the document."""
    number: str | None = None
    """The number exactly as the provider returned it."""
    series: str | None = None
    """The series exactly as the provider returned it."""
    external_id: str | None = None
    """The provider's own id of the document, when it has one."""
    issue_date: dt.date | None = attrs.field(default=None, converter=_optional_any_date)
    """The date of issue the provider booked."""
    url: str | None = None
    """A link to the document, when the provider gives one."""
    raw: Mapping[str, Any] = attrs.field(factory=dict, hash=False)
    """The provider's own answer, for support and audits."""

    def __attrs_post_init__(self) -> None:
        _reject_invalid(self)

    @property
    def full_number(self) -> str:
        """Series and number as printed, e.g. ``"FCT0023"``."""
        return f"{self.series or ''}{self.number or ''}"

    def _repr_html_(self) -> str:
        from .notebook import repr_html

        return repr_html(self)


@attrs.frozen(kw_only=True)
class Correction:
    """A correction of an invoice already sent.

    ``original`` is the invoice as it was sent, ``original_document`` what the provider
    returned for it, and ``lines`` the state after correction, one per original line in
    the same order: a full reversal has every quantity at zero
    (:meth:`full_reversal` builds one).
    """

    reference: str
    """Your unique id for the correction."""
    original: Invoice
    """The invoice as it was sent."""
    original_document: SentDocument
    """What the provider returned for the original."""
    lines: tuple[Line, ...] = attrs.field(converter=_tuple)
    """The state after correction, one per original line, in order (zero quantity reverses a line)."""
    reason: str
    """Why it is corrected, as printed."""
    issue_date: dt.date = attrs.field(converter=_date)
    """The correction's date of issue (not before the original's)."""

    def __attrs_post_init__(self) -> None:
        _reject_invalid(self)
        _check_reference(self.reference)
        if not isinstance(self.original, Invoice):
            raise ValidationError("original", "must be the Invoice as it was sent")
        if not isinstance(self.original_document, SentDocument):
            raise ValidationError("original_document", "must be the SentDocument the provider returned")
        _check_lines(self.lines, allow_zero=True)
        if len(self.lines) != len(self.original.lines):
            raise ValidationError(
                "lines",
                f"has {len(self.lines)} lines; give the corrected state of each of the "
                f"original's {len(self.original.lines)} lines, in order",
            )
        _require_text("reason", self.reason)
        if self.issue_date < self.original.issue_date:
            raise ValidationError("issue_date", "is before the original invoice's issue date")

    @property
    def is_full_reversal(self) -> bool:
        """Every line's quantity is corrected to zero."""
        return all(line.quantity == 0 for line in self.lines)

    @classmethod
    def full_reversal(
        cls,
        *,
        reference: str,
        original: Invoice,
        original_document: SentDocument,
        reason: str,
        issue_date: dt.date,
    ) -> Correction:
        """A correction that cancels the whole invoice (every quantity to zero)."""
        zeroed = tuple(attrs.evolve(line, quantity=Decimal(0)) for line in original.lines)
        return cls(
            reference=reference,
            original=original,
            original_document=original_document,
            lines=zeroed,
            reason=reason,
            issue_date=issue_date,
        )

    def _repr_html_(self) -> str:
        from .notebook import repr_html

        return repr_html(self)


@attrs.frozen(kw_only=True)
class Series:
    """A numbering series the provider knows (``list_series``)."""

    name: str
    """The series' name, the exact value to map to."""
    kind: DocumentKind | None = None
    """Which documents it numbers, when the provider says."""
    next_number: str | None = None
    """The number the next document will get, when the provider says."""
    is_default: bool = False
    """The provider's default series."""


@attrs.frozen(kw_only=True)
class PaymentType:
    """A payment type the provider accepts (``list_payment_types``).

    ``name`` is the exact value to map a local payment method to.
    """

    name: str
    """The exact value to map a local payment method to."""
    description: str | None = None
    """The provider's own description."""
    issues_receipt: bool = False
    """Payments of this type issue a receipt."""


@attrs.frozen(kw_only=True)
class VatRateInfo:
    """A VAT rate configured at the provider (``list_vat_rates``)."""

    name: str
    """The provider's name of the rate (SmartBill's ``Normala``, inFakt's ``23``)."""
    vat: VatRate
    """The rate as this library writes it."""
    is_default: bool = False
    """The provider's default rate."""


class EInvoiceSystem(enum.Enum):
    """The government e-invoicing system a provider submits documents to."""

    KSEF = "ksef"
    """Poland's Krajowy System e-Faktur (the number is the KSeF number)."""
    RO_EFACTURA = "ro_efactura"
    """Romania's RO e-Factura at ANAF, through the SPV (the number is ANAF's upload index)."""


class EInvoiceState(enum.Enum):
    """Where a document stands in the e-invoicing system, in one vocabulary for every provider."""

    NOT_APPLICABLE = "not_applicable"
    """The document kind never goes to the system (receipt, proforma, estimate)."""
    NOT_SENT = "not_sent"
    """Eligible, not submitted (yet); ``needs_configuration`` says when the account cannot submit."""
    PENDING = "pending"
    """Submitted, waiting for the authority (offline modes waiting to be sent included)."""
    ACCEPTED = "accepted"
    """The authority accepted it; ``number`` is the KSeF number or ANAF's index when given."""
    REJECTED = "rejected"
    """The provider or the authority refused it; ``errors`` says why, ``resend_allowed`` whether to retry."""
    UNKNOWN = "unknown"
    """The API gives no answer, or a value this version does not know (``provider_status`` keeps it)."""


_FINAL_STATES = frozenset({EInvoiceState.ACCEPTED, EInvoiceState.REJECTED, EInvoiceState.NOT_APPLICABLE})
_RESENDABLE_STATES = frozenset({EInvoiceState.NOT_SENT, EInvoiceState.REJECTED})


def _optional_datetime(value: object) -> dt.datetime | None:
    if value is None or isinstance(value, dt.datetime):
        return value
    return _invalid(f"must be a datetime, not {type(value).__name__}", dt.datetime)


def _texts(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if value is None:
        return ()
    items: object = _tuple(value)
    if not isinstance(items, tuple):
        return cast(tuple[str, ...], items)
    return tuple(str(item) for item in items)


@attrs.frozen(kw_only=True)
class EInvoiceStatus:
    """A document's clearance in KSeF or RO e-Factura, as the provider reports it.

    ``state`` is the common reading; ``provider_status`` the provider's own raw value
    (Fakturownia's ``gov_status``, inFakt's ``ksef_data.status``, Oblio's
    ``einvoiceStatus.code``, ...), kept verbatim so an unknown value is never lost.
    ``resend_allowed`` is the connector's judgement, by the provider's rules, that a
    new submission cannot produce a second accepted document: it is never true for a
    document that is or may be accepted (the model refuses it outside ``NOT_SENT`` and
    ``REJECTED``). ``needs_configuration`` says the account itself cannot submit (no
    KSeF authorisation, SPV not configured): a person must act in the provider's app.
    """

    provider: str
    """The provider's registered name."""
    system: EInvoiceSystem
    """KSeF or RO e-Factura."""
    state: EInvoiceState
    """The common state."""
    reference: str
    """Your reference of the document (the ``SentDocument``'s)."""
    document_id: str | None = None
    """The provider's own id of the document (the ``SentDocument``'s ``external_id``)."""
    number: str | None = None
    """The KSeF number, or ANAF's upload index (``index_incarcare``)."""
    download_id: str | None = None
    """ANAF's download id (``id_descarcare``), where the provider gives it (Oblio)."""
    errors: tuple[str, ...] = attrs.field(default=(), converter=_texts)
    """The reasons, verbatim as the provider gives them (free text everywhere)."""
    provider_status: str | None = attrs.field(default=None, converter=_optional_str)
    """The provider's own raw status value, verbatim."""
    sent_at: dt.datetime | None = attrs.field(default=None, converter=_optional_datetime)
    """When it was submitted, where the provider says (with the provider's UTC offset when it gives one)."""
    accepted_at: dt.datetime | None = attrs.field(default=None, converter=_optional_datetime)
    """When the authority accepted it (or processing finished), where the provider says."""
    verification_url: str | None = attrs.field(default=None, converter=_optional_str)
    """KSeF's public verification link, where the provider gives it."""
    demo: bool = False
    """The account talks to a test or demo environment: the number is not a real one."""
    resend_allowed: bool = False
    """A new submission is safe (it cannot make a second accepted document)."""
    needs_configuration: bool = False
    """The account cannot submit until a person configures it at the provider."""
    raw: Mapping[str, Any] = attrs.field(factory=dict, hash=False)
    """The provider's own answer, for support and audits."""

    def __attrs_post_init__(self) -> None:
        _reject_invalid(self)
        if not isinstance(self.system, EInvoiceSystem):
            raise ValidationError("system", f"must be an EInvoiceSystem, not {self.system!r}")
        if not isinstance(self.state, EInvoiceState):
            raise ValidationError("state", f"must be an EInvoiceState, not {self.state!r}")
        if self.resend_allowed and self.state not in _RESENDABLE_STATES:
            raise ValidationError("resend_allowed", f"a {self.state.value} document must never be sent again")

    @property
    def final(self) -> bool:
        """Polling can stop: accepted, not applicable, or rejected (a resend is a new decision)."""
        return self.state in _FINAL_STATES

    @property
    def may_be_accepted(self) -> bool:
        """The document is, or may already be, accepted: never submit it again."""
        return self.state in (EInvoiceState.ACCEPTED, EInvoiceState.PENDING, EInvoiceState.UNKNOWN)

    def _repr_html_(self) -> str:
        from .notebook import repr_html

        return repr_html(self)
