"""The wFirma connector's requests and bodies: VAT codes, amounts, contractors, lines.

:class:`WFirmaRequests` is the half of :class:`~.connector.WFirma` that builds the
``httpx`` requests (XML both ways, ``company_id`` on every call) and the ``<api>`` bodies
of documents; it reads no answer. Section numbers (§) are those of
``shared/providers/wfirma.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

import httpx

from ...errors import ValidationError
from ...flow import Call
from ...model import Line, Party, SentDocument, VatKind, VatRate
from ...provider import Provider
from .settings import _PAYMENT_ALIASES, EU_COUNTRIES, PAYMENT_TYPES, WFirmaSettings
from .wire import Node, decimal_text, number_of, xml_document

__all__ = ["WFirmaRequests", "vat_code_of", "vat_rate_of"]

# The wFirma VAT code (§6.1) of each special treatment; plain rates are their percentage.
_SPECIAL_CODES: Mapping[VatKind, str] = {
    VatKind.EXEMPT: "ZW",
    VatKind.NOT_SUBJECT: "NP",
    # UNCERTAIN: VAT_BUYER is named only in the doc's print-template chapter [§6.1].
    VatKind.REVERSE_CHARGE: "VAT_BUYER",  # domestic reverse charge (odwrotne obciążenie)
    VatKind.INTRA_EU: "WDT",
    VatKind.EXPORT: "EXP",
}
_KIND_OF_CODE: Mapping[str, VatKind] = {code: kind for kind, code in _SPECIAL_CODES.items()} | {
    "NPUE": VatKind.NOT_SUBJECT  # not subject, EU services: listed as not subject
}

_CENT = Decimal("0.01")
_COUNT_PLACES = Decimal("0.0001")


class WFirmaRequests(Provider):
    """The half of the wFirma connector that builds requests and document bodies."""

    settings: WFirmaSettings
    _headers: dict[str, str]

    # Requests.

    def _url(self, path: str) -> str:
        return f"{self.settings.base_url}{path}"

    def _params(self) -> dict[str, str]:
        # UNCERTAIN (§17.3): two JSON dialects disagree; XML is the documented default and is
        # used both ways. No ``type_of_sale`` and no ``normal_draft`` are ever sent (§17.7, §17.8).
        return {"inputFormat": "xml", "outputFormat": "xml", "company_id": self.settings.company_id}

    def _post(self, path: str, body: Node, operation: str, *, creates: bool = False) -> Call:
        # REC (§1): POST for every action with a body, ``find`` included.
        content = xml_document(("api", [body]))
        headers = {**self._headers, "Content-Type": "application/xml; charset=utf-8"}
        request = httpx.Request("POST", self._url(path), params=self._params(), headers=headers, content=content)
        return Call(request, operation, creates=creates)

    def _get(self, path: str, operation: str) -> Call:
        return Call(httpx.Request("GET", self._url(path), params=self._params(), headers=self._headers), operation)

    # Bodies.

    def _check_common(
        self, rate: Decimal | None, number: str | None, language: str | None, warehouse: str | None
    ) -> None:
        if rate is not None:
            raise ValidationError("exchange_rate", "wFirma takes the NBP rate itself (currency_exchange is read-only)")
        if number is not None:
            raise ValidationError("number", "wFirma numbers documents itself (EXTERNAL_NUMBERING is not implemented)")
        if language is not None and language.lower() != "pl":
            raise ValidationError("language", "bilingual prints (translation_language) are not implemented")
        if warehouse is not None:
            raise ValidationError("warehouse", "wFirma takes stock from the account's active warehouse")

    def _method(self, method: str, field: str) -> str:
        alias = _PAYMENT_ALIASES.get(method.strip().casefold())
        if alias is not None:
            return alias
        return self.payment_type_named(PAYMENT_TYPES, method, field).name

    def _document_tail(self, currency: str, gross: bool, series_id: str | None, reference: str) -> list[Node]:
        fields: list[Node] = [("currency", currency), ("price_type", "brutto" if gross else "netto")]
        if series_id is not None:
            fields.append(("series", [("id", series_id)]))
        fields.append(("id_external", reference))
        return fields

    def _contractor(self, party: Party) -> Node:
        address = party.address
        country = address.country if address is not None else "PL"
        fields: list[Node] = [("name", party.name)]
        if party.tax_id:
            if country == "PL":
                nip = party.tax_id.upper().removeprefix("PL").replace("-", "").replace(" ", "")
                fields += [("tax_id_type", "nip"), ("nip", nip)]
            elif country in EU_COUNTRIES:
                fields += [("tax_id_type", "vat"), ("nip", party.tax_id)]
            else:
                fields += [("tax_id_type", "custom"), ("nip", party.tax_id)]
        else:
            fields.append(("tax_id_type", "none"))
        # W-GUIDE: name, zip and city must not be empty; it sends "-" when unknown.
        if address is not None and address.street:
            fields.append(("street", address.street))
        fields.append(("zip", (address.postal_code if address is not None else None) or "-"))
        fields.append(("city", (address.city if address is not None else None) or "-"))
        fields.append(("country", country))
        if party.email:
            fields.append(("email", party.email))
        if party.phone:
            fields.append(("phone", party.phone))
        return ("contractor", fields)

    def _line(self, line: Line, index: int, codes: Mapping[str, str], goods: Mapping[str, str]) -> Node:
        return ("invoicecontent", self._line_fields(line, index, codes, goods))

    def _line_fields(self, line: Line, index: int, codes: Mapping[str, str], goods: Mapping[str, str]) -> list[Node]:
        where = f"lines[{index}]"
        code = vat_code_of(line.vat)
        vat_id = codes.get(code)
        if vat_id is None:
            raise ValidationError(
                f"{where}.vat", f"wFirma company {self.settings.company_id} has no VAT code {code!r} (vat_codes)"
            )
        fields: list[Node] = [("name", line.name)]
        if line.sku and line.sku in goods:
            fields.append(("good", [("id", goods[line.sku])]))
        fields += [
            ("unit", line.unit),
            ("count", decimal_text(_quantity(line.quantity, f"{where}.quantity"))),
            ("price", decimal_text(_money(line.unit_price, f"{where}.unit_price"))),
            # Always the id: a plain ``vat`` the account lacks is silently reset to 23 % (§16).
            ("vat_code", [("id", vat_id)]),
        ]
        if line.discount_percent is not None:
            # UNCERTAIN (§6.3, §17.4): the doc's switch reading, discount=1 + discount_percent.
            percent = _money(line.discount_percent, f"{where}.discount_percent")
            fields += [("discount", "1"), ("discount_percent", decimal_text(percent))]
        return fields


def vat_code_of(vat: VatRate) -> str:
    """The wFirma VAT code of a rate (§6.1): ``23``, ``8``, ``5``, ``0``, ``ZW``, ``NP``, ..."""
    if vat.kind is VatKind.RATE:
        return f"{vat.percent.normalize():f}"
    return _SPECIAL_CODES[vat.kind]


def vat_rate_of(code: str) -> VatRate | None:
    """The rate a wFirma VAT code stands for, or ``None`` for codes this library cannot express."""
    upper = code.upper()
    if upper in _KIND_OF_CODE:
        return VatRate.special(_KIND_OF_CODE[upper])
    number = number_of(upper)
    if number is None or not Decimal(0) <= number < 100:
        return None
    return VatRate.of(number)


def _money(value: Decimal, field: str) -> Decimal:
    # UNCERTAIN: wFirma's examples carry prices with two places; more would be rounded by
    # wFirma and the totals would no longer be the ones the caller computed.
    if value != value.quantize(_CENT):
        raise ValidationError(field, f"{value} has more than two decimal places, which wFirma does not keep")
    return value


def _quantity(value: Decimal, field: str) -> Decimal:
    if value != value.quantize(_COUNT_PLACES):
        raise ValidationError(field, f"{value} has more than four decimal places (wFirma keeps four)")
    return value


def _document_id(document: SentDocument, field: str) -> str:
    identifier = document.external_id
    if not identifier or not identifier.isdigit():
        raise ValidationError(f"{field}.external_id", "is not a wFirma document id")
    return identifier
