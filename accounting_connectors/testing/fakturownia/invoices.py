"""The Fakturownia fake's document endpoints (§3, §4, §8, §10, §11, §15).

:class:`InvoiceRoutes`: ``POST /invoices.json`` (``oid_unique``, the read-only token bug,
:meth:`~accounting_connectors.testing.fakturownia.FakturowniaFake.fail_after_commit`), read,
list with its filters and paging, update, delete, cancel, ``change_status``,
``send_by_email``, the PDF and the public link.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import httpx

from ..pdf import make_pdf
from ..routes import route
from ..wire import FakeRequest, Reply
from . import texts
from .rules import FakturowniaRules
from .state import (
    _DEFAULT_PER_PAGE,
    _DISCOUNT_KINDS,
    _MAX_PER_PAGE,
    _PERIODS,
    _STATUSES,
    FakeAccount,
    _int,
    _number,
    _Principal,
    _rails,
    _round,
    _truthy,
)


class InvoiceRoutes(FakturowniaRules):
    """The ``invoices`` endpoints, their PDFs and the public document link."""

    # Documents.

    @route("POST", "invoices.json")
    def create_invoice(self, request: FakeRequest) -> Reply:
        """``POST /invoices.json`` ``{"invoice": {...}}`` (§3, §4)."""
        principal: _Principal = request.principal
        account = principal.account
        body = self._body(request)
        data = body.get("invoice")
        if not isinstance(data, dict):
            return Reply.json(texts.field_error({"invoice": [texts.CANT_BE_BLANK]}), 422)
        errors, document = self._build(account, data)
        if errors:
            return Reply.json(texts.field_error(errors), 422)
        oid = document["oid"]
        taken = any(other["oid"] == oid and not other.get("_deleted") for other in account.documents)
        if oid and _truthy(data.get("oid_unique")) and taken:
            return Reply.json(texts.field_error({"oid": [texts.OID_TAKEN]}), 422)
        if principal.read_only:
            # The known bug (§16): 200, nothing created. The body is the fake's choice: the
            # unsaved record, without an id.
            unsaved = self._public(document)
            unsaved["id"] = None
            return Reply.json(unsaved, 200)
        document["id"] = self._next_id
        self._next_id += 1
        if document["client_id"] is None:
            document["client_id"] = self._client_for(account, data, document["buyer_name"], document["buyer_company"])
        document["number"] = document["number"] or self._next_number(account, document)
        document["_body"] = body
        document["_ksef_demo"] = account.ksef_demo
        if document["gov_status"] == "processing" or (
            _truthy(body.get("gov_save_and_send")) and document["gov_status"] is None
        ):
            self._queue_for_ksef(account, document)
        self._move_stock(account, document, -1)
        account.documents.append(document)
        self._order.append((account, document))
        if self._fail_after_commit:
            status = self._fail_after_commit.pop(0)
            return Reply(status, texts.SERVER_ERROR_PAGE.encode(), {"Content-Type": "text/html; charset=utf-8"})
        return Reply.json(self._public(document), 201)

    @route("GET", "invoices/{id}.json")
    def get_invoice(self, request: FakeRequest) -> Reply:
        """``GET /invoices/{id}.json`` (``correction_positions=full``, ``fields[invoice]``, ``additional_fields``)."""
        account, document = self._document(request)
        # send_to_ksef=yes resends a document not (successfully) sent; an accepted or
        # processing one is left alone (EINVOICING §3.1: a second send is not known to be harmless).
        resendable = (None, "send_error", "server_error", "not_connected", "offline_error", "blocked_403_error")
        if request.params.get("send_to_ksef") == "yes" and document["gov_status"] in resendable:
            self._queue_for_ksef(account, document)
        shown = self._public(document, full=request.params.get("correction_positions") == "full")
        if request.params.get("additional_fields[invoice]") == "connected_payments":
            shown["connected_payments"] = [p for p in account.payments if document["id"] in p["invoice_ids"]]
        fields = request.params.get("fields[invoice]")
        if fields:
            shown = {key: shown.get(key) for key in ["id", *fields.split(",")]}
        return Reply.json(shown)

    @route("GET", "invoices.json")
    def list_invoices(self, request: FakeRequest) -> Reply:
        """``GET /invoices.json`` with its filters and paging (§3, §15)."""
        account: FakeAccount = request.principal.account
        params = request.params
        period = params.get("period", "this_month")
        if period not in _PERIODS:
            return Reply.json(texts.field_error({"period": [texts.INVALID]}), 422)
        rows = [d for d in account.documents if not d.get("_deleted") and self._in_period(d, period, params)]
        if params.get("oid"):
            wanted = params["oid"].casefold()
            rows = [d for d in rows if wanted in d["oid"].casefold()]  # loose on purpose (§17.3)
        kinds = params.get_list("kinds[]") or ([params["kind"]] if params.get("kind") else [])
        if kinds:
            rows = [d for d in rows if d["kind"] in kinds]
        for key in ("number", "client_id", "from_invoice_id"):
            if params.get(key):
                rows = [d for d in rows if str(d.get(key)) == params[key]]
        if params.get("invoice_ids"):
            wanted_ids = {_int(part) for part in params["invoice_ids"].split(",")}
            rows = [d for d in rows if d["id"] in wanted_ids]
        if params.get("order") == "updated_at.desc":
            rows = sorted(rows, key=lambda d: (d["updated_at"], d["id"]), reverse=True)
        per_page = min(max(_int(params.get("per_page")) or _DEFAULT_PER_PAGE, 1), _MAX_PER_PAGE)
        page = 1 if self.ignore_page else max(_int(params.get("page")) or 1, 1)
        chosen = rows[(page - 1) * per_page : page * per_page]
        include = params.get("include_positions") == "true"
        for document in chosen:
            self._refresh(account, document)
        return Reply.json([self._public(d, positions=include) for d in chosen])

    def _in_period(self, document: Mapping[str, Any], period: str, params: httpx.QueryParams) -> bool:
        if period == "all":
            return True
        issued = dt.date.fromisoformat(document["issue_date"])
        today = self._today()
        first = today.replace(day=1)
        if period == "this_month":
            return (issued.year, issued.month) == (today.year, today.month)
        if period == "last_month":
            previous = first - dt.timedelta(days=1)
            return (issued.year, issued.month) == (previous.year, previous.month)
        if period == "this_year":
            return issued.year == today.year
        if period == "last_year":
            return issued.year == today.year - 1
        if period == "last_30_days":
            return today - dt.timedelta(days=30) <= issued <= today
        if period == "last_12_months":
            return today - dt.timedelta(days=365) <= issued <= today
        try:
            start = dt.date.fromisoformat(params.get("date_from", "0001-01-01"))
            end = dt.date.fromisoformat(params.get("date_to", "9999-12-31"))
        except ValueError:
            return False
        return start <= issued <= end

    @route("PUT", "invoices/{id}.json")
    def update_invoice(self, request: FakeRequest) -> Reply:
        """``PUT /invoices/{id}.json``: partial; positions by ``id``, ``_destroy`` deletes (§3, §11)."""
        account, document = self._document(request)
        data = self._body(request).get("invoice")
        if not isinstance(data, dict):
            return Reply.json(texts.field_error({"invoice": [texts.CANT_BE_BLANK]}), 422)
        if request.principal.read_only:
            return Reply.json(self._public(document), 200)
        errors: dict[str, list[str]] = {}
        if "status" in data and data["status"] not in _STATUSES:
            errors["status"] = [texts.INVALID]
        if "paid" in data and _number(data["paid"]) is None:
            errors["paid"] = [texts.NOT_A_NUMBER]
        if errors:
            return Reply.json(texts.field_error(errors), 422)
        if isinstance(data.get("positions"), list):
            show = _truthy(document.get("show_discount")) and document.get("discount_kind") in _DISCOUNT_KINDS
            problems: dict[str, list[str]] = {}

            def fail(field: str, text: str) -> None:
                problems.setdefault(field, []).append(text)

            kept = {p["id"]: p for p in document["positions"]}
            for item in data["positions"]:
                ident = _int(item.get("id")) if isinstance(item, dict) else None
                if ident is not None and _truthy(item.get("_destroy")):
                    kept.pop(ident, None)
                elif isinstance(item, dict):
                    merged = {**kept.get(ident or 0, {}), **item}
                    position = self._position(account, merged, document["kind"], show, document["discount_kind"], fail)
                    position["id"] = ident or max(kept, default=0) + 1
                    kept[position["id"]] = position
            if problems:
                return Reply.json(texts.field_error(problems), 422)
            document["positions"] = list(kept.values())
            net = sum((Decimal(p["total_price_net"]) for p in document["positions"]), Decimal("0.00"))
            gross = sum((Decimal(p["total_price_gross"]) for p in document["positions"]), Decimal("0.00"))
            document.update(price_net=_rails(net), price_tax=_rails(gross - net), price_gross=_rails(gross))
        for key, value in data.items():
            if key == "paid":
                document["paid"] = _rails(_round(_number(value) or Decimal(0)))
            elif key != "positions" and key != "id" and key in document:
                document[key] = value
        if "paid" in data and "status" not in data:
            # The paid amount alone marks the document paid, a proforma too (§0, FK-KODA
            # measured; §11 confirms by status). Partly paid: "partial" (the fake's reading).
            paid, gross = Decimal(document["paid"]), Decimal(document["price_gross"])
            if paid >= gross > 0:
                document["status"] = "paid"
            elif paid > 0:
                document["status"] = "partial"
        document["updated_at"] = self._stamp()
        return Reply.json(self._public(document))

    @route("DELETE", "invoices/{id}.json")
    def delete_invoice(self, request: FakeRequest) -> Reply:
        """``DELETE /invoices/{id}.json``; a KSeF document cannot be deleted (§3)."""
        account, document = self._document(request)
        if request.principal.read_only:
            return Reply.json({"code": "ok", "message": "Usunięto"})  # the fake's reading of §16: nothing done
        if document["gov_id"] or document["gov_status"] not in (None, "not_applicable", "not_connected"):
            return Reply.json(texts.error(texts.KSEF_NOT_DELETABLE), 422)  # sent to KSeF, or being sent
        document["_deleted"] = True
        self._move_stock(account, document, +1)
        return Reply.json({"code": "ok", "message": "Usunięto"})  # text not documented

    @route("POST", "invoices/cancel.json")
    def cancel_invoice(self, request: FakeRequest) -> Reply:
        """``POST /invoices/cancel.json`` ``{"cancel_invoice_id", "cancel_reason"}``; receipts refuse (§8)."""
        body = self._body(request)
        request.groups["id"] = str(body.get("cancel_invoice_id"))
        _, document = self._document(request)
        if document["kind"] == "receipt":
            return Reply.json(texts.error(texts.RECEIPT_NOT_CANCELLABLE), 422)
        if request.principal.read_only:
            return Reply.json(self._public(document))  # the fake's reading of §16: nothing done
        document["_cancelled"] = True
        document["cancel_reason"] = body.get("cancel_reason")
        return Reply.json(self._public(document))

    @route("POST", "invoices/{id}/change_status.json")
    def change_status(self, request: FakeRequest) -> Reply:
        """``change_status?status=``: errors come under HTTP 200; a proforma refuses ``paid`` with 422 (§2)."""
        _, document = self._document(request)
        status = request.params.get("status")
        if status not in _STATUSES:
            return Reply.json(texts.error(texts.BAD_STATUS), 200)
        if status == "paid" and document["kind"] == "proforma":
            return Reply.json(texts.error(texts.PROFORMA_STATUS), 422)
        if request.principal.read_only:
            return Reply.json({"code": "ok", "message": "Status zmieniony"})  # the fake's reading of §16
        document["status"] = status
        if status == "paid":
            document["paid"] = document["price_gross"]
        return Reply.json({"code": "ok", "message": "Status zmieniony"})  # text not documented

    @route("POST", "invoices/{id}/send_by_email.json")
    def send_by_email(self, request: FakeRequest) -> Reply:
        """``send_by_email``: at most five addresses; a KSeF document without its number errs under 200 (§2)."""
        account, document = self._document(request)
        addresses = [
            a
            for a in (request.params.get("email_to", "") + "," + request.params.get("email_cc", "")).split(",")
            if a.strip()
        ]
        if len(addresses) > 5:
            return Reply.json(texts.error(texts.TOO_MANY_ADDRESSES), 422)
        if (
            account.ksef
            and document["gov_status"] is not None
            and not document["gov_id"]
            and document["kind"] != "receipt"
        ):
            return Reply.json(texts.KSEF_NOT_SENT, 200)
        document["status"] = "sent" if document["status"] == "issued" else document["status"]
        return Reply.json({"status": "ok"})  # text not documented

    @route("GET", "invoices/{id}.pdf")
    def invoice_pdf(self, request: FakeRequest) -> Reply:
        """The PDF: 422 for ``pdf_delay`` s after a create, HTML on KSeF accounts until the number (§10)."""
        account, document = self._document(request)
        return self._pdf(account, document)

    def _pdf(self, account: FakeAccount, document: Mapping[str, Any]) -> Reply:
        if self.clock.time() - document["_created"] < self.pdf_delay:
            return Reply.json(texts.error(texts.PDF_NOT_READY), 422)
        if account.ksef and document["gov_status"] == "processing":
            return Reply(200, texts.KSEF_PENDING_PAGE.encode(), {"Content-Type": "text/html; charset=utf-8"})
        lines = [f"{document['kind'].upper()} {document['number']}", f"Wystawiono: {document['issue_date']}"]
        lines += [
            f"{p['name']}  {p['quantity']} x  {p['total_price_gross']} {document['currency']}"
            for p in document["positions"]
        ]
        lines.append(f"Razem brutto: {document['price_gross']} {document['currency']}")
        return Reply.pdf(make_pdf("\n".join(lines)), filename=f"{document['number'].replace('/', '_')}.pdf")

    @route("GET", "invoice/{token}.pdf")
    def public_pdf(self, request: FakeRequest) -> Reply:
        """The public PDF link (no token needed, §10)."""
        account: FakeAccount = request.principal.account
        for document in account.documents:
            if document["token"] == request.groups["token"] and not document.get("_deleted"):
                self._refresh(account, document)
                return self._pdf(account, document)
        return Reply.json(texts.NOT_FOUND, 404)

    @route("GET", "invoice/{token}")
    def public_view(self, request: FakeRequest) -> Reply:
        """The public view page of a document."""
        account: FakeAccount = request.principal.account
        for document in account.documents:
            if document["token"] == request.groups["token"] and not document.get("_deleted"):
                page = f"<html><body><h1>{document['number']}</h1></body></html>"
                return Reply(200, page.encode(), {"Content-Type": "text/html; charset=utf-8"})
        return Reply.json(texts.NOT_FOUND, 404)
