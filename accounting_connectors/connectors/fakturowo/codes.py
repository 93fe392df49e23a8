"""Fakturowo.pl's numeric and text codes: one table, a source tag per value.

Every code list below is **UNCERTAIN** (``shared/providers/fakturowo.md`` §5, §6, §17.1):
the official parameter tables were not available, so each value comes from third-party
production code or from the 2019 lists of ``halfik/laravel-fakturowo``. A value outside a
table is refused locally, before any request; the unit, payment and exemption codes can be
extended or overridden through the connector's settings.

Source tags: FO-LARAVEL (``halfik/laravel-fakturowo``, 2019), FO-CS (the C# Amazon
marketplace service), FO-PHP (the Laravel shop module and the language-school app).
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from ...model import VatKind, VatRate


@attrs.frozen
class Code:
    """One code Fakturowo is sent, and where that value comes from."""

    value: str
    """The text sent in the form field."""
    source: str
    """The source tag (and sheet section) of this value."""


DOCUMENT_KINDS: Mapping[str, Code] = {
    "invoice": Code("0", "FO-LARAVEL 2019 list (0 = VAT invoice); FO-CS and FO-PHP send 0 (§5.1)"),
    "receipt": Code("20", "FO-LARAVEL 2019 list (20 = paragon); no client sends it, unverified (§8)"),
}
"""``dokument_rodzaj`` by document kind. No correction kind is known (§9)."""

VAT_CODES: Mapping[VatRate, Code] = {
    VatRate.of(23): Code("23", "FO-LARAVEL Price constants; §4 example"),
    VatRate.of(8): Code("8", "FO-LARAVEL Price constants (§6)"),
    VatRate.of(5): Code("5", "FO-LARAVEL Price constants; §4 example"),
    VatRate.of(0): Code("0", "FO-LARAVEL Price constants (§6)"),
    VatRate.special(VatKind.EXEMPT): Code("zw", "FO-LARAVEL Price constants; the school app sends zw (§6)"),
    VatRate.special(VatKind.NOT_SUBJECT): Code("np", "FO-LARAVEL Price constants (§6)"),
    VatRate.special(VatKind.REVERSE_CHARGE): Code("oo", "FO-LARAVEL Price constants (§6)"),
}
"""``produkt_stawka_vat_N`` by VAT rate. Intra-EU supply and export (0 % WDT/EXP) have no
known line code (they are document kinds 41/42 in the 2019 list), so they are refused."""

UNIT_CODES: Mapping[str, Code] = {
    "szt.": Code("2", "FO-CS and FO-PHP send 2 for goods (§5.3); the 2019 list says 1 = piece"),
    "szt": Code("2", "FO-CS and FO-PHP send 2 for goods (§5.3)"),
    "usł.": Code("1", "FO-CS sends 1 for its delivery line (§5.3); inferred: the 2019 list shifted by one"),
    "usługa": Code("1", "FO-CS sends 1 for its delivery line (§5.3); inferred: the 2019 list shifted by one"),
}
"""``produkt_jm_N`` by the line's unit text. The 2019 list has probably shifted (§5.3), so
only the values production code sends are built in; add others with ``unit_codes``."""

PAYMENT_CODES: Mapping[str, Code] = {
    "transfer": Code("0", "FO-LARAVEL 2019 list (§6)"),
    "cash on delivery": Code("12", "FO-LARAVEL 2019 list (§6)"),
    "cash": Code("13", "FO-LARAVEL 2019 list (§6)"),
    "paid by transfer": Code("14", "FO-LARAVEL 2019 list; FO-CS sends 14 (§6)"),
    "paid in cash": Code("15", "FO-LARAVEL 2019 list (§6)"),
    "paid PayPal": Code("16", "FO-LARAVEL 2019 list (§6)"),
    "paid DotPay": Code("17", "FO-LARAVEL 2019 list (§6)"),
    "paid PayU": Code("18", "FO-LARAVEL 2019 list (§6)"),
    "paid CashBill": Code("19", "FO-LARAVEL 2019 list (§6)"),
    "paid Przelewy24": Code("20", "FO-LARAVEL 2019 list; the school app sends 20 (§6)"),
    "card": Code("21", "FO-LARAVEL 2019 list (§6)"),
    "barter": Code("22", "FO-LARAVEL 2019 list (§6)"),
    "cheque": Code("23", "FO-LARAVEL 2019 list (§6)"),
    "bill of exchange": Code("24", "FO-LARAVEL 2019 list (§6)"),
    "compensation": Code("25", "FO-LARAVEL 2019 list (§6)"),
    "letter of credit": Code("26", "FO-LARAVEL 2019 list (§6)"),
    "settled with prepayment": Code("27", "FO-LARAVEL 2019 list (§6)"),
    "payment terminal": Code("28", "FO-LARAVEL 2019 list (§6)"),
    "loan": Code("29", "FO-LARAVEL 2019 list (§6)"),
    "internet payment": Code("31", "FO-LARAVEL 2019 list; FO-PHP sends 31 (§6)"),
}
"""``dokument_zaplata`` by payment-type name (``list_payment_types``). The "transfer within
N days" codes (1-11, 30-44) are not offered: the due date is sent as ``dokument_termin``."""

CURRENCY_CODES: Mapping[str, Code] = {
    currency: Code(str(index), "FO-CS currency table (§5.1)")
    for index, currency in enumerate(
        "PLN EUR USD GBP CHF CAD AUD JPY THB HKD NZD SGD HUF UAH CZK DKK ISK NOK SEK HRK RON BGN TRY ILS CLP PHP "
        "MXN ZAR BRL MYR RUB IDR INR KRW CNY XDR".split()
    )
}
"""``dokument_waluta`` by ISO 4217 code (0 PLN ... 35 XDR)."""

LANGUAGE_CODES: Mapping[str, Code] = {
    "pl": Code("0", "FO-CS sends 0 for Polish (§5.1)"),
}
"""``dokument_jezyk`` by language code; no other value is attested."""

BUYER_KINDS: Mapping[str, Code] = {
    "company": Code("0", "FO-PHP, FO-CS: nabywca_osoba=0 with nabywca_nazwa, nabywca_nip (§5.2)"),
    "person": Code("1", "FO-PHP, FO-CS: nabywca_osoba=1 with nabywca_imie, nabywca_nazwisko (§5.2)"),
}
"""``nabywca_osoba``."""

PAYMENT_STATUS: Mapping[str, Code] = {
    "unpaid": Code("0", "FO-LARAVEL, FO-CS (§6)"),
    "paid": Code("1", "FO-LARAVEL, FO-CS (§6)"),
    "partially paid": Code("2", "FO-LARAVEL, FO-CS (§6)"),
}
"""``dokument_status``."""

TASKS: Mapping[str, Code] = {
    "issue": Code("1", "FO-CS, FO-PHP, FO-LARAVEL (§3)"),
    "list": Code("3", "FO-LIST: three independent clients (§3)"),
}
"""``api_zadanie``; the other tasks' codes are unknown (§17.8)."""
