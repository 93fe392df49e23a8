"""Oblio's wire codec: documents to request bodies, with Romanian money rules.

Pure functions, no I/O. Field names are Oblio's (oblio.md §4, §5, §9, §11). Money is
``Decimal`` throughout and written as exact JSON numbers. Totals follow Romania's
per-line rule (:data:`~accounting_connectors.money.TotalsMethod.PER_LINE`): each line's
amount is rounded half-up to 0.01 and split into net and VAT once.

Discounts: the model's discount lowers a line's unit price; Oblio prints discounts as a
separate line. Sent as a *percentage* (``procentual``), Oblio would round the discount
itself, and how it does is not documented (UNCERTAIN). So the discount goes as a value
(``valoric``) equal to ``round(quantity x price) - line_amount(line)``: the line then
books exactly the model's amount, whatever Oblio's own rounding of percentages is.
"""

from __future__ import annotations

import hashlib
import re
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from ...countries import romanian_name
from ...errors import ValidationError
from ...model import Correction, Line, Party, VatKind, VatRate
from ...money import Totals, document_totals, line_amount, round_money

COLLECT_TYPES: tuple[tuple[str, str], ...] = (
    ("Chitanta", "Cash, with a receipt (chitanta) issued from the receipt series"),
    ("Bon fiscal", "Fiscal receipt (cash register)"),
    ("Bon fiscal card", "Fiscal receipt, paid by card"),
    ("Alta incasare numerar", "Other cash payment"),
    ("Ordin de plata", "Bank transfer"),
    ("Mandat postal", "Postal order"),
    ("Card", "Card"),
    ("CEC", "Cheque"),
    ("Bilet ordin", "Promissory note"),
    ("Alta incasare banca", "Other bank payment"),
    ("Ramburs", "Cash on delivery"),
)
"""The collect types, exactly as Oblio's doc lists them (§6); no endpoint lists them."""

_COLLECT_NAMES = {name.casefold(): name for name, _ in COLLECT_TYPES}

# Common words for a payment method, as OB-WOO maps them (§6): card, cash on delivery, transfer.
_ALIASES = {
    "transfer": "Ordin de plata",
    "bank_transfer": "Ordin de plata",
    "bank transfer": "Ordin de plata",
    "card": "Card",
    "cod": "Ramburs",
    "cash_on_delivery": "Ramburs",
    "cash on delivery": "Ramburs",
    "cash": "Chitanta",
    "cheque": "CEC",
}

SPECIAL_VAT_NAMES: Mapping[VatKind, str] = {
    VatKind.REVERSE_CHARGE: "Taxare inversa",
    VatKind.EXEMPT: "SFDD",  # scutit fara drept de deducere
    VatKind.INTRA_EU: "SDD",  # scutit cu drept de deducere
    VatKind.EXPORT: "SDD",
    VatKind.NOT_SUBJECT: "SDD",  # OB-WOO sends "SDD" with 0 % for non-taxable lines (§6)
}
"""Oblio VAT names for treatments that are not a plain percentage; they must exist in the
account's ``nomenclature/vat_rates`` (names are account data, §4)."""

SPECIAL_BY_NAME: Mapping[str, VatKind] = {
    "Taxare inversa": VatKind.REVERSE_CHARGE,
    "SFDD": VatKind.EXEMPT,
    "SDD": VatKind.INTRA_EU,
}

_SECTOR = re.compile(r"(?i)^\s*s(?:ector(?:ul)?)?\s*([1-6])\s*$")

VatLookup = Callable[[VatRate, str], tuple[str, Decimal]]
"""``(rate, field) -> (vatName, vatPercentage)`` from the account's nomenclature."""


def collect_type(method: str, field: str) -> str:
    """The Oblio collect type for a payment method (exact name, case-insensitive, or a common word)."""
    folded = method.strip().casefold()
    name = _COLLECT_NAMES.get(folded) or _ALIASES.get(folded)
    if name is None:
        names = ", ".join(name for name, _ in COLLECT_TYPES)
        raise ValidationError(field, f"{method!r} is not an Oblio collect type; use one of: {names}")
    return name


def account_of(company_vat_code: str) -> str:
    """The company's CIF without the ``RO`` VAT prefix, so ``RO123`` and ``123`` are one account."""
    return company_vat_code.strip().upper().removeprefix("RO")


