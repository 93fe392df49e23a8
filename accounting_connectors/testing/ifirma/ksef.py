"""The iFirma fake's KSeF: the explicit send, the clearance on the clock, ``NumerKSEF`` / ``StatusKSEF``.

From the e-invoicing sheet (EINVOICING §3.4; I-DOC, I-BUNDLE, I-TP): an invoice issued
through the API is not sent until ``POST {kind}/ksef/send/{id}.json`` ``{"DataWysylki": null}``
(corrections: ``fakturakraj/korekta/ksef/send/{id}.json``) asks for it; the single-invoice
read then carries ``NumerKSEF`` and ``StatusKSEF {Status, Opis, TrybWysylki, CzasWysylki,
CzasWlasciwejWysylki}``. ``PRZYJETA_W_KSEF`` is accepted, ``ODRZUCONA…`` / ``BŁĄD…`` failed,
anything else in progress. **UNCERTAIN** (not found in any source): the in-progress value
(the fake's ``W_TRAKCIE_WYSYLKI``), the exact texts, and what an unsent invoice shows (the
fake: both fields present and empty). The fake's rejection rule: a company buyer
(``OsobaFizyczna`` false) without a NIP. There is no test mode (``ifirma.md`` §3).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from ..base import FakeProvider
from ..documents import StoredDocument
from ..routes import route
from ..wire import FakeRequest, Reply
from .rules import Refusal, envelope

ACCEPTED = "PRZYJETA_W_KSEF"  # I-TP, live
IN_PROGRESS = "W_TRAKCIE_WYSYLKI"  # the fake's value: the real in-progress values are not known
REJECTED = "ODRZUCONA_PRZEZ_KSEF"  # a value of the documented "ODRZUCONA…" family
NO_BUYER_NIP = "Brak NIP nabywcy będącego podatnikiem."  # the fake's wording
SENT = "Wysłano."  # I-TP's test double (UNCERTAIN)
ALREADY_SENT = "Faktura została już wysłana do KSeF."  # the fake's wording


class KsefRoutes(FakeProvider):
    """KSeF sending and the KSeF fields of the single-invoice read for the iFirma fake."""

    ksef_delay: float = 60.0
    """Seconds from the send to KSeF's verdict (undocumented; iFirma sends "not at once", I-HELP)."""

    _docs: dict[int, StoredDocument]

    def _ksef_doc(self, kind: str, identifier: str) -> StoredDocument:
        doc = self._docs.get(int(identifier)) if identifier.isdigit() else None
        if doc is None or getattr(doc.detail, "endpoint", None) != kind:
            raise Refusal(201, f"Nie znaleziono faktury {identifier}", 404)  # the fake's wording
        return doc

    def _ksef_records(self) -> dict[str, dict[str, Any]]:
        state: dict[str, dict[str, Any]] | None = getattr(self, "_ksef_state", None)
        if state is None:
            state = {}
            self._ksef_state = state
        return state

    def _ksef_time(self, moment: float) -> str:
        return dt.datetime.fromtimestamp(moment, dt.UTC).strftime("%Y-%m-%d %H:%M:%S")

    def ksef_fields(self, doc: StoredDocument) -> dict[str, Any]:
        """``NumerKSEF`` and ``StatusKSEF`` of a document, brought up to the clock."""
        record = self._ksef_records().get(str(doc.id))
        if record is None:
            return {
                "NumerKSEF": "",
                "StatusKSEF": {
                    "Status": "",
                    "Opis": "",
                    "TrybWysylki": "",
                    "CzasWysylki": "",
                    "CzasWlasciwejWysylki": "",
                },
            }
        status = record["StatusKSEF"]
        if status["Status"] == IN_PROGRESS and self.clock.time() - record["_sent"] >= self.ksef_delay:
            status["CzasWlasciwejWysylki"] = self._ksef_time(record["_sent"] + self.ksef_delay)
            if record["_reason"]:
                status["Status"], status["Opis"] = REJECTED, record["_reason"]
            else:
                day = dt.datetime.fromtimestamp(record["_sent"], dt.UTC).strftime("%Y%m%d")
                suffix = hashlib.sha256(str(doc.id).encode()).hexdigest()[:12].upper()
                status["Status"], status["Opis"] = ACCEPTED, "Faktura przyjęta w KSeF."
                record["NumerKSEF"] = f"1111111111-{day}-{suffix}-6A"
        return {"NumerKSEF": record["NumerKSEF"], "StatusKSEF": dict(status)}

    @route("POST", "fakturakraj/korekta/ksef/send/{id}.json")
    def send_correction_to_ksef(self, request: FakeRequest) -> Reply:
        """Send an issued correction to KSeF (I-BUNDLE ``fakturakraj/korekta``)."""
        return self._ksef_send(self._ksef_doc("fakturakraj", request.groups["id"]))

    @route("POST", "{kind}/ksef/send/{id}.json")
    def send_to_ksef(self, request: FakeRequest) -> Reply:
        """Send an issued invoice to KSeF (I-DOC "Wysyłanie faktury do KSeF")."""
        return self._ksef_send(self._ksef_doc(request.groups["kind"], request.groups["id"]))

    def _ksef_send(self, doc: StoredDocument) -> Reply:
        current = self.ksef_fields(doc)["StatusKSEF"]["Status"]
        if current in (IN_PROGRESS, ACCEPTED):
            raise Refusal(201, ALREADY_SENT)
        buyer = doc.body.get("Kontrahent") if isinstance(doc.body, dict) else None
        company = isinstance(buyer, dict) and buyer.get("OsobaFizyczna") is False
        reason = NO_BUYER_NIP if company and not (buyer or {}).get("NIP") else ""
        now = self.clock.time()
        self._ksef_records()[str(doc.id)] = {
            "NumerKSEF": "",
            "StatusKSEF": {
                "Status": IN_PROGRESS,
                "Opis": "",
                "TrybWysylki": "ONLINE",
                "CzasWysylki": self._ksef_time(now),
                "CzasWlasciwejWysylki": "",
            },
            "_sent": now,
            "_reason": reason,
        }
        return envelope(0, SENT)
