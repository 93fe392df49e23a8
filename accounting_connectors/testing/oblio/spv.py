"""The Oblio fake's RO e-Factura (SPV): the upload, ANAF's processing on the clock, the list's status.

From the e-invoicing sheet (EINVOICING §3.8, OB-DOC "SPV", "Listare facturi"): an invoice goes to
SPV at issue when the company's preference sends automatically (or the create says ``spvExtern``),
or by ``POST api/docs/einvoice {cif, seriesName, number}``; the list row's ``einvoiceStatus``
``{text, sent, code}`` is ``-1`` (not sent; "Neconfigurat" without SPV), ``0`` (in SPV, being
processed), ``1`` (sent successfully) or ``2`` (has errors). ``indexUpload`` / ``idDownload``
are ANAF's ids (undocumented fields). The fake's rule for ANAF's refusal: a buyer without a
city or an address (ANAF's UBL needs the buyer's address).
"""

from __future__ import annotations

from typing import Any

from ..routes import route
from ..wire import FakeRequest, Reply
from . import texts
from .records import _Company, _Document
from .rules import _flag, _ok, _refuse
from .state import OblioState

SPV_TEXTS = {
    -1: "e-Factura netrimisa in SPV.",
    0: "e-Factura a ajuns in SPV si este in prelucrare.",
    1: "e-Factura trimisa cu succes in SPV.",
    2: "e-Factura are erori si nu a fost trimisa in SPV.",
}
"""``einvoiceStatus.text`` per ``code`` (OB-DOC "Raspuns")."""

NOT_CONFIGURED = "Neconfigurat"
"""The text of a company without SPV (the OB-DOC list example)."""


class SpvRoutes(OblioState):
    """``POST api/docs/einvoice`` and the SPV state of each invoice."""

    @route("POST", "api/docs/einvoice")
    def send_einvoice(self, request: FakeRequest) -> Reply:
        """Send an issued invoice to SPV (OB-DOC "SPV"); the answer's ``code: 0`` is "processing"."""
        body = self._write_body(request)
        company, document = self._located(request, body, "Factura")
        if company.spv == "none":
            raise _refuse(texts.ERR_SPV_NOT_CONFIGURED)
        self._spv_refresh(document)
        if document.spv_code in (0, 1):
            raise _refuse(texts.ERR_SPV_ALREADY_SENT)
        self._spv_queue(document)
        return _ok({"text": SPV_TEXTS[1], "sent": True, "code": 0})

    def _spv_on_issue(self, company: _Company, document: _Document) -> None:
        """What the issue of an invoice starts: the automatic send, or the create's ``spvExtern``."""
        if document.doc_type != "Factura" or company.spv == "none":
            return
        asked = isinstance(document.body, dict) and _flag(document.body.get("spvExtern"), "spvExtern", False)
        if company.spv == "auto" or asked:
            self._spv_queue(document)

    def _spv_queue(self, document: _Document) -> None:
        document.spv_code = 0
        document.spv_sent_at = self.clock.time()
        document.index_upload = str(5001120000 + document.id)

    def _spv_refresh(self, document: _Document) -> None:
        if document.spv_code != 0 or document.spv_sent_at is None:
            return
        if self.clock.time() - document.spv_sent_at < self.spv_delay:
            return
        client = document.client
        if not client.get("city") or not client.get("address"):
            document.spv_code = 2
            return
        document.spv_code = 1
        document.id_download = str(3001120000 + document.id)

    def _spv_status(self, company: _Company, document: _Document) -> dict[str, Any]:
        self._spv_refresh(document)
        code = document.spv_code
        text = NOT_CONFIGURED if company.spv == "none" and code == -1 else SPV_TEXTS[code]
        return {"text": text, "sent": code in (0, 1), "code": code}  # the OB-DOC example's types
