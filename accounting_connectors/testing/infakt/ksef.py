"""The inFakt fake's KSeF: the explicit send, the clearance on the clock and ``ksef_data``.

From the e-invoicing sheet (EINVOICING §3.2; IF-KSEF, IF-OL): a document created through
the API is a draft and never goes to KSeF by itself; ``POST invoices/{uuid}/send_to_ksef.json``
(``corrective_invoices/...`` for corrections, ``ksef/documents/{uuid}/send.json`` for any)
hands it over (``status: sent``); after ``ksef_delay`` seconds (about 90 s on the sandbox,
IF-OL) it is ``success`` with a KSeF number, or ``error`` with the reason in
``status_description``. A company without the KSeF integration gets 422
``{"error": "Użytkownik nie jest zintegrowany z KSeF."}``. The fake's rejection rule, one of
the causes inFakt lists: a company buyer (``other_business``) without a NIP. A sent or
accepted document is not sent again (422); an ``error`` one is, under the same uuid.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from ..base import FakeProvider
from ..routes import route
from ..wire import FakeError, FakeRequest, Reply
from .books import Books, Doc

NOT_INTEGRATED = "Użytkownik nie jest zintegrowany z KSeF."  # IF-KSEF
SENT_TEXT = "Faktura została wysłana do przetworzenia w KSeF."  # IF-KSEF
SUCCESS_TEXT = "Faktura została przetworzona."  # IF-KSEF
NO_BUYER_NIP = "Brak NIP nabywcy."  # the fake's wording of a cause IF-KSEF lists
ALREADY_SENT = "Faktura została już wysłana do KSeF."  # the fake's wording (UNCERTAIN)


class KsefRoutes(FakeProvider):
    """KSeF sending and status for the inFakt fake; its state lives beside the books."""

    ksef_delay: float = 90.0
    """Seconds from the send to KSeF's verdict (IF-OL measured about 90 s on the sandbox)."""

    def _ksef_state(self) -> dict[str, dict[str, Any]]:
        state: dict[str, dict[str, Any]] | None = getattr(self, "_ksef_records", None)
        if state is None:
            state = {}
            self._ksef_records = state
        return state

    def _ksef_off(self) -> set[str]:
        off: set[str] | None = getattr(self, "_ksef_not_integrated", None)
        if off is None:
            off = set()
            self._ksef_not_integrated = off
        return off

    def set_ksef_integration(self, company: str, active: bool) -> None:
        """Switch a company's KSeF integration on (the default) or off."""
        with self._lock:
            (self._ksef_off().discard if active else self._ksef_off().add)(company)

    def _ksef_stamp(self, moment: float) -> str:
        return dt.datetime.fromtimestamp(moment, dt.timezone(dt.timedelta(hours=1))).strftime("%Y-%m-%d %H:%M:%S %z")

    def ksef_data(self, doc: Doc) -> dict[str, Any] | None:
        """The document's ``ksef_data`` block (``None``: never sent), brought up to the clock."""
        record = self._ksef_state().get(doc.uuid)
        if record is None:
            return None
        if record["status"] == "sent" and self.clock.time() - record["_sent"] >= self.ksef_delay:
            finished = record["_sent"] + self.ksef_delay
            record["timestamps"]["request_finished_at"] = self._ksef_stamp(finished)
            if record["_reason"]:
                record["status"], record["status_description"] = "error", record["_reason"]
            else:
                nip = "7343521162"
                day = dt.datetime.fromtimestamp(finished, dt.UTC).strftime("%Y%m%d")
                suffix = hashlib.sha256(doc.uuid.encode()).hexdigest()[:12].upper()
                record["status"], record["status_description"] = "success", SUCCESS_TEXT
                record["ksef_number"] = f"{nip}-{day}-{suffix}-57"
        return {key: value for key, value in record.items() if not key.startswith("_")}

    @route("POST", "invoices/{uuid}/send_to_ksef.json")
    @route("POST", "corrective_invoices/{uuid}/send_to_ksef.json")
    @route("POST", "ksef/documents/{uuid}/send.json")
    def send_to_ksef(self, request: FakeRequest) -> Reply:
        """Send one document to KSeF (IF-KSEF "Wysyłka faktur")."""
        books: Books = request.principal
        doc = books.docs.get(request.groups["uuid"])
        folder_ok = request.path.startswith("ksef/") or (
            doc is not None and (doc.kind == "correction") == (request.path.startswith("corrective_invoices/"))
        )
        if doc is None or not folder_ok:
            raise FakeError(Reply.json({"error": "Zasób którego szukasz nie został znaleziony."}, 404))
        if books.company in self._ksef_off():
            raise FakeError(Reply.json({"error": NOT_INTEGRATED}, 422))
        current = self.ksef_data(doc)
        if current is not None and current["status"] in ("sent", "success"):
            raise FakeError(Reply.json({"error": ALREADY_SENT}, 422))
        fields = doc.fields
        reason = ""
        if fields.get("client_business_activity_kind") == "other_business" and not fields.get("client_tax_code"):
            reason = NO_BUYER_NIP
        now = self.clock.time()
        self._ksef_state()[doc.uuid] = {
            "request_uuid": hashlib.sha256(f"{doc.uuid}:{now}".encode()).hexdigest()[:32],
            "invoice_uuid": doc.uuid,
            "invoice_kind": doc.kind,
            "ksef_number": None,
            "status": "sent",
            "status_description": SENT_TEXT,
            "timestamps": {"request_created_at": self._ksef_stamp(now), "request_finished_at": None},
            "_sent": now,
            "_reason": reason,
        }
        return Reply.json(self.ksef_data(doc))

    @route("GET", "ksef/documents/{uuid}/status.json")
    def ksef_status(self, request: FakeRequest) -> Reply:
        """The KSeF status of a document sent (404 for one never sent: the fake's reading, UNCERTAIN)."""
        books: Books = request.principal
        doc = books.docs.get(request.groups["uuid"])
        data = self.ksef_data(doc) if doc is not None else None
        if data is None:
            raise FakeError(Reply.json({"error": "Zasób którego szukasz nie został znaleziony."}, 404))
        return Reply.json(data)
