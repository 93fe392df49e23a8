"""A stateful fake of the Oblio.eu REST API, as an httpx transport.

Built from the Oblio sheet (``shared/providers/oblio.md``), never from the connector: it
keeps its own copy of every constant. What it models:

* OAuth client credentials at ``POST api/authorize/token`` (form or JSON, as the doc and
  the official clients send it), Bearer tokens valid 3600 s on the fake's clock, the two
  401 texts (``... has expired`` / ``... is invalid``), secret rotation (a new secret
  revokes the old one and its tokens);
* several logins and companies (``cif`` in every call; a login reaches only its own
  companies), each with series (``next``, zero-padded), VAT rates, languages, stock;
* ``POST api/docs/{invoice,proforma,notice}``: JSON only, required fields and types,
  ``vatIncluded`` defaulting to 1, discount lines, own numbering with
  ``disableAutoSeries``, ``collect`` at issue, ``useStock`` with ``management`` and
  ``code``, storno through ``referenceDocument`` (full with ``refund:1``; partial with
  negative quantities, OB-FG's positive balancing line allowed), and ``idempotencyKey``
  deduplication, account-wide (a key collides within a login's companies and between the
  logins of a company): a replayed key answers 200 with the first document (the sheet's
  safest reading, §14, §17.1);
* reads, ``invoice/list`` with its filters and paging, ``invoice/collect`` (JSON or form),
  cancel, restore, delete (the last document of a series only), nomenclatures;
* the public ``link`` (``utils/show_file``) serving a one-page PDF without the token;
* the documented limits: 30 creates / 100 s and 30 other calls / 10 s per token, plus the
  older "more than 3 requests per second blocks the token for 10 minutes" (§13), answered
  with HTTP 429 (UNCERTAIN in the sheet);
* the kit's faults, and :meth:`OblioFake.fail_after_commit` (a create stored, then 5xx).

Totals: every line is rounded half-up to 0.01 (net or gross, as ``vatIncluded`` says)
and split into net and VAT once; a discount line lowers the amount of the line(s) it
applies to before that split. How Oblio rounds discounts is not documented (UNCERTAIN).

Not modelled: webhooks, e-Factura, ``nomenclature/clients`` search by name, e-mail.

Modules: :mod:`.records` (constants and the records of logins, companies and documents),
:mod:`.rules` (reading values as Oblio does, its envelopes), :mod:`.state` (the account's
stores, setup and shared lookups), the routes by resource -- :mod:`.auth` (the token),
:mod:`.documents` (creates), :mod:`.reads` (reads and the list), :mod:`.changes` (collect,
cancel, restore, delete), :mod:`.nomenclature`, :mod:`.link` (the public PDF link) --,
:mod:`.texts` (Oblio's texts as data) and :mod:`.fake` (:class:`OblioFake`, the pipeline's hooks).
"""

from __future__ import annotations

from . import texts as texts
from .fake import OblioFake
from .records import (
    BASE_URL,
    COLLECT_TYPES,
    DEMO_CIF,
    DEMO_EMAIL,
    DEMO_SECRET,
)
from .records import DEFAULT_SERIES as DEFAULT_SERIES
from .records import DEFAULT_VAT_RATES as DEFAULT_VAT_RATES
from .records import LANGUAGES as LANGUAGES
from .records import PRODUCT_TYPES as PRODUCT_TYPES
from .records import SECOND_CIF as SECOND_CIF
from .records import TOKEN_SECONDS as TOKEN_SECONDS
from .records import ref_type_is_invoice as ref_type_is_invoice

# The names re-exported ``as`` themselves are public too, though not in __all__ (as before the split).
__all__ = ["BASE_URL", "COLLECT_TYPES", "DEMO_CIF", "DEMO_EMAIL", "DEMO_SECRET", "OblioFake"]
