"""inFakt's wire codec: integer grosze, VAT symbols, the document bodies, answer readers.

No requests. Every name sent is one the inFakt sheet lists (inFakt silently drops the
others); ``tests/conformance/cases/infakt.py`` holds them with their sources.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx

from ...capabilities import Capability
from ...errors import MalformedAnswer, ProviderError, ValidationError
from ...model import Correction, Invoice, Line, Party, SentDocument, VatKind, VatRate
from ...money import TotalsMethod, document_totals, effective_unit_price, line_amount
from ...provider import Provider, json_number, read_json
from .settings import CORRECTION_REASONS, PAYMENT_TYPES, InFaktSettings

# Plain VAT treatments and their inFakt symbols (IF-README product table: 23, 8, 5, 0, zw,
# np). Reverse charge, intra-EU supply and export have no confirmed symbol (UNCERTAIN;
# "oo" is not confirmed), so they are refused unless ``tax_symbols`` names one.
SPECIAL_SYMBOLS: Mapping[VatKind, str] = {VatKind.EXEMPT: "zw", VatKind.NOT_SUBJECT: "np"}
_SYMBOL_KINDS: Mapping[str, VatKind] = {"zw": VatKind.EXEMPT, "np": VatKind.NOT_SUBJECT, "oo": VatKind.REVERSE_CHARGE}

_HUNDRED = Decimal(100)
_MAX_DIGITS = 18  # integer digits of an amount; far beyond any invoice, far below a DoS


def to_grosze(amount: Decimal, field: str = "amount") -> int:
    """``amount`` (in złoty or any currency unit) as an exact integer of 1/100 units.

    Integer arithmetic on the Decimal's digits, never ``float`` and never a context
    precision, so any size is exact. Trailing zeros do not matter (``1.500`` is 150).

    Raises:
        ValidationError: ``amount`` is not a finite whole number of grosze (``0.005``).
    """
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise ValidationError(field, f"{amount!r} is not a finite Decimal amount")
    sign, digit_tuple, exponent = amount.as_tuple()
    assert isinstance(exponent, int)  # finite, checked above
    digits = list(digit_tuple)
    # Drop trailing zeros below the grosz by hand: normalize() would round to the context.
    while exponent < -2 and len(digits) > 1 and digits[-1] == 0:
        digits.pop()
        exponent += 1
    magnitude = int("".join(map(str, digits)))
    if magnitude == 0:
        return 0
    if exponent < -2:
        raise ValidationError(field, f"{amount} is not a whole number of grosze (inFakt takes integer grosze)")
    if exponent + len(digits) > _MAX_DIGITS:
        raise ValidationError(field, f"{amount} is too large for an amount")
    value: int = magnitude * 10 ** (exponent + 2)
    return -value if sign else value


def from_grosze(value: int) -> Decimal:
    """An integer of grosze as an exact Decimal with two places (``12345`` is ``123.45``)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"grosze must be an int, not {type(value).__name__}")
    return Decimal((1 if value < 0 else 0, tuple(int(digit) for digit in str(abs(value))), -2))


def round_to_grosze(amount: Decimal, field: str = "amount") -> int:
    """``amount`` rounded half-up to 0.01 (the Polish per-line rule), in grosze."""
    if not amount.is_finite():
        raise ValidationError(field, f"{amount} is not a finite amount")
    rounded: Decimal = amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return to_grosze(rounded, field)


def _party(party: Party, prefix: str, tax_key: str, post_key: str) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if party.is_company:
        fields[prefix + "company_name"] = party.name
    else:
        first, _, last = party.name.strip().rpartition(" ")
        if first:
            fields[prefix + "first_name"] = first
        fields[prefix + "last_name"] = last
    if party.tax_id:
        fields[tax_key] = party.tax_id
    address = party.address
    if address is not None:
        for key, value in (("street", address.street), ("city", address.city), (post_key, address.postal_code)):
            if value:
                fields[prefix + key] = value
        fields[prefix + "country"] = address.country
    return fields


