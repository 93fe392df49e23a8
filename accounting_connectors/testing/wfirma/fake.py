"""A fake wFirma API2, built from ``shared/providers/wfirma.md`` and the Postman collection.

What it does the wFirma way (section numbers of the sheet):

* API keys in three headers, ``accessKey``, ``secretKey``, ``appKey`` (§1); wrong keys
  answer ``AUTH``; five failed logins lock the access key for five minutes, answered
  ``AUTH FAILED LIMIT WAIT 5 MINUTES`` even to the right keys (§13, earlier §1.1).
* ``company_id`` selects one of the user's companies; a user with several companies who
  names none gets ``COMPANY ID REQUIRED``, a company not theirs ``ACCESS DENIED`` (§1).
* Bodies in XML (parsed with ``defusedxml``) or JSON, numbered or as arrays under
  ``api`` (§1.1); answers in ``outputFormat`` (default ``inputFormat``), always with
  ``status > code`` under HTTP 200 (§2), validation errors attached to the records.
* Documents numbered per series from the series' template and reset (§7), VAT by the
  company's ``vat_code`` ids (a ``vat`` it does not know is silently reset to 23 %, §6.1),
  goods with codes and stock (§12), corrections by ``parent_id`` with after states (§9),
  payments (§11), raw PDFs from ``invoices/download`` (§10), ``fiscalize``/``unfiscalize``
  (§8), ``find`` with conditions and paging (§14, §15), unknown fields silently ignored
  (§16), and no edits on accounts kept on full accounting books (§16).
* A request-count limit answered ``TOTAL REQUESTS LIMIT EXCEEDED`` (not quantified by
  wFirma; ``requests_per_minute`` here).

``detail`` of each :class:`StoredDocument` is a dict: ``type``, ``lines`` (dicts with
``id``, ``name``, ``count``, ``price``, ``vat_code_id``, ``vat``, ``good_id``,
``discount_percent``, ``netto``, ``brutto``), ``netto``, ``tax``, ``contractor``,
``price_type``, ``paymentmethod``, ``description``.

This module holds :class:`WFirmaFake` itself (its limits, the pipeline's hooks and the
stored documents); the records are in :mod:`.records`, the rules in :mod:`.rules`, the
accounts and replies in :mod:`.state`, and the routes in :mod:`.invoices`,
:mod:`.payments` and :mod:`.dictionaries`.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, ClassVar

import attrs

from ...clock import Clock
from ..documents import StoredDocument
from ..throttle import FakeLimit, LimitVerdict
from ..wire import FakeError, FakeRequest, Reply
from . import texts
from .dictionaries import DictionaryRoutes
from .invoices import InvoiceRoutes
from .payments import PaymentRoutes
from .records import _FAILED
from .records import DEMO_COMPANY as DEMO_COMPANY
from .records import DEMO_KEYS as DEMO_KEYS
from .records import FAILED_LOGINS as FAILED_LOGINS
from .records import LOCKOUT_SECONDS as LOCKOUT_SECONDS
from .records import SECOND_COMPANY as SECOND_COMPANY
from .records import _Company as _Company
from .records import _Document as _Document
from .records import _Good as _Good
from .records import _Line as _Line
from .records import _Series as _Series
from .records import _User as _User
from .records import _VatCode as _VatCode

__all__ = ["DEMO_KEYS", "WFirmaFake"]


class WFirmaFake(DictionaryRoutes, PaymentRoutes, InvoiceRoutes):
    """An in-memory wFirma API2: several users, companies, keys and the documents issued."""

    provider: ClassVar[str] = "wfirma"
    base_urls: ClassVar[tuple[str, ...]] = ("https://api2.wfirma.pl/",)
    demo_settings: ClassVar[Mapping[str, Any]] = {**DEMO_KEYS, "company_id": DEMO_COMPANY}
    limits: ClassVar[tuple[FakeLimit, ...]] = (
        FakeLimit(
            FAILED_LOGINS,
            LOCKOUT_SECONDS,
            penalty_seconds=LOCKOUT_SECONDS,
            applies=lambda request: request.principal is _FAILED,
            name="failed_logins",
        ),
        FakeLimit(60, 60.0, name="requests"),
    )

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        keep_log: bool = True,
        requests_per_minute: int = 60,
        filters_id_external: bool = True,
    ) -> None:
        if requests_per_minute != 60:
            limits = (type(self).limits[0], FakeLimit(requests_per_minute, 60.0, name="requests"))
            setattr(self, "limits", limits)  # noqa: B010 - this fake's own request limit
        super().__init__(clock=clock, keep_log=keep_log)
        self.filters_id_external = filters_id_external
        """UNCERTAIN (§14): whether ``find`` filters on ``id_external``; ``False`` ignores that condition."""
        self.app_keys: set[str] = set()
        self.users: dict[str, _User] = {}
        self.companies: dict[str, _Company] = {}
        self._next_id = {"invoice": 68827800, "content": 19630700, "payment": 5000, "good": 4700, "series": 1}
        self._order: list[tuple[str, str]] = []
        self._fatal_after_commit: set[str] = set()
        self.ksef_delay = 10.0
        """Seconds until KSeF assigns a KSeF-on company's invoice its number."""

    # Setting up accounts.

    @classmethod
    def demo(cls, *, clock: Clock | None = None) -> WFirmaFake:
        """The demo user (:data:`DEMO_KEYS`) with companies 1001 and 1002."""
        fake = cls(clock=clock)
        fake.add_company(DEMO_COMPANY, "Demo Sp. z o.o.", warehouse=True)
        fake.add_company(SECOND_COMPANY, "Druga Firma S.A.", books=True, vat_id_base=1000)
        fake.add_user(DEMO_KEYS["access_key"], DEMO_KEYS["secret_key"], [DEMO_COMPANY, SECOND_COMPANY])
        fake.app_keys.add(DEMO_KEYS["app_key"])
        fake.add_good(DEMO_COMPANY, "SKU-1", "Produkt A", count=Decimal(100))
        fake.add_good(DEMO_COMPANY, "SKU-2", "Produkt B", count=Decimal(5))
        return fake

    # The pipeline's hooks.

    def authenticate(self, request: FakeRequest) -> Any:
        """The three API-key headers (§1); a locked access key is refused even with the right keys."""
        access = request.headers.get("accessKey", "")
        locked = self.blocked_until(access)
        if locked is not None and locked > self.clock.time():
            raise FakeError(self._status(request, texts.AUTH_FAILED_LIMIT))
        user = self.users.get(access)
        if (
            user is None
            or request.headers.get("secretKey") != user.secret_key
            or request.headers.get("appKey") not in self.app_keys
        ):
            return _FAILED
        return user

    def limit_key(self, request: FakeRequest) -> str:
        """Limits and the failed-login lock count by access key."""
        return str(request.headers.get("accessKey", ""))

    def rate_limited(self, request: FakeRequest, verdict: LimitVerdict) -> Reply:
        """``AUTH FAILED LIMIT WAIT 5 MINUTES`` or ``TOTAL REQUESTS LIMIT EXCEEDED``, under HTTP 200."""
        if verdict.limit is not None and verdict.limit.name == "failed_logins":
            return self._status(request, texts.AUTH_FAILED_LIMIT)
        return self._status(request, texts.TOTAL_REQUESTS_LIMIT_EXCEEDED)

    def not_found(self, request: FakeRequest) -> Reply:
        """Unknown module or action: ``ACTION NOT FOUND`` under HTTP 200."""
        return self._status(request, texts.ACTION_NOT_FOUND)

    def method_not_allowed(self, request: FakeRequest, allowed: list[str]) -> Reply:
        """No 405 at wFirma: ``ACTION NOT FOUND``."""
        return self._status(request, texts.ACTION_NOT_FOUND)

    def server_error(self, request: FakeRequest) -> Reply:
        """HTTP 500 with a ``FATAL`` envelope (nothing stored)."""
        return attrs.evolve(self._status(request, texts.FATAL), status=500)

    def error_under_200(self, request: FakeRequest) -> Reply:
        """``FATAL`` under HTTP 200 (nothing stored)."""
        return self._status(request, texts.FATAL)

    def stored(self) -> list[StoredDocument]:
        """Every document of every company, in the order issued."""
        return [
            self._snapshot(company_id, self.companies[company_id].documents[doc]) for company_id, doc in self._order
        ]

    # Records.

    def _snapshot(self, company_id: str, document: _Document) -> StoredDocument:
        return StoredDocument(
            provider=self.provider,
            account=company_id,
            kind=document.type,
            number=document.fullnumber,
            series=document.series_id,
            id=document.id,
            issue_date=document.date,
            currency=document.currency,
            total=document.total,
            paid=document.alreadypaid,
            reference=document.id_external,
            cancelled=document.cancelled,
            corrects=document.parent_id,
            body=document.body,
            detail={
                "type": document.type,
                "lines": [attrs.asdict(line) for line in document.lines],
                "netto": document.netto,
                "tax": document.tax,
                "contractor": dict(document.contractor),
                "price_type": document.price_type,
                "paymentmethod": document.paymentmethod,
                "description": document.description,
                "fiscalized": document.fiscalized,
            },
        )