def idempotency_key(namespace: str, account: str, kind: str, reference: str) -> str:
    """The ``idempotencyKey`` of one document: from the installation, the account and the reference.

    Keys are account-wide at Oblio (§14): the namespace keeps two installations apart, the
    account two companies, the kind an invoice apart from a receipt or storno with the same
    reference. A digest keeps the key short and free of odd characters whatever the reference.
    """
    digest = hashlib.sha256("\x00".join((namespace, account, kind, reference)).encode()).hexdigest()[:40]
    return f"ac-{kind[:1]}-{digest}"


_NOTE_WORDS = {"invoice": "Ref", "receipt": "Ref chitanta", "correction": "Ref storno"}


def reference_note(kind: str, namespace: str, reference: str) -> str:
    """The line written into ``mentions`` so the document can be found by reference (§14)."""
    scoped = f"{namespace}/{reference}" if namespace else reference
    return f"{_NOTE_WORDS[kind]}: {scoped}"


def mentions(notes: str | None, note: str) -> str:
    """The printed ``mentions``: the caller's notes, then the reference line."""
    return f"{notes.rstrip()}\n{note}" if notes and notes.strip() else note


def has_note(text: Any, note: str) -> bool:
    """Whether a document's ``mentions`` ends with ``note`` as its own line (newlines may come back as spaces)."""
    if not isinstance(text, str):
        return False
    stripped, wanted = text.strip(), note.strip()  # Oblio may trim what it stores
    return stripped == wanted or any(stripped.endswith(separator + wanted) for separator in ("\n", "\r", " "))


def link_id(link: Any) -> str | None:
    """The internal document id, found only in the ``link``'s ``id=`` (§4)."""
    if not isinstance(link, str):
        return None
    values = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query).get("id")
    return values[0] if values else None


def flag(value: bool) -> int:
    """Oblio's 0/1 flags."""
    return 1 if value else 0


def client(party: Party, *, save: bool) -> dict[str, Any]:
    """The ``client`` object (§5.3)."""
    body: dict[str, Any] = {"name": party.name}
    if party.tax_id:
        body["cif"] = party.tax_id
    if party.registration_number:
        body["rc"] = party.registration_number
    address = party.address
    country = address.country if address else "RO"
    if address is not None:
        if address.street:
            body["address"] = address.street
        if address.region:
            body["state"] = address.region
        city = address.city
        if city and country == "RO":
            # OB-WOO rewrites Bucharest's S1..S6 to "Sector n" (§5.3).
            match = _SECTOR.match(city)
            city = f"Sector {match.group(1)}" if match else city
        if city:
            body["city"] = city
        body["country"] = romanian_name(country)
    if party.email:
        body["email"] = party.email
    if party.phone:
        body["phone"] = party.phone
    # A VAT payer: a Romanian CIF with the RO prefix, or a company abroad with a tax id.
    vat_payer = bool(party.is_company and party.tax_id and (country != "RO" or party.tax_id.upper().startswith("RO")))
    body["vatPayer"] = flag(vat_payer)
    body["save"] = flag(save)
    return body


def product(
    line: Line,
    *,
    currency: str,
    prices_include_vat: bool,
    vat: tuple[str, Decimal],
    management: str | None,
    quantity: Decimal | None = None,
) -> dict[str, Any]:
    """One product entry (§5.2); ``management`` only for stock lines, ``quantity`` to override (storno)."""
    # UNCERTAIN (§12, §17.5): whether a stock line is matched by `code`, by `name` or both.
    # Safest reading: send both exactly as the caller gives them (the SKU is `code`, BT-155).
    # UNCERTAIN (§5.2, §17.7): what `codeClient` means; it is never sent.
    entry: dict[str, Any] = {"name": line.name}
    if line.sku:
        entry["code"] = line.sku
    entry.update(
        {
            "price": line.unit_price,
            "measuringUnit": line.unit,
            "currency": currency,
            "vatName": vat[0],
            "vatPercentage": vat[1],
            # vatIncluded defaults to 1 at Oblio: always send it.
            "vatIncluded": flag(prices_include_vat),
            "quantity": line.quantity if quantity is None else quantity,
            "save": 0,  # do not overwrite the product's list price
        }
    )
    if line.is_service:
        entry["productType"] = "Serviciu"
    elif management is not None:
        entry["productType"] = "Marfa"
        entry["management"] = management
    return entry


