"""wFirma.pl (API2, ``https://api2.wfirma.pl``), sans-I/O.

Facts come from ``shared/providers/wfirma.md`` (the sheet; section numbers in comments)
and the official Postman collection ``shared/specs/wfirma-postman.json`` (W-DOC). The traps
this package guards against:

* Errors come under HTTP 200 as ``status > code`` (§2); validation details are attached
  to the records at any depth and are all collected (§16: clients that read only the code
  show "Invalid input data").
* ``AUTH FAILED LIMIT WAIT 5 MINUTES`` blocks the login for 5 minutes: it is raised as
  ``RateLimited`` with ``retry_at`` and the credential is held, never hammered (§13).
* ``company_id`` goes on every call; without it a multi-company user hits the wrong
  company or gets ``COMPANY ID REQUIRED`` (§1), a configuration error.
* A plain ``vat`` the account does not know is silently reset to 23 % (§6.1, §16): every
  line names its VAT code by the account's own ``vat_code`` id, read from ``vat_codes``.
* Unknown fields are silently ignored (§16): only documented names are sent.
* No idempotency key; the caller's reference goes into ``id_external`` (§14) and
  ``find_document`` looks it up (UNCERTAIN whether ``find`` filters on it, so the rows are
  matched client-side too).
* ``FATAL`` on a write leaves the outcome unknown (``AmbiguousOutcome``); an answer
  without ``status`` too (§16, W-ISSUES #50).
* Accounts on full accounting books cannot edit invoices (§16): nothing here edits.
* ``invoices/download`` answers raw PDF bytes (§10).

Modules: :mod:`.settings` (settings and constants), :mod:`.bodies` (requests and bodies),
:mod:`.answers` (answers and error mapping), :mod:`.connector` (:class:`WFirma` and its
flows), :mod:`.wire` (the XML wire format).
"""

from __future__ import annotations

from .bodies import vat_code_of as vat_code_of
from .bodies import vat_rate_of as vat_rate_of
from .connector import WFirma
from .settings import BASE_URL, PAYMENT_TYPES, WFirmaArgs, WFirmaSettings
from .settings import CAPABILITIES as CAPABILITIES
from .settings import EU_COUNTRIES as EU_COUNTRIES
from .settings import LOCKOUT_SECONDS as LOCKOUT_SECONDS
from .settings import RECEIPT_TYPES as RECEIPT_TYPES

__all__ = ["BASE_URL", "PAYMENT_TYPES", "WFirma", "WFirmaArgs", "WFirmaSettings"]
