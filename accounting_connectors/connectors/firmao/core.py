"""The Firmao connector's core: requests, error mapping, lookups and document parts.

:class:`~accounting_connectors.connectors.firmao.Firmao` adds the operations. Facts come
from the project's Firmao sheet (``firmao.md``); see the package docstring for the traps.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from ...errors import (
    AccountingError,
    ProviderError,
    RateLimited,
    ValidationError,
)
from ...flow import Call, Flow
from ...limits import credential_fingerprint
from ...model import (
    DocumentKind,
    Line,
    Party,
)
from ...provider import Provider, json_request, read_json
from .parts import (
    _COUNTRIES,
    _LIMIT,
    _MARKER,
    _NOT_DIGIT,
    _TYPES,
    _describe,
    _int,
    _line_name,
    _rows,
    _same_id,
)
from .settings import DEFAULT_PAYMENT_METHODS, FirmaoSettings
from .wire import (
    next_number,
)


class FirmaoCore(Provider):
    """Firmao's requests, error mapping and lookups, shared by the operations."""

    settings: FirmaoSettings

    def __init__(self, settings: FirmaoSettings) -> None:
        super().__init__(settings)
        self.root = f"{settings.base_url}{settings.organization_id}/svc/v1/"
        """The API root of the organization (``https://system.firmao.pl/{organizationId}/svc/v1/``)."""
        token = base64.b64encode(f"{settings.login}:{settings.password}".encode()).decode()
        self._token = token
        self._headers = {"Authorization": "Basic " + token}
        methods = {**DEFAULT_PAYMENT_METHODS, **settings.payment_methods}
        self._methods = {key.casefold(): value for key, value in methods.items()}
        self._lines: list[Mapping[str, Any]] | None = None
        self._throttled = 0

    def __repr__(self) -> str:
        return f"Firmao(organization_id={self.settings.organization_id!r}, login={self.settings.login!r})"

    # What the drivers ask of a provider.

    def credential_fingerprint(self) -> str:
        """Equal for the same organization: the limit is the safest reading, one pace per organization."""
        return credential_fingerprint(self.settings.base_url, self.settings.organization_id.casefold())

    def account(self) -> str:
        """The organization id: documents belong to the organization, whatever API login issues them."""
        return self.settings.organization_id

    def secrets(self) -> tuple[str, ...]:
        """The password and the Basic token built from it."""
        return (self.settings.password, self._token)

    def reconcile_hint(self, kind: DocumentKind, reference: str) -> str:
        """Where the reference is kept in Firmao."""
        where = (
            f"custom field {self.settings.reference_field} equal to {reference!r}"
            if self.settings.reference_field
            else f"invoice annotations with the line {_MARKER + reference!r}"
        )
        return (
            f"look in Firmao's sales transactions of organization {self.settings.organization_id} for a "
            f"{_TYPES.get(kind, ('document',))[0]} with {where}; its number is the one the error names"
        )

    def error_for(self, response: httpx.Response, call: Call, now: float) -> AccountingError | None:
        """Map Firmao's answer; a 429 without Retry-After backs off 5 s, doubling to 30 s."""
        status = response.status_code
        if status < 400:
            self._throttled = 0
            return None
        if status == 429:
            self._throttled += 1
            error = RateLimited(
                "Firmao refused a call made too soon (HTTP 429; it is paced at about 1 request per second)",
                response=response,
            )
            if "Retry-After" not in response.headers:
                error.retry_at = now + min(5.0 * 2 ** (self._throttled - 1), 30.0)
            return error
        return self.status_error(response)

    def error_message(self, response: httpx.Response) -> str | None:
        """Firmao's JSON error (``errorCode``, ``field``, ``rejectedValue``, ``additionalInfo``) in words."""
        body = read_json(response)
        if isinstance(body, Mapping) and isinstance(body.get("errorCode"), str):
            return _describe(body)
        return super().error_message(response)

    def field_errors(self, response: httpx.Response) -> dict[str, list[str]]:
        """The field a Firmao error names (``field``, or ``fieldName`` of duplicates)."""
        body = read_json(response)
        if not isinstance(body, Mapping) or not isinstance(body.get("errorCode"), str):
            return {}
        text = _describe(body)
        field = body.get("field") or body.get("fieldName")
        if isinstance(field, str) and field:
            return {field: [text]}
        if body["errorCode"] == "transactionNumberAlreadyExists":
            # The body names no field; the refused value is the transaction number (F-DOC §2e).
            return {"transactionNumber": [text]}
        return {"": [text]}

    def _lookup_number(self, number: str, kind: DocumentKind, operation: str) -> Flow[Mapping[str, Any] | None]:
        # UNCERTAIN 13: transactionNumber(eq) may be unsupported; rows are matched client-side.
        params = {"transactionNumber(eq)": number, "mode(eq)": "SALE", "dataFormat": "MEDIUM", "limit": str(_LIMIT)}
        response = yield self._get("transactions", operation, params)
        listed = _rows(response)
        rows = [row for row in listed if str(row.get("transactionNumber")) == number]
        if not rows and listed:
            # Rows that do not carry the number: the filter was ignored, and the page says
            # nothing about the number. "None" would let a caller resend (firmao.md §14).
            raise ProviderError(
                f"Firmao ignored the filter transactionNumber(eq): it listed transaction {listed[0].get('id')} "
                f"numbered {listed[0].get('transactionNumber')!r}, so whether {number} is this document cannot "
                "be told; nothing was sent again",
                response=response,
            )
        typed = [row for row in rows if row.get("type") == _TYPES[kind][0]]
        chosen = typed or rows
        return chosen[0] if chosen else None

    def _read_back(self, identifier: int, operation: str) -> Flow[Mapping[str, Any] | None]:
        # The document exists now: a failed read-back must not turn the create into an error.
        try:
            row = yield from self._transaction(identifier, operation)
        except AccountingError:
            return None
        return row

    def _transaction(self, identifier: int, operation: str) -> Flow[Mapping[str, Any] | None]:
        response = yield self._get(
            "transactions", operation, {"id(eq)": str(identifier), "dataFormat": "MEDIUM", "limit": "1"}
        )
        return next((row for row in _rows(response) if _same_id(row.get("id"), identifier)), None)

    # Parts of a document.

    def _buyer(self, party: Party | None) -> Flow[dict[str, Any]]:
        if party is None:
            return {"createCustomerIfNeeded": True, "customerName": self.settings.walk_in_customer_name}
        fields: dict[str, Any] = {}
        customer = None
        if party.tax_id and self.settings.match_customers_by_nip:
            customer = yield from self._customer_by_nip(party.tax_id)
        if customer is not None:
            fields["customer"] = customer
        else:
            # createCustomerIfNeeded attaches an existing customer of the same *name* (F-DOC).
            fields["createCustomerIfNeeded"] = True
            fields["customerName"] = party.name
            if party.email:
                fields["emails"] = [party.email]
            if party.phone:
                fields["phones"] = [party.phone]
        if party.tax_id:
            fields["nipNumber"] = party.tax_id
        address = party.address
        if address is not None:
            for key, value in (
                ("customerAddress.street", address.street),
                ("customerAddress.postCode", address.postal_code),
                ("customerAddress.city", address.city),
            ):
                if value:
                    fields[key] = value
            fields["customerAddress.country"] = _COUNTRIES.get(address.country, address.country)
        return fields

    def _customer_by_nip(self, nip: str) -> Flow[int | None]:
        digits = _NOT_DIGIT.sub("", nip)
        response = yield self._get(
            "customers", "send_invoice", {"nipNumber(eq)": nip, "dataFormat": "MEDIUM", "limit": str(_LIMIT)}
        )
        for row in _rows(response):
            if digits and _NOT_DIGIT.sub("", str(row.get("nipNumber") or "")) == digits and not row.get("deleted"):
                return _int(row.get("id"))
        return None

    def _products(self, lines: Sequence[Line]) -> Flow[dict[str, int]]:
        found: dict[str, int] = {}
        for index, line in enumerate(lines):
            if not line.sku or line.sku in found:
                continue
            found[line.sku] = yield from self._product(line.sku, f"lines[{index}].sku")
        return found

    def _product(self, sku: str, field: str) -> Flow[int]:
        # UNCERTAIN 11: F-DOC's filter syntax first, then F-MAG's filters=(productCode="..."),
        # both kept by the sheet ("Changes", §12). The returned code is checked, since an unknown
        # filter may be ignored: no rows means no product; rows of other codes mean the filter was
        # ignored, and the next syntax is tried.
        forms = [("productCode(eq)", sku)]
        if '"' not in sku:
            forms.append(("filters", f'(productCode="{sku}")'))
        response: httpx.Response | None = None
        for key, value in forms:
            response = yield self._get("products", "send_invoice", {key: value, "limit": "1"})
            rows = _rows(response)
            if not rows:
                raise ValidationError(field, f"no Firmao product has productCode {sku!r}")
            match = next((row for row in rows if row.get("productCode") == sku), None)
            identifier = None if match is None else _int(match.get("id"))
            if identifier is not None:
                return identifier
        raise ProviderError(
            f"Firmao ignored the filter on productCode ({', '.join(key for key, _ in forms)}): it listed other "
            f"products, so product {sku!r} cannot be found; nothing was sent",
            response=response,
        )

    def _number(self, kind: DocumentKind, series: str | None, number: str | None) -> Flow[tuple[str, bool]]:
        if number:
            return number, True
        line = yield from self._line_id(series, f"send_{kind.value}")
        params = {"objectClass": "transaction", "type": _TYPES[kind][1], "mode": "SALE", "id": str(line)}
        response = yield self._get("invoicenumbers/next", f"send_{kind.value}", params)
        found = next_number(read_json(response))
        if found is None:
            raise ProviderError("Firmao's invoicenumbers/next answer holds no number", response=response)
        return found, False

    def _line_id(self, series: str | None, operation: str) -> Flow[int]:
        if series is None and self.settings.numbering_line_id is not None:
            return self.settings.numbering_line_id
        lines = yield from self._numbering_lines(operation)
        for line in lines:
            identifier = _int(line.get("id"))
            if identifier is None:
                continue
            if series is None or series.casefold() in (_line_name(line).casefold(), str(identifier)):
                return identifier
        names = ", ".join(_line_name(line) for line in lines) or "none"
        raise ValidationError("series", f"{series!r} is not a Firmao numbering line; the lines are: {names}")

    def _numbering_lines(self, operation: str) -> Flow[list[Mapping[str, Any]]]:
        if self._lines is None:
            response = yield self._get("invoicenumbers", operation, {"dataFormat": "MEDIUM"})
            self._lines = _rows(response)
        return self._lines

    def _reference_fields(self, reference: str, notes: str | None, lines: Sequence[Line]) -> dict[str, Any]:
        texts = [notes] if notes else []
        for line in lines:
            if line.discount_percent is not None:
                # UNCERTAIN 4: the price sent is already discounted; the discount is stated here.
                texts.append(f"{line.name}: rabat {line.discount_percent.normalize():f}%")
        fields: dict[str, Any] = {}
        if self.settings.reference_field:
            fields[self.settings.reference_field] = reference
        else:
            texts.append(_MARKER + reference)
        if texts:
            fields["invoiceAnnotations"] = "\n".join(texts)
        return fields

    def _carries(self, row: Mapping[str, Any], reference: str) -> bool:
        if self.settings.reference_field:
            key = self.settings.reference_field.split(".", 1)[1]
            custom = row.get("customFields")
            value = custom.get(key) if isinstance(custom, Mapping) else row.get(self.settings.reference_field)
            return value == reference
        annotations = row.get("invoiceAnnotations")
        return isinstance(annotations, str) and _MARKER + reference in annotations.splitlines()

    def _matches_filter(self, row: Mapping[str, Any], wanted: str) -> bool:
        if self.settings.reference_field:
            return self._carries(row, wanted)
        annotations = row.get("invoiceAnnotations")
        return isinstance(annotations, str) and wanted.casefold() in annotations.casefold()

    def _payment_type(self, method: str, field: str) -> str:
        found = self._methods.get(method.casefold())
        if found is None:
            known = ", ".join(sorted(self._methods))
            raise ValidationError(
                field,
                f"{method!r} has no Firmao payment type; Firmao documents CASH and TRANSFER only. Known methods: "
                f"{known}; map others with payment_methods={{...}}",
            )
        return found

    # Requests.

    def _get(self, path: str, operation: str, params: Mapping[str, str]) -> Call:
        return Call(json_request("GET", self.root + path, headers=self._headers, params=dict(params)), operation)

    def _post(self, path: str, body: Mapping[str, Any]) -> httpx.Request:
        return json_request("POST", self.root + path, body, headers=self._headers)

    def _put(self, identifier: int, change: Mapping[str, Any], operation: str) -> Call:
        request = json_request("PUT", f"{self.root}transactions/{identifier}", dict(change), headers=self._headers)
        return Call(request, operation)
