"""What iFirma takes: constants, the settings, the request signature and the bodies (checked before sending).

From ``shared/providers/ifirma.md`` §2.1 to §2.11; tags cite its sources: I-DOC the official API
pages, I-OFF the official shop plugins, I-BUNDLE ``maciejlewandowskii/iFirmaBundle``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Required

import attrs
import httpx

from ...errors import ConfigurationError, UnsupportedOperation, ValidationError
from ...model import Correction, Invoice, Line, Party, PaymentType, VatKind
from ...money import TotalsMethod, document_totals, effective_unit_price
from ...options import ConnectOptions
from ...provider import Provider, base_url, json_number
from ..fakturowo.settings import normalise_nip

BASE_URL = "https://www.ifirma.pl/iapi/"
"""iFirma's API root [I-DOC]."""

INVOICE_KEY = "faktura"
"""Key name for every invoice, correction, PDF and payment call [I-DOC]."""
SUBSCRIBER_KEY = "abonent"
"""Key name for the accounting month and the API limit [I-DOC]."""

DOMESTIC = "fakturakraj"
"""Domestic VAT invoice in PLN."""
FOREIGN_CURRENCY = "fakturawaluta"
"""Domestic sale priced in a foreign currency."""
INTRA_EU_SUPPLY = "fakturawdt"
"""Intra-community supply of goods (WDT)."""
EXPORT_OF_GOODS = "fakturaeksporttowarow"
"""Export of goods outside the EU."""
INVOICE_KINDS = (DOMESTIC, FOREIGN_CURRENCY, INTRA_EU_SUPPLY, EXPORT_OF_GOODS)
"""The invoice endpoints this connector issues to (``POST /iapi/{kind}.json``)."""

PAYMENT_TYPES: tuple[PaymentType, ...] = tuple(Provider.payment_types([
    ("GTK", "Gotówka (cash)"), ("POB", "Za pobraniem (cash on delivery)"), ("PRZ", "Przelew (bank transfer)"),
    ("KAR", "Karta (card)"), ("PZA", "Polecenie zapłaty (direct debit)"), ("CZK", "Czek (cheque)"),
    ("KOM", "Kompensata (set-off)"), ("BAR", "Barter"), ("DOT", "DotPay"), ("PAL", "PayPal"), ("ALG", "PayU"),
    ("P24", "Przelewy24"), ("TPA", "tpay.com"), ("ELE", "Płatność elektroniczna (electronic payment)"),
]))  # fmt: skip
"""``SposobZaplaty`` codes, a fixed documented list (I-DOC field table; no endpoint lists them)."""

CODES = frozenset(payment_type.name for payment_type in PAYMENT_TYPES)

# Common names order systems use, so a caller's "card" or "przelew" needs no settings.
# The codes themselves (any case) are always accepted.
PAYMENT_ALIASES: Mapping[str, str] = {
    "cash": "GTK", "gotowka": "GTK", "gotówka": "GTK",
    "cod": "POB", "cash on delivery": "POB", "pobranie": "POB", "za pobraniem": "POB",
    "transfer": "PRZ", "bank transfer": "PRZ", "przelew": "PRZ",
    "card": "KAR", "karta": "KAR",
    "direct debit": "PZA", "polecenie zapłaty": "PZA",
    "cheque": "CZK", "check": "CZK", "czek": "CZK",
    "compensation": "KOM", "kompensata": "KOM",
    "barter": "BAR", "dotpay": "DOT", "paypal": "PAL", "payu": "ALG",
    "przelewy24": "P24", "p24": "P24", "tpay": "TPA",
    "electronic": "ELE", "płatność elektroniczna": "ELE",
}  # fmt: skip

CORRECTION_REASONS = ("OBOW_RABAT", "ZWR_SPRZ_TOW", "ZWR_NAB_KWOT", "ZWR_NAB_ZAL", "PODW_CENY", "POMYLKI")
"""``PowodKorekty`` codes [I-DOC /faktura-korygujaca-fakture-krajowa]."""