def discount_value(line: Line) -> Decimal:
    """The discount the line's ``discount_percent`` takes off, as Oblio books a ``valoric`` discount."""
    return round_money(line.quantity * line.unit_price) - line_amount(line)


def products(
    lines: Sequence[Line],
    *,
    currency: str,
    prices_include_vat: bool,
    vat_of: VatLookup,
    management: str | None,
) -> list[dict[str, Any]]:
    """The ``products`` array: each line, then its discount line when it has one."""
    entries: list[dict[str, Any]] = []
    for index, line in enumerate(lines):
        vat = vat_of(line.vat, f"lines[{index}].vat")
        entries.append(
            product(
                line,
                currency=currency,
                prices_include_vat=prices_include_vat,
                vat=vat,
                management=None if line.is_service else management,
            )
        )
        if line.discount_percent is not None:
            value = discount_value(line)
            if value > 0:
                entries.append(
                    {
                        "name": f"Discount {line.discount_percent.normalize():f}% {line.name}",
                        "discount": value,
                        "discountType": "valoric",
                        "discountAllAbove": 0,  # the one product directly above
                    }
                )
    return entries


def storno_products(
    correction: Correction, *, currency: str, vat_of: VatLookup, management: str | None
) -> tuple[list[dict[str, Any]], list[Line]]:
    """A partial storno's lines: negative quantities at the original price (OB-FG shape, §9).

    Returns the product entries and the reversed lines as the model sees them (positive
    quantities), for totals. Only lowered quantities can be expressed this way.
    """
    entries: list[dict[str, Any]] = []
    reversed_lines: list[Line] = []
    original = correction.original
    for index, (before, after) in enumerate(zip(original.lines, correction.lines, strict=True)):
        field = f"lines[{index}]"
        if (after.unit_price, after.vat, after.discount_percent) != (
            before.unit_price,
            before.vat,
            before.discount_percent,
        ):
            raise ValidationError(
                field,
                "an Oblio partial storno reverses quantities at the original price and VAT; "
                "to change a price or a rate, reverse the whole invoice and issue a new one",
            )
        if after.quantity > before.quantity:
            raise ValidationError(f"{field}.quantity", "a storno can only lower a quantity; invoice the rest anew")
        removed = before.quantity - after.quantity
        if removed == 0:
            continue
        if before.discount_percent is not None:
            raise ValidationError(
                field,
                "a partial storno of a discounted line is not expressible exactly at Oblio; "
                "reverse the whole invoice (every quantity 0) and issue a new one",
            )
        vat = vat_of(before.vat, f"{field}.vat")
        entries.append(
            product(
                before,
                currency=currency,
                prices_include_vat=original.prices_include_vat,
                vat=vat,
                management=None if before.is_service or not original.use_stock else management,
                quantity=-removed,
            )
        )
        reversed_lines.append(Line(
            name=before.name, quantity=removed, unit=before.unit, unit_price=before.unit_price, vat=before.vat
        ))  # fmt: skip
    if not entries:
        raise ValidationError("lines", "the correction changes nothing")
    return entries, reversed_lines


def totals(lines: Sequence[Line], *, prices_include_vat: bool) -> Totals:
    """What Oblio books for ``lines`` sent by :func:`products`: per line, half-up to 0.01."""
    return document_totals(lines, prices_include_vat=prices_include_vat).total


def vat_match(
    vat: VatRate, field: str, rates: Sequence[tuple[str, Decimal]], overrides: Mapping[VatRate, str]
) -> tuple[str, Decimal]:
    """``(vatName, vatPercentage)`` for a rate, from the account's nomenclature (names are account data)."""
    if vat in overrides:
        name = overrides[vat]
        percent = next((p for n, p in rates if n == name), vat.percent)
        return name, percent
    if vat.kind is not VatKind.RATE:
        name = SPECIAL_VAT_NAMES[vat.kind]
        if any(rate_name == name for rate_name, _ in rates):
            return name, Decimal(0)
        raise ValidationError(
            field, f"the Oblio company has no VAT name {name!r} for {vat}; pass vat_names={{rate: 'Name'}}"
        )
    for name, percent in rates:
        if percent == vat.percent and name not in SPECIAL_BY_NAME:
            return name, percent
    listed = ", ".join(f"{name} {percent}%" for name, percent in rates) or "none"
    raise ValidationError(field, f"the Oblio company has no {vat} VAT rate (it has: {listed})")
