"""A fake Fakturowo.pl, built from ``shared/providers/fakturowo.md`` (cited as §N).

It keeps its own copy of every constant it needs and never imports the connector. What it
does, as the sheet describes the service:

* One endpoint, ``/api`` on ``www.fakturowo.pl`` and ``konto.fakturowo.pl`` (§1), taking
  form fields (url-encoded, or multipart as FO-LARAVEL's cURL arrays send; GET with the
  fields in the query also works, as FO-DOC says, for testing). ``api_id`` is the key;
  ``api_zadanie`` the task: ``1`` issues, ``3`` lists (§3); ``api_status`` without a task
  saves a document "to issue" (§3). ``api_kodowanie`` is accepted and ignored: bytes are
  read as UTF-8 (FO-CS sends ``0`` with UTF-8 bytes).
* Answers are plain-text lines under HTTP 200; errors are ``0`` and a Polish text on the
  next line (:mod:`.messages`, the fake's own texts: the sheet has none).
* Lines are the numbered sets ``produkt_*_N`` *and* the unsuffixed set, each a line of its
  own (the unsuffixed one first), whatever the numbers: FO-PHP (unsuffixed + ``_1..N``),
  FO-CS (``_1..N``) and FO-LARAVEL (unsuffixed, ``_2``, ``_3``...) all pass (§ Changes).
* The issue answer with ``dokument_dostep=1`` is ``1``, ``api_numer``, an empty line (its
  meaning is unknown, §17.2) and the document link; the link serves a PDF, or an HTML page
  with ``link_serves="html"``. ``pobierz?api_id=&api_numer=`` serves the PDF (FO-LIST, §10).
* Several accounts (a hub exports for many merchants), each with its keys (rotation with
  :meth:`FakturowoFake.rotate_key`), its own numbering per kind and month, and its list.
* One call at a time per account (FO-DOC "synchronously", §1, §13): an API call is in
  flight from its arrival until its answer leaves, :data:`ANSWER_SECONDS` later on the
  fake's clock (the fake waits that long before answering), and a call of the same account
  that arrives meanwhile is refused with :data:`.messages.CONCURRENT` (a ``0`` answer,
  HTTP 200). Only overlap is refused: the 0.5 s spacing of §13 is the sheet's advice to
  clients, not a documented rule of the service, so a synchronous client that calls again
  as soon as it has its answer passes, and so does FO-LIST's 300 ms between list pages.
* No duplicate guard (§14): a repeated own ``dokument_numer`` is issued again, as nothing
  in the sheet says Fakturowo refuses it.

The list's order is not documented (§14): ``list_order`` chooses newest or oldest first.

Modules: :mod:`.records` (the demo account, code lists, accounts and documents),
:mod:`.forms` (reading form fields, lines and totals, writing list rows), :mod:`.messages`
(the answers' texts) and :mod:`.fake` (:class:`FakturowoFake`).
"""

from __future__ import annotations

from .fake import FakturowoFake
from .records import ANSWER_SECONDS as ANSWER_SECONDS
from .records import CURRENCIES as CURRENCIES
from .records import DEMO_API_ID, DEMO_SELLER_NAME, DEMO_SELLER_NIP
from .records import KIND_WORDS as KIND_WORDS
from .records import KINDS as KINDS
from .records import LINE_FIELDS as LINE_FIELDS
from .records import NUMBER_PREFIX as NUMBER_PREFIX
from .records import PAGE_SIZE as PAGE_SIZE
from .records import PAID_STATUS as PAID_STATUS
from .records import PAYMENT_CODES as PAYMENT_CODES
from .records import VAT_PERCENT as VAT_PERCENT

__all__ = ["DEMO_API_ID", "DEMO_SELLER_NAME", "DEMO_SELLER_NIP", "FakturowoFake"]
