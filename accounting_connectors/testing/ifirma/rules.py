"""What the iFirma fake checks in a body: documented fields, required fields, value rules.

From ``shared/providers/ifirma.md`` (I-DOC field tables §2.5 to §2.11, I-OFF plugins,
I-BUNDLE DTOs), never from the connector. Checks append Polish texts (from
:mod:`.texts`) to an ``errors`` list; a structural fault raises :class:`Refusal`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import attrs

from ..wire import FakeError, Reply
from . import texts

PAYMENT_METHODS = ("GTK", "POB", "PRZ", "KAR", "PZA", "CZK", "KOM", "BAR", "DOT", "PAL", "ALG", "P24", "TPA", "ELE")
"""``SposobZaplaty`` codes (I-DOC field table)."""

CORRECTION_REASONS = ("OBOW_RABAT", "ZWR_SPRZ_TOW", "ZWR_NAB_KWOT", "ZWR_NAB_ZAL", "PODW_CENY", "POMYLKI")
"""``PowodKorekty`` codes (I-DOC correction page)."""

SIGNATURES = ("OUP", "UPO", "BPO", "BWO")
"""``RodzajPodpisuOdbiorcy`` codes."""

PAYMENT_INVOICE_TYPES = (
    "prz_faktura_kraj", "prz_faktura_wysylka", "prz_faktura_paragon", "prz_faktura_wys_ter_kraj",
    "prz_faktura_szczeg_obow", "prz_faktura_met_kasowa", "prz_faktura_odwr_obciaz",
    "prz_faktura_odwr_obciaz_budowa", "prz_faktura_budowa", "prz_dostawa_ue_towarow", "prz_eksport_towarow",
    "prz_eksport_dost_uslug_ue", "prz_eksport_dost_uslug_nie_ue", "prz_faktura_kon", "prz_faktura_wyposaz",
    "prz_faktura_sr_trwaly", "prz_rachunek_kraj",
)  # fmt: skip
"""``typ_faktury`` values of the payments endpoint (I-DOC; the list read was truncated)."""

KINDS = ("fakturakraj", "fakturawaluta", "fakturawdt", "fakturaeksporttowarow")
"""The invoice endpoints the fake issues through."""
PAYMENT_KIND = {
    "prz_faktura_kraj": "fakturakraj",
    # The official payments page: a fakturawaluta invoice is paid as prz_faktura_wys_ter_kraj (§2.11, corrected).
    "prz_faktura_wys_ter_kraj": "fakturawaluta",
    "prz_dostawa_ue_towarow": "fakturawdt",
    "prz_eksport_towarow": "fakturaeksporttowarow",
}
"""Which invoice kind each payment type pays."""

# Polish VAT rates as fractions (fact sheet 2.6); WDT and export are at 0.
_DOMESTIC_RATES = frozenset({Decimal("0.23"), Decimal("0.08"), Decimal("0.05"), Decimal("0")})

# Fields each body may carry: the I-DOC field table (2.5) plus the variants' additions
# (I-BUNDLE). Anything else is "invalid domain-object structure" (Kod 200), the strict
# reading of that code.
_DOMESTIC_FIELDS = frozenset(
    "Zaplacono ZaplaconoNaDokumencie LiczOd NumerKontaBankowego SplitPayment DataWystawienia "
    "MiejsceWystawienia DataSprzedazy FormatDatySprzedazy TerminPlatnosci SposobZaplaty NazwaSeriiNumeracji "
    "NazwaSzablonu RodzajPodpisuOdbiorcy PodpisOdbiorcy PodpisWystawcy Uwagi WidocznyNumerGios WidocznyNumerBdo "
    "Numer IdentyfikatorKontrahenta PrefiksUEKontrahenta NIPKontrahenta Kontrahent Pozycje ProceduryJpk "
    "DodatkoweUwagi".split()
)
_CURRENCY_FIELDS = frozenset(
    "Waluta Jezyk KursWalutyWidoczny KursWalutyZDniaPoprzedzajacegoDzienWystawieniaFaktury".split()
)
FIELDS: Mapping[str, frozenset[str]] = {
    "fakturakraj": _DOMESTIC_FIELDS,
    "fakturawaluta": _DOMESTIC_FIELDS | _CURRENCY_FIELDS | {"TypSprzedazy"},
    # WDT and export bodies have no LiczOd, TypSprzedazy or SplitPayment (I-BUNDLE).
    "fakturawdt": (_DOMESTIC_FIELDS | _CURRENCY_FIELDS) - {"LiczOd", "SplitPayment"},
    "fakturaeksporttowarow": (_DOMESTIC_FIELDS | _CURRENCY_FIELDS) - {"LiczOd", "SplitPayment"},
}
"""The fields each invoice endpoint takes."""
# ZaplaconoNaDokumencie is marked T in the field table, but the live service issued an
# invoice from a body without it (issue 8, checked against the documentation): optional here.
REQUIRED_COMMON = tuple(
    "Zaplacono DataWystawienia DataSprzedazy FormatDatySprzedazy SposobZaplaty RodzajPodpisuOdbiorcy Pozycje".split()
)
REQUIRED: Mapping[str, tuple[str, ...]] = {
    "fakturakraj": ("LiczOd", "WidocznyNumerGios"),
    "fakturawaluta": ("LiczOd", "TypSprzedazy", "Waluta"),
    "fakturawdt": ("Waluta", "Jezyk"),
    "fakturaeksporttowarow": ("Waluta", "Jezyk"),
}
"""Required fields per endpoint, beyond :data:`REQUIRED_COMMON`."""
_LINE_FIELDS = frozenset(
    "NazwaPelna Jednostka Ilosc CenaJednostkowa StawkaVat TypStawkiVat PKWiU GTU Rabat StawkaRyczaltu "
    "PodstawaPrawna Zal15 NazwaPelnaObca JednostkaObca".split()
)
_LINE_LENGTHS = {"NazwaPelna": 300, "NazwaPelnaObca": 300, "Jednostka": 10, "JednostkaObca": 10}
# §2.7, plus AdresZagraniczny (a flag: the address is abroad), which the live service
# accepts: every release of a widely used client sends it, and I-BUNDLE reads it back on
# contractors.
_BUYER_FIELDS = frozenset(
    "Nazwa Nazwa2 Identyfikator PrefiksUE NIP Ulica KodPocztowy Miejscowosc Kraj KodKraju Email Telefon "
    "OsobaFizyczna JestOdbiorca JestDostawca PodmiotPowiazany AdresZagraniczny".split()
)
BUYER_FLAGS = ("OsobaFizyczna", "JestOdbiorca", "JestDostawca", "PodmiotPowiazany", "AdresZagraniczny")
"""The boolean fields of a contractor."""
_BUYER_LENGTHS = {
    "Nazwa": 150, "Identyfikator": 15, "PrefiksUE": 2, "NIP": 13, "Ulica": 65, "KodPocztowy": 16,
    "Miejscowosc": 65, "Kraj": 70, "KodKraju": 2, "Email": 65, "Telefon": 32,
}  # fmt: skip
DOCUMENT_LENGTHS = {"Uwagi": 1000, "MiejsceWystawienia": 50, "NumerKontaBankowego": 28}
CORRECTION_FIELDS = frozenset(
    "PowodKorekty PowodKorektyNaWydruku DataWystawienia Pozycje SpelnionoWarunki MiejsceWystawienia "
    "TerminPlatnosci Zaplacono SposobZaplaty NumerKontaBankowego SplitPayment NazwaSeriiNumeracji NazwaSzablonu "
    "RodzajPodpisuOdbiorcy PodpisOdbiorcy PodpisWystawcy Uwagi".split()
)
PAYMENT_FIELDS = frozenset({"Kwota", "Data", "KwotaPln", "Kurs"})
MONTH_FIELDS = frozenset({"MiesiacKsiegowy", "PrzeniesDaneZPoprzedniegoRoku"})

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_CENT = Decimal("0.01")
MAX_AMOUNT = Decimal(100_000_000)


def envelope(code: int, text: str, status: int = 200, **fields: Any) -> Reply:
    """The response envelope of every iFirma answer (I-OFF Response.php)."""
    return Reply.json({"response": {"Kod": code, "Informacja": text, **fields}}, status)


class Refusal(FakeError):
    """An error answer: ``Kod``, ``Informacja`` (by default the code's text) and HTTP status."""

    def __init__(self, code: int, text: str | None = None, status: int = 200) -> None:
        super().__init__(envelope(code, text or texts.KOD.get(code, ""), status))


@attrs.define
class Series:
    """A numbering series: numbers restart each year, or each month if ``monthly``."""

    name: str
    prefix: str
    monthly: bool
    counters: dict[tuple[str, int, int], int] = attrs.Factory(dict)
    last_issue: dt.date | None = None

    def allocate(self, day: dt.date, correction: bool) -> tuple[int, str]:
        """The next sequence number for ``day`` and its printed form."""
        period = (day.year, day.month if self.monthly else 0)
        key = ("K" if correction else "F", *period)
        number = self.counters.get(key, 0) + 1
        self.counters[key] = number
        return number, self.format(day, number, correction)

    def format(self, day: dt.date, number: int, correction: bool) -> str:
        """The printed number (``PelnyNumer``)."""
        # The number formats are not documented; these follow iFirma's printed examples
        # ("1/2026", monthly "1/01/2026"), corrections with a "K" marker.
        middle = f"/{day.month:02d}" if self.monthly else ""
        return f"{self.prefix}{number}{middle}/{day.year}" + ("/K" if correction else "")


def number(value: Any) -> Decimal | None:
    """A JSON number as Decimal (never a bool or a string)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Decimal) and value.is_finite():
        return value
    return None


def date(body: Mapping[str, Any], field: str, errors: list[str]) -> dt.date | None:
    """``body[field]`` as a date, or ``None`` with the error noted."""
    value = body.get(field)
    if isinstance(value, str) and _DATE.fullmatch(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    errors.append(texts.DATE.format(field=field))
    return None


def choice(body: Mapping[str, Any], field: str, allowed: Iterable[str], errors: list[str]) -> None:
    """Note an error when ``body[field]`` is set to a value not ``allowed``."""
    if body.get(field) is not None and body[field] not in tuple(allowed):
        errors.append(texts.CHOICE.format(field=field, value=body[field]))


def lengths(body: Mapping[str, Any], limits: Mapping[str, int], errors: list[str], prefix: str = "") -> None:
    """Note an error for each text field that is not text or longer than its limit."""
    for field, limit in limits.items():
        value = body.get(field)
        if value is None:
            continue
        if not isinstance(value, str):
            errors.append(texts.NOT_TEXT.format(prefix=prefix, field=field))
        elif len(value) > limit:
            errors.append(texts.TOO_LONG.format(prefix=prefix, field=field, limit=limit))


def required(body: Mapping[str, Any], fields: Iterable[str]) -> None:
    """Refuse (Kod 201) naming every field of ``fields`` that ``body`` lacks."""
    missing = [texts.REQUIRED.format(field=field) for field in fields if body.get(field) is None]
    if missing:
        raise Refusal(201, " ".join(missing))


def contractor(record: Any, errors: list[str]) -> None:
    """Check a contractor's fields (§2.7), inline (``Kontrahent``) or for the register."""
    if not isinstance(record, dict) or set(record) - _BUYER_FIELDS:
        raise Refusal(200, texts.BAD_BUYER)
    for field in ("Nazwa", "KodPocztowy", "Miejscowosc"):
        if not (isinstance(record.get(field), str) and record[field].strip()):
            errors.append(texts.BUYER_REQUIRED.format(field=field))
    lengths(record, _BUYER_LENGTHS, errors, prefix="Kontrahent.")
    for flag in BUYER_FLAGS:
        if flag in record and not isinstance(record[flag], bool):
            errors.append(texts.BUYER_BOOLEAN.format(field=flag))


def find_contractor(body: Mapping[str, Any], register: Mapping[str, Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The stored contractor an invoice refers to by ``IdentyfikatorKontrahenta`` or ``NIPKontrahenta`` (§2.5)."""
    identifier = body.get("IdentyfikatorKontrahenta")
    if identifier is not None:
        return register.get(str(identifier))
    nip = _digits(body.get("NIPKontrahenta"))
    prefix = body.get("PrefiksUEKontrahenta")
    if not nip:
        return None
    return next(
        (
            record
            for record in register.values()
            if _digits(record.get("NIP")) == nip and (prefix is None or record.get("PrefiksUE") in (None, prefix))
        ),
        None,
    )


def _digits(value: Any) -> str:
    return re.sub(r"[^0-9A-Za-z]", "", value) if isinstance(value, str) else ""


def buyer(
    body: Mapping[str, Any], kind: str, errors: list[str], register: Mapping[str, Mapping[str, Any]] | None = None
) -> tuple[str, str]:
    """The buyer's name and NIP, after checking it: inline ``Kontrahent`` or a stored contractor."""
    inline = body.get("Kontrahent")
    if inline is None:
        found = find_contractor(body, register or {})
        if found is None:
            known = body.get("IdentyfikatorKontrahenta") or body.get("NIPKontrahenta")
            errors.append(texts.NO_CONTRACTOR if known else texts.CONTRACTOR_NEEDED)
            return "", ""
        inline = found
    else:
        contractor(inline, errors)
    if kind == "fakturawdt" and not inline.get("NIP"):
        errors.append(texts.WDT_NIP)
    return str(inline.get("Nazwa") or ""), str(inline.get("NIP") or "")


def lines(
    positions: Any, kind: str, gross_basis: bool, errors: list[str], *, correction: bool
) -> tuple[Decimal, Decimal, Decimal]:
    """Validate ``Pozycje`` and total them per VAT rate (art. 106e: VAT per rate, not per line)."""
    if not isinstance(positions, list) or not positions:
        errors.append(texts.NO_LINES)
        return Decimal(0), Decimal(0), Decimal(0)
    sums: dict[Decimal, Decimal] = {}
    domestic = kind in ("fakturakraj", "fakturawaluta")
    for index, line in enumerate(positions, start=1):
        where = f"Pozycja {index}:"
        if not isinstance(line, dict) or set(line) - _LINE_FIELDS:
            raise Refusal(200, texts.BAD_LINE.format(index=index))
        names = ["NazwaPelna", "Jednostka"] + (["NazwaPelnaObca", "JednostkaObca"] if kind != "fakturakraj" else [])
        for field in names:
            if not (isinstance(line.get(field), str) and line[field].strip()):
                errors.append(texts.LINE_REQUIRED.format(where=where, field=field))
        lengths(line, _LINE_LENGTHS, errors, where)
        quantity = number(line.get("Ilosc"))
        price = number(line.get("CenaJednostkowa"))
        if quantity is None or quantity < 0 or (quantity == 0 and not correction):
            errors.append(texts.LINE_QUANTITY.format(where=where))
        if price is None or price < 0 or price >= MAX_AMOUNT:
            errors.append(texts.LINE_PRICE.format(where=where))
        discount = Decimal(0)
        if line.get("Rabat") is not None:
            rabat = number(line["Rabat"])
            if rabat is None or not 0 <= rabat < 100:
                errors.append(texts.LINE_DISCOUNT.format(where=where))
            else:
                discount = rabat
        rate_type = line.get("TypStawkiVat")
        rate = number(line.get("StawkaVat")) if line.get("StawkaVat") is not None else None
        if rate_type == "PRC":
            if rate is None and not domestic:
                rate = Decimal(0)
            if rate is None or rate not in (_DOMESTIC_RATES if domestic else {Decimal(0)}):
                errors.append(texts.LINE_RATE.format(where=where))
                continue
        elif rate_type == "ZW" and domestic:
            if rate is not None:
                errors.append(texts.LINE_EXEMPT_RATE.format(where=where))
            rate = Decimal(-1)  # exempt: its own group, no VAT
        else:
            errors.append(texts.LINE_RATE_TYPE.format(where=where))
            continue
        if quantity is not None and price is not None:
            amount = _round(quantity * price * (1 - discount / 100))
            sums[rate] = sums.get(rate, Decimal(0)) + amount
    net = vat = Decimal("0.00")
    for rate, amount in sums.items():
        fraction = max(rate, Decimal(0))
        if gross_basis:
            part_net = _round(amount / (1 + fraction))
            net, vat = net + part_net, vat + amount - part_net
        else:
            part_vat = _round(amount * fraction)
            net, vat = net + amount, vat + part_vat
    return net, vat, net + vat


def _round(value: Decimal) -> Decimal:
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)
