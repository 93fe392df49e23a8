"""Oblio.eu (REST API, OAuth client credentials), sans-I/O.

Facts come from the Oblio sheet (``shared/providers/oblio.md``, sections cited as §N);
the traps this module guards against:

* The token answer's numbers are strings (``"expires_in":"3600"``); a token lasts an hour
  and has no refresh token. It is fetched inside each flow (a first ``Call``), cached per
  credential for every client of the process, renewed a minute before it expires, and
  on a 401 ``... has expired`` / ``... is invalid`` dropped and fetched once more (§1, §16).
* Errors come as HTTP 400/401 with ``{"status","statusMessage"}`` in Romanian, and also as
  ``status`` 400 inside an HTTP 200 body; both are errors (§2).
* A create answered 200 without ``seriesName``/``number``/``link`` may have created the
  document: it is sent again with the same ``idempotencyKey`` (OB-FG, §2), never held.
* ``idempotencyKey`` is account-wide (§14): derived from the installation's namespace, the
  company and the reference, so two shops on one account never collide (§16).
* The create answers only series, number and link; the internal id is in the link (§4).
* ``vatIncluded`` defaults to 1 at Oblio: it is always sent (§5.2).
* Receipts are collects of type ``Chitanta`` on an invoice (§8); corrections are storno
  invoices, full (``refund:1``, which also deletes the invoice's payment) or partial
  (negative quantities, §9). The partial shape is not in the doc (UNCERTAIN): its
  currency is the original's (the document default is RON, §5.1) and the total Oblio
  booked is read back and checked (§9, §17.3).
* PDFs exist only behind the document's public ``link`` (no API token, §10).
* Limits per token: 30 creates / 100 s, 30 other calls / 10 s, and (older text) more than
  3 calls per second blocks the token for 10 minutes (§13).
* Numbers come back zero-padded (``"0055"``) and are kept exactly.

This module holds :class:`Oblio` and its flows; the token and the calls are in :mod:`.auth`,
the error mapping and the answers' parts in :mod:`.answers`, the bodies in :mod:`.bodies`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, ClassVar

import attrs
import httpx

from ...capabilities import Capabilities, Capability, Entry, Support
from ...errors import (
    AccountingError,
    AmbiguousOutcome,
    MalformedAnswer,
    NotFound,
    ProviderError,
    ProviderValidationError,
    ValidationError,
)
from ...flow import Call, Flow
from ...limits import RateLimit, Scope, credential_fingerprint
from ...model import (
    Correction,
    DocumentKind,
    EInvoiceStatus,
    Invoice,
    Line,
    Payment,
    PaymentType,
    Receipt,
    SentDocument,
    Series,
    VatRate,
    VatRateInfo,
)
from . import answers, codec, einvoice
from .answers import _DUPLICATE, _data, _data_list, _invoice_key, _named, _rate_of, _truthy
from .bodies import OblioBodies
from .settings import BASE_URL, OblioSettings

logger = logging.getLogger("accounting_connectors")

BLOCK_SECONDS = 600.0
"""The penalty to assume for exceeding a limit: the token is blocked for 10 minutes (§13)."""

CAPABILITIES = Capabilities(
    provider="oblio",
    entries={
        Capability.SEND_INVOICE: Entry(Support.SUPPORTED, "VAT names read from the account; vatIncluded always sent"),
        Capability.SEND_RECEIPT: Entry(
            Support.SUPPORTED, "an invoice with a Chitanta collect (cash); needs a Chitanta series"
        ),
        Capability.SEND_CORRECTION: Entry(
            Support.SUPPORTED,
            "storno: full (refund:1, also deletes the invoice's payment) or partial by lowered quantities, "
            "its booked total read back and checked",
        ),
        Capability.FETCH_PDF: Entry(
            Support.SUPPORTED, "downloads the document's public link; a receipt's is its invoice's"
        ),
        Capability.LIST_SERIES: Entry(Support.SUPPORTED, "nomenclature/series"),
        Capability.LIST_PAYMENT_TYPES: Entry(Support.SUPPORTED, "the documented fixed list of collect types"),
        Capability.LIST_VAT_RATES: Entry(Support.SUPPORTED, "nomenclature/vat_rates (key percent)"),
        Capability.RECORD_PAYMENT: Entry(Support.SUPPORTED, "invoice/collect; not deduplicated, so never resent"),
        Capability.SKU_STOCK: Entry(Support.SUPPORTED, "useStock with code and management; names must match exactly"),
        Capability.EXTERNAL_NUMBERING: Entry(Support.SUPPORTED, "disableAutoSeries with the caller's number"),
        Capability.DOCUMENT_LINK: Entry(Support.SUPPORTED, "SentDocument.url is Oblio's public link"),
        Capability.NATIVE_IDEMPOTENCY: Entry(
            Support.SUPPORTED, "idempotencyKey from namespace, company and reference; a replay answers the document"
        ),
        Capability.LOOKUP_BY_REFERENCE: Entry(
            Support.SUPPORTED, "invoice/list, newest first, matched on the reference line in mentions"
        ),
        Capability.EINVOICE: Entry(
            Support.SUPPORTED,
            "einvoiceStatus of invoice/list (withEinvoiceStatus=1); code 1 read as accepted (UNCERTAIN)",
        ),
    },
)


class Oblio(OblioBodies):
    """Oblio.eu connector; build it with ``ac.connect("oblio", ...)`` (see :class:`OblioSettings`)."""

    name: ClassVar[str] = "oblio"
    title: ClassVar[str] = "Oblio.eu"
    country: ClassVar[str] = "RO"
    settings_class: ClassVar[type[OblioSettings]] = OblioSettings
    capabilities: ClassVar[Capabilities] = CAPABILITIES
    rate_limits: ClassVar[tuple[RateLimit, ...]] = (
        RateLimit(30, 100.0, Scope.CREATES),
        RateLimit(30, 10.0, Scope.OTHERS),
        # The older doc text: more than 3 calls a second blocks the token for 10 minutes. The
        # sheet's advice (§13) is at most 2 a second, which the limit below keeps for every call.
        RateLimit(2, 1.0, Scope.ALL, penalty_seconds=BLOCK_SECONDS),
    )
    retry_after_default: ClassVar[float | None] = BLOCK_SECONDS

    settings: OblioSettings

    def __repr__(self) -> str:
        return f"Oblio(email={self.settings.email!r}, company_vat_code={self.settings.company_vat_code!r})"

    # What the drivers ask of a provider.

    def credential_fingerprint(self) -> str:
        """Equal for the same Oblio login (limits count per token, one token per login at a time)."""
        return credential_fingerprint("oblio", self.settings.email.casefold())

    def account(self) -> str:
        """The issuing company's CIF (without ``RO``): one login can issue for several companies."""
        return self._account

    def reconcile_hint(self, kind: DocumentKind, reference: str) -> str:
        """Where the reference is written: the document's mentions."""
        note = self._note(kind, reference)
        return f"look in Oblio's invoices of company {self.settings.company_vat_code} for mentions reading {note!r}"

    def secrets(self) -> tuple[str, ...]:
        """The API secret and any token cached for it (tokens fetched later never enter a message)."""
        with self._tokens_lock:
            token = self._tokens.get(self._cache_key)
        return (self.settings.api_secret,) + ((token.value,) if token else ())

    def error_message(self, response: httpx.Response) -> str | None:
        """Oblio's ``statusMessage`` (or an OAuth ``error_description``)."""
        return answers.error_message(response)

    def error_for(self, response: httpx.Response, call: Call, now: float) -> AccountingError | None:
        """HTTP status and the body's ``status`` both count: a 200 carrying ``status`` 400 is an error (§2)."""
        self._observe(now)
        return answers.error_of(response, call, self.error_message)

    # Operations.

    def send_invoice(self, invoice: Invoice) -> Flow[SentDocument]:
        """Issue an invoice with ``POST api/docs/invoice`` (§4), carrying an ``idempotencyKey``."""
        collect_type = self._check_invoice(invoice)
        rates = yield from self._rates("send_invoice")
        series = invoice.series or self.settings.invoice_series
        if series is None:
            series = yield from self._default_series("Factura", "send_invoice", "series")
        receipt_series = None
        if collect_type == "Chitanta":
            receipt_series = yield from self._receipt_series("send_invoice", "payment.method")
        body = self._invoice_body(invoice, series, rates, collect_type, receipt_series)
        data = yield from self._create(body, "send_invoice", DocumentKind.INVOICE, invoice.reference)
        return self._sent(data, DocumentKind.INVOICE, invoice.reference, invoice.issue_date.isoformat())

    def send_receipt(self, receipt: Receipt) -> Flow[SentDocument]:
        """Issue a receipt: an invoice with a ``Chitanta`` collect of its whole value (§8, §11)."""
        # UNCERTAIN (§8, §17.6): standalone receipt documents are not documented (the clients'
        # `receipt` type is unexplained). Safest reading: never create one; a receipt is an
        # invoice carrying a Chitanta collect, in one create with its idempotencyKey.
        if codec.collect_type(receipt.payment_method, "payment_method") != "Chitanta":
            raise ValidationError(
                "payment_method",
                f"an Oblio receipt (chitanta) is a cash receipt; {receipt.payment_method!r} is not cash. "
                "Send an invoice with a payment instead.",
            )
        if receipt.number is not None:
            raise ValidationError("number", "Oblio numbers receipts in their Chitanta series; leave number empty")
        rates = yield from self._rates("send_receipt")
        receipt_series = receipt.series or (yield from self._receipt_series("send_receipt", "series"))
        series = self.settings.invoice_series
        if series is None:
            series = yield from self._default_series("Factura", "send_receipt", "series")
        body = self._receipt_body(receipt, series, receipt_series, rates)
        data = yield from self._create(body, "send_receipt", DocumentKind.RECEIPT, receipt.reference)
        return (yield from self._receipt_of(data, receipt.reference, receipt_series, "send_receipt"))

    def send_correction(self, correction: Correction) -> Flow[SentDocument]:
        """Issue a storno invoice (§9): full with ``refund:1``, partial with negative quantities."""
        series, number = _invoice_key(self.own_document(correction.original_document, "original_document"))
        products: list[dict[str, Any]] | None = None
        reversed_lines: list[Line] = []
        if not correction.is_full_reversal:
            rates = yield from self._rates("send_correction")
            original = correction.original
            products, reversed_lines = codec.storno_products(
                correction,
                currency=original.currency,
                vat_of=self._vat_lookup(rates),
                management=(original.warehouse or self.settings.management) if original.use_stock else None,
            )
        body = self._storno_body(correction, series, number, products)
        data = yield from self._create(body, "send_correction", DocumentKind.CORRECTION, correction.reference)
        sent = self._sent(data, DocumentKind.CORRECTION, correction.reference, correction.issue_date.isoformat())
        if products is None:
            return sent
        # UNCERTAIN (§9, §17.3): the partial-storno shape is OB-FG's, not the doc's. Safest
        # reading: verify the total Oblio booked. The storno exists either way (raising would
        # make a caller resend it, and the key would only answer it again), so a difference
        # is logged and kept in raw for a person to correct.
        expected = -codec.totals(reversed_lines, prices_include_vat=correction.original.prices_include_vat).gross
        try:
            booked = yield from self._booked_total(sent, "send_correction")
        except AccountingError as error:  # the storno is issued: a failed check must not hide it
            logger.warning(
                "oblio: could not read back storno %s %s to check its total: %s", sent.series, sent.number, error
            )
            booked = None
        if booked is not None and booked != expected:
            logger.warning(
                "oblio: storno %s %s booked a total of %s where %s was expected; check it in Oblio",
                sent.series,
                sent.number,
                booked,
                expected,
            )
        raw = {**sent.raw, "total": None if booked is None else str(booked), "expected_total": str(expected)}
        return attrs.evolve(sent, raw=raw)

    def _booked_total(self, sent: SentDocument, operation: str) -> Flow[Decimal | None]:
        """The ``total`` of an issued invoice, read back by its link's id (§4, §16) or its number."""
        if sent.external_id:
            params = {"id": sent.external_id}
        else:
            params = {"seriesName": str(sent.series), "number": str(sent.number)}
        response = yield from self._api("GET", "api/docs/invoice/list", operation, params=params)
        for row in _data_list(response):
            if str(row.get("seriesName")) == sent.series and str(row.get("number")) == sent.number:
                try:
                    return Decimal(str(row.get("total")))
                except ArithmeticError:
                    return None
        return None

    def fetch_pdf(self, document: SentDocument) -> Flow[bytes]:
        """Download the document's public ``link`` (no token, redirects followed) and check it is a PDF (§10)."""
        # UNCERTAIN (§10, §17.4): the link's content type and lifetime. Safest reading: GET it
        # at once without the API token, follow redirects, require %PDF, else "link only".
        self.own_document(document)
        url = document.url
        if not url:
            series, number = _invoice_key(document)
            response = yield from self._api(
                "GET", "api/docs/invoice", "fetch_pdf", params={"seriesName": series, "number": number}
            )
            url = _data(response).get("link")
            if not isinstance(url, str) or not url:
                raise ProviderError(f"Oblio gave no link for {series}{number}", response=response)
        if self.base_url != BASE_URL and url.startswith(BASE_URL):
            # Links name Oblio's own host; behind another base URL (a fake on loopback, a
            # proxy) they are fetched from there.
            url = self.base_url + url.removeprefix(BASE_URL)
        for _ in range(5):
            request = httpx.Request("GET", url, headers={"Accept": "application/pdf"})
            response = yield Call(request, "fetch_pdf", check=False)
            location = response.headers.get("Location")
            if 300 <= response.status_code < 400 and location:
                url = str(httpx.URL(url).join(location))
                continue
            if response.status_code in (404, 410):
                raise NotFound(f"Oblio's link for {document.full_number} no longer opens", response=response)
            if response.status_code >= 400:
                raise self.status_error(response, f"Oblio's link answered HTTP {response.status_code}")
            return self.pdf_bytes(response, f"{document.full_number} (link only)")
        raise ProviderError(f"Oblio's link for {document.full_number} redirects too often")

    def list_series(self) -> Flow[list[Series]]:
        """The company's series (``nomenclature/series``)."""
        self._series = None
        listed = yield from self._all_series("list_series")
        kinds = {"Factura": DocumentKind.INVOICE, "Chitanta": DocumentKind.RECEIPT}
        if not all(isinstance(item.get("name"), str) and item["name"] for item in listed):
            self._series = None
            raise MalformedAnswer("Oblio listed a series without a name")
        return [
            Series(
                name=str(item["name"]),
                kind=kinds.get(str(item.get("type"))),
                next_number=str(item["next"]) if item.get("next") is not None else None,
                is_default=_truthy(item.get("default")),
            )
            for item in listed
        ]

    def list_vat_rates(self) -> Flow[list[VatRateInfo]]:
        """The company's VAT rates (``nomenclature/vat_rates``, key ``percent``)."""
        response = yield from self._api("GET", "api/nomenclature/vat_rates", "list_vat_rates")
        found: list[VatRateInfo] = []
        rates: list[tuple[str, Decimal]] = []
        for item in _data_list(response):
            name, percent = _rate_of(response, item)
            rates.append((name, percent))
            special = codec.SPECIAL_BY_NAME.get(name) if percent == 0 else None
            vat = VatRate.special(special) if special is not None else VatRate.of(percent)
            found.append(VatRateInfo(name=name, vat=vat, is_default=_truthy(item.get("default"))))
        self._vat_rates = rates
        return found

    def list_payment_types(self) -> Flow[list[PaymentType]]:
        """Oblio's documented collect types (a fixed list; no call is made)."""
        return self.payment_types(codec.COLLECT_TYPES, receipts=("Chitanta",))
        yield  # a flow with no calls

    def record_payment(self, document: SentDocument, payment: Payment) -> Flow[SentDocument]:
        """Record a payment with ``PUT api/docs/invoice/collect`` (§11).

        A collect carries no idempotency key: after an unknown outcome it is not sent again
        (``AmbiguousOutcome``); check the invoice's ``collects`` in Oblio.
        """
        series, number = _invoice_key(self.own_document(document))
        kind = codec.collect_type(payment.method, "payment.method")
        collect: dict[str, Any] = {"type": kind, "value": payment.amount}
        receipt_series = None
        if kind == "Chitanta":
            receipt_series = yield from self._receipt_series("record_payment", "payment.method")
            collect["seriesName"] = receipt_series
        else:
            collect["documentNumber"] = document.reference  # required when not Chitanta (§11)
        if payment.paid_on is not None:
            collect["issueDate"] = payment.paid_on.isoformat()
        body = {"cif": self.settings.company_vat_code, "seriesName": series, "number": number, "collect": collect}
        response = yield from self._api("PUT", "api/docs/invoice/collect", "record_payment", body=body, creates=True)
        data = _data(response)
        if not isinstance(data.get("collects"), list):
            # The collect was answered without the invoice's collects: it may be recorded.
            raise MalformedAnswer("Oblio answered the collect without the invoice's collects", response=response)
        collects = [item for item in data["collects"] if isinstance(item, Mapping)]
        last = collects[-1] if collects else {}
        return SentDocument(
            provider=self.name,
            kind=DocumentKind.RECEIPT if receipt_series else DocumentKind.PAYMENT,
            reference=document.reference,
            number=str(last.get("number") or "") or None,
            series=receipt_series,
            external_id=codec.link_id(data.get("link")) or document.external_id,
            url=str(data.get("link") or document.url or "") or None,
            raw=dict(data),
        )

    def find_document(self, kind: DocumentKind, reference: str) -> Flow[SentDocument | None]:
        """The invoice, receipt or storno issued for ``reference``: recent invoices matched on their mentions (§14).

        Oblio filters by no key or reference, so the newest ``lookup_pages`` pages of 100 are read.
        """
        note = self._note(kind, reference)
        for page in range(self.settings.lookup_pages):
            params = {"orderBy": "id", "orderDir": "DESC", "limitPerPage": "100", "offset": str(page * 100)}
            response = yield from self._api("GET", "api/docs/invoice/list", "find_document", params=params)
            rows = _data_list(response)
            if not all(_named(row.get("seriesName")) and _named(row.get("number")) for row in rows):
                # A row without its series and number cannot be matched: never "not found".
                raise MalformedAnswer("Oblio listed an invoice without its series and number", response=response)
            for row in rows:
                if not codec.has_note(row.get("mentions"), note):
                    continue
                data = {"seriesName": row.get("seriesName"), "number": row.get("number"), "link": row.get("link")}
                if kind is DocumentKind.RECEIPT:
                    series = self.settings.receipt_series or (
                        yield from self._default_series("Chitanta", "find_document", "receipt_series")
                    )
                    return (yield from self._receipt_of(data, reference, series, "find_document"))
                sent = self._sent(data, kind, reference, str(row.get("issueDate") or "") or None)
                return attrs.evolve(sent, external_id=str(row.get("id") or "") or sent.external_id, raw=dict(row))
            if len(rows) < 100:
                break
        return None

    # Creating and reading.

    def _create(self, body: dict[str, Any], operation: str, kind: DocumentKind, reference: str) -> Flow[dict[str, Any]]:
        """A deduplicated create; an answer without series, number and link is sent again with the same key."""
        for _ in range(3):
            try:
                response = yield from self._api(
                    "POST", "api/docs/invoice", operation, body=body, creates=True, deduplicated=True
                )
            except ProviderValidationError as error:
                # UNCERTAIN what a reused key answers (§14, §17.1): a duplicate refusal means
                # the document exists, so it is looked up by its reference.
                if not _DUPLICATE.search(error.message):
                    raise
                found = yield from self.find_document(kind, reference)
                if found is None:
                    raise
                if kind is DocumentKind.RECEIPT and isinstance(found.raw.get("invoice"), Mapping):
                    # A receipt is found by its Chitanta number; the create answers (and the
                    # follow-up read needs) the invoice that carries it (§8).
                    return dict(found.raw["invoice"])
                return {"seriesName": found.series, "number": found.number, "link": found.url}
            data = _data(response)
            if all(_named(data.get(key)) for key in ("seriesName", "number", "link")):
                return data
        raise AmbiguousOutcome(
            f"Oblio accepted {reference!r} three times without saying which document it issued; sending it "
            "again with the same idempotencyKey is safe",
            provider=self.name,
            operation=operation,
            retry_safe=True,
        )

    def _sent(
        self, data: Mapping[str, Any], kind: DocumentKind, reference: str, issue_date: str | None
    ) -> SentDocument:
        link = str(data.get("link") or "") or None
        return SentDocument(
            provider=self.name,
            kind=kind,
            reference=reference,
            number=str(data.get("number") or "") or None,  # zero-padded, kept exactly
            series=str(data.get("seriesName") or "") or None,
            external_id=codec.link_id(link),
            issue_date=issue_date,
            url=link,
            raw=dict(data),
        )

    def _receipt_of(
        self, data: Mapping[str, Any], reference: str, receipt_series: str, operation: str
    ) -> Flow[SentDocument]:
        """The receipt's own number, read from the invoice's ``collects`` (the create answers the invoice's)."""
        params = {"seriesName": str(data.get("seriesName")), "number": str(data.get("number"))}
        response = yield from self._api("GET", "api/docs/invoice", operation, params=params)
        read = _data(response)
        collects = [item for item in read.get("collects") or [] if isinstance(item, Mapping)]
        receipts = [item for item in collects if item.get("type") == "Chitanta"]
        collect = receipts[-1] if receipts else {}
        link = str(data.get("link") or read.get("link") or "") or None
        return SentDocument(
            provider=self.name,
            kind=DocumentKind.RECEIPT,
            reference=reference,
            number=str(collect.get("number") or "") or None,
            series=receipt_series,
            external_id=codec.link_id(link),
            issue_date=str(collect.get("issueDate") or "") or None,
            url=link,
            raw={"invoice": dict(data), "collect": dict(collect)},
        )

    def einvoice_status(self, document: SentDocument) -> Flow[EInvoiceStatus]:
        """The RO e-Factura status: ``invoice/list?id=...&withEinvoiceStatus=1`` (EINVOICING §3.8).

        A receipt is the invoice that carries it, a storno an invoice of its own: both go to SPV.
        """
        self.own_document(document)
        if document.kind is DocumentKind.PAYMENT:
            raise self.unsupported(Capability.EINVOICE, "a payment is not an e-Factura document")
        series, number = _invoice_key(document)
        # By the link's id where known: series and number can name another document after a
        # delete (§16); the row is still checked against both.
        params = {"id": document.external_id} if document.external_id else {"seriesName": series, "number": number}
        params["withEinvoiceStatus"] = "1"
        response = yield from self._api("GET", "api/docs/invoice/list", "einvoice_status", params=params)
        for row in _data_list(response):
            if str(row.get("seriesName")) == series and str(row.get("number")) == number:
                return einvoice.status_from(row, document)
        raise NotFound(f"Oblio lists no invoice {series} {number} to read its e-Factura status from", response=response)

    def send_einvoice(self, document: SentDocument) -> Flow[EInvoiceStatus]:
        """Send to SPV: ``POST api/docs/einvoice {cif, seriesName, number}`` (OB-DOC "SPV").

        Only when the status read first allows it (``-1`` not sent, ``2`` errors); otherwise
        that status is returned and nothing is sent. The call is not deduplicated, so a lost
        answer is an ``AmbiguousOutcome``; paced like a create (its bucket is UNCERTAIN).
        The status is read again after the send (its answer's ``code: 0`` is "processing").
        """
        current = yield from self.einvoice_status(document)
        if not current.resend_allowed:
            return current
        series, number = _invoice_key(document)
        body = {"cif": self.settings.company_vat_code, "seriesName": series, "number": number}
        yield from self._api("POST", "api/docs/einvoice", "send_einvoice", body=body, creates=True)
        return (yield from self.einvoice_status(document))