def client_record(party: Party) -> dict[str, Any]:
    """The buyer as an inFakt client record (IF-README "Definicja klienta").

    The record's names differ from the invoice's inline ones: ``company_name``,
    ``postal_code`` (IF-OL, live: ``name``/``post_code`` are dropped and the create 422s);
    ``country`` is required.
    """
    if party.address is None:
        raise ValidationError("correction.original.buyer.address", "inFakt stores a client with its country")
    record = _party(party, "", "nip", "postal_code")
    if party.email:
        record["email"] = party.email
    if party.phone:
        record["phone_number"] = party.phone
    return record


def client_fields(party: Party) -> dict[str, Any]:
    """The buyer as inline ``client_*`` fields of an invoice (IF-README "Definicja faktury").

    Companies go by name and NIP; persons by first and last name (IF-NPM and IF-GO send
    ``client_first_name``/``client_last_name``); a sole trader by both. The inline postal code is
    ``client_post_code`` (the record's is ``postal_code``); inFakt silently drops names it
    does not know. A buyer e-mail or phone has no inline field, so they are not sent.
    """
    fields = _party(party, "client_", "client_tax_code", "post_code")
    kind = "other_business" if party.is_company else "self_employed" if party.tax_id else "private_person"
    fields["client_business_activity_kind"] = kind
    if kind == "self_employed":
        # A sole trader (JDG) needs the business name besides the person's names
        # (IF-DEV-CLIENTS; infakt.md "Newer findings" a3): the party's name is both.
        fields["client_company_name"] = party.name
    return fields


def json_object(response: httpx.Response) -> dict[str, Any]:
    """The answer as a JSON object (else a ``ProviderError``)."""
    body = read_json(response)
    if not isinstance(body, dict):
        raise ProviderError("inFakt's answer is not a JSON object", response=response)
    return body


def entities(response: httpx.Response) -> list[dict[str, Any]]:
    """The objects of a list answer (``{"metainfo", "entities"}``, IF-README) or a bare list."""
    body = read_json(response)
    items = body.get("entities") if isinstance(body, dict) else body
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        # Never an empty list for an answer that cannot be read: a lookup would find nothing.
        raise MalformedAnswer("inFakt's answer is not a list of objects", response=response)
    return items


def processing_code(envelope: Mapping[str, Any]) -> int | None:
    """A task envelope's ``processing_code`` as an int (it may come as text)."""
    code = envelope.get("processing_code")
    if isinstance(code, bool):
        return None
    if isinstance(code, int):
        return code
    if isinstance(code, str) and code.strip().isdigit():
        return int(code)
    return None


def int_field(body: Mapping[str, Any], key: str) -> int | None:
    """An integer field of an answer (grosze, an id), or ``None`` when it is not an int."""
    value = body.get(key)
    return None if isinstance(value, bool) or not isinstance(value, int) else value


def vat_from_symbol(symbol: str) -> VatRate | None:
    """The VAT rate of an inFakt ``tax_symbol`` (``23``, ``zw``, ``np``, ``oo``), if known."""
    kind = _SYMBOL_KINDS.get(symbol.casefold())
    if kind is not None:
        return VatRate.special(kind)
    try:
        percent = Decimal(symbol)
    except ArithmeticError:
        return None
    if not percent.is_finite() or not Decimal(0) <= percent < _HUNDRED:
        return None
    return VatRate.of(percent)


def flatten(value: Any, prefix: str = "") -> dict[str, list[str]]:
    """``{"services": [{"gross": ["..."]}]}`` as ``{"services[0].gross": ["..."]}``.

    Rails-style bodies map a field to a list of messages, nest objects, or already use
    dotted keys (``services.gross``, IF-OL); a bare string or list belongs to ``prefix``.
    """
    out: dict[str, list[str]] = {}
    if isinstance(value, str):
        if value.strip():
            out.setdefault(prefix, []).append(value.strip())
    elif isinstance(value, Mapping):
        for key, item in value.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            for field, texts in flatten(item, name).items():
                out.setdefault(field, []).extend(texts)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            name = prefix if isinstance(item, str) else f"{prefix}[{index}]"
            for field, texts in flatten(item, name).items():
                out.setdefault(field, []).extend(texts)
    elif value is not None and not isinstance(value, bool):
        out.setdefault(prefix, []).append(str(value))
    return out


