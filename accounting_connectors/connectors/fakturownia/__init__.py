"""Fakturownia.pl (= InvoiceOcean, VosFactures, BitFactura), sans-I/O.

Facts used here come from the project's Fakturownia sheet (``providers/fakturownia.md``;
section numbers in brackets), which cites the official ``fakturownia/API`` README
(FK-README), its KSeF guide (FK-KSEF) and peer clients verified against live accounts
(FK-CLIENT, FK-CLI, FK-KODA). The traps this module guards against:

* The account prefix is in the host (``https://{prefix}.fakturownia.pl``); the token goes
  in the ``Authorization: Bearer`` header only, never in a URL, where it leaks into logs
  (§1).
* Send once: every create carries ``oid`` (a kind-specific form of the caller's reference,
  ``ORDER-1/vat``) and ``oid_unique: "yes"``, so Fakturownia refuses a second document for
  it (§14). A refusal naming ``oid`` means the document exists: it is read back. A create
  whose answer is lost is never blindly resent: the document is first looked up with
  ``GET /invoices.json?oid=...&period=all&kind=...``, matched exactly on ``oid`` and
  ``kind`` (the filter's exactness is undocumented), paging on a full page and stopping
  when a page repeats (§15).
* A read-only user's token gets HTTP 200 on a create and nothing is created (§16): a create
  is confirmed only by 201 and an integer ``id``; any other success is checked by reading
  back, and ``PermissionDenied`` is raised when nothing exists.
* Errors under HTTP 200 (``{"code": "error"}``, ``{"status": "error"}``, §2); 422 field maps
  ``{"code":"error","message":{field:[...]}}`` become ``field_errors``.
* ``discount_percent`` is dropped unless ``show_discount`` and ``discount_kind`` are sent (§5).
* A fresh document's PDF answers 422 for a few seconds, and KSeF accounts show an HTML page
  until the KSeF number exists (§10): the PDF is retried within ``pdf_wait`` seconds.
* Receipts cannot be cancelled (§8); corrections carry before/after states per line (§9).
* A bank payment (``payment_records``) is a create with no ``oid``: a lost answer is settled
  by reading the invoice's paid amount back, never by a blind resend (§11, §13).
* ``zw`` lines carry ``exempt_tax_kind`` on every document, corrections included (KSeF);
  ``lang`` uses Fakturownia's own codes (``cz``, ``cn``); stock needs a warehouse (§12).
* Rate limits are undocumented: 60 calls a minute by default, bulk export one document at
  a time for "two concurrent requests" (§13). KSeF fields
  (``gov_status``, ``gov_id``) are kept in ``SentDocument.raw``.

Modules: :mod:`.settings` (typed settings), :mod:`.codec` (amounts, dates and tax codes on
the wire), :mod:`.codes` (Fakturownia's tables, the capability row, ``oid_for`` and the
value mappings), :mod:`.base` (state, driver hooks, error mapping, shared calls),
:mod:`.bodies` (document bodies and the account data they refer to), :mod:`.sendonce` (the
send-once create and the lookup by ``oid``), :mod:`.payments` (``record_payment``) and
:mod:`.connector` (:class:`Fakturownia` and its operations).
"""

from __future__ import annotations

from .base import FakturowniaPdfNotReady
from .codes import CAPABILITIES, KIND_CODES, LANGUAGES, PAYMENT_TYPES, lang_for, oid_for
from .codes import MAX_PAGES as MAX_PAGES
from .codes import PER_PAGE as PER_PAGE
from .codes import payment_type_for as payment_type_for
from .connector import Fakturownia
from .settings import DOMAINS, FakturowniaArgs, FakturowniaSettings

__all__ = [
    "CAPABILITIES",
    "DOMAINS",
    "KIND_CODES",
    "LANGUAGES",
    "PAYMENT_TYPES",
    "Fakturownia",
    "FakturowniaArgs",
    "FakturowniaPdfNotReady",
    "FakturowniaSettings",
    "lang_for",
    "oid_for",
]