SIGNATURE_TYPES = ("OUP", "UPO", "BPO", "BWO")
"""``RodzajPodpisuOdbiorcy`` codes (recipient signature on the printout) [I-DOC]."""


def payment_code(method: str, custom: Mapping[str, str]) -> str | None:
    """The ``SposobZaplaty`` code for ``method``: the caller's names, common names, the codes."""
    folded = method.strip().casefold()
    code = custom.get(folded) or PAYMENT_ALIASES.get(folded)
    if code is None and method.strip().upper() in CODES:
        code = method.strip().upper()
    return code


def _stripped(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _username(instance: Any, attribute: Any, value: Any) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError("ifirma needs username")
    # The login goes into a header and into the signed string: it must be plain ASCII
    # and must not contain the header's separator.
    if not value.isascii() or "," in value or not value.isprintable():
        raise ConfigurationError("ifirma username must be printable ASCII without commas")


def _hex_key(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is None and attribute.name == "subscriber_key":
        return
    if not isinstance(value, str) or not value:
        raise ConfigurationError(f"ifirma needs {attribute.name}")
    try:
        bytes.fromhex(value)
    except ValueError:
        # Never echo the key itself.
        raise ConfigurationError(f"ifirma {attribute.name} must be the hex key from the API tab") from None


def _one_of(choices: tuple[str, ...]) -> Any:
    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is not None and value not in choices:
            raise ConfigurationError(f"{attribute.name} must be one of {choices}")

    return check


def _payment_methods(instance: IFirmaSettings, attribute: Any, value: str) -> None:
    for code in (instance.payment_methods or {}).values():
        if code not in CODES:
            raise ConfigurationError(f"{code!r} is not an iFirma payment code")
    if payment_code(value, instance.custom_methods()) is None:
        raise ConfigurationError(f"default_payment_method {value!r} is not an iFirma payment method")


def _company_tax_id(value: Any) -> str:
    nip = normalise_nip(value) if isinstance(value, str) else None
    if nip is None:
        raise ConfigurationError(
            f"ifirma company_tax_id {value!r} is not a valid NIP (ten digits with a valid check digit)"
        )
    return nip


def _month_moves(instance: Any, attribute: Any, value: int) -> None:
    if not isinstance(value, int) or value < 0:
        raise ConfigurationError("max_month_moves must be a whole number of months, 0 or more")


@attrs.frozen(kw_only=True)
class IFirmaSettings:
    """Settings of the iFirma connector."""

    username: str = attrs.field(validator=_username)
    """The ifirma.pl login (the API user); it is part of every signature."""
    company_tax_id: str = attrs.field(converter=_company_tax_id)
    """The issuing company's NIP (``PL`` prefix, spaces and dashes dropped; the check digit is
    checked): the send-once ledger's account (``account()``). Several users of one company
    issue into the same books, so the ledger never keys documents by the login."""
    invoice_key: str = attrs.field(repr=False, converter=_stripped, validator=_hex_key)
    """The hex key generated for the key name ``faktura`` (API tab)."""
    subscriber_key: str | None = attrs.field(default=None, repr=False, converter=_stripped, validator=_hex_key)
    """The hex key for ``abonent``, to read and move the accounting month (optional without alignment)."""
    invoice_series: str | None = None
    """``NazwaSeriiNumeracji`` (an existing series) for invoices that name none; else the account's default."""
    correction_series: str | None = None
    """``NazwaSeriiNumeracji`` for corrections (the default series if ``None``)."""
    payment_methods: Mapping[str, str] | None = None
    """Payment method names mapped to iFirma codes, beside the codes and common names ("card", "przelew")."""
    default_payment_method: str = attrs.field(default="PRZ", validator=_payment_methods)
    """``SposobZaplaty`` for unpaid invoices (a code or any name ``payment_methods`` knows)."""
    correction_reason: str | None = attrs.field(default=None, validator=_one_of(CORRECTION_REASONS))
    """``PowodKorekty`` for a correction whose ``reason`` is free text (then in ``Uwagi``); else it must be a code."""
    exemption_basis: str | None = None
    """``PodstawaPrawna`` printed on VAT-exempt (``ZW``) lines."""
    recipient_signature: str = attrs.field(default="BPO", validator=_one_of(SIGNATURE_TYPES))
    """``RodzajPodpisuOdbiorcy`` (default ``BPO``: no recipient signature)."""
    place_of_issue: str | None = None
    """``MiejsceWystawienia``."""
    bank_account: str | None = None
    """``NumerKontaBankowego`` (``BRAK`` prints none; default: the account's)."""
    align_accounting_month: bool = True
    """Read and move the accounting month before each document, as the official plugins do."""
    max_month_moves: int = attrs.field(default=12, validator=_month_moves)
    """Refuse a document further than this many months from the accounting month instead of moving it."""
    allow_month_back: bool = False
    """Move the month back for an older document (off: that reopens a month the accountant may have closed)."""
    base_url: str = attrs.field(default=BASE_URL, converter=base_url)
    """The API root."""

    def __attrs_post_init__(self) -> None:
        if self.subscriber_key is None and self.align_accounting_month:
            raise ConfigurationError(
                "ifirma needs subscriber_key (the 'abonent' key) to align the accounting month; "
                "pass it, or align_accounting_month=False"
            )

    def custom_methods(self) -> dict[str, str]:
        """``payment_methods`` keyed by case-folded name."""
        return {name.casefold(): code for name, code in (self.payment_methods or {}).items()}


class IFirmaArgs(ConnectOptions, total=False):
    """The keyword arguments of ``connect("ifirma", ...)`` (see :class:`IFirmaSettings`)."""

    username: Required[str]
    company_tax_id: Required[str]
    invoice_key: Required[str]
    subscriber_key: str | None
    invoice_series: str | None
    correction_series: str | None
    payment_methods: Mapping[str, str] | None
    default_payment_method: str
    correction_reason: str | None
    exemption_basis: str | None
    recipient_signature: str
    place_of_issue: str | None
    bank_account: str | None
    align_accounting_month: bool
    max_month_moves: int
    allow_month_back: bool
    base_url: str


def hmac_sha1_hex(key_hex: str, message: bytes) -> str:
    """HMAC-SHA1 of ``message`` under the hex-encoded ``key_hex``, as lowercase hex.

    The key is decoded from hex first: iFirma's FAQ vector (key ``111111``, message
    ``222222``) gives ``cec153ee…``; the raw ASCII key would give a wrong ``1558ab6c…``.
    """
    return hmac.new(bytes.fromhex(key_hex), message, hashlib.sha1).hexdigest()


def authentication_header(url: httpx.URL | str, user: str, key_name: str, key_hex: str, body: bytes) -> str:
    """The ``Authentication`` header for one request [I-DOC /naglowek-autoryzacji].

    The signed message is ``url + user + key_name + body``, where ``url`` has no query
    and ``body`` is exactly the bytes sent (empty for a GET).
    """
    signed = str(httpx.URL(url).copy_with(query=None, fragment=None))  # no query string [I-DOC /faq]
    message = signed.encode() + user.encode() + key_name.encode() + body
    return f"IAPIS user={user}, hmac-sha1={hmac_sha1_hex(key_hex, message)}"


# VAT rates are fractions on the wire, written with at least two places ("0.23", "0.00").
_CENT = Decimal("0.01")

EU_COUNTRIES = frozenset("AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK".split())
"""EU member states (ISO 3166-1), for choosing the intra-EU supply endpoint."""

# VAT-number prefixes differ from ISO codes for Greece only.
_EU_VAT_PREFIX: Mapping[str, str] = {"GR": "EL"}

# Field lengths from the fact sheet (I-DOC field table, I-OFF InvoiceContractor.php).
_MAX_LENGTHS: Mapping[str, int] = {
    "Nazwa": 150, "Ulica": 65, "KodPocztowy": 16, "Miejscowosc": 65, "Email": 65, "Telefon": 32,
    "NIP": 13, "NazwaPelna": 300, "Jednostka": 10, "Uwagi": 1000, "MiejsceWystawienia": 50,
    "NumerKontaBankowego": 28,
}  # fmt: skip

# The model's name of each buyer field, for error paths.
_BUYER_FIELDS: Mapping[str, str] = {
    "Nazwa": "name", "Ulica": "address.street", "KodPocztowy": "address.postal_code", "Miejscowosc": "address.city",
    "Email": "email", "Telefon": "phone", "NIP": "tax_id",
}  # fmt: skip

_MAX_PAID = Decimal(100_000_000)


class IFirmaBodies(Provider):
    """The part of the iFirma connector that turns documents into request bodies."""

    settings: IFirmaSettings

    def __init__(self, settings: IFirmaSettings) -> None:
        super().__init__(settings)
        self._methods = settings.custom_methods()

    def _payment_code(self, method: str, field: str) -> str:
        code = payment_code(method, self._methods)
        return code or self.payment_type_named(PAYMENT_TYPES, method.strip(), field).name

    def _invoice_body(self, invoice: Invoice, kind: str) -> dict[str, Any]:
        self._check_invoice(invoice)
        settings = self.settings
        sale_date = invoice.sale_date or invoice.issue_date
        paid = invoice.payment.amount if invoice.payment is not None else Decimal("0.00")
        method = invoice.payment.method if invoice.payment is not None else settings.default_payment_method
        body: dict[str, Any] = {}
        if kind in (DOMESTIC, FOREIGN_CURRENCY):
            # Intra-EU and export bodies have no LiczOd (I-BUNDLE CreateWdtInvoiceRequest,
            # CreateExportGoodsInvoiceRequest): their rate is 0, so net equals gross.
            body["LiczOd"] = "BRT" if invoice.prices_include_vat else "NET"
        body.update(
            {
                "Zaplacono": json_number(paid),
                "ZaplaconoNaDokumencie": json_number(paid),
                "DataWystawienia": invoice.issue_date.isoformat(),
                "DataSprzedazy": sale_date.isoformat(),
                "FormatDatySprzedazy": "DZN",
                "SposobZaplaty": self._payment_code(method, "payment.method"),
                "RodzajPodpisuOdbiorcy": settings.recipient_signature,
                "WidocznyNumerGios": False,
                # All known clients send null: iFirma numbers the document in its series.
                "Numer": None,
                "Kontrahent": _buyer(invoice.buyer, kind),
                "Pozycje": [self._line(line, index, kind) for index, line in enumerate(invoice.lines)],
            }
        )
        if kind == FOREIGN_CURRENCY:
            body["TypSprzedazy"] = "KRAJOWA"
        if kind != DOMESTIC:
            body["Waluta"] = invoice.currency
            # Jezyk is required for WDT and export (I-BUNDLE); a domestic sale in a foreign
            # currency prints in Polish unless told otherwise.
            body["Jezyk"] = (invoice.language or ("pl" if kind == FOREIGN_CURRENCY else "en")).lower()
            if invoice.exchange_rate is not None:
                body["KursWalutyZDniaPoprzedzajacegoDzienWystawieniaFaktury"] = json_number(invoice.exchange_rate)
        if invoice.due_date is not None:
            body["TerminPlatnosci"] = invoice.due_date.isoformat()
        series = invoice.series or settings.invoice_series
        if series:
            body["NazwaSeriiNumeracji"] = series
        self._common_optional(body, invoice.notes)
        return body

    def _correction_body(self, correction: Correction) -> dict[str, Any]:
        reason = correction.reason.strip()
        notes: str | None = None
        if reason.upper() in CORRECTION_REASONS:
            code = reason.upper()
        elif self.settings.correction_reason is not None:
            code, notes = self.settings.correction_reason, reason
        else:
            raise ValidationError(
                "reason",
                f"iFirma needs a PowodKorekty code, one of {', '.join(CORRECTION_REASONS)}; "
                "or configure correction_reason and give free text",
            )
        original = correction.original
        if correction.issue_date < (original.sale_date or original.issue_date):
            raise ValidationError("issue_date", "is before the original invoice's sale date")
        lines = []
        for index, line in enumerate(correction.lines):
            # Correction lines have no Rabat (I-BUNDLE CorrectiveInvoicePositionRequest), so
            # a discount is folded into the unit price: same amount, same basis as the original.
            flat = line if line.discount_percent is None else _without_discount(line)
            if flat.unit_price != flat.unit_price.quantize(_CENT):
                # A price with fractions of a grosz would be rounded by iFirma and change the
                # line's amount; refuse instead of correcting by a different sum.
                raise ValidationError(
                    f"lines[{index}].discount_percent",
                    f"iFirma corrections carry no discount, and the discounted unit price "
                    f"{flat.unit_price} is not a whole grosz",
                )
            lines.append(self._line(flat, index, DOMESTIC, correction=True))
        body: dict[str, Any] = {
            "PowodKorekty": code,
            "PowodKorektyNaWydruku": True,
            # Required (T) by the official page for fakturakraj/korekta (ifirma.md §2.10,
            # corrected): the conditions for the correction are met. The connector sends a
            # correction only when the seller has settled it, as the clients that send it do.
            "SpelnionoWarunki": True,
            "DataWystawienia": correction.issue_date.isoformat(),
            "RodzajPodpisuOdbiorcy": self.settings.recipient_signature,
            "Pozycje": lines,
        }
        if self.settings.correction_series:
            body["NazwaSeriiNumeracji"] = self.settings.correction_series
        self._common_optional(body, notes)
        return body

    def _common_optional(self, body: dict[str, Any], notes: str | None) -> None:
        for field, value in (
            ("Uwagi", notes),
            ("MiejsceWystawienia", self.settings.place_of_issue),
            ("NumerKontaBankowego", self.settings.bank_account),
        ):
            if value:
                _check_length(field, field, value)
                body[field] = value

    def _line(self, line: Line, index: int, kind: str, *, correction: bool = False) -> dict[str, Any]:
        where = f"lines[{index}]"
        _check_length(f"{where}.name", "NazwaPelna", line.name)
        _check_length(f"{where}.unit", "Jednostka", line.unit)
        position: dict[str, Any] = {
            "NazwaPelna": line.name,
            "Jednostka": line.unit,
            "Ilosc": json_number(line.quantity),
            "CenaJednostkowa": json_number(line.unit_price),
        }
        if line.vat.kind is VatKind.EXEMPT:
            # Exempt lines carry no StawkaVat (I-OFF InvoicePosition.php).
            position["TypStawkiVat"] = "ZW"
            basis = self.settings.exemption_basis
            if basis:
                _check_length("exemption_basis", "PodstawaPrawna", basis, limit=30)
                position["PodstawaPrawna"] = basis
        else:
            # UNCERTAIN for WDT/export lines: sent as an explicit 0 % PRC rate (I-BUNDLE makes
            # StawkaVat optional there; a stated 0.00 cannot be read as anything else).
            position["TypStawkiVat"] = "PRC"
            position["StawkaVat"] = json_number(_fraction(line))
        if line.discount_percent is not None and not correction:
            if line.discount_percent >= 100:
                raise ValidationError(f"{where}.discount_percent", "iFirma's Rabat must be below 100")
            position["Rabat"] = json_number(line.discount_percent)
        if kind != DOMESTIC:
            # The foreign-language name and unit are required on these invoices
            # (I-BUNDLE ForeignInvoicePositionRequest); the model has one name.
            position["NazwaPelnaObca"] = line.name
            position["JednostkaObca"] = line.unit
        return position

    def _check_invoice(self, invoice: Invoice) -> None:
        if invoice.number is not None:
            raise ValidationError("number", "iFirma numbers invoices itself; leave number empty")
        if invoice.use_stock:
            raise UnsupportedOperation("iFirma has no warehouse in its API; send the invoice without use_stock")
        sale_date = invoice.sale_date or invoice.issue_date
        # DataWystawienia: not before the sale, at most the 15th of the month after it (I-DOC).
        if invoice.issue_date < sale_date:
            raise ValidationError("sale_date", "iFirma requires the issue date on or after the sale date")
        year, month = divmod(sale_date.year * 12 + sale_date.month, 12)
        if invoice.issue_date > dt.date(year, month + 1, 15):
            raise ValidationError("issue_date", "iFirma allows at most the 15th of the month after the sale")
        if invoice.payment is not None:
            totals = document_totals(
                invoice.lines, prices_include_vat=invoice.prices_include_vat, method=TotalsMethod.PER_RATE
            )
            if invoice.payment.amount > totals.total.gross or invoice.payment.amount >= _MAX_PAID:
                raise ValidationError(
                    "payment.amount", f"{invoice.payment.amount} is more than the invoice's {totals.total.gross}"
                )


def _buyer(party: Party, kind: str) -> dict[str, Any]:
    address = party.address
    if address is None or not address.postal_code or not address.city:
        # KodPocztowy and Miejscowosc are required (I-OFF InvoiceContractor.php).
        missing = "address" if address is None else "address.city" if address.postal_code else "address.postal_code"
        field = f"buyer.{missing}"
        raise ValidationError(field, "iFirma requires the buyer's postal code and city")
    buyer: dict[str, Any] = {
        "Nazwa": party.name,
        "KodPocztowy": address.postal_code,
        "Miejscowosc": address.city,
        "KodKraju": address.country,
        "OsobaFizyczna": not party.is_company,
    }
    if address.street:
        buyer["Ulica"] = address.street
    if party.tax_id:
        prefix, nip = _split_vat_id(party.tax_id)
        if kind == INTRA_EU_SUPPLY and prefix is None:
            prefix = _EU_VAT_PREFIX.get(address.country, address.country)
        buyer["NIP"] = nip
        if prefix is not None and address.country != "PL":
            buyer["PrefiksUE"] = prefix
    if party.email:
        buyer["Email"] = party.email
    if party.phone:
        buyer["Telefon"] = party.phone
    for field, value in buyer.items():
        if isinstance(value, str) and field in _MAX_LENGTHS:
            _check_length(f"buyer.{_BUYER_FIELDS.get(field, field)}", field, value)
    return buyer


def _check_length(field: str, wire_name: str, value: str, *, limit: int | None = None) -> None:
    most = limit if limit is not None else _MAX_LENGTHS[wire_name]
    if len(value) > most:
        raise ValidationError(field, f"iFirma's {wire_name} holds at most {most} characters; this has {len(value)}")


def _fraction(line: Line) -> Decimal:
    """The line's VAT rate as iFirma's fraction, with two places at least (``0.23``, ``0.00``)."""
    fraction = line.vat.fraction
    return fraction.quantize(_CENT) if fraction == fraction.quantize(_CENT) else fraction


def _without_discount(line: Line) -> Line:
    return attrs.evolve(line, unit_price=effective_unit_price(line), discount_percent=None)


def _split_vat_id(tax_id: str) -> tuple[str | None, str]:
    """Split ``DE123456789`` into ``("DE", "123456789")``; a bare number has no prefix."""
    cleaned = tax_id.strip().replace(" ", "")
    head = cleaned[:2].upper()
    if len(cleaned) > 2 and head.isalpha() and head in (EU_COUNTRIES | {"EL"}):
        return head, cleaned[2:]
    return None, cleaned