def joined(field_errors: Mapping[str, list[str]]) -> str:
    """Field errors as one text: ``field: message; ...``."""
    return "; ".join(f"{field}: {text}" if field else text for field, texts in field_errors.items() for text in texts)


def download_link(body: Any) -> str | None:
    """The https link of a PDF answer that is JSON (IF-GO, UNCERTAIN), if any."""
    if not isinstance(body, dict):
        return None
    for key in ("download_link", "url", "link"):
        value = body.get(key)
        if isinstance(value, str) and value.startswith("https://"):
            return value
    return None


def date_of(value: Any) -> dt.date | None:
    """An ISO date from inFakt's answer, or ``None``."""
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


class InFaktDocuments(Provider):
    """The half of the inFakt connector that checks documents and builds their bodies."""

    settings: InFaktSettings

    def _check_invoice(self, invoice: Invoice) -> None:
        if invoice.use_stock:
            raise self.unsupported(Capability.SKU_STOCK)
        if invoice.series is not None:
            raise ValidationError(
                "series", "inFakt has no numbering series; leave series empty (put a whole own number in number)"
            )
        if invoice.exchange_rate is not None:
            raise ValidationError(
                "exchange_rate", "inFakt documents no exchange-rate field (it takes the NBP rate); leave it empty"
            )
        if invoice.payment is not None:
            self._payment_method(invoice.payment.method, "payment.method")
            gross = document_totals(
                invoice.lines, prices_include_vat=invoice.prices_include_vat, method=TotalsMethod.PER_RATE
            ).total.gross
            if invoice.payment.amount != gross:
                raise ValidationError(
                    "payment.amount",
                    f"inFakt marks a whole invoice paid; the payment {invoice.payment.amount} is not the "
                    f"invoice's gross total {gross}",
                )
            if invoice.payment.paid_on is not None and invoice.payment.paid_on < invoice.issue_date:
                raise ValidationError("payment.paid_on", "inFakt's paid_date may not be before the issue date")

    def _invoice_body(self, invoice: Invoice) -> dict[str, Any]:
        method = self.settings.payment_method
        if invoice.payment is not None:
            method = self._payment_method(invoice.payment.method, "payment.method")
        fields: dict[str, Any] = {
            # Always sent: without it inFakt silently uses the account's currency (IF-OL).
            "currency": invoice.currency,
            "invoice_date": invoice.issue_date.isoformat(),
            "sale_date": (invoice.sale_date or invoice.issue_date).isoformat(),
            "payment_method": method,
            **client_fields(invoice.buyer),
            "services": [
                self._service(line, invoice.prices_include_vat, f"lines[{index}]")
                for index, line in enumerate(invoice.lines)
            ],
        }
        if invoice.due_date is not None:
            fields["payment_date"] = invoice.due_date.isoformat()  # payment_date is the due date
        if invoice.number is not None:
            fields["number"] = invoice.number
            # Ask inFakt to refuse a number it already has (the failure shape is UNCERTAIN).
            fields["check_duplicate_number"] = True
        if invoice.notes:
            fields["notes"] = invoice.notes
        return {"invoice": fields}

    def _service(self, line: Line, prices_include_vat: bool, field: str) -> dict[str, Any]:
        service: dict[str, Any] = {
            "name": line.name,
            "tax_symbol": self._tax_symbol(line.vat, f"{field}.vat"),
            "unit": line.unit,
            "quantity": json_number(line.quantity),
        }
        if prices_include_vat:
            # "From gross": the line's gross value and no net price (IF-README note). The
            # value is rounded half-up to a grosz per line, the discount included; the unit
            # price itself must already be whole grosze.
            to_grosze(line.unit_price, f"{field}.unit_price")
            service["gross_price"] = round_to_grosze(line_amount(line), f"{field}.unit_price")
            return service
        if line.discount_percent is None:
            service["unit_net_price"] = to_grosze(line.unit_price, f"{field}.unit_price")
            return service
        if line.discount_percent != line.discount_percent.to_integral_value():
            raise ValidationError(f"{field}.discount_percent", "inFakt takes a discount in whole percent")
        # The price before the discount, the discount, and the discounted unit price. All
        # three must agree exactly, or inFakt and this library could total the line apart
        # (which one inFakt computes from is not documented): the discounted unit price
        # must be whole grosze.
        discounted = effective_unit_price(line)
        if discounted != discounted.quantize(Decimal("0.01")):
            raise ValidationError(
                f"{field}.discount_percent",
                f"the discounted unit price {discounted} is not whole grosze; inFakt's unit prices are",
            )
        service["unit_net_price_before_discount"] = to_grosze(line.unit_price, f"{field}.unit_price")
        service["discount"] = int(line.discount_percent)
        service["unit_net_price"] = to_grosze(discounted, f"{field}.unit_price")
        return service

    def _tax_symbol(self, vat: VatRate, field: str) -> str:
        if vat in self.settings.tax_symbols:
            return self.settings.tax_symbols[vat]
        if vat.kind is VatKind.RATE:
            return f"{vat.percent.normalize():f}"
        symbol = SPECIAL_SYMBOLS.get(vat.kind)
        if symbol is None:
            raise ValidationError(
                field,
                f"inFakt's documentation confirms no tax_symbol for {vat}; look it up with "
                f"list_vat_rates() and pass tax_symbols={{rate: 'symbol'}}",
            )
        return symbol

    def _payment_method(self, method: str, field: str) -> str:
        return self.payment_type_named(PAYMENT_TYPES, method, field).name

    def _correction_pairs(self, correction: Correction) -> list[tuple[Line, Line, str]]:
        pairs = [
            (before, after, f"lines[{index}]")
            for index, (before, after) in enumerate(zip(correction.original.lines, correction.lines, strict=True))
            if before != after
        ]
        if not pairs:
            # IF-OL: identical before/after rows still mint a real 0.00 correction.
            raise ValidationError("lines", "no line changes; inFakt would issue an empty correction")
        return pairs

    def _correction_body(
        self,
        correction: Correction,
        original: Mapping[str, Any],
        pairs: Sequence[tuple[Line, Line, str]],
        client_id: int,
    ) -> dict[str, Any]:
        invoice = correction.original
        number = original.get("number") or correction.original_document.number
        if not number:
            raise ValidationError("correction.original_document.number", "the original invoice has no number yet")
        # Each pair in one `group` (a string in IF-OL's live shape): as invoiced, then as corrected.
        services = [
            {**self._service(line, invoice.prices_include_vat, name), "group": str(group), "correction": corrected}
            for group, (before, after, field) in enumerate(pairs, start=1)
            for line, name, corrected in ((before, f"original.{field}", False), (after, field, True))
        ]
        reason = correction.reason.strip()
        symbol = reason if reason in CORRECTION_REASONS else "other"
        fields: dict[str, Any] = {
            "currency": invoice.currency,
            "invoice_date": correction.issue_date.isoformat(),
            "payment_method": str(original.get("payment_method") or self._original_method(invoice)),
            "corrected_invoice_number": str(number),
            "corrected_invoice_date": str(original.get("invoice_date") or invoice.issue_date.isoformat()),
            "corrected_invoice_uuid": self._uuid(correction.original_document, "correction.original_document"),
            "correction_reason": symbol,
            "services": services,
            # IF-OL (live): "client_id required" on corrections, whatever the README's common
            # fields suggest; the safest reading sends a stored client.
            "client_id": client_id,
        }
        if symbol != reason:
            # The reason symbol is a code; the caller's words go on the document.
            fields["notes"] = reason
        return {"corrective_invoice": fields}

    def _original_method(self, invoice: Invoice) -> str:
        if invoice.payment is not None:
            return self._payment_method(invoice.payment.method, "original.payment.method")
        return self.settings.payment_method

    def _uuid(self, document: SentDocument, field: str) -> str:
        self.own_document(document, field)
        if not document.external_id:
            raise ValidationError(f"{field}.external_id", "inFakt finds documents by uuid; it is missing")
        return document.external_id
