"""How the Fakturownia fake builds and checks a document (§5, §9, §12, §14, §16).

:class:`FakturowniaRules` turns an ``invoice`` body into a stored document or a field map of
422 errors: kinds, dates, departments, buyers (``client_id: -1``), the KSeF rules on KSeF
accounts, positions computed as Fakturownia does (missing values derived, ``discount_percent``
counted only with ``show_discount`` and ``discount_kind``), totals, numbering per account,
department, kind and month, clients matched or created, and stock moved by warehouse.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from . import texts
from .core import FakturowniaCore
from .state import (
    _DISCOUNT_KINDS,
    _ISSUER_FIELDS,
    _KSEF_FIXED,
    _KSEF_TEXT_MAX,
    _PREFIXES,
    _STATUSES,
    KINDS,
    FakeAccount,
    _int,
    _number,
    _rails,
    _round,
    _tax,
    _truthy,
)


class FakturowniaRules(FakturowniaCore):
    """Building, checking and numbering documents; the stock they move."""

    def _next_number(self, account: FakeAccount, document: Mapping[str, Any]) -> str:
        issued = dt.date.fromisoformat(document["issue_date"])
        key = (document["department_id"], document["kind"], issued.year, issued.month)
        account.counters[key] = account.counters.get(key, 0) + 1
        prefix = _PREFIXES.get(document["kind"], "" if document["kind"] == "vat" else document["kind"].upper() + " ")
        return f"{prefix}{account.counters[key]}/{issued.month:02d}/{issued.year}"

    def _build(self, account: FakeAccount, data: dict[str, Any]) -> tuple[dict[str, list[str]], dict[str, Any]]:
        errors: dict[str, list[str]] = {}

        def fail(field: str, text: str) -> None:
            errors.setdefault(field, []).append(text)

        kind = data.get("kind") or "vat"
        if kind not in KINDS:
            fail("kind", texts.INVALID)
        today = self._today().isoformat()
        issue_date = data.get("issue_date") or today
        for field in ("issue_date", "sell_date", "payment_to", "paid_date"):
            value = data.get(field)
            if value in (None, ""):
                continue
            try:
                dt.date.fromisoformat(str(value) if field != "sell_date" or len(str(value)) != 7 else f"{value}-01")
            except ValueError:
                fail(field, texts.INVALID)
        department_id = _int(data.get("department_id"))
        department = next((d for d in account.departments if d["id"] == department_id), None)
        if department_id is not None and department is None:
            fail("department_id", texts.INVALID)
        # Without buyer_company the buyer is a company (§16).
        company = "0" if data.get("buyer_company") in ("0", 0, False, "false") else "1"
        client_id = _int(data.get("client_id"))
        if client_id == -1:
            client_id = None  # -1 = create the client from the buyer fields (§5.1)
        buyer_name = str(data.get("buyer_name") or "").strip()
        if not buyer_name and (data.get("buyer_first_name") or data.get("buyer_last_name")):
            buyer_name = f"{data.get('buyer_first_name') or ''} {data.get('buyer_last_name') or ''}".strip()
        if kind not in ("receipt",) and not buyer_name and client_id is None:
            fail("buyer_name", texts.CANT_BE_BLANK)
        phone = data.get("buyer_phone")
        original: dict[str, Any] | None = None
        if kind == "correction":
            original_id = _int(data.get("invoice_id"))
            original = next((d for d in account.documents if d["id"] == original_id), None)
            if original is None:
                fail("invoice_id", texts.NO_SUCH_DOCUMENT)
        gov_errors: list[str] = []
        if account.ksef:
            if (
                kind in ("vat", "correction")
                and company == "1"
                and not data.get("buyer_tax_no")
                and data.get("buyer_tax_no_kind") != "empty"
                and client_id is None
            ):
                if account.ksef_validate:
                    fail("buyer_tax_no", texts.CANT_BE_BLANK)
                else:
                    gov_errors.append(texts.KSEF_BUYER_TAX_NO)
            if isinstance(phone, str) and len(phone) > 16:
                fail("buyer_phone", texts.TOO_LONG(16))
            if len(str(data.get("correction_reason") or "")) > 256:
                fail("correction_reason", texts.TOO_LONG(256))
            if original is not None:
                for field in _KSEF_FIXED:
                    if field in data and str(data[field] or "") != str(original.get(field) or ""):
                        fail(field, texts.CHANGED_UNDER_KSEF)
            descriptions = data.get("descriptions")
            contents = [str(data.get("description") or "")]
            if isinstance(descriptions, list):
                contents += [str(item.get("content") or "") for item in descriptions if isinstance(item, dict)]
            if kind != "receipt" and any(len(content) > _KSEF_TEXT_MAX for content in contents):
                fail("descriptions.content", texts.TOO_LONG(_KSEF_TEXT_MAX))
        show_discount = _truthy(data.get("show_discount")) and data.get("discount_kind") in _DISCOUNT_KINDS
        positions_in = data.get("positions")
        positions: list[dict[str, Any]] = []
        if not isinstance(positions_in, list) or not positions_in:
            fail("positions", texts.CANT_BE_BLANK)
            positions_in = []
        for index, item in enumerate(positions_in):
            if not isinstance(item, dict):
                fail("positions", texts.INVALID)
                continue
            position = self._position(account, item, kind, show_discount, data.get("discount_kind"), fail)
            position["id"] = index + 1
            if kind == "correction":
                if item.get("kind") != "correction":
                    fail("positions.kind", texts.NOT_A_CORRECTION_LINE)
                for side in ("correction_before_attributes", "correction_after_attributes"):
                    state = item.get(side)
                    if isinstance(state, dict):
                        position[side] = self._position(account, state, kind, show_discount, None, fail)
                        position[side]["kind"] = state.get("kind")
            if account.ksef and len(position["name"]) > 256:
                fail("positions.name", texts.TOO_LONG(256))
            if account.ksef and position["tax"] == "zw" and not data.get("exempt_tax_kind"):
                fail("exempt_tax_kind", texts.CANT_BE_BLANK)
            positions.append(position)
        status = data.get("status") or ("paid" if kind == "receipt" else "issued")
        if status not in _STATUSES:
            fail("status", texts.INVALID)
        net = sum((Decimal(p["total_price_net"]) for p in positions), Decimal("0.00"))
        gross = sum((Decimal(p["total_price_gross"]) for p in positions), Decimal("0.00"))
        paid = _number(data.get("paid")) or Decimal(0)
        if status == "paid" and "paid" not in data:
            paid = gross
        payment_to = data.get("payment_to") or issue_date
        days = _int(data.get("payment_to_kind"))
        if days is not None:
            payment_to = (dt.date.fromisoformat(issue_date) + dt.timedelta(days=days)).isoformat()
        elif data.get("payment_to_kind") == "other_date" and not data.get("payment_to"):
            fail("payment_to", texts.CANT_BE_BLANK)
        gov_status: str | None = None
        if kind == "receipt":
            gov_status = "not_applicable"
        elif account.ksef and kind in ("vat", "correction"):
            gov_status = "processing"
        warehouse_id = _int(data.get("warehouse_id"))
        document: dict[str, Any] = {
            "id": None,
            "kind": kind,
            "number": str(data["number"]) if data.get("number") else None,
            "status": status,
            "issue_date": issue_date,
            "sell_date": data.get("sell_date") or issue_date,
            "payment_to": payment_to,
            "payment_to_kind": data.get("payment_to_kind"),
            "payment_type": data.get("payment_type") or "transfer",
            "price_net": _rails(net),
            "price_tax": _rails(gross - net),
            "price_gross": _rails(gross),
            "paid": _rails(paid),
            "paid_date": data.get("paid_date") or "",
            "currency": data.get("currency") or "PLN",
            "oid": str(data.get("oid") or ""),
            "token": hashlib.sha256(f"{account.key}:{self._next_id}:{data.get('oid')}".encode()).hexdigest()[:21],
            "client_id": client_id,
            "department_id": department_id,
            "seller_name": (department or {}).get("name") or data.get("seller_name") or "",
            "buyer_name": buyer_name,
            "buyer_company": company,
            **{
                key: data[key]
                for key in data
                if (key.startswith("buyer_") and key not in ("buyer_name", "buyer_company"))
                or (key.startswith("seller_") and key != "seller_name")
                or key in _ISSUER_FIELDS
            },
            "invoice_id": _int(data.get("invoice_id")),
            "from_invoice_id": _int(data.get("from_invoice_id")),
            "correction_reason": data.get("correction_reason"),
            "warehouse_id": warehouse_id,
            "exclude_from_stock_level": _truthy(data.get("exclude_from_stock_level")),
            "show_discount": data.get("show_discount"),
            "discount_kind": data.get("discount_kind"),
            "description": data.get("description") or "",
            "lang": data.get("lang") or "pl",
            "exchange_currency": data.get("exchange_currency"),
            "exchange_kind": data.get("exchange_kind"),
            "exchange_currency_rate": data.get("exchange_currency_rate"),
            "reverse_charge": _truthy(data.get("reverse_charge")),
            "exempt_tax_kind": data.get("exempt_tax_kind"),
            "gov_status": gov_status,
            "gov_id": None,
            "gov_send_date": None,
            "gov_error_messages": None,
            "gov_verification_link": None,
            "gov_corrected_invoice_number": None,
            "_gov_errors": gov_errors,
            "positions": positions,
            "created_at": self._stamp(),
            "updated_at": self._stamp(),
            "_created": self.clock.time(),
        }
        return errors, document

    def _position(
        self,
        account: FakeAccount,
        item: Mapping[str, Any],
        kind: str,
        show_discount: bool,
        discount_kind: object,
        fail: Any,
    ) -> dict[str, Any]:
        product = None
        product_id = _int(item.get("product_id"))
        if product_id is not None:
            product = next((p for p in account.products if p["id"] == product_id), None)
            if product is None:
                fail("positions.product_id", texts.INVALID)
        defaults = product or {}
        name = str(item.get("name") or defaults.get("name") or "").strip()
        if not name:
            fail("positions.name", texts.CANT_BE_BLANK)
        quantity = _number(item.get("quantity", "1"))
        if quantity is None:
            fail("positions.quantity", texts.NOT_A_NUMBER)
            quantity = Decimal(1)
        tax_value = item.get("tax", defaults.get("tax", "23"))  # UNCERTAIN: the account's default rate
        tax = _tax(tax_value)
        if tax is None:
            fail("positions.tax", texts.INVALID)
            tax = ("23", Decimal("0.23"))
        code, rate = tax
        discount = Decimal(0)
        if show_discount and discount_kind in ("percent_unit", "percent_unit_gross", "percent_total"):
            discount = (_number(item.get("discount_percent")) or Decimal(0)) / 100
        amount_off = _number(item.get("discount")) if show_discount and discount_kind == "amount" else None
        values = {
            key: _number(item.get(key)) for key in ("price_net", "price_gross", "total_price_net", "total_price_gross")
        }
        for key, value in values.items():
            if item.get(key) not in (None, "") and value is None:
                fail(f"positions.{key}", texts.NOT_A_NUMBER)
        if values["total_price_gross"] is not None:
            gross = _round(values["total_price_gross"])
            net = _round(gross / (1 + rate))
        elif values["total_price_net"] is not None:
            net = _round(values["total_price_net"])
            gross = net + _round(net * rate)
        elif values["price_gross"] is not None:
            gross = _round(quantity * values["price_gross"] * (1 - discount)) - (amount_off or 0)
            net = _round(gross / (1 + rate))
        elif values["price_net"] is not None:
            net = _round(quantity * values["price_net"] * (1 - discount)) - (amount_off or 0)
            gross = net + _round(net * rate)
        elif _number(defaults.get("price_gross")) is not None:
            gross = _round(quantity * Decimal(defaults["price_gross"]))
            net = _round(gross / (1 + rate))
        elif _number(defaults.get("price_net")) is not None:
            net = _round(quantity * Decimal(defaults["price_net"]))
            gross = net + _round(net * rate)
        else:
            fail("positions.total_price_gross", texts.CANT_BE_BLANK)
            net = gross = Decimal("0.00")
        unit = quantity if quantity else Decimal(1)
        position: dict[str, Any] = {
            "name": name,
            "code": item.get("code") or defaults.get("code"),
            "product_id": product_id,
            "quantity": _rails(quantity),
            "quantity_unit": item.get("quantity_unit") or "szt",
            "tax": code,
            "price_net": _rails(_round(net / unit)),
            "price_gross": _rails(_round(gross / unit)),
            "total_price_net": _rails(net),
            "total_price_gross": _rails(gross),
            "kind": item.get("kind"),
        }
        if show_discount and item.get("discount_percent") is not None:
            position["discount_percent"] = _rails(_number(item.get("discount_percent")) or Decimal(0))
        return position

    def _client_for(self, account: FakeAccount, data: Mapping[str, Any], name: str, company: str) -> int:
        """The client matched by tax number, name or e-mail, else a new one (§5.3)."""
        for client in account.clients:
            if (data.get("buyer_tax_no") and client["tax_no"] == data.get("buyer_tax_no")) or (
                client["name"] == name and client["email"] == data.get("buyer_email")
            ):
                return int(client["id"])
        client_id = 9876 + len(account.clients)
        account.clients.append(
            {
                "id": client_id,
                "name": name,
                "tax_no": data.get("buyer_tax_no"),
                "email": data.get("buyer_email"),
                "company": company,
            }
        )
        return client_id

    def _move_stock(self, account: FakeAccount, document: Mapping[str, Any], sign: int) -> None:
        # Documented link: product_id + warehouse_id; code alone moves nothing (§12, UNCERTAIN).
        if document["kind"] not in ("vat", "receipt") or document["warehouse_id"] is None:
            return
        if document["exclude_from_stock_level"]:
            return
        for position in document["positions"]:
            self._adjust(account, position.get("product_id"), sign * Decimal(position["quantity"]))

    @staticmethod
    def _adjust(account: FakeAccount, product_id: object, change: Decimal) -> None:
        product = next((p for p in account.products if p["id"] == product_id), None)
        if product is not None and product.get("stock_level") is not None:
            product["stock_level"] = _rails(Decimal(product["stock_level"]) + change)
