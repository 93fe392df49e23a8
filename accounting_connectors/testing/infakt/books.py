"""One inFakt company as the fake keeps it: documents, clients, tasks, numbering, validation.

Built from the inFakt sheet, ``shared/providers/infakt.md`` (IF-README's definitions, IF-OL's
live findings), never from the connector. Amounts are integer grosze; totals follow the Polish rule (VAT once per
rate on the rate's sum).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid as uuid_module
from collections.abc import Callable, Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

import attrs

from . import texts

if TYPE_CHECKING:
    from .fake import InFaktFake

PAYMENT_METHODS = tuple(
    "transfer cash card barter check bill_of_sale delivery compensation accredited paypal instalment_sale "
    "payu tpay przelewy24 dotpay other".split()
)
"""``payment_method`` values (IF-README "Metody płatności")."""

DEFAULT_VAT_RATES: tuple[tuple[str, str, Decimal], ...] = (
    ("23%", "23", Decimal("0.23")),
    ("8%", "8", Decimal("0.08")),
    ("5%", "5", Decimal("0.05")),
    ("0%", "0", Decimal("0")),
    ("zw", "zw", Decimal("0")),
    ("np", "np", Decimal("0")),
)
"""``(name, symbol, rate as a fraction)`` of a new account (IF-README's example symbols)."""

CORRECTION_REASONS = ("mistake", "other")
PDF_TYPES = tuple(
    "original_copy original copy original_duplicate copy_duplicate duplicate regular double_regular".split()
)
PDF_LOCALES = ("pl", "en", "pe")
NEXT_NUMBER_KINDS = ("vat", "proforma", "advance", "final", "margin")
_MONEY_FIELDS = ("unit_net_price", "net_price", "gross_price", "unit_net_price_before_discount")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_CURRENCY = re.compile(r"[A-Z]{3}")
COUNTRY = re.compile(r"[A-Z]{2}")

# Fields IF-README (and IF-OL/IF-NPM/IF-GO for some) define on an invoice write.
INVOICE_FIELDS = frozenset(
    """
    client_id client_company_name client_tax_code client_country client_street client_street_number
    client_city client_post_code client_business_activity_kind client_first_name client_last_name
    client_flat_number number kind currency status check_duplicate_number receipt_number notes
    recipient_signature seller_signature invoice_date sale_date payment_date paid_date
    invoice_date_kind continuous_service_start_on continuous_service_end_on vat_date_value
    payment_method bank_name bank_account swift split_payment split_payment_type sale_type
    sales_kind building_service occasional_sale vat_exemption_reason bdo_code
    document_markings_ids third_party_addresses transaction_terms vat_exchange_date_kind
    local_government_recipient_address local_government_seller_address services
    """.split()
)
CORRECTION_FIELDS = INVOICE_FIELDS | frozenset(
    """
    corrected_invoice_number corrected_invoice_date corrected_invoice_uuid correction_reason
    check_correction_obligation confirmation confirmation_date sale_date_before_correction
    continuous_service_start_on_before_correction continuous_service_end_on_before_correction
    """.split()
)
SERVICE_FIELDS = frozenset(
    """
    name tax_symbol unit quantity unit_net_price net_price gross_price discount
    unit_net_price_before_discount pkwiu cn pkob gtin gtu_id flat_rate_tax_symbol
    """.split()
)
CORRECTION_SERVICE_FIELDS = SERVICE_FIELDS | {"group", "correction"}

Fail = Callable[[str, str], None]


class Invalid(Exception):
    """Document validation failed: ``errors`` maps field paths to messages."""

    def __init__(self, errors: Mapping[str, list[str]]) -> None:
        super().__init__("invalid")
        self.errors = dict(errors)


@attrs.define
class Doc:
    """A document as the fake holds it (mutable: printing and paying change it)."""

    company: str
    uuid: str
    id: int
    kind: str  # "vat" or "correction"
    number: str
    fields: dict[str, Any]
    services: list[dict[str, Any]]
    net: int
    tax: int
    gross: int
    client_id: int | None
    created_at: str
    status: str = "draft"  # IF-README: always created as a draft
    paid_date: str | None = None
    corrects: str | None = None
    pending_paid_date: str | None = None  # a paid mark accepted but not applied yet
    paid_reads_left: int | None = None  # reads that still show it unpaid (None: it never lands)


@attrs.define
class Task:
    """A create task of the asynchronous API."""

    reference: str
    kind: str  # "vat" or "correction"
    body: dict[str, Any]
    created_at: str
    polls_left: int | None
    uuid: str | None = None
    errors: dict[str, list[str]] | None = None
    done: bool = False


class Books:
    """One company's documents, clients, tasks and numbering; the fake's lock guards it."""

    def __init__(self, company: str, fake: InFaktFake) -> None:
        self.company = company
        self.fake = fake
        self.docs: dict[str, Doc] = {}
        self.clients: dict[int, dict[str, Any]] = {}
        self.tasks: dict[str, Task] = {}
        self._counters: dict[tuple[str, str], int] = {}
        self._vat_numbers: set[str] = set()

    def store(self, kind: str, document: dict[str, Any]) -> Doc:
        """Validate ``document`` and store it, numbered; raises :class:`Invalid`."""
        services, client_id = self.validate(kind, document)
        self.fake.note_ignored(document, CORRECTION_FIELDS if kind == "correction" else INVOICE_FIELDS, "")
        issue = str(document.get("invoice_date") or self.fake.today())
        if kind == "correction":
            net, tax, gross, priced = totals([(s, r) for s, r in services if s.get("correction") is True])
            old_net, old_tax, old_gross, _ = totals([(s, r) for s, r in services if s.get("correction") is False])
            net, tax, gross = net - old_net, tax - old_tax, gross - old_gross
        else:
            net, tax, gross, priced = totals(services)
        own = document.get("number")
        number = own if isinstance(own, str) and own else self.next_number(kind, issue, advance=True)
        doc = Doc(
            company=self.company,
            uuid=str(uuid_module.uuid4()),
            id=self.fake.allocate_id(),
            kind=kind,
            number=number,
            fields=dict(document),
            services=priced,
            net=net,
            tax=tax,
            gross=gross,
            client_id=client_id,
            created_at=self.fake.timestamp(),
            corrects=str(document.get("corrected_invoice_uuid")) if kind == "correction" else None,
        )
        self.docs[doc.uuid] = doc
        if kind == "vat":
            self._vat_numbers.add(number)
        return doc

    def next_number(self, kind: str, issue: str, *, advance: bool) -> str:
        """``N/MM/YYYY`` per kind and month of the issue date (``next_number.json``'s shape)."""
        key = (kind, issue[:7])
        value = self._counters.get(key, 0) + 1
        if advance:
            self._counters[key] = value
        # UNCERTAIN: how inFakt numbers corrections; a separate "KOR" sequence is assumed.
        prefix = "KOR/" if kind == "correction" else ""
        return f"{prefix}{value}/{issue[5:7]}/{issue[:4]}"

    def validate(
        self, kind: str, document: Mapping[str, Any]
    ) -> tuple[list[tuple[dict[str, Any], Decimal]], int | None]:
        """Check a document; its services with their VAT fractions, and the client id."""
        errors: dict[str, list[str]] = {}

        def fail(field: str, message: str) -> None:
            errors.setdefault(field, []).append(message)

        for key in ("invoice_date", "sale_date", "payment_date", "paid_date", "corrected_invoice_date"):
            if document.get(key) is not None and not is_date(document.get(key)):
                fail(key, texts.BAD_DATE)
        currency = document.get("currency", "PLN")
        if not isinstance(currency, str) or not _CURRENCY.fullmatch(currency):
            fail("currency", texts.UNKNOWN_CURRENCY)
        method = document.get("payment_method")
        if method is not None and method not in PAYMENT_METHODS:
            fail("payment_method", texts.UNKNOWN_PAYMENT_METHOD)
        if method == "transfer" and not self.fake.bank_account:
            fail("payment_method", texts.NO_BANK_ACCOUNT)
        client_id = document.get("client_id")
        if client_id is not None:
            if isinstance(client_id, bool) or not isinstance(client_id, int) or client_id not in self.clients:
                fail("client_id", texts.NO_SUCH_CLIENT)
        elif kind == "correction" or not any(
            document.get(key) for key in ("client_company_name", "client_last_name", "client_first_name")
        ):
            # IF-OL (live): a corrective invoice needs a stored client whatever inline fields it has.
            fail("client_id", texts.CLIENT_ID_REQUIRED)
        check_activity_kind(document, "client_", fail)
        country = document.get("client_country")
        if country is not None and (not isinstance(country, str) or not COUNTRY.fullmatch(country)):
            fail("client_country", texts.BAD_COUNTRY)
        number = document.get("number")
        if number is not None and not isinstance(number, str):
            fail("number", texts.NOT_TEXT)
        if kind == "vat" and document.get("check_duplicate_number") is True and number in self._vat_numbers:
            fail("number", texts.NUMBER_TAKEN)  # UNCERTAIN shape
        services = document.get("services")
        checked: list[tuple[dict[str, Any], Decimal]] = []
        if not isinstance(services, list) or not services:
            fail("services", texts.REQUIRED)
        else:
            for index, service in enumerate(services):
                rate = self._validate_service(kind, index, service, fail)
                if rate is not None and isinstance(service, dict):
                    checked.append((service, rate))
        if kind == "correction":
            self._validate_correction(document, services if isinstance(services, list) else [], fail)
        if errors:
            raise Invalid(errors)
        return checked, client_id if isinstance(client_id, int) else None

    def _validate_service(self, kind: str, index: int, service: Any, fail: Fail) -> Decimal | None:
        path = f"services[{index}]"
        if not isinstance(service, dict):
            fail(path, texts.NOT_AN_OBJECT)
            return None
        allowed = CORRECTION_SERVICE_FIELDS if kind == "correction" else SERVICE_FIELDS
        self.fake.note_ignored(service, allowed, path + ".")
        if not isinstance(service.get("name"), str) or not service["name"].strip():
            fail(f"{path}.name", texts.REQUIRED)
        symbol = service.get("tax_symbol")
        rate = next((fraction for _, known, fraction in self.fake.vat_rates if known == symbol), None)
        if rate is None:
            # IF-OL: an empty tax_symbol cascades into these errors.
            fail(f"{path}.tax_symbol", texts.REQUIRED if not symbol else texts.UNKNOWN_VAT_RATE)
            fail("services.gross", texts.REQUIRED)
        quantity = service.get("quantity", 1)
        if isinstance(quantity, bool) or not isinstance(quantity, int | Decimal) or quantity < 0:
            fail(f"{path}.quantity", texts.NOT_NON_NEGATIVE)
        priced = False
        for key in _MONEY_FIELDS:
            if key in service:
                value = service[key]
                # Integer grosze (IF-README). The live API accepted decimal strings and booked
                # them 100x too low (IF-OL); the fake refuses them so the mistake is caught.
                if isinstance(value, bool) or not isinstance(value, int):
                    fail(f"{path}.{key}", texts.NOT_GROSZE)
                elif value < 0:
                    fail(f"{path}.{key}", texts.NEGATIVE)
                else:
                    priced = True
        if not priced:
            fail(f"{path}.unit_net_price", texts.REQUIRED)
        discount = service.get("discount")
        if discount is not None and (
            isinstance(discount, bool) or not isinstance(discount, int) or not 0 <= discount <= 100
        ):
            fail(f"{path}.discount", texts.BAD_DISCOUNT)
        return rate

    def _validate_correction(self, document: Mapping[str, Any], services: list[Any], fail: Fail) -> None:
        original = self.docs.get(str(document.get("corrected_invoice_uuid") or ""))
        if original is None or original.kind != "vat":
            fail("corrected_invoice_uuid", texts.NO_CORRECTED_INVOICE)
        else:
            if document.get("corrected_invoice_number") != original.number:
                fail("corrected_invoice_number", texts.NOT_THE_CORRECTED)
            if document.get("corrected_invoice_date") != original.fields.get("invoice_date"):
                fail("corrected_invoice_date", texts.NOT_THE_CORRECTED)
            issued = document.get("invoice_date")
            if is_date(issued) and str(issued) < str(original.fields.get("invoice_date")):
                fail("invoice_date", texts.BEFORE_CORRECTED)
        if document.get("correction_reason") not in CORRECTION_REASONS:
            fail("correction_reason", texts.UNKNOWN_REASON)  # UNCERTAIN list
        groups: dict[str, list[bool]] = {}
        for index, service in enumerate(services):
            if not isinstance(service, dict):
                continue
            group, flag = service.get("group"), service.get("correction")
            if group is None or not isinstance(flag, bool):
                fail(f"services[{index}].group", texts.REQUIRED)
                continue
            groups.setdefault(str(group), []).append(flag)
        for group, flags in groups.items():
            if sorted(flags) != [False, True]:  # each group: one row before (false), one after (true)
                fail("services", texts.unpaired_group(group))


ACTIVITY_KINDS = ("private_person", "self_employed", "other_business")
"""``business_activity_kind`` values (IF-README)."""


def check_activity_kind(fields: Mapping[str, Any], prefix: str, fail: Fail) -> None:
    """IF-DEV-CLIENTS: ``company_name`` is required for a sole trader (JDG) or another business.

    The rule is stated for the client resource; the inline ``client_*`` fields of an
    invoice are read the same way (infakt.md "Newer findings" a3, the safest reading).
    """
    kind = fields.get(prefix + "business_activity_kind")
    if kind is None:
        return
    if kind not in ACTIVITY_KINDS:
        fail(prefix + "business_activity_kind", texts.UNKNOWN)
    elif kind in ("self_employed", "other_business") and not fields.get(prefix + "company_name"):
        fail(prefix + "company_name", texts.REQUIRED)


def is_date(value: Any) -> bool:
    """Whether ``value`` is a real ``YYYY-MM-DD`` date."""
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _round(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def totals(services: Iterable[tuple[dict[str, Any], Decimal]]) -> tuple[int, int, int, list[dict[str, Any]]]:
    """Net, VAT and gross in grosze, VAT once per rate on the rate's sum; the priced lines.

    A service priced "from gross" (``gross_price`` without net prices) is summed gross
    and its rate's net derived from that sum; other services are summed net.
    """
    net_by_rate: dict[Decimal, int] = {}
    gross_by_rate: dict[Decimal, int] = {}
    priced: list[dict[str, Any]] = []
    for service, rate in services:
        quantity = Decimal(service.get("quantity", 1))
        if "gross_price" in service and "unit_net_price" not in service and "net_price" not in service:
            gross = int(service["gross_price"])
            gross_by_rate[rate] = gross_by_rate.get(rate, 0) + gross
            net = _round(Decimal(gross) / (1 + rate))
        else:
            if "net_price" in service:
                net = int(service["net_price"])
            elif "unit_net_price" in service:
                net = _round(quantity * int(service["unit_net_price"]))
            else:
                unit = Decimal(int(service["unit_net_price_before_discount"]))
                net = _round(quantity * unit * (100 - int(service.get("discount", 0))) / 100)
            net_by_rate[rate] = net_by_rate.get(rate, 0) + net
            gross = net + _round(net * rate)
        priced.append({**service, "net_price": net, "gross_price": gross, "tax_price": gross - net})
    net_total = tax_total = 0
    for rate, net in net_by_rate.items():
        net_total += net
        tax_total += _round(net * rate)
    for rate, gross in gross_by_rate.items():
        net = _round(Decimal(gross) / (1 + rate))
        net_total += net
        tax_total += gross - net
    return net_total, tax_total, net_total + tax_total, priced


def money(grosze: int) -> Decimal:
    """Grosze as an exact amount with two places."""
    return Decimal(grosze).scaleb(-2)
