"""The Fakturownia fake's pipeline hooks and the helpers its endpoints share.

:class:`FakturowniaCore` finds the account in the host (``{prefix}.{domain}``, §1), reads
the token the three documented ways, counts limits per account, answers 401/404/429/5xx as
Fakturownia does, and holds the shared helpers: the clock's date, JSON bodies, a document
by id (with its KSeF number arriving after ``ksef_delay``), the public view of a document
and its :class:`~accounting_connectors.testing.documents.StoredDocument` snapshot.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import httpx

from ..base import FakeProvider
from ..documents import StoredDocument
from ..faults import normalize_path
from ..throttle import LimitVerdict
from ..wire import FakeError, FakeRequest, Reply
from . import texts
from .state import DOMAINS, FakeAccount, _int, _Principal


class FakturowniaCore(FakeProvider):
    """The accounts, the pipeline hooks and the shared helpers; the endpoints are in the mixins."""

    pdf_delay: float
    ksef_delay: float
    ignore_page: bool
    _accounts: dict[tuple[str, str], FakeAccount]
    _order: list[tuple[FakeAccount, dict[str, Any]]]
    _next_id: int
    _fail_after_commit: list[int]

    # The pipeline hooks.

    def _relative(self, url: httpx.URL) -> str | None:
        if url.scheme == "https" and url.port in (None, 443) and self._host_account(url.host) is not None:
            return normalize_path(url.path)
        return super()._relative(url)

    @staticmethod
    def _host_account(host: str) -> tuple[str, str] | None:
        for domain in DOMAINS:
            if host.endswith("." + domain):
                prefix = host[: -len(domain) - 1]
                if prefix and "." not in prefix:
                    return prefix, domain
        return None

    def _account_of(self, request: FakeRequest) -> FakeAccount | None:
        found = self._host_account(request.raw.url.host) or ("demo", "fakturownia.pl")
        return self._accounts.get(found)

    def stored(self) -> list[StoredDocument]:
        """Every document issued, in the order issued, across accounts."""
        return [self._snapshot(account, document) for account, document in self._order]

    def authenticate(self, request: FakeRequest) -> Any:
        """The token from the Bearer header, ``?api_token=`` or the body's ``api_token`` (§1)."""
        account = self._account_of(request)
        if account is not None and request.path.startswith("invoice/"):
            return _Principal(account, read_only=True)  # the public link needs no token (§10)
        token = None
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            token = header[len("Bearer ") :].strip()
        elif "api_token" in request.params:
            token = request.params["api_token"]
        elif request.content:
            try:
                body = request.json()
            except ValueError:
                body = None
            if isinstance(body, dict) and isinstance(body.get("api_token"), str):
                token = body["api_token"]
        if account is None or token is None or token not in account.tokens:
            raise FakeError(Reply.json(texts.UNAUTHORIZED, 401))
        return _Principal(account, read_only=account.tokens[token])

    def limit_key(self, request: FakeRequest) -> str:
        """Per account (the real limit is said to be per IP, §13; one client is one account here)."""
        account = self._account_of(request)
        return account.key if account is not None else "*"

    def rate_limited(self, request: FakeRequest, verdict: LimitVerdict) -> Reply:
        """429 with ``Retry-After`` (assumed, §2)."""
        wait = max(verdict.reset_at - self.clock.time(), 0.0)
        return Reply.json(texts.RATE_LIMITED, 429, {"Retry-After": str(max(1, round(wait + 0.4999)))})

    def not_found(self, request: FakeRequest) -> Reply:
        """404 ``{"code":"error","message":"Not found"}`` (§2)."""
        return Reply.json(texts.NOT_FOUND, 404)

    def server_error(self, request: FakeRequest) -> Reply:
        """Rails' 500 page; nothing stored."""
        return Reply(500, texts.SERVER_ERROR_PAGE.encode(), {"Content-Type": "text/html; charset=utf-8"})

    def error_under_200(self, request: FakeRequest) -> Reply:
        """``{"code":"error",...}`` under HTTP 200, as ``change_status`` answers (§2)."""
        return Reply.json(texts.error(texts.BAD_STATUS), 200)

    # Helpers.

    def _today(self) -> dt.date:
        return dt.datetime.fromtimestamp(self.clock.time(), dt.UTC).date()

    def _stamp(self) -> str:
        return dt.datetime.fromtimestamp(self.clock.time(), dt.UTC).isoformat(timespec="milliseconds")

    @staticmethod
    def _body(request: FakeRequest) -> dict[str, Any]:
        try:
            body = request.json()
        except ValueError:
            raise FakeError(Reply.json(texts.error("Nieprawidłowy format danych (JSON)"), 400)) from None
        if not isinstance(body, dict):
            raise FakeError(Reply.json(texts.error("Nieprawidłowy format danych (JSON)"), 400))
        return body

    def _document(self, request: FakeRequest) -> tuple[FakeAccount, dict[str, Any]]:
        account: FakeAccount = request.principal.account
        ident = _int(request.groups.get("id"))
        for document in account.documents:
            if document["id"] == ident and not document.get("_deleted"):
                self._refresh(account, document)
                return account, document
        raise FakeError(Reply.json(texts.NOT_FOUND, 404))

    def _refresh(self, account: FakeAccount, document: dict[str, Any]) -> None:
        sent = document.get("_gov_sent", document["_created"])
        if document["gov_status"] != "processing" or self.clock.time() - sent < self.ksef_delay:
            return
        if document.get("_gov_errors"):
            # KSeF's verdict on a document saved without validate_invoices_for_gov (FK-KSEF).
            document["gov_status"] = "send_error"
            document["gov_error_messages"] = list(document["_gov_errors"])
            return
        document["gov_status"] = "ok"
        document["gov_error_messages"] = None
        tax_no = next((str(d.get("tax_no")) for d in account.departments if d.get("tax_no")), "5252344078")
        stamp = dt.datetime.fromtimestamp(sent, dt.UTC).strftime("%Y%m%d")  # the acceptance date (§1.1)
        suffix = hashlib.sha256(str(document["id"]).encode()).hexdigest()[:12].upper()
        document["gov_id"] = f"{tax_no}-{stamp}-{suffix}-XX"
        document["gov_verification_link"] = (
            f"https://ksef.mf.gov.pl/web/verify/{document['gov_id']}/{document['token']}"
        )

    def _queue_for_ksef(self, account: FakeAccount, document: dict[str, Any]) -> None:
        """Hand a document to KSeF: ``processing`` until ``ksef_delay`` passes (``not_connected`` without KSeF)."""
        if not account.ksef:
            document["gov_status"] = "not_connected"
            return
        document["gov_status"] = "processing"
        document["gov_error_messages"] = None
        document["_gov_sent"] = self.clock.time()
        document["gov_send_date"] = dt.datetime.fromtimestamp(self.clock.time(), dt.UTC).isoformat(
            timespec="milliseconds"
        )

    def _public(self, document: Mapping[str, Any], *, positions: bool = True, full: bool = False) -> dict[str, Any]:
        shown = {key: value for key, value in document.items() if not key.startswith("_")}
        if document.get("_ksef_demo") and shown.get("gov_status"):
            shown["gov_status"] = f"demo_{shown['gov_status']}"
        if not positions:
            shown.pop("positions", None)
        elif not full:
            shown["positions"] = [
                {k: v for k, v in p.items() if not k.startswith("correction_")} for p in document["positions"]
            ]
        return shown

    def _snapshot(self, account: FakeAccount, document: Mapping[str, Any]) -> StoredDocument:
        return StoredDocument(
            provider=self.provider,
            account=account.prefix,
            kind=document["kind"],
            number=document["number"],
            id=str(document["id"]),
            issue_date=document["issue_date"],
            currency=document["currency"],
            total=Decimal(document["price_gross"]),
            paid=Decimal(document["paid"]),
            reference=document["oid"] or None,
            cancelled=bool(document.get("_deleted") or document.get("_cancelled")),
            corrects=str(document["invoice_id"]) if document.get("invoice_id") else None,
            body=document["_body"],
            detail={
                "oid": document["oid"],
                "department_id": document["department_id"],
                "status": document["status"],
                "positions": document["positions"],
                "gov_status": document["gov_status"],
                "token": document["token"],
                "buyer_company": document["buyer_company"],
                "warehouse_id": document["warehouse_id"],
                "client_id": document["client_id"],
                "domain": account.domain,
            },
        )
