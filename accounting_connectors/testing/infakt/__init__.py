"""A stateful fake of the inFakt API v3, as an httpx transport.

Built from inFakt's documentation as the project's inFakt sheet records it (the official
README, IF-README, and facts third-party clients verified against the live API, IF-OL),
not from this library's connector::

    fake = InFaktFake(api_key="demo-key")
    with httpx.Client(transport=fake, base_url="https://api.infakt.pl/api/v3/",
                      headers={"X-inFakt-ApiKey": "demo-key"}) as client:
        task = client.post("async/invoices.json", json={"invoice": {...}}).json()
        client.get(f"async/invoices/status/{task['invoice_task_reference_number']}.json")

What it models:

* Hosts ``api.infakt.pl`` and ``api.sandbox-infakt.pl`` under ``/api/v3/``; the key in
  the ``X-inFakt-ApiKey`` header (401 ``{"error": ...}`` otherwise). Several companies,
  each with one or more keys (:meth:`InFaktFake.add_key`, :meth:`InFaktFake.revoke_key`).
* The asynchronous create of invoices and corrective invoices: ``202`` with
  ``invoice_task_reference_number`` and ``processing_code: 100``; the task stays in
  progress for :attr:`InFaktFake.task_polls` polls of its status, then ends with
  ``processing_code: 201`` and ``invoice_uuid`` (the document is stored then) or ``422``
  with ``invoice_errors``. Documents are validated when the task runs (or on the POST
  itself with ``sync_validation=True``, the other possible reading).
* Validation of what IF-README requires: services with ``name`` and a known
  ``tax_symbol``; amounts as **integers** (grosze); a known ``payment_method``
  (``transfer`` only with a bank account); a client (``client_id`` or inline fields);
  ISO dates; for corrections the corrected invoice's uuid, number and date, a reason
  symbol, and before/after pairs per ``group``.
* Numbering ``N/MM/YYYY`` per kind and month of the issue date (the shape of
  ``next_number.json``'s example ``"5/01/2024"``), own numbers with
  ``check_duplicate_number``, ``GET invoices/next_number.json``.
* Reading documents (``GET invoices/{uuid}.json``; corrections only under
  ``corrective_invoices/``, as IF-OL found), PDFs (``pdf.json``, marks a draft
  "printed"), marking paid (``POST async/invoices/{uuid}/paid.json``), ``vat_rates.json``.
* Unknown fields are silently ignored, as inFakt does (IF-OL): tests can inspect
  :attr:`InFaktFake.ignored_fields`.
* The per-IP limits (GET 300, POST/PUT/DELETE 150 per 60 s): 429 with ``Retry-After``
  (IF-OL honours it; inFakt documents no rate-limit header, UNCERTAIN); refusals count in
  ``penalties``.
* The kit's faults (``inject``) and vocabulary: ``documents`` (``StoredDocument`` with
  :class:`InFaktDetail` in ``detail``; ``id`` is the uuid), ``find(id=uuid)``,
  ``find(number=...)``, ``requests``, ``demo()``.

Texts are in :mod:`.texts`. Not modelled: clients, products and bank-account resources
beyond :meth:`InFaktFake.add_client`, KSeF, e-mail, share links, attachments, filters and
paging.
"""

from __future__ import annotations

from .books import DEFAULT_VAT_RATES, PAYMENT_METHODS
from .fake import DEMO_COMPANY_TAX_ID, InFaktDetail, InFaktFake

HOSTS = ("api.infakt.pl", "api.sandbox-infakt.pl")
"""Production and sandbox hosts (IF-README)."""

__all__ = ["DEFAULT_VAT_RATES", "DEMO_COMPANY_TAX_ID", "HOSTS", "PAYMENT_METHODS", "InFaktDetail", "InFaktFake"]
