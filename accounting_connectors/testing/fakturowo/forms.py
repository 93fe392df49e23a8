"""How the Fakturowo fake reads a call's form fields and writes its answers' rows.

Multipart bodies, ``[n]`` as a new line, ``DD-MM-YYYY`` dates and decimals (§1), the buyer
fields (§5.2), the line slots, unsuffixed and ``_N`` (§5.3), the totals per VAT rate, and
one row of the list task's answer (FO-LIST, §3). Invalid values are refused with ``0`` and
a text from :mod:`.messages`.
"""

from __future__ import annotations

import datetime as dt
import email.parser
import email.policy
import re
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from . import messages
from .records import LINE_FIELDS, VAT_PERCENT, _Document, _refuse

_LINE_NAME = re.compile(r"(produkt_[a-z_]*?[a-z])(?:_([0-9]+))?\Z")
_DATE = re.compile(r"([0-9]{2})-([0-9]{2})-([0-9]{4})\Z")
_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?\Z")
_CENT = Decimal("0.01")


def _round(amount: Decimal) -> Decimal:
    return amount.quantize(_CENT, rounding=ROUND_HALF_UP)


def _multipart(content_type: str, body: bytes) -> dict[str, str]:
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise ValueError("not a multipart body")
    fields: dict[str, str] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if isinstance(name, str) and isinstance(payload, bytes):
            fields[name] = payload.decode("utf-8")
    return fields


def _text(value: str | None) -> str:
    """A text parameter with ``[n]`` read as a new line (§1)."""
    return (value or "").replace("[n]", "\n")


def _date(fields: Mapping[str, str], name: str, default: dt.date) -> dt.date:
    value = fields.get(name, "")
    if not value:
        return default
    match = _DATE.match(value)
    try:
        if match is None:
            raise ValueError(value)
        return dt.date(int(match[3]), int(match[2]), int(match[1]))
    except ValueError:
        raise _refuse(messages.BAD_VALUE.format(field=name, value=value)) from None


def _decimal(value: str, name: str) -> Decimal:
    if not _DECIMAL.match(value):
        raise _refuse(messages.BAD_VALUE.format(field=name, value=value))
    try:
        return Decimal(value)
    except InvalidOperation:
        raise _refuse(messages.BAD_VALUE.format(field=name, value=value)) from None


def _buyer(fields: Mapping[str, str], *, required: bool) -> dict[str, str]:
    person = fields.get("nabywca_osoba", "") or "0"
    if person not in ("0", "1"):
        raise _refuse(messages.BAD_VALUE.format(field="nabywca_osoba", value=person))
    buyer = {
        name.removeprefix("nabywca_"): _text(value) for name, value in fields.items() if name.startswith("nabywca_")
    }
    if person == "1":
        name = " ".join(part for part in (buyer.get("imie", ""), buyer.get("nazwisko", "")) if part.strip())
        if required and not name:
            raise _refuse(messages.MISSING.format(field="nabywca_nazwisko"))
    else:
        name = buyer.get("nazwa", "").strip()
        if required and not name:
            raise _refuse(messages.MISSING.format(field="nabywca_nazwa"))
    buyer["name"] = name
    return buyer


