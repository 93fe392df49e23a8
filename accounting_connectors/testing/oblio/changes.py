"""The Oblio fake's changes to issued documents: collect (§11), cancel and restore (§9), delete (§3)."""

from __future__ import annotations

import datetime as dt

from ..routes import route
from ..wire import FakeRequest, Reply
from . import texts
from .records import _DOC_TYPES
from .rules import _flag, _ok, _refuse
from .state import OblioState


class ChangeRoutes(OblioState):
    """``PUT api/docs/invoice/collect``, ``PUT api/docs/{type}/cancel|restore`` and ``DELETE api/docs/{type}``."""

    @route("PUT", "api/docs/invoice/collect")
    def collect(self, request: FakeRequest) -> Reply:
        """``PUT api/docs/invoice/collect`` (JSON, or form data as other writes accept, §1, §11)."""
        body = self._write_body(request)
        company, document = self._located(request, body, "Factura")
        if document.canceled:
            raise _refuse(texts.ERR_CANCELED.format(doc=f"{document.series}{document.number}"))
        collect = body.get("collect")
        if not isinstance(collect, dict):
            raise _refuse(texts.ERR_FIELD_REQUIRED.format(field="collect"))
        today = dt.date.fromtimestamp(self.clock.time()).isoformat()
        entry = self._collect(company, document, collect, today)
        document.collects.append(entry)
        self._number_collects(document)
        return _ok(self._read_shape(document))

    @route("PUT", "api/docs/{doctype}/cancel")
    def cancel(self, request: FakeRequest) -> Reply:
        """Cancel a document; its number stays taken (§9)."""
        return self._set_canceled(request, True, texts.MSG_CANCELED)

    @route("PUT", "api/docs/{doctype}/restore")
    def restore(self, request: FakeRequest) -> Reply:
        """Restore a cancelled document."""
        return self._set_canceled(request, False, texts.MSG_RESTORED)

    def _set_canceled(self, request: FakeRequest, canceled: bool, message: str) -> Reply:
        doc_type = _DOC_TYPES.get(request.groups["doctype"])
        if doc_type is None:
            raise _refuse(texts.ERR_DOC_TYPE.format(type=request.groups["doctype"]))
        _, document = self._located(request, self._write_body(request), doc_type)
        document.canceled = canceled
        data = {
            "documentType": doc_type,
            "seriesName": document.series,
            "number": document.number,
            "link": self._link(document),
        }
        return _ok(data, message)

    @route("DELETE", "api/docs/{doctype}")
    def delete(self, request: FakeRequest) -> Reply:
        """Delete the last document of a series (JSON body as OB-PHP, or query string as OB-FG)."""
        doc_type = _DOC_TYPES.get(request.groups["doctype"])
        if doc_type is None:
            raise _refuse(texts.ERR_DOC_TYPE.format(type=request.groups["doctype"]))
        body = self._write_body(request)
        company, document = self._located(request, body, doc_type)
        series = company.series_named(document.series, doc_type)
        if series is None or str(series.next - 1).zfill(len(series.start)) != document.number:
            raise _refuse(texts.ERR_NOT_LAST)
        _flag(body.get("deleteCollect"), "deleteCollect", False)
        document.deleted = True
        series.next -= 1
        if document.storno_of is not None:
            document.storno_of.stornoed -= document.total
            document.storno_of.fully_stornoed = False
        data = {"documentType": doc_type, "seriesName": document.series, "number": document.number}
        return _ok(data, texts.MSG_DELETED)
