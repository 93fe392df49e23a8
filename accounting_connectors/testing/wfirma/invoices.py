"""The wFirma fake's invoice routes, the ``invoices`` module.

``invoices/add`` with its validation (§4, §8, §9), ``get``, ``find`` (§14, §15),
``download`` (§10), ``edit`` (§16), ``delete`` and ``fiscalize``/``unfiscalize`` (§8).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from xml.etree.ElementTree import Element, SubElement

import attrs

from ..pdf import make_pdf
from ..routes import route
from ..wire import FakeError, FakeRequest, Reply
from . import texts
from .dialect import element_to_json
from .records import _Company, _Document, _Line, _VatCode
from .rules import _DATE, _add, _attach, _branch, _day, _decimal, _money, _round, _text, _totals
from .state import WFirmaState

__all__ = ["InvoiceRoutes"]


class InvoiceRoutes(WFirmaState):
    """The ``invoices`` module of the wFirma fake."""

    # Invoices.

    @route("POST", "invoices/add")
    def add_invoice(self, request: FakeRequest) -> Reply:
        """Issue an invoice, receipt or correction (§4, §8, §9)."""
        company, body = self._begin(request)
        record = body.find("invoices/invoice")
        if record is None:
            raise self._refuse(request, texts.INPUT_ERROR, "brak gałęzi invoices > invoice")
        kind = (record.findtext("type") or "normal").strip()
        goes_to_ksef = company.ksef and kind in _KSEF_TYPES
        if goes_to_ksef and not company.ksef_authorised:
            raise self._refuse(request, texts.ERROR, texts.KSEF_NOT_AUTHORISED)
        document = self._build(request, company, record)
        if goes_to_ksef:
            document.ksef_sent_at = self.clock.time()
            document.ksef_status = "processing"
        company.documents[document.id] = document
        self._order.append((company.id, document.id))
        root = Element("api")
        SubElement(root, "invoices").append(self._invoice_element(document))
        if "invoices/add" in self._fatal_after_commit:
            self._fatal_after_commit.discard("invoices/add")
            return self._status(request, texts.FATAL)
        return self._reply(request, root)

    def _build(self, request: FakeRequest, company: _Company, record: Element) -> _Document:
        errors: list[tuple[Element, str, str]] = []
        kind = _text(record, "type")
        if kind is None:
            if _text(record, "auto_send") == "1":
                raise self._refuse(request, texts.ERROR, texts.AUTO_SEND_WITHOUT_TYPE)
            errors.append((record, "type", texts.EMPTY_FIELD))
            kind = "normal"
        elif kind not in texts.INVOICE_TYPES:
            errors.append((record, "type", texts.BAD_VALUE))
        parent: _Document | None = None
        if kind == "correction":
            parent_id = _text(record, "parent_id") or _text(record, "parent/id")  # both forms (§9)
            parent = company.documents.get(parent_id or "")
            if parent is None or parent.type in texts.RECEIPT_TYPES:
                errors.append((record, "parent_id", texts.NO_SUCH_OBJECT))
        today = self._today()
        date = _text(record, "date") or today
        if not _DATE.match(date) or _day(date) is None:
            errors.append((record, "date", texts.BAD_DATE))
        for name in ("disposaldate", "paymentdate"):
            value = _text(record, name)
            if value is not None and (not _DATE.match(value) or _day(value) is None):
                errors.append((record, name, texts.BAD_DATE))
        method = _text(record, "paymentmethod") or "transfer"
        if method not in texts.PAYMENT_METHODS:
            errors.append((record, "paymentmethod", texts.BAD_VALUE))
        price_type = _text(record, "price_type") or (parent.price_type if parent else "netto")
        if price_type not in ("netto", "brutto"):
            errors.append((record, "price_type", texts.BAD_VALUE))
        contractor = self._contractor(record, kind, parent, errors)
        series_id = _text(record, "series/id")
        if series_id is not None and series_id not in company.series:
            errors.append((_branch(record, "series"), "id", texts.NO_SUCH_OBJECT))
        lines = self._lines(company, record, parent, price_type, errors)
        paid = _decimal(_text(record, "alreadypaid_initial") or "0")
        if paid is None:
            errors.append((record, "alreadypaid_initial", texts.BAD_NUMBER))
        if errors:
            for element, field, message in errors:
                _attach(element, field, message)
            root = Element("api")
            SubElement(root, "invoices").append(record)
            raise FakeError(self._reply(request, root, texts.ERROR))
        netto, tax, total = _totals(lines, price_type)
        if parent is not None:
            netto, tax, total = netto - parent.netto, tax - parent.tax, total - parent.total
        series = company.series.get(series_id or company.defaults.get(kind, company.defaults["normal"]))
        assert series is not None
        day = _day(date) or dt.date.today()
        number, fullnumber = series.next_number(day)
        if company.warehouse and kind != "correction" and kind not in ("proforma", "offer"):
            for line in lines:
                good = company.goods.get(line.good_id)
                if good is not None:
                    good.count -= line.count
        return _Document(
            id=str(self._take("invoice")),
            type=kind,
            number=number,
            fullnumber=fullnumber,
            series_id=series.id,
            date=date,
            currency=(parent.currency if parent else _text(record, "currency") or "PLN"),
            price_type=price_type,
            paymentmethod=method,
            lines=lines,
            netto=netto,
            tax=tax,
            total=total,
            contractor=contractor,
            id_external=_text(record, "id_external"),
            description=_text(record, "description"),
            parent_id=parent.id if parent else None,
            alreadypaid=paid or Decimal(0),
            body=element_to_json(record),
        )

    def _contractor(
        self, record: Element, kind: str, parent: _Document | None, errors: list[tuple[Element, str, str]]
    ) -> dict[str, str]:
        element = record.find("contractor")
        if element is None:
            # A fiscal receipt has no contractor (W-DOC ereceipt_integration_receipt); a
            # correction inherits the corrected invoice's.
            if kind in texts.RECEIPT_TYPES:
                return {}
            if parent is not None:
                return dict(parent.contractor)
            errors.append((record, "contractor", texts.EMPTY_FIELD))
            return {}
        values = {child.tag: (child.text or "") for child in element if len(child) == 0}
        if _text(element, "id") is None:
            # The doc example rejects an empty name, zip and city [W-DOC; W-GUIDE].
            for name in ("name", "zip", "city"):
                if not values.get(name, "").strip():
                    errors.append((element, name, texts.EMPTY_FIELD))
        kind_of_id = values.get("tax_id_type")
        if kind_of_id is not None and kind_of_id not in ("nip", "vat", "pesel", "regon", "custom", "none"):
            errors.append((element, "tax_id_type", texts.BAD_VALUE))
        return values

    def _lines(
        self,
        company: _Company,
        record: Element,
        parent: _Document | None,
        price_type: str,
        errors: list[tuple[Element, str, str]],
    ) -> list[_Line]:
        contents = record.findall("invoicecontents/invoicecontent")
        if not contents and parent is None:
            errors.append((record, "invoicecontents", texts.NO_CONTENTS))
        after = {line.id: attrs.evolve(line) for line in parent.lines} if parent else {}
        new: list[_Line] = []
        by_code = {vat.code: vat for vat in company.vat_codes.values() if vat.code}
        for content in contents:
            linked_id = _text(content, "parent_id")
            linked = after.get(linked_id or "") if linked_id else None
            if linked_id and linked is None:
                errors.append((content, "parent_id", texts.NO_SUCH_OBJECT))
                continue
            name = _text(content, "name")
            if linked is not None:
                if name is not None and name != linked.name:
                    errors.append((content, "name", texts.LINKED_LINE_FIXED))
                name = linked.name
            if not name:
                errors.append((content, "name", texts.EMPTY_CONTENT_NAME))
                continue
            count = _decimal(_text(content, "count") or ("" if linked is None else str(linked.count)))
            price = _decimal(_text(content, "price") or ("" if linked is None else str(linked.price)))
            if count is None:
                errors.append((content, "count", texts.BAD_NUMBER))
            if price is None:
                errors.append((content, "price", texts.BAD_NUMBER))
            vat_id = _text(content, "vat_code/id")
            plain = _text(content, "vat")
            vat: _VatCode | None
            if vat_id is not None:  # the id wins over vat (W-GUIDE)
                vat = company.vat_codes.get(vat_id)
                if vat is None:
                    errors.append((_branch(content, "vat_code"), "id", texts.NO_SUCH_OBJECT))
            elif plain is not None:
                vat = by_code.get(plain) or by_code["23"]  # an unknown vat is silently reset to 23 % (§16)
            elif linked is not None:
                vat = company.vat_codes.get(linked.vat_code_id)
            else:
                vat = by_code["23"]
            good_id = _text(content, "good/id") or ("" if linked is None else linked.good_id)
            if good_id and good_id != "0" and good_id not in company.goods:
                errors.append((_branch(content, "good"), "id", texts.NO_SUCH_OBJECT))
            percent: Decimal | None
            if content.find("discount") is None and linked is not None:
                percent = linked.discount_percent  # a linked line keeps what it does not restate
            elif _text(content, "discount") not in (None, "", "0"):
                percent = _decimal(_text(content, "discount_percent") or "0")
            else:
                percent = Decimal(0)
            if percent is None:
                errors.append((content, "discount_percent", texts.BAD_NUMBER))
            if count is None or price is None or vat is None or percent is None:
                continue
            line = _Line(
                id=str(self._take("content")),
                name=name,
                unit=_text(content, "unit") or ("szt." if linked is None else linked.unit),
                count=count,
                price=price,
                vat=vat.code or f"{vat.rate}",
                vat_code_id=vat.id,
                rate=vat.rate,
                discount_percent=percent,
                good_id=good_id if good_id != "0" else "",
            )
            if linked is not None:
                after[linked.id] = line
            else:
                new.append(line)
        lines = [*after.values(), *new]
        for line in lines:
            amount = _round(line.count * line.price * (1 - line.discount_percent / 100))
            if price_type == "brutto":
                line.brutto = amount
                line.netto = _round(amount / (1 + line.rate / 100))
            else:
                line.netto = amount
                line.brutto = amount + _round(amount * line.rate / 100)
        return lines

    @route("GET", "invoices/get/{id}")
    @route("POST", "invoices/get/{id}")
    def get_invoice(self, request: FakeRequest) -> Reply:
        """One document with its lines."""
        company, _ = self._begin(request)
        document = self._document(request, company)
        root = Element("api")
        SubElement(root, "invoices").append(self._invoice_element(document))
        return self._reply(request, root)

    @route("GET", "invoices/find")
    @route("POST", "invoices/find")
    def find_invoices(self, request: FakeRequest) -> Reply:
        """``find`` with conditions, order and paging (§14, §15)."""
        company, body = self._begin(request)
        rows = [doc for doc in company.documents.values() if not doc.cancelled]
        ignored = set() if self.filters_id_external else {"id_external"}
        return self._found(
            request, body, "invoices", rows, lambda doc: _invoice_fields(doc), self._invoice_element, ignored
        )

    @route("POST", "invoices/download/{id}")
    @route("GET", "invoices/download/{id}")
    def download_invoice(self, request: FakeRequest) -> Reply:
        """The PDF, raw (``outputFormat`` is not honoured, §10)."""
        company, body = self._begin(request)
        document = self._document(request, company)
        page = "invoice"
        for parameter in body.findall("invoices/parameters/parameter"):
            if _text(parameter, "name") == "page":
                page = _text(parameter, "value") or "invoice"
        if page not in ("all", "invoice", "invoicecopy", "invoiceCopy"):
            raise self._refuse(request, texts.ERROR, texts.BAD_VALUE)
        title = {"normal": "Faktura VAT", "correction": "Faktura korygująca"}.get(document.type, "Paragon")
        text = f"{title} {document.fullnumber}\n{company.name}\nRazem: {_money(document.total)} {document.currency}"
        return Reply.pdf(make_pdf(text), filename=f"{document.fullnumber.replace('/', '_')}.pdf")

    @route("POST", "invoices/edit/{id}")
    def edit_invoice(self, request: FakeRequest) -> Reply:
        """Edits: refused on accounts kept on full accounting books (§16); else ``description`` only."""
        company, body = self._begin(request)
        document = self._document(request, company)
        if company.books:
            raise self._refuse(request, texts.ERROR, texts.BOOKS_NO_EDIT)
        description = _text(body, "invoices/invoice/description")
        if description is not None:
            document.description = description
        root = Element("api")
        SubElement(root, "invoices").append(self._invoice_element(document))
        return self._reply(request, root)

    @route("DELETE", "invoices/delete/{id}")
    @route("POST", "invoices/delete/{id}")
    @route("GET", "invoices/delete/{id}")
    def delete_invoice(self, request: FakeRequest) -> Reply:
        """Delete (kept as cancelled in :attr:`documents`)."""
        company, _ = self._begin(request)
        document = self._document(request, company)
        document.cancelled = True
        return self._status(request, texts.OK)

    @route("GET", "invoices/fiscalize/{id}")
    @route("POST", "invoices/fiscalize/{id}")
    @route("GET", "invoices/unfiscalize/{id}")
    @route("POST", "invoices/unfiscalize/{id}")
    def fiscalize_invoice(self, request: FakeRequest) -> Reply:
        """Mark a fiscal receipt fiscalised, or undo it (§8); wFirma drives no printer."""
        company, _ = self._begin(request)
        document = self._document(request, company)
        if document.type not in ("receipt_fiscal_normal", "receipt_fiscal_bill"):
            raise self._refuse(request, texts.ERROR, texts.BAD_VALUE)
        document.fiscalized = not request.path.startswith("invoices/unfiscalize")
        root = Element("api")
        SubElement(root, "invoices").append(self._invoice_element(document))
        return self._reply(request, root)

    def _document(self, request: FakeRequest, company: _Company) -> _Document:
        document = company.documents.get(request.groups["id"])
        if document is None or document.cancelled:
            raise self._refuse(request, texts.NOT_FOUND)
        return document

    def _ksef_refresh(self, document: _Document) -> None:
        """KSeF's answer after ``ksef_delay``: ``ok``, the KSeF number and the registration date."""
        if document.ksef_sent_at is None or document.ksef_reference_number:
            return
        if self.clock.time() - document.ksef_sent_at < self.ksef_delay:
            return
        moment = dt.datetime.fromtimestamp(document.ksef_sent_at, dt.UTC)
        suffix = hashlib.sha256(document.id.encode()).hexdigest()[:12].upper()
        document.ksef_reference_number = f"5273103291-{moment:%Y%m%d}-{suffix}-34"
        document.ksef_status = "ok"
        document.ksef_registration_date = f"{moment:%Y-%m-%d %H:%M:%S}"

    def _invoice_element(self, document: _Document) -> Element:
        self._ksef_refresh(document)
        element = Element("invoice")
        remaining = document.total - document.alreadypaid
        state = "paid" if document.total > 0 and remaining <= 0 else ("unpaid" if document.total > 0 else "undefined")
        _add(
            element,
            id=document.id,
            fullnumber=document.fullnumber,
            number=str(document.number),
            type=document.type,
            date=document.date,
            currency=document.currency,
            price_type=document.price_type,
            paymentmethod=document.paymentmethod,
            paymentstate=state,
            netto=_money(document.netto),
            tax=_money(document.tax),
            total=_money(document.total),
            alreadypaid=_money(document.alreadypaid),
            remaining=_money(remaining),
            id_external=document.id_external or "",
            description=document.description or "",
            # Read-only KSeF fields (W-WEBIT, W-DEKOZA): empty until KSeF has processed it.
            ksef_reference_number=document.ksef_reference_number,
            ksef_status=document.ksef_status,
            ksef_registration_date=document.ksef_registration_date,
        )
        if document.parent_id:
            _add(element, parent_id=document.parent_id)
        SubElement(SubElement(element, "series"), "id").text = document.series_id
        contractor = SubElement(element, "contractor")
        _add(contractor, **document.contractor)
        contents = SubElement(element, "invoicecontents")
        for line in document.lines:
            content = SubElement(contents, "invoicecontent")
            _add(
                content,
                id=line.id,
                name=line.name,
                unit=line.unit,
                count=f"{line.count:.4f}",
                price=_money(line.price),
                discount="1" if line.discount_percent else "0",
                discount_percent=_money(line.discount_percent),
                netto=_money(line.netto),
                brutto=_money(line.brutto),
                vat=line.vat,
            )
            SubElement(SubElement(content, "vat_code"), "id").text = line.vat_code_id
            SubElement(SubElement(content, "good"), "id").text = line.good_id or "0"
        return element


_KSEF_TYPES = frozenset({"normal", "correction"})
"""Document types wFirma sends to KSeF at issue (a ``normal_draft`` or a receipt is not sent)."""


def _invoice_fields(document: _Document) -> dict[str, str]:
    return {
        "id": document.id,
        "type": document.type,
        "fullnumber": document.fullnumber,
        "number": str(document.number),
        "date": document.date,
        "id_external": document.id_external or "",
        "total": _money(document.total),
        "remaining": _money(document.total - document.alreadypaid),
        "nip": document.contractor.get("nip", ""),
    }