def _lines(fields: Mapping[str, str]) -> list[dict[str, Any]]:
    """Every line slot: the unsuffixed set first, then ``_N`` by number (§5.3)."""
    slots: dict[int, dict[str, str]] = {}
    for name, value in fields.items():
        match = _LINE_NAME.match(name)
        if match is None or match[1] not in LINE_FIELDS:
            continue
        slot = -1 if match[2] is None else int(match[2])
        slots.setdefault(slot, {})[match[1]] = value
    lines = []
    for slot in sorted(slots):
        values = slots[slot]
        suffix = "" if slot < 0 else f"_{slot}"
        if not values.get("produkt_nazwa", "").strip():
            raise _refuse(messages.MISSING.format(field=f"produkt_nazwa{suffix}"))
        quantity = _decimal(values.get("produkt_ilosc", ""), f"produkt_ilosc{suffix}")
        if quantity <= 0:
            raise _refuse(messages.BAD_VALUE.format(field=f"produkt_ilosc{suffix}", value=values["produkt_ilosc"]))
        vat = values.get("produkt_stawka_vat", "")
        if vat not in VAT_PERCENT:
            raise _refuse(messages.BAD_VALUE.format(field=f"produkt_stawka_vat{suffix}", value=vat))
        unit = values.get("produkt_jm", "") or "2"
        if not unit.isdigit():
            raise _refuse(messages.BAD_VALUE.format(field=f"produkt_jm{suffix}", value=unit))
        net_text, gross_text = values.get("produkt_cena_netto", ""), values.get("produkt_wartosc_brutto", "")
        if net_text and gross_text:
            raise _refuse(messages.BOTH_PRICES.format(field=f"produkt_nazwa{suffix}"))
        if not net_text and not gross_text:
            raise _refuse(messages.NO_PRICE.format(field=f"produkt_nazwa{suffix}"))
        line: dict[str, Any] = {
            "slot": suffix or "unsuffixed",
            "name": _text(values["produkt_nazwa"]),
            "quantity": quantity,
            "unit": unit,
            "vat": vat,
        }
        if net_text:
            price = _decimal(net_text, f"produkt_cena_netto{suffix}")
            if price < 0:
                raise _refuse(messages.BAD_VALUE.format(field=f"produkt_cena_netto{suffix}", value=net_text))
            line["net_price"] = price
            line["net"] = _round(quantity * price)
        else:
            line_value = _decimal(gross_text, f"produkt_wartosc_brutto{suffix}")
            if line_value < 0:
                raise _refuse(messages.BAD_VALUE.format(field=f"produkt_wartosc_brutto{suffix}", value=gross_text))
            line["gross"] = _round(line_value)
        lines.append(line)
    if not lines:
        raise _refuse(messages.NO_LINES)
    return lines


def _totals(lines: list[dict[str, Any]]) -> dict[str, dict[str, Decimal]]:
    """Per VAT rate, as Polish invoices total (art. 106e): sum the lines, then VAT once.

    Net-priced lines: VAT on the rate's net sum. Gross-valued lines: the net is taken out
    of the rate's gross sum. A rate with both adds the two.
    """
    by_rate: dict[str, dict[str, Decimal]] = {}
    for rate in dict.fromkeys(line["vat"] for line in lines):
        fraction = VAT_PERCENT[rate] / 100
        net_sum = sum((line["net"] for line in lines if line["vat"] == rate and "net" in line), Decimal("0.00"))
        gross_sum = sum((line["gross"] for line in lines if line["vat"] == rate and "gross" in line), Decimal("0.00"))
        net_of_gross = _round(gross_sum / (1 + fraction))
        vat = _round(net_sum * fraction) + (gross_sum - net_of_gross)
        net = net_sum + net_of_gross
        by_rate[rate] = {"net": net, "vat": vat, "gross": net + vat}
    return by_rate


def _row(document: _Document) -> str:
    buyer = document.buyer
    seller = document.seller
    columns = [
        document.api_numer,
        document.kind,
        document.number,
        f"{document.issued:%d-%m-%Y}",
        f"{document.sold:%d-%m-%Y}",
        document.currency,
        f"{document.net:f}",
        f"{document.vat:f}",
        f"{document.gross:f}",
        seller.get("sprzedawca_nazwa", document.account.name),
        " ".join(seller.get(name, "") for name in ("sprzedawca_ulica", "sprzedawca_kod", "sprzedawca_miasto")).strip(),
        seller.get("sprzedawca_nip", document.account.nip),
        buyer.get("name", ""),
        " ".join(buyer.get(name, "") for name in ("ulica", "kod", "miasto")).strip(),
        buyer.get("nip", ""),
        document.status,
        document.payment_code or "",
        document.due_days or "",
    ]
    # Values are written as they are (a ';' in a name is not escaped: the sheet shows no escaping).
    return ";".join(column.replace("\n", " ") for column in columns)
