"""The request bodies of Fakturownia documents, and the account data they refer to.

:class:`FakturowniaBodies` writes positions (with the discount rule of §5 and the KSeF name
limit), correction states (§9), the buyer fields (§5.3), the VAT context (``reverse_charge``,
``exempt_tax_kind``, §6.1), and resolves warehouses, product ids by SKU (§12) and
departments by series name (§7).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ...errors import MalformedAnswer, ProviderError, ValidationError
from ...flow import Flow
from ...model import Line, Party, VatKind
from ...provider import read_json
from .base import FakturowniaBase
from .codec import money_text, position_totals, quantity_text, tax_code
from .codes import _EU, _NAME_MAX, _PHONE_MAX, MAX_PAGES, PER_PAGE, _int_id, lang_for


class FakturowniaBodies(FakturowniaBase):
    """Document bodies and the account data (products, warehouses, departments) they refer to."""

    def _positions(
        self, lines: Sequence[Line], include_vat: bool, *, domestic: bool, field: str
    ) -> list[dict[str, Any]]:
        positions = []
        for index, line in enumerate(lines):
            where = f"{field}[{index}]"
            if len(line.name) > _NAME_MAX:
                raise ValidationError(f"{where}.name", f"has more than {_NAME_MAX} characters (the KSeF limit)")
            totals = position_totals(line, prices_include_vat=include_vat)
            position: dict[str, Any] = {
                "name": line.name,
                "quantity": quantity_text(line.quantity, f"{where}.quantity"),
                "quantity_unit": line.unit,
                "total_price_gross": money_text(totals.gross, f"{where}.unit_price"),
                "tax": tax_code(line.vat, domestic_buyer=domestic, field=f"{where}.vat"),
            }
            if line.sku:
                position["code"] = line.sku
            if line.discount_percent is not None:
                # The undiscounted unit price and the percentage, with the discounted total:
                # consistent values, counted only with show_discount + discount_kind (§5).
                position["price_gross" if include_vat else "price_net"] = quantity_text(line.unit_price)
                position["discount_percent"] = quantity_text(line.discount_percent)
            positions.append(position)
        return positions

    def _state(self, line: Line, gross: Any, domestic: bool, field: str, side: str) -> dict[str, Any]:
        return {
            "name": line.name,
            "quantity": quantity_text(line.quantity, f"{field}.quantity"),
            "quantity_unit": line.unit,
            "total_price_gross": money_text(gross, f"{field}.unit_price"),
            "tax": tax_code(line.vat, domestic_buyer=domestic, field=f"{field}.vat"),
            "kind": f"correction_{side}",
        }

    def _common(
        self,
        body: dict[str, Any],
        lines: Sequence[Line],
        include_vat: bool,
        notes: str | None,
        language: str | None,
        domestic: bool,
    ) -> None:
        if self.settings.department_id is not None:
            body["department_id"] = self.settings.department_id
        if any(line.discount_percent is not None for line in lines):
            body["show_discount"] = "1"
            # UNCERTAIN (§5.1): percent_unit reads as "percent of the net unit price",
            # percent_unit_gross of the gross one.
            body["discount_kind"] = "percent_unit_gross" if include_vat else "percent_unit"
        self._tax_context(body, lines)
        if notes:
            body["description"] = notes
        if language:
            body["lang"] = lang_for(language)

    def _tax_context(self, body: dict[str, Any], lines: Sequence[Line]) -> None:
        """``reverse_charge`` and ``exempt_tax_kind`` for the lines' VAT (§6.1; KSeF needs the latter, §1.3)."""
        if any(line.vat.kind is VatKind.REVERSE_CHARGE for line in lines):
            body["reverse_charge"] = True
        if self.settings.exempt_tax_kind and any(line.vat.kind is VatKind.EXEMPT for line in lines):
            body["exempt_tax_kind"] = self.settings.exempt_tax_kind

    def _buyer(self, party: Party) -> dict[str, Any]:
        buyer: dict[str, Any] = {"buyer_company": "1" if party.is_company else "0", "buyer_name": party.name}
        country = party.address.country if party.address is not None else None
        if party.is_company:
            if country not in (None, "PL"):
                buyer["buyer_tax_no_kind"] = "nip_ue" if country in _EU else "other"
        else:
            first, _, last = party.name.strip().rpartition(" ")
            buyer["buyer_first_name"] = first.strip()
            buyer["buyer_last_name"] = last
        if party.tax_id:
            buyer["buyer_tax_no"] = party.tax_id
        if party.address is not None:
            address = party.address
            for key, value in (
                ("buyer_street", address.street),
                ("buyer_post_code", address.postal_code),
                ("buyer_city", address.city),
            ):
                if value:
                    buyer[key] = value
            buyer["buyer_country"] = address.country
        if party.email:
            buyer["buyer_email"] = party.email
        if party.phone:
            if len(party.phone) > _PHONE_MAX:
                raise ValidationError("buyer.phone", f"has more than {_PHONE_MAX} characters (the KSeF limit)")
            buyer["buyer_phone"] = party.phone
        return buyer

    def _warehouse(self, name: str | None) -> int | None:
        if name is None:
            return self.settings.warehouse_id
        ident = _int_id(name.strip())
        if ident is None:
            raise ValidationError("warehouse", f"{name!r} is not a Fakturownia warehouse id")
        return ident

    def _product_ids(self, *, refresh: bool = False) -> Flow[dict[str, int]]:
        """Product code (SKU) to ``product_id``, read once per connector and again on a miss (§12)."""
        if self._products is not None and not refresh:
            return self._products
        codes: dict[str, int] = {}
        seen: set[int] = set()
        for page in range(1, MAX_PAGES + 1):
            params = {"page": str(page), "per_page": str(PER_PAGE)}
            response = yield self._get("products.json", "send_invoice", params)
            rows = read_json(response)
            if not isinstance(rows, list):
                raise ProviderError("Fakturownia's product list was not a JSON array", response=response)
            ids = {ident for row in rows if isinstance(row, Mapping) and (ident := _int_id(row.get("id"))) is not None}
            if ids and ids <= seen:
                break
            seen |= ids
            for row in rows:
                if isinstance(row, Mapping) and isinstance(row.get("code"), str):
                    ident = _int_id(row.get("id"))
                    if ident is not None:
                        # Two products with one code: 0 marks the code as naming no one product.
                        codes[row["code"]] = ident if codes.get(row["code"], ident) == ident else 0
            if len(rows) < PER_PAGE:
                break
        self._products = codes
        return codes

    def _fetch_departments(self) -> Flow[list[dict[str, Any]]]:
        if self._departments is None:
            response = yield self._get("departments.json", "list_series")
            rows = read_json(response)
            if not isinstance(rows, list) or not all(
                isinstance(row, Mapping) and _int_id(row.get("id")) is not None for row in rows
            ):
                # Never an empty list for an answer that cannot be read (it would mean "no departments").
                raise MalformedAnswer(
                    "Fakturownia's department list was not a JSON array of departments", response=response
                )
            self._departments = [dict(row) for row in rows]
        return self._departments

    def _department_named(self, series: str) -> Flow[int | None]:
        """The ``department_id`` of ``series``; ``None`` for ``default`` on an account without departments."""
        departments = yield from self._fetch_departments()
        wanted = series.strip().casefold()
        if not departments and wanted == "default":
            return None  # what list_series offers then: the account's own company data (§5.1, §7)
        for item in departments:
            names = {str(item.get(key) or "").strip().casefold() for key in ("name", "shortcut", "id")}
            ident = _int_id(item.get("id"))
            if wanted in names and ident is not None:
                return ident
        known = ", ".join(str(item.get("name")) for item in departments) or "none"
        raise ValidationError("series", f"{series!r} is not a department of this account (departments: {known})")
