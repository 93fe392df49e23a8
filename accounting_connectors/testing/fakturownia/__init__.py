"""A stateful fake of the Fakturownia.pl API (and its twins InvoiceOcean, VosFactures, BitFactura).

Built from the project's Fakturownia sheet (``providers/fakturownia.md``; sections in
brackets), never from the connector: the constants it needs are its own copies::

    fake = FakturowniaFake.demo()                      # account "demo", token "demo-token"
    conn = ac.connect("fakturownia", account="demo", api_token="demo-token", transport=fake)

What it models:

* Accounts by prefix in the host, ``https://{prefix}.fakturownia.pl`` or a regional domain
  [§1]; several accounts side by side (:meth:`add_account`), each with its tokens (rotation:
  :meth:`add_token`, :meth:`revoke_token`), departments, products and warehouses. The token is
  read the three documented ways: ``Authorization: Bearer``, ``?api_token=`` and a body
  ``api_token`` next to the wrapper [§1] (peer clients use all three). Anything else is 401.
* A read-only user's token: HTTP 200 on a create and nothing stored (the known bug, §16); its
  other writes also answer 200 and change nothing (the fake's reading: the sheet names creates).
* ``POST /invoices.json`` for the kinds of §5.1, with positions computed as Fakturownia
  does: missing values derived from the given ones [§5.2]; ``discount_percent`` counted only
  with ``show_discount`` and ``discount_kind`` [§5, §16]; document totals the sum of the
  positions. 422 ``{"code":"error","message":{field:[...]}}`` for missing or invalid fields,
  KSeF rules on KSeF accounts [§2, §9]: ``buyer_tax_no``, ``exempt_tax_kind`` for ``zw``,
  ``buyer_phone`` ≤ 16, names, ``correction_reason`` and descriptions ≤ 256, and a correction
  may not change the seller, department or buyer fields (carried-over §1.7).
  ``client_id: -1`` creates the client from the buyer fields [§5.1].
* ``oid`` + ``oid_unique: "yes"``: a second document with the same ``oid`` in the account is
  refused with a 422 naming ``oid`` [§14] (the scope per account, not per kind, is the
  stricter reading of an undocumented point). The listing's ``oid`` filter matches
  **loosely** (a case-insensitive substring), the pessimistic reading of §17.3, so a client
  must match exactly itself.
* Numbering per account, department, kind and month: ``1/01/2026`` for VAT invoices (the
  form of the sheet's example), ``PAR 1/01/2026`` receipts, ``KOR 1/01/2026`` corrections
  (patterns are set in the web app, §7; these prefixes are the fake's choice).
* ``GET /invoices.json`` with ``period`` (default ``this_month``, UNCERTAIN), ``page``,
  ``per_page`` (default 25, at most 100), ``oid``, ``kind``, ``kinds[]``, ``number``,
  ``client_id``, ``invoice_ids``, ``from_invoice_id``, ``include_positions``, ``order``; with
  ``ignore_page=True`` it ignores ``page`` as §15 warns the API may.
* Read, update (``paid``, ``status``, positions by ``id`` with ``_destroy``; ``paid`` alone
  marks the document paid, §0/§11), delete (not once sent to KSeF), cancel (receipts cannot
  be, §8), ``change_status`` (errors under HTTP 200, a proforma refuses ``paid`` with 422),
  ``send_by_email`` (KSeF error under 200).
* PDFs: 422 for ``pdf_delay`` seconds after a create, an HTML page on KSeF accounts until the
  KSeF number arrives (``ksef_delay``), then a one-page PDF [§10]; public ``/invoice/{token}.pdf``
  without a token.
* Bank payments (plural path; the README's singular one is a 404, §16), departments,
  products with stock (a lone ``price_net`` on update is ignored, §16), warehouses, warehouse
  documents, clients [§3, §11, §12].
* 60 requests a minute per account (the safest reading of §13; ``requests_per_minute=``
  changes it), refused with 429 and ``Retry-After``; every refusal counts in ``penalties``.
* The base fault plan, plus :meth:`fail_after_commit` (a create stored, then a 5xx);
  :meth:`clear_faults` drops both.

The base pipeline checks a request's host against ``base_urls``; since the account is in
the host, :meth:`FakturowniaFake._relative` accepts every ``{prefix}.{domain}`` host of the
service's domains (and the base URLs, for :func:`~accounting_connectors.testing.serve`).

Modules: :mod:`.state` (constants, value readers, :class:`FakeAccount`), :mod:`.core` (the
pipeline hooks and shared helpers), :mod:`.rules` (building and checking documents),
:mod:`.invoices` and :mod:`.resources` (the endpoints), :mod:`.texts` (the answers' texts)
and :mod:`.fake` (:class:`FakturowniaFake`: configuration, accounts, tokens, faults).
"""

from __future__ import annotations

from .fake import FakturowniaFake
from .state import BASE_URL, DOMAINS, KINDS, FakeAccount

__all__ = ["BASE_URL", "DOMAINS", "KINDS", "FakeAccount", "FakturowniaFake"]
