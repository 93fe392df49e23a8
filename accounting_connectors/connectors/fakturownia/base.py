"""The Fakturownia connector's core: its state, the driver hooks and the answer handling.

:class:`FakturowniaBase` holds the account's host and token, answers what the drivers ask
(fingerprint, account, reconcile hint, secrets), maps answers to errors (HTTP statuses,
``{"code": "error"}`` under 2xx, the 422 field map, §2), and builds the calls and the
:class:`~accounting_connectors.model.SentDocument` the flows share. Also the typed
:class:`FakturowniaPdfNotReady` and the check whether a refusal names ``oid`` (§14).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from ...errors import AccountingError, ProviderError, ProviderValidationError
from ...flow import Call, Flow
from ...limits import RateLimit, credential_fingerprint
from ...model import DocumentKind, SentDocument
from ...provider import Provider, base_url, json_request, read_json
from .codec import parse_date
from .codes import _OID, KIND_CODES, _int_id, oid_for
from .settings import DOMAINS, FakturowniaSettings


class FakturowniaPdfNotReady(ProviderError):
    """The PDF was still not ready when ``pdf_wait`` ran out (422, or an HTML page on KSeF accounts)."""

    retry_safe_default = True


def _names_oid(error: ProviderError) -> bool:
    status = error.status_code
    if status is None or not 400 <= status < 500 or status in (401, 403, 404, 429):
        return False
    fields = getattr(error, "field_errors", {}) or {}
    return any(_OID.search(name) for name in fields) or bool(_OID.search(error.message))


class FakturowniaBase(Provider):
    """Fakturownia's account, driver hooks, error mapping and shared call building (no operations)."""

    def __init__(self, settings: FakturowniaSettings) -> None:
        super().__init__(settings)
        self.settings: FakturowniaSettings = settings
        if settings.base_url is not None:
            self._base = base_url(settings.base_url)
        else:
            self._base = f"https://{settings.account}.{settings.domain}/"
        self._public = f"https://{settings.account}.{settings.domain}/"
        self._headers = {"Authorization": f"Bearer {settings.api_token}"}
        # The driver reads rate_limits from the instance: the configured pace.
        self.__dict__["rate_limits"] = (RateLimit(settings.requests_per_minute, 60.0),)
        self._products: dict[str, int] | None = None
        self._departments: list[dict[str, Any]] | None = None

    def __repr__(self) -> str:
        return f"Fakturownia(account={self.settings.account!r}, domain={self.settings.domain!r})"

    # What the drivers ask of a provider.

    def credential_fingerprint(self) -> str:
        """Equal for one account, whatever its token: the limit is per account (or IP), not per token."""
        return credential_fingerprint(self.settings.account, self.settings.domain)

    def account(self) -> str:
        """The account prefix (with the domain when regional, and the department when one is set)."""
        text = self.settings.account
        if self.settings.domain != DOMAINS[0]:
            text += "." + self.settings.domain
        if self.settings.department_id is not None:
            text += f"/{self.settings.department_id}"
        return text

    def reconcile_hint(self, kind: DocumentKind, reference: str) -> str:
        """Where the document would be: its order id (``oid``) in the account's document list."""
        if kind not in KIND_CODES:
            return f"look in {self._public} for a payment of the document {reference!r}"
        return (
            f"look in {self._public} for a document of kind {KIND_CODES[kind]!r} whose order id (oid) is "
            f"{oid_for(kind, reference)!r} (GET /invoices.json?oid=...&period=all)"
        )

    def secrets(self) -> tuple[str, ...]:
        """The API token."""
        return (self.settings.api_token,)

    def error_for(self, response: httpx.Response, call: Call, now: float) -> AccountingError | None:
        """Map an answer: HTTP errors by status, and ``code``/``status`` ``"error"`` under 2xx (§2)."""
        status = response.status_code
        if status < 300:
            body = read_json(response)
            if isinstance(body, Mapping) and "error" in (body.get("code"), body.get("status")):
                message = self.error_message(response) or f"Fakturownia reported an error under HTTP {status}"
                return ProviderValidationError(
                    message, field_errors=self.field_errors(response) or {"": [message]}, response=response
                )
            return None
        if status < 400:
            return None
        return self.status_error(response)

    def error_message(self, response: httpx.Response) -> str | None:
        """``message`` as a string, or its field map written out (``buyer_tax_no - nie może być puste``)."""
        body = read_json(response)
        if isinstance(body, Mapping):
            message = body.get("message")
            if isinstance(message, Mapping):
                parts = [f"{field} {text}" for field, texts in self.field_errors(response).items() for text in texts]
                return "; ".join(parts) or None
        return super().error_message(response)

    def field_errors(self, response: httpx.Response) -> dict[str, list[str]]:
        """The 422 field map ``{"message": {field: [texts]}}`` (§2)."""
        body = read_json(response)
        message = body.get("message") if isinstance(body, Mapping) else None
        if not isinstance(message, Mapping):
            return {}
        errors: dict[str, list[str]] = {}
        for field, texts in message.items():
            items = texts if isinstance(texts, list) else [texts]
            errors[str(field)] = [str(text).strip() for text in items]
        return errors

    # Building blocks.

    def _document(self, body: Mapping[str, Any], kind: DocumentKind, reference: str) -> SentDocument:
        ident = _int_id(body.get("id"))
        token = body.get("token")
        url = f"{self._public}invoice/{token}" if isinstance(token, str) and token else None
        return SentDocument(
            provider=self.name,
            kind=kind,
            reference=reference,
            number=str(body.get("number") or "") or None,
            external_id=str(ident) if ident is not None else None,
            issue_date=parse_date(body.get("issue_date")),
            url=url,
            raw=dict(body),
        )

    def _get(self, path: str, operation: str, params: dict[str, str] | None = None) -> Call:
        return Call(json_request("GET", self._base + path, headers=self._headers, params=params), operation)

    def _send(self, method: str, path: str, body: Any, operation: str, *, creates: bool = False) -> Call:
        return Call(json_request(method, self._base + path, body, headers=self._headers), operation, creates=creates)

    def _follow(self, call: Call) -> Flow[httpx.Response]:
        """Send ``call``, following up to three redirects (a 302 body was once saved as the PDF, §10)."""
        response: httpx.Response = yield call
        for _hop in range(3):
            location = response.headers.get("Location")
            if not 300 <= response.status_code < 400 or not location:
                return response
            target = call.request.url.join(location)
            headers = {"Accept": call.request.headers.get("Accept", "*/*")}
            if target.host == call.request.url.host:
                headers.update(self._headers)  # the token never goes to another host
            call = Call(httpx.Request("GET", target, headers=headers), call.operation)
            response = yield call
        return response
