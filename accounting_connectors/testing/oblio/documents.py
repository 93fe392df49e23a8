"""The Oblio fake's document creation: ``POST api/docs/{invoice,proforma,notice}`` (§3, §4, §5, §9).

Validation of the body and its lines, discounts, VAT names, stock, storno through
``referenceDocument``, ``collect`` at issue and the account-wide ``idempotencyKey``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from decimal import Decimal
from typing import Any

import attrs

from ..routes import route
from ..wire import FakeRequest, Reply
from . import texts
from .records import (
    _CURRENCIES,
    _DOC_TYPES,
    _ZERO,
    LANGUAGES,
    PRODUCT_TYPES,
    _Company,
    _Document,
    _Line,
    _money,
    _User,
    ref_type_is_invoice,
)
from .rules import _date, _empty, _flag, _number, _ok, _refuse, _text
from .spv import SpvRoutes


class DocumentRoutes(SpvRoutes):
    """``POST api/docs/{doctype}``: a document validated whole, then numbered and stored."""

    # Documents.

    @route("POST", "api/docs/{doctype}")
    def create(self, request: FakeRequest) -> Reply:
        """Create an invoice, proforma or notice (§3, §4, §5, §9)."""
        doc_type = _DOC_TYPES.get(request.groups["doctype"])
        if doc_type is None:
            raise _refuse(texts.ERR_DOC_TYPE.format(type=request.groups["doctype"]))
        body = self._write_body(request, json_only=True)  # "document creation must be raw JSON" (§1)
        company = self._company(request, body.get("cif"))
        user: _User = request.principal
        key = _text(body.get("idempotencyKey"), "idempotencyKey")
        if key is not None:
            # Keys are account-wide (§14, §16): the widest reading, a key collides with any
            # earlier use by this login (any company) or in this company (any login).
            used = [d for d in (user.keys.get(key), company.keys.get(key)) if d is not None and not d.deleted]
            first = used[0] if used else None
            if first is not None:
                # A replayed key answers the first document (safest reading, §14, §17.1).
                return _ok(self._created(first))
        document = self._build(company, user, doc_type, body, key)
        self._commit(company, document)
        if key is not None:
            user.keys[key] = company.keys[key] = document
        if self._fail_after_commit:
            self._fail_after_commit -= 1
            return Reply.json({"status": self._fail_status, "statusMessage": texts.ERR_SERVER}, self._fail_status)
        return _ok(self._created(document))

    def _build(self, company: _Company, user: _User, doc_type: str, body: dict[str, Any], key: str | None) -> _Document:
        reference = None if _empty(body.get("referenceDocument")) else body.get("referenceDocument")
        original: _Document | None = None
        refund = False
        if reference is not None:
            if doc_type != "Factura" or not isinstance(reference, dict):
                raise _refuse(texts.ERR_FIELD_TYPE.format(field="referenceDocument"))
            ref_type = _text(reference.get("type"), "referenceDocument.type", required=True)
            if ref_type not in ("Factura", "Proforma", "Aviz"):
                raise _refuse(texts.ERR_REFERENCE_TYPE)
            ref_series = _text(reference.get("seriesName"), "referenceDocument.seriesName", required=True)
            ref_number = _text(reference.get("number"), "referenceDocument.number", required=True)
            assert ref_series is not None
            assert ref_number is not None
            original = self._find(company, ref_type, ref_series, ref_number)
            label = f"{ref_series}{ref_number}"
            if original is None:
                raise _refuse(texts.ERR_REFERENCE_MISSING.format(doc=label))
            refund = _flag(reference.get("refund"), "referenceDocument.refund", False)
            if ref_type == "Factura":
                if original.storno_of is not None:
                    raise _refuse(texts.ERR_STORNO_OF_STORNO.format(doc=label))
                if original.canceled:
                    raise _refuse(texts.ERR_CANCELED.format(doc=label))
                if original.fully_stornoed or (refund and original.stornoed != 0):
                    raise _refuse(texts.ERR_ALREADY_STORNO.format(doc=label))
        series_name = _text(body.get("seriesName"), "seriesName", required=True)
        assert series_name is not None
        series = company.series_named(series_name, doc_type)
        if series is None:
            raise _refuse(texts.ERR_SERIES.format(series=series_name))
        client = body.get("client")
        if original is not None and client is None:
            client = dict(original.client)
        if not isinstance(client, dict):
            raise _refuse(texts.ERR_FIELD_REQUIRED.format(field="client"))
        if _text(client.get("name"), "client.name") is None:
            raise _refuse(texts.ERR_CLIENT_NAME)
        for flag in ("vatPayer", "save", "autocomplete"):
            _flag(client.get(flag), f"client.{flag}", False)
        issue_date = _date(body.get("issueDate"), "issueDate") or dt.date.fromtimestamp(self.clock.time()).isoformat()
        due_date = _date(body.get("dueDate"), "dueDate")
        for field in ("deliveryDate", "collectDate"):
            _date(body.get(field), field)
        language = _text(body.get("language"), "language") or "RO"
        if language.upper() not in {code for code, _ in LANGUAGES}:
            raise _refuse(texts.ERR_LANGUAGE.format(language=language))
        precision = int(_number(body.get("precision", 2), "precision"))
        if not 2 <= precision <= 4:
            raise _refuse(texts.ERR_PRECISION)
        currency = (_text(body.get("currency"), "currency") or "RON").upper()
        if currency not in _CURRENCIES:
            raise _refuse(texts.ERR_CURRENCY.format(currency=currency))
        exchange_rate = _number(body["exchangeRate"], "exchangeRate") if body.get("exchangeRate") is not None else None
        for flag in ("sendEmail", "spvExtern", "disableAutoSeries"):
            _flag(body.get(flag), flag, False)
        use_stock = _flag(body.get("useStock"), "useStock", doc_type == "Aviz")
        if use_stock and not company.use_stock:
            if doc_type != "Proforma":
                raise _refuse(texts.ERR_STOCK_OFF)
            use_stock = False
        # useStock is an invoice (and notice) field (§5.1, §3). OB-WOO builds its proforma
        # from the invoice data, useStock included: the lines keep their warehouse (for the
        # invoice made from the proforma), but a proforma moves no goods.
        takes_stock = use_stock and doc_type != "Proforma"
        for field in ("mentions", "internalNote", "workStation", "orderNumber", "issuerName", "noticeNumber"):
            _text(body.get(field), field)
        storno = original is not None and ref_type_is_invoice(original)
        if original is not None and (refund or (not storno and not body.get("products"))):
            # A full storno reverses every line; an invoice from a proforma or notice copies them.
            sign = -1 if storno else 1
            lines = [
                attrs.evolve(
                    line, quantity=sign * line.quantity, amount=sign * line.amount, discount=sign * line.discount
                )
                for line in original.lines
            ]
        else:
            products = body.get("products")
            if not isinstance(products, list) or not products:
                raise _refuse(texts.ERR_PRODUCTS)
            lines = self._lines(company, products, use_stock, storno=storno)
        net = sum((line.totals()[0] for line in lines), _ZERO)
        vat = sum((line.totals()[1] for line in lines), _ZERO)
        if storno and not refund and (net + vat > 0 or all(line.quantity >= 0 for line in lines)):
            raise _refuse(texts.ERR_STORNO_POSITIVE)
        if storno and original is not None and not refund and original.stornoed + (net + vat) < -original.total:
            raise _refuse(texts.ERR_STORNO_EXCEEDS.format(doc=f"{original.series}{original.number}"))
        own_number = _flag(body.get("disableAutoSeries"), "disableAutoSeries", False)
        if own_number:
            number = _text(body.get("number"), "number")
            if number is None:
                raise _refuse(texts.ERR_NUMBER_REQUIRED)
            if self._find(company, doc_type, series_name, number, include_deleted=False) is not None:
                raise _refuse(texts.ERR_NUMBER_TAKEN.format(number=number, series=series_name))
        else:
            number = ""  # taken from the series when committed
        self._next_id += 1
        document = _Document(
            id=self._next_id,
            cif=company.cif.upper(),
            doc_type=doc_type,
            series=series_name,
            number=number,
            issue_date=issue_date,
            due_date=due_date,
            currency=currency,
            exchange_rate=exchange_rate,
            precision=precision,
            client=dict(client),
            lines=lines,
            net=net,
            vat=vat,
            total=net + vat,
            mentions=_text(body.get("mentions"), "mentions"),
            key=key,
            link_token=hashlib.sha256(f"{company.cif}|{self._next_id}|{secrets.token_hex(8)}".encode()).hexdigest()[
                :32
            ],
            body=body,
            owner=user.email.casefold(),
            storno_of=original if storno else None,
            refund=refund,
        )
        collect = None if _empty(body.get("collect")) else body.get("collect")
        if collect is not None:
            if doc_type != "Factura" or not isinstance(collect, dict):
                raise _refuse(texts.ERR_FIELD_TYPE.format(field="collect"))
            document.collects.append(self._collect(company, document, collect, issue_date))
        if takes_stock:
            self._take_stock(company, lines)
        return document

    def _lines(self, company: _Company, products: list[Any], use_stock: bool, *, storno: bool) -> list[_Line]:
        lines: list[_Line] = []
        undiscounted: list[_Line] = []
        for index, product in enumerate(products):
            if not isinstance(product, dict):
                raise _refuse(texts.ERR_FIELD_TYPE.format(field=f"products[{index}]"))
            name = _text(product.get("name"), "name")
            if name is None:
                raise _refuse(texts.ERR_PRODUCT_NAME.format(index=index + 1))
            if "discount" in product:
                self._discount(product, name, lines, undiscounted)
                continue
            if product.get("price") is None:
                raise _refuse(texts.ERR_PRODUCT_PRICE.format(name=name))
            price = _number(product["price"], "price")
            quantity = _number(product.get("quantity", 1), "quantity")
            if quantity < 0 and not storno:
                raise _refuse(texts.ERR_NEGATIVE_QUANTITY.format(name=name))
            # A partial storno may carry a positive line: OB-FG (production) balances
            # rounding with "Ajustare storno" at quantity +1 (§9). The storno as a whole must
            # reverse something (checked on its total).
            vat_name, vat_percent = self._vat(company, product, name)
            included = _flag(product.get("vatIncluded"), "vatIncluded", True)  # default 1 (§5.2)
            _flag(product.get("save"), "save", True)
            product_type = _text(product.get("productType"), "productType")
            if product_type is not None and product_type not in PRODUCT_TYPES:
                raise _refuse(texts.ERR_FIELD_TYPE.format(field="productType"))
            code = _text(product.get("code"), "code")
            management = _text(product.get("management"), "management")
            if use_stock and product_type != "Serviciu":
                if management is None or all(entry[0] != management for entry in company.managements):
                    raise _refuse(texts.ERR_MANAGEMENT.format(management=management or ""))
                if (code or "", management) not in company.stock:
                    raise _refuse(texts.ERR_STOCK_PRODUCT.format(name=name, code=code or "", management=management))
            line = _Line(
                name=name,
                quantity=quantity,
                price=price,
                vat_name=vat_name,
                vat_percent=vat_percent,
                vat_included=included,
                amount=_money(quantity * price),
                code=code,
                management=management if use_stock and product_type != "Serviciu" else None,
                measuring_unit=_text(product.get("measuringUnit"), "measuringUnit") or "buc",
            )
            lines.append(line)
            undiscounted.append(line)
        if not lines:
            raise _refuse(texts.ERR_PRODUCTS)
        return lines

    def _discount(self, product: dict[str, Any], name: str, lines: list[_Line], undiscounted: list[_Line]) -> None:
        value = _number(product.get("discount"), "discount")
        if value <= 0:
            raise _refuse(texts.ERR_DISCOUNT.format(name=name))
        kind = _text(product.get("discountType"), "discountType") or "valoric"
        if kind not in ("procentual", "valoric"):
            raise _refuse(texts.ERR_DISCOUNT_TYPE.format(name=name))
        all_above = _flag(product.get("discountAllAbove"), "discountAllAbove", False)
        targets = list(undiscounted) if all_above else lines[-1:]
        if not targets:
            raise _refuse(texts.ERR_DISCOUNT_FIRST.format(name=name))
        if kind == "procentual":
            if value > 100:
                raise _refuse(texts.ERR_DISCOUNT.format(name=name))
            for line in targets:
                line.discount += _money(line.amount * value / 100)
        else:
            base = sum((line.amount for line in targets), _ZERO)
            if value > base:
                raise _refuse(texts.ERR_DISCOUNT.format(name=name))
            left = value
            for position, line in enumerate(targets):
                share = left if position == len(targets) - 1 else _money(value * line.amount / base)
                line.discount += share
                left -= share
        for line in targets:
            if line in undiscounted:
                undiscounted.remove(line)

    def _vat(self, company: _Company, product: dict[str, Any], name: str) -> tuple[str, Decimal]:
        vat_name = _text(product.get("vatName"), "vatName")
        percent = (
            _number(product["vatPercentage"], "vatPercentage") if product.get("vatPercentage") is not None else None
        )
        for rate_name, rate, default in company.vat_rates:
            if vat_name is None and percent is None and default:
                return rate_name, rate
            named = vat_name is not None or percent is not None
            if named and (vat_name is None or vat_name == rate_name) and (percent is None or percent == rate):
                return rate_name, rate
        shown = " ".join(part for part in (vat_name, None if percent is None else f"{percent}%") if part)
        raise _refuse(texts.ERR_VAT.format(vat=shown, name=name))

    def _take_stock(self, company: _Company, lines: list[_Line]) -> None:
        needed: dict[tuple[str, str], Decimal] = {}
        for line in lines:
            if line.management is not None:
                key = (line.code or "", line.management)
                needed[key] = needed.get(key, Decimal(0)) + line.quantity
        for key, quantity in needed.items():
            item = company.stock[key]
            if item.quantity < quantity:
                raise _refuse(texts.ERR_STOCK_LOW.format(name=item.name, management=item.management))
        for key, quantity in needed.items():
            company.stock[key].quantity -= quantity

    def _commit(self, company: _Company, document: _Document) -> None:
        if not document.number:
            series = company.series_named(document.series, document.doc_type)
            assert series is not None
            document.number = series.take()
        self._number_collects(document)
        if document.storno_of is not None:
            original = document.storno_of
            original.stornoed += document.total
            if document.refund:
                original.fully_stornoed = True
                original.collects.clear()  # refund:1 also deletes the payment (§9)
        self._documents.append(document)
        self._spv_on_issue(company, document)
        if _flag(document.client.get("save"), "client.save", False):
            company.clients[str(document.client.get("cif") or document.client.get("name"))] = dict(document.client)
