"""The Oblio fake's document reads: ``GET api/docs/{type}`` and ``GET api/docs/invoice/list`` (§3, §15)."""

from __future__ import annotations

from typing import Any

from ..routes import route
from ..wire import FakeRequest, Reply
from . import texts
from .records import _DOC_TYPES, _Company, _Document
from .rules import _date, _number, _ok, _refuse, _same_number
from .spv import SpvRoutes


class ReadRoutes(SpvRoutes):
    """One document by series and number, and the invoice list with its filters, order and paging."""

    @route("GET", "api/docs/{doctype}")
    def read(self, request: FakeRequest) -> Reply:
        """``GET api/docs/{type}?cif=&seriesName=&number=`` (§3)."""
        doc_type = _DOC_TYPES.get(request.groups["doctype"])
        if doc_type is None:
            raise _refuse(texts.ERR_DOC_TYPE.format(type=request.groups["doctype"]))
        _, document = self._located(request, dict(request.params), doc_type)
        return _ok(self._read_shape(document))

    @route("GET", "api/docs/invoice/list")
    def list_invoices(self, request: FakeRequest) -> Reply:
        """``GET api/docs/invoice/list`` with its filters, order and paging (§3, §15)."""
        params = request.params
        company = self._company(request, params.get("cif"))
        limit = int(_number(params.get("limitPerPage", "100"), "limitPerPage"))
        if not 1 <= limit <= 100:
            raise _refuse(texts.ERR_LIMIT_PER_PAGE)
        offset = int(_number(params.get("offset", "0"), "offset"))
        order_by = params.get("orderBy", "id")
        if order_by not in ("id", "issueDate", "number"):
            raise _refuse(texts.ERR_ORDER_BY)
        rows = [
            d for d in self._documents if d.cif == company.cif.upper() and d.doc_type == "Factura" and not d.deleted
        ]
        if params.get("seriesName"):
            rows = [d for d in rows if d.series == params["seriesName"]]
        if params.get("number"):
            rows = [d for d in rows if _same_number(d.number, params["number"])]
        if params.get("id"):
            rows = [d for d in rows if str(d.id) == params["id"]]
        for field in ("cif", "email", "phone", "code"):
            wanted = params.get(f"client[{field}]")
            if wanted:
                rows = [d for d in rows if str(d.client.get(field) or "") == wanted]
        canceled, collected = params.get("canceled", "-1"), params.get("collected", "-1")
        if canceled in ("0", "1"):
            rows = [d for d in rows if d.canceled is (canceled == "1")]
        if collected in ("0", "1"):
            rows = [d for d in rows if (d.paid >= d.total) is (collected == "1")]
        if params.get("draft") == "1":
            rows = []  # the API creates no drafts (§15)
        if params.get("issuedAfter"):
            after = _date(params["issuedAfter"], "issuedAfter") or ""
            rows = [d for d in rows if d.issue_date >= after]
        if params.get("issuedBefore"):
            before = _date(params["issuedBefore"], "issuedBefore") or ""
            rows = [d for d in rows if d.issue_date <= before]
        keys = {
            "id": lambda d: d.id,
            "issueDate": lambda d: (d.issue_date, d.id),
            "number": lambda d: (d.series, d.number),
        }
        rows.sort(key=keys[order_by], reverse=params.get("orderDir", "ASC").upper() == "DESC")
        page = rows[offset : offset + limit]
        with_collects = params.get("withCollects") == "1"
        with_products = params.get("withProducts") == "1"
        return _ok([self._row(company, document, with_collects, with_products) for document in page])

    def _row(self, company: _Company, document: _Document, with_collects: bool, with_products: bool) -> dict[str, Any]:
        row: dict[str, Any] = {
            "id": str(document.id),
            "draft": "0",
            "canceled": "1" if document.canceled else "0",
            "collected": "1" if document.paid >= document.total else "0",
            "type": "Factura",
            "seriesName": document.series,
            "number": document.number,
            "issueDate": document.issue_date,
            "dueDate": document.due_date,
            "precision": str(document.precision),
            "currency": document.currency,
            "exchangeRate": str(document.exchange_rate or 1),
            "total": str(document.total),
            "mentions": document.mentions,
            "link": self._link(document),
            # The XML link is there whatever the status (OB-DOC example: on a -1 row).
            "einvoice": f"{self._link(document)}&einvoice=1&api=1",
            # UNCERTAIN (EINVOICING §3.8 g) whether it is absent without withEinvoiceStatus=1:
            # the fake always answers it, current.
            "einvoiceStatus": self._spv_status(company, document),
            "indexUpload": document.index_upload if document.spv_code in (1, 2) else None,
            "idDownload": document.id_download,
            "client": {
                "clientId": str(abs(hash(str(document.client.get("cif") or document.client.get("name")))) % 10_000_000),
                "cif": document.client.get("cif"),
                "name": document.client.get("name"),
                "email": document.client.get("email"),
                "phone": document.client.get("phone"),
                "code": document.client.get("code"),
            },
        }
        if with_collects:
            row["collects"] = self._read_shape(document)["collects"]
        if with_products:
            row["products"] = [
                {"name": line.name, "code": line.code, "quantity": line.quantity, "price": line.price,
                 "vatName": line.vat_name, "vatPercentage": line.vat_percent}
                for line in document.lines
            ]  # fmt: skip
        return row
