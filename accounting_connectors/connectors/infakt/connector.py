"""inFakt.pl (API v3), sans-I/O.

Facts used here come from the project's inFakt sheet (``shared/providers/infakt.md`` §2 and
its "Newer findings"), which cites inFakt's official README (IF-README) and third-party
clients checked against the live API (IF-OL, IF-GO). The traps this module guards against:

* Amounts are **integer grosze** everywhere. Decimal strings were accepted by the live
  API and booked about 100 times too low (IF-OL), so the codec refuses anything that is
  not a whole number of grosze.
* Documents are created asynchronously: ``POST /async/invoices.json`` answers with a task
  reference, the task is polled until it reports the invoice's ``uuid``, then the invoice
  is read back for its number. A task still running at the deadline is an
  :class:`InFaktTaskPending` (an ``AmbiguousOutcome``) naming the task reference.
* Corrections go to ``/async/corrective_invoices.json`` with before/after line pairs;
  ``kind: "corrective"`` on the plain invoice endpoint silently issues a VAT invoice.
* Omitting ``currency`` silently books the account's currency: it is always sent.
* Unknown field names are silently ignored (``post_code`` instead of ``client_post_code``
  loses the postal code without an error), so every name sent is one the sheet lists
  (the conformance case ``tests/conformance/cases/infakt.py`` checks it).
* Limits are per IP: 150 writes and 300 reads per 60 s.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, ClassVar

import attrs
import httpx

from ...capabilities import Capabilities, Capability, Entry, Support
from ...errors import (
    AccountingError,
    AmbiguousOutcome,
    MalformedAnswer,
    PermissionDenied,
    ProviderError,
    ProviderValidationError,
    UnsupportedOperation,
    ValidationError,
)
from ...flow import Call, Flow, Sleep
from ...limits import RateLimit, Scope, credential_fingerprint
from ...model import (
    Correction,
    DocumentKind,
    EInvoiceStatus,
    Invoice,
    Party,
    Payment,
    PaymentType,
    SentDocument,
    VatRateInfo,
)
from ...provider import DEFAULT_STATUS_ERRORS, json_request, read_json
from . import codec, einvoice
from .settings import PAYMENT_TYPES, RATE_WINDOW, InFaktSettings

# Task processing codes (IF-README, IF-OL, IF-PHP1/2): 100/120/140 in progress, 201 done,
# 422 failed. Anything else at 400 or above is read as a failure too, anything else as
# "still processing" (UNCERTAIN: the full list is not documented).
_TASK_DONE = 201
_TASK_REFUSED = 422  # the only documented failure of a task (IF-README)

CAPABILITIES = Capabilities(
    provider="infakt",
    entries={
        Capability.SEND_INVOICE: Entry(Support.SUPPORTED, "asynchronous task, polled; created as a draft"),
        Capability.SEND_RECEIPT: Entry(Support.NOT_SUPPORTED, "inFakt's API has no receipt (paragon) document"),
        Capability.SEND_CORRECTION: Entry(Support.SUPPORTED, "corrective invoice with before/after line pairs"),
        Capability.FETCH_PDF: Entry(Support.SUPPORTED, "downloading marks a draft 'printed'"),
        Capability.LIST_SERIES: Entry(Support.NOT_SUPPORTED, "no numbering series; one sequence per kind"),
        Capability.LIST_PAYMENT_TYPES: Entry(Support.SUPPORTED, "documented fixed list"),
        Capability.LIST_VAT_RATES: Entry(Support.SUPPORTED, "GET vat_rates.json; read by symbol"),
        Capability.RECORD_PAYMENT: Entry(Support.SUPPORTED, "marks the whole invoice paid; no partial payments"),
        Capability.SKU_STOCK: Entry(Support.NOT_SUPPORTED, "no product code or stock in inFakt's API"),
        Capability.EXTERNAL_NUMBERING: Entry(Support.SUPPORTED, "own number with check_duplicate_number; no series"),
        Capability.DOCUMENT_LINK: Entry(Support.NOT_IMPLEMENTED, "share links exist; not built"),
        Capability.NATIVE_IDEMPOTENCY: Entry(Support.NOT_SUPPORTED, "no idempotency key (external_id unconfirmed)"),
        Capability.LOOKUP_BY_REFERENCE: Entry(Support.NOT_SUPPORTED, "no field keeps the caller's reference"),
        Capability.EINVOICE: Entry(
            Support.SUPPORTED, "ksef_data of the document; drafts are never sent by themselves; sandbox = demo"
        ),
    },
)
"""inFakt's row of the capability matrix."""


class InFaktTaskPending(AmbiguousOutcome):
    """inFakt accepted a create task, but its outcome is not known here.

    The task ran past the connector's deadline, or reading its status (or the created
    document) failed. The document may exist: it is never sent again automatically.
    Check ``GET /async/invoices/status/{task_reference}.json`` (corrections:
    ``/async/corrective_invoices/status/...``) or the invoice list in inFakt.

    Attributes:
        task_reference: inFakt's ``invoice_task_reference_number``.
        document_uuid: the created document's ``uuid`` when the task reported one.
    """

    def __init__(
        self,
        message: str,
        *,
        task_reference: str,
        document_uuid: str | None = None,
        settles: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.task_reference = task_reference
        self.document_uuid = document_uuid
        self.settles = settles

    @property
    def settle_data(self) -> dict[str, str]:
        """What the exporter records with the hold, for :meth:`InFakt.settle` to poll later.

        Empty when the create itself is not what is in doubt (an invoice issued whose
        paid mark failed): settling it as issued would hide the missing payment.
        """
        if not self.settles:
            return {}
        data = {"task": self.task_reference} if self.task_reference else {}
        if self.document_uuid:
            data["uuid"] = self.document_uuid
        return data


@attrs.frozen
class _Kind:
    """What differs between invoices and corrective invoices in the API."""

    operation: str
    folder: str  # async/{folder}.json, async/{folder}/status/{ref}.json, {folder}/{uuid}.json
    document_kind: DocumentKind

    @property
    def status_path(self) -> str:
        return f"async/{self.folder}/status/"


_INVOICE = _Kind("send_invoice", "invoices", DocumentKind.INVOICE)
_CORRECTION = _Kind("send_correction", "corrective_invoices", DocumentKind.CORRECTION)


# Fallback texts for answers without a message, by status (IF-README "Kody błędów").
_STATUS_TEXTS = {
    401: "inFakt refused the API key (HTTP 401)",
    402: "the inFakt plan's limit is exceeded (HTTP 402)",
    403: "the API key may not do this, or the IP is blocked (HTTP 403)",
    404: "inFakt found no such resource (HTTP 404)",
    423: "the inFakt resource is locked (HTTP 423)",
    429: "inFakt's request limit is exceeded (HTTP 429)",
}


class InFakt(codec.InFaktDocuments):
    """inFakt.pl connector (API v3); its settings are :class:`InFaktSettings`."""

    name: ClassVar[str] = "infakt"
    title: ClassVar[str] = "inFakt.pl"
    country: ClassVar[str] = "PL"
    settings_class: ClassVar[type[InFaktSettings]] = InFaktSettings
    capabilities: ClassVar[Capabilities] = CAPABILITIES
    # IF-README "Limity": per IP, GET 300 / 60 s, POST/PUT/DELETE 150 / 60 s. Marking an
    # invoice paid creates nothing but is a POST, so it counts as a write (Call.writes).
    rate_limits: ClassVar[tuple[RateLimit, ...]] = (
        RateLimit(150, RATE_WINDOW, scope=Scope.WRITES),
        RateLimit(300, RATE_WINDOW, scope=Scope.READS),
    )
    # IF-README: 402 plan limit exceeded, 406 wrong data type; no 409 is documented.
    status_errors: ClassVar[Mapping[int, type[ProviderError]]] = {
        **DEFAULT_STATUS_ERRORS,
        402: PermissionDenied,
        406: ProviderValidationError,
        409: ProviderError,
    }
    retry_after_default: ClassVar[float | None] = RATE_WINDOW  # a 429 without Retry-After
    # An ambiguous create is settled by polling its task (InFaktTaskPending.settle_data).
    settles_ambiguous: ClassVar[str | None] = "task"

    def __init__(self, settings: InFaktSettings) -> None:
        super().__init__(settings)
        self.settings: InFaktSettings = settings
        self.base_url = settings.root
        """The API root every call goes to."""

    def __repr__(self) -> str:
        return f"InFakt(base_url={self.base_url!r})"

    # What the drivers ask of a provider.

    def credential_fingerprint(self) -> str:
        """One key for every inFakt key of this process and host.

        inFakt counts its limits per IP address, not per key, so all clients of the
        process share one limiter per API host.
        """
        return credential_fingerprint("per-ip", self.base_url)

    def account(self) -> str:
        """The issuing company's NIP (the ``company_tax_id`` setting), never the API key.

        A rotated key issues for the same company, so the ledger must not tell them apart.
        ``account/details.json`` would name the company too, but ``account()`` is asked
        before any call and must not depend on one (the sheet documents no NIP field there).
        """
        return str(self.settings.company_tax_id)

    def secrets(self) -> tuple[str, ...]:
        """The API key."""
        return (self.settings.api_key,)

    def error_for(self, response: httpx.Response, call: Call, now: float) -> AccountingError | None:
        """Map a status by :attr:`status_errors`; a 429 is a refusal, on a create too.

        IF-README ("Kody błędów") defines 429 as the request limit exceeded: the limiter
        refused the call, so nothing was accepted and the driver may send it again after
        ``Retry-After``. The sheet has no observation of a 429 that took effect (IF-OL
        only treats 429 defensively as in doubt), so the official reading is followed.
        """
        if response.status_code < 300:
            return None
        return self.status_error(response)

    def error_message(self, response: httpx.Response, *, fallback: bool = True) -> str | None:
        """``error``, ``message`` or ``processing_description``, else the field errors joined."""
        body = read_json(response)
        if isinstance(body, dict):
            for key in ("error", "message", "processing_description"):
                value = body.get(key)
                if isinstance(value, str) and value.strip():
                    return value.strip()
        return codec.joined(self.field_errors(response)) or (
            _STATUS_TEXTS.get(response.status_code) if fallback else None
        )

    def field_errors(self, response: httpx.Response) -> dict[str, list[str]]:
        """The per-field messages under ``errors`` (UNCERTAIN shape, IF-GO), flattened."""
        body = read_json(response)
        return codec.flatten(body.get("errors")) if isinstance(body, dict) else {}

    # Operations.

    def send_invoice(self, invoice: Invoice) -> Flow[SentDocument]:
        """Issue a VAT invoice through the asynchronous create and poll it to the end.

        ``POST async/invoices.json``, then ``GET async/invoices/status/{ref}.json`` with
        growing waits, then ``GET invoices/{uuid}.json`` for the number. With a
        ``payment`` the invoice is then marked paid (``POST async/invoices/{uuid}/paid.json``).
        """
        self._check_invoice(invoice)
        body = self._invoice_body(invoice)
        document = yield from self._create(_INVOICE, body, invoice.reference)
        if invoice.payment is not None:
            paid_on = invoice.payment.paid_on or invoice.issue_date
            booked = codec.int_field(document.raw, "gross_price")
            try:
                if booked is not None and booked != codec.to_grosze(invoice.payment.amount, "payment.amount"):
                    # inFakt booked another total than ours: do not mark it paid for a sum it
                    # does not owe. The invoice exists all the same (hence the pending error).
                    raise ProviderError(
                        f"inFakt booked a gross total of {codec.from_grosze(booked)}, "
                        f"the payment is {invoice.payment.amount}"
                    )
                marked = yield self._mark_paid_call(document, paid_on, "send_invoice")
                confirmed = yield from self._confirm_paid(document, _task_of(marked), "send_invoice")
            except AccountingError as error:
                raise InFaktTaskPending(
                    f"invoice {document.number or document.external_id} was issued, but marking it paid "
                    f"failed ({error.message}); do not send it again: record the payment with "
                    f"record_payment()",
                    task_reference=str(document.raw.get("invoice_task_reference_number") or ""),
                    document_uuid=document.external_id,
                    settles=False,
                    operation="send_invoice",
                ) from error
            task = document.raw.get("invoice_task_reference_number")
            document = attrs.evolve(document, raw={**confirmed, "invoice_task_reference_number": task})
        return document

    def send_correction(self, correction: Correction) -> Flow[SentDocument]:
        """Issue a corrective invoice (``POST async/corrective_invoices.json``).

        The original is read first (``GET invoices/{uuid}.json``) for its number, date
        and client. Each changed line goes as a pair in one ``group``: the line as
        invoiced (``correction: false``) and as corrected (``correction: true``);
        unchanged lines are left out.
        """
        uuid = self._uuid(correction.original_document, "correction.original_document")
        pairs = self._correction_pairs(correction)
        response = yield self._get(f"invoices/{uuid}.json", operation="send_correction")
        original = codec.json_object(response)
        client_id = codec.int_field(original, "client_id")
        if client_id is None:
            # Invoices go out with the buyer inline, so the original usually has no client
            # record; a correction needs one (IF-OL, live: "client_id required"), so the
            # buyer is stored first (POST clients.json). inFakt does not deduplicate clients:
            # a retried store can leave a second client record, never a second document.
            client_id = yield from self._store_client(correction.original.buyer)
        body = self._correction_body(correction, original, pairs, client_id)
        return (yield from self._create(_CORRECTION, body, correction.reference))

    def _store_client(self, party: Party) -> Flow[int]:
        response = yield self._call("POST", "clients.json", "send_correction", {"client": codec.client_record(party)})
        client_id = codec.int_field(codec.json_object(response), "id")
        if client_id is None:
            raise ProviderError("inFakt stored the client but returned no id", response=response)
        return client_id

    def fetch_pdf(self, document: SentDocument) -> Flow[bytes]:
        """The PDF from ``GET invoices/{uuid}/pdf.json`` (corrections: ``corrective_invoices``).

        Downloading marks a draft invoice "printed" (IF-README). The answer is read by its
        ``Content-Type``: the PDF itself (IF-OL, live) or JSON with a download link (IF-GO,
        UNCERTAIN), which is then followed without the API key.
        """
        if document.kind in (DocumentKind.RECEIPT, DocumentKind.PAYMENT):
            raise self.unsupported(Capability.FETCH_PDF)
        uuid = self._uuid(document, "document")
        folder = "corrective_invoices" if document.kind is DocumentKind.CORRECTION else "invoices"
        request = httpx.Request(
            "GET",
            f"{self.base_url}{folder}/{uuid}/pdf.json",
            params={"document_type": self.settings.pdf_document_type, "locale": self.settings.pdf_locale},
            headers={"X-inFakt-ApiKey": self.settings.api_key, "Accept": "application/pdf, application/json"},
        )
        response: httpx.Response = yield Call(request, operation="fetch_pdf")
        if response.content.startswith(b"%PDF"):
            return response.content
        link = codec.download_link(read_json(response))
        if link is None:
            raise ProviderError("inFakt's PDF answer is neither a PDF nor a download link", response=response)
        headers = {"Accept": "application/pdf"}
        if httpx.URL(link).host == httpx.URL(self.base_url).host:
            headers["X-inFakt-ApiKey"] = self.settings.api_key
        followed: httpx.Response = yield Call(httpx.Request("GET", link, headers=headers), operation="fetch_pdf")
        return self.pdf_bytes(followed, "the download link")

    def einvoice_status(self, document: SentDocument) -> Flow[EInvoiceStatus]:
        """The KSeF status: ``ksef_data`` of ``GET invoices/{uuid}.json`` (EINVOICING §3.2).

        Corrections are read under ``corrective_invoices``: their uuid 404s under ``invoices``.
        """
        if document.kind in (DocumentKind.RECEIPT, DocumentKind.PAYMENT):
            raise self.unsupported(Capability.EINVOICE, "only invoices and corrections go to KSeF")
        uuid = self._uuid(document, "document")
        folder = "corrective_invoices" if document.kind is DocumentKind.CORRECTION else "invoices"
        response: httpx.Response = yield self._get(f"{folder}/{uuid}.json", operation="einvoice_status")
        demo = "sandbox" in (httpx.URL(self.base_url).host or "")
        body = codec.json_object(response)
        if body.get("uuid") != uuid:
            raise ProviderError(f"inFakt answered no document {uuid} for its KSeF status", response=response)
        return einvoice.status_from(body, document, demo=demo)

    def list_payment_types(self) -> Flow[list[PaymentType]]:
        """The payment methods inFakt documents (a fixed list; no call is made)."""
        return list(PAYMENT_TYPES)
        yield  # a flow with no calls

    def list_vat_rates(self) -> Flow[list[VatRateInfo]]:
        """The account's VAT rates (``GET vat_rates.json``), read by their ``symbol``.

        UNCERTAIN: the entity's field set (``id``, ``name``, ``rate``, ``symbol``) comes
        from a third-party client (IF-GO); entries whose symbol is neither a percentage
        nor a known special code are skipped.
        """
        response = yield self._get("vat_rates.json", operation="list_vat_rates")
        rates: list[VatRateInfo] = []
        for item in codec.entities(response):
            if not isinstance(item.get("symbol"), (str, int)) or isinstance(item.get("symbol"), bool):
                raise MalformedAnswer("inFakt listed a VAT rate without a symbol", response=response)
            symbol = str(item.get("symbol") or "").strip()
            vat = codec.vat_from_symbol(symbol)
            if vat is None:
                continue
            rates.append(VatRateInfo(name=str(item.get("name") or symbol), vat=vat))
        return rates

    def record_payment(self, document: SentDocument, payment: Payment) -> Flow[SentDocument]:
        """Mark an issued invoice paid (``POST async/invoices/{uuid}/paid.json``).

        inFakt documents only a whole "paid" mark, so the invoice is read first and a
        payment that is not its whole, still unpaid, gross amount is refused before the
        write. ``payment.method`` must be one of inFakt's payment methods (it is checked,
        not sent: the mark has no method field).
        """
        if document.kind is not DocumentKind.INVOICE:
            raise ValidationError("document.kind", "inFakt marks invoices paid; this is not an invoice")
        uuid = self._uuid(document, "document")
        self._payment_method(payment.method, "payment.method")
        response = yield self._get(f"invoices/{uuid}.json", operation="record_payment")
        current = codec.json_object(response)
        gross = codec.int_field(current, "gross_price")
        left = codec.int_field(current, "left_to_pay")
        already_paid = current.get("status") == "paid" or (left is not None and left == 0 and gross)
        # Part paid already (left_to_pay below the gross): a whole-invoice mark would book more.
        partly_paid = left is not None and gross is not None and left != gross
        if already_paid or partly_paid or gross is None or codec.to_grosze(payment.amount, "payment.amount") != gross:
            total = "unknown" if gross is None else str(codec.from_grosze(gross))
            state = "already paid" if already_paid else "partly paid" if partly_paid else "unpaid"
            raise UnsupportedOperation(
                f"inFakt marks a whole invoice paid and documents no partial payment; "
                f"{document.number or uuid} totals {total} and is {state}, the payment is "
                f"{payment.amount}. Record partial payments in inFakt itself.",
                operation="record_payment",
            )
        paid_on = payment.paid_on or codec.date_of(current.get("invoice_date")) or document.issue_date
        if paid_on is None:
            raise ValidationError("payment.paid_on", "inFakt's paid mark needs a date (paid_date)")
        marked = yield self._mark_paid_call(document, paid_on, "record_payment")
        task = _task_of(marked)
        try:
            confirmed = yield from self._confirm_paid(document, task, "record_payment")
        except InFaktTaskPending:
            raise
        except AccountingError as error:
            raise InFaktTaskPending(
                f"record_payment: inFakt accepted marking {document.number or uuid} paid, but reading it back "
                f"failed ({error.message}); check it in inFakt. Marking it paid again is harmless.",
                task_reference=task,
                document_uuid=uuid,
                operation="record_payment",
                retry_safe=True,
            ) from error
        return SentDocument(
            provider=self.name,
            kind=DocumentKind.PAYMENT,
            reference=document.reference,
            number=document.number,
            external_id=uuid,
            issue_date=payment.paid_on,
            raw=confirmed,
        )

    def _confirm_paid(self, document: SentDocument, task: str, operation: str) -> Flow[dict[str, Any]]:
        """Read the invoice back until it shows paid: HTTP 201 on the mark is "accepted", not "paid".

        IF-README: "Kod 201 oznacza przyjęcie zlecenia, nie opłacenie" (infakt.md "Newer
        findings" a1). The invoice is read at once (IF-OL saw it paid on an immediate
        re-read), then with the create's growing waits; paid is ``status == "paid"`` or a
        set ``paid_date``. Past ``poll_timeout`` the payment is pending: an
        :class:`InFaktTaskPending` naming the invoice (marking again is harmless).
        """
        uuid = self._uuid(document, "document")
        waited = 0.0
        delay = self.settings.poll_interval
        while True:
            response = yield self._get(f"invoices/{uuid}.json", operation=operation)
            current = codec.json_object(response)
            if current.get("status") == "paid" or current.get("paid_date"):
                return current
            if waited >= self.settings.poll_timeout:
                raise InFaktTaskPending(
                    f"{operation}: inFakt accepted marking {document.number or uuid} paid (HTTP 201 means "
                    f"accepted, not paid), but after {waited:g} s it still does not read paid "
                    f"(status {current.get('status')!r}); it may still be marked. Check it in inFakt; "
                    "marking it paid again is harmless.",
                    task_reference=task,
                    document_uuid=uuid,
                    operation=operation,
                    retry_safe=operation == "record_payment",
                )
            pause = min(delay, self.settings.max_poll_interval, self.settings.poll_timeout - waited)
            yield Sleep(pause)
            waited += pause
            delay = min(delay * self.settings.poll_backoff, self.settings.max_poll_interval)

    def settle(
        self, kind: DocumentKind, reference: str, data: Mapping[str, str], document: Any = None
    ) -> Flow[SentDocument | None]:
        """Settle an ambiguous create by its task: the document, or why nothing was created.

        ``data`` is :attr:`InFaktTaskPending.settle_data`. With the created ``uuid`` the
        document is read; otherwise ``GET async/{folder}/status/{task}.json`` is polled
        once: 201 reads the document, the documented failure (422, no uuid) raises the
        task's ``ProviderValidationError`` (nothing created), anything else, or no task
        reference at all, stays an :class:`InFaktTaskPending`.
        """
        folder = _CORRECTION if kind is DocumentKind.CORRECTION else _INVOICE
        task = str(data.get("task") or "")
        uuid = str(data.get("uuid") or "")
        if not task and not uuid:
            raise InFaktTaskPending(
                f"inFakt gave no task reference for {reference!r} (the answer to the create was lost); "
                "only the invoice list in inFakt can tell whether it was created",
                task_reference="",
                operation="settle",
            )
        try:
            if not uuid:
                response = yield self._get(f"{folder.status_path}{task}.json", operation="settle")
                envelope = codec.json_object(response)
                code = codec.processing_code(envelope)
                uuid = str(envelope.get("invoice_uuid") or "")
                if code == _TASK_REFUSED and not uuid:
                    raise self._task_failed(folder, task, envelope)
                if code != _TASK_DONE or not uuid:
                    raise InFaktTaskPending(
                        f"inFakt's task {task} is still processing (processing_code {code})",
                        task_reference=task,
                        operation="settle",
                    )
            read = yield self._get(f"{folder.folder}/{uuid}.json", operation="settle")
            found = codec.json_object(read)
        except (InFaktTaskPending, ProviderValidationError):
            raise
        except AccountingError as error:
            raise self._pending(folder, task, error, uuid or None) from error
        number = found.get("number")
        issue_date = found.get("invoice_date")
        return SentDocument(
            provider=self.name,
            kind=folder.document_kind,
            reference=reference,
            number=None if number in (None, "") else str(number),
            external_id=uuid,
            issue_date=issue_date if isinstance(issue_date, str) and issue_date else None,
            raw={**found, "invoice_task_reference_number": task},
        )

    # The asynchronous create.

    def _create(self, kind: _Kind, body: Mapping[str, Any], reference: str) -> Flow[SentDocument]:
        accepted = yield self._call("POST", f"async/{kind.folder}.json", kind.operation, body, creates=True)
        # From here on inFakt has answered the create with 2xx: whatever goes wrong, the
        # document may exist, so every failure is an InFaktTaskPending (AmbiguousOutcome),
        # except a task that definitely failed.
        envelope = read_json(accepted)
        task = str(envelope.get("invoice_task_reference_number") or "") if isinstance(envelope, dict) else ""
        if not task:
            raise InFaktTaskPending(
                f"{kind.operation}: inFakt accepted the create (HTTP {accepted.status_code}) but its answer names "
                "no task; the document may exist. Check the invoice list in inFakt before sending again.",
                task_reference="",
                operation=kind.operation,
                response=accepted,
            )
        try:
            final = yield from self._poll(kind, task, envelope)
        except InFaktTaskPending:
            raise
        except AccountingError as error:
            raise self._pending(kind, task, error) from error
        uuid = str(final.get("invoice_uuid") or "")
        if codec.processing_code(final) == _TASK_REFUSED and not uuid:
            # The one documented failure (IF-README: 422, "Nie udało się stworzyć faktury",
            # no uuid) created nothing: the refusal is final and safe to fix and resend.
            raise self._task_failed(kind, task, final)
        try:
            if codec.processing_code(final) != _TASK_DONE or not uuid:
                # Any other ending is undocumented (IF-PHP2 treats only 201 and 422 as final).
                raise ProviderError(
                    f"inFakt's task {task} ended with processing_code {codec.processing_code(final)} "
                    f"({final.get('processing_description') or 'no description'})"
                )
            read = yield self._get(f"{kind.folder}/{uuid}.json", operation=kind.operation)
            document = codec.json_object(read)
        except AccountingError as error:
            raise self._pending(kind, task, error, uuid or None) from error
        number = document.get("number")
        issue_date = document.get("invoice_date")
        return SentDocument(
            provider=self.name,
            kind=kind.document_kind,
            reference=reference,
            # UNCERTAIN (IF-OL #1275): a fresh draft may still show "number": null.
            number=None if number in (None, "") else str(number),
            external_id=uuid,
            issue_date=issue_date if isinstance(issue_date, str) and issue_date else None,
            raw={**document, "invoice_task_reference_number": task},
        )

    def _poll(self, kind: _Kind, task: str, envelope: Mapping[str, Any]) -> Flow[Mapping[str, Any]]:
        """Poll the task with growing waits until it succeeds, fails or the deadline passes."""
        waited = 0.0
        delay = self.settings.poll_interval
        while True:
            code = codec.processing_code(envelope)
            if code == _TASK_DONE or (code is not None and code >= 400):
                return envelope
            if waited >= self.settings.poll_timeout:
                raise InFaktTaskPending(
                    f"{kind.operation}: inFakt's task {task} was still processing after {waited:g} s "
                    f"(processing_code {code}); the document may still be created. Check "
                    f"GET {kind.status_path}{task}.json before sending again.",
                    task_reference=task,
                    operation=kind.operation,
                )
            pause = min(delay, self.settings.max_poll_interval, self.settings.poll_timeout - waited)
            yield Sleep(pause)
            waited += pause
            delay = min(delay * self.settings.poll_backoff, self.settings.max_poll_interval)
            response = yield self._get(f"{kind.status_path}{task}.json", operation=kind.operation)
            envelope = codec.json_object(response)

    def _pending(self, kind: _Kind, task: str, error: AccountingError, uuid: str | None = None) -> InFaktTaskPending:
        # After the 202 the document may exist whatever failed: never let the caller
        # believe it is safe to send again.
        created = f" (document {uuid} was created)" if uuid else ""
        return InFaktTaskPending(
            f"{kind.operation}: inFakt accepted task {task}{created}, but its outcome could not be "
            f"read ({error.message}); check GET {kind.status_path}{task}.json before sending again",
            task_reference=task,
            document_uuid=uuid,
            operation=kind.operation,
        )

    def _task_failed(self, kind: _Kind, task: str, envelope: Mapping[str, Any]) -> ProviderValidationError:
        # UNCERTAIN: IF-PHP2 reads the details from `invoice_errors`; other shapes are
        # flattened the same way, and the description is kept when there are none.
        description = str(envelope.get("processing_description") or "the task failed")
        field_errors = codec.flatten(envelope.get("invoice_errors")) or codec.flatten(envelope.get("errors"))
        if not field_errors:
            field_errors = {"": [description]}
        return ProviderValidationError(
            f"inFakt's task {task} failed: {description} ({codec.joined(field_errors)})",
            field_errors=field_errors,
            operation=kind.operation,
        )

    # Requests.

    def _call(self, method: str, path: str, operation: str, body: Any = None, *, creates: bool = False) -> Call:
        # Every POST counts as a write (Call.writes' default), whether it creates or not.
        request = json_request(method, self.base_url + path, body, headers={"X-inFakt-ApiKey": self.settings.api_key})
        return Call(request, operation=operation, creates=creates)

    def _get(self, path: str, *, operation: str) -> Call:
        return self._call("GET", path, operation)

    def _mark_paid_call(self, document: SentDocument, paid_on: dt.date, operation: str) -> Call:
        # IF-OL (live) sends the wrapped form, which answered 201 and marked the invoice
        # paid; IF-PHP1 sends paid_date at the top level. UNCERTAIN which is canonical;
        # the live-verified wrapped form is used. The date is always sent: the reference
        # lists paid_date as the mark's parameter and never calls it optional.
        # A write that creates nothing: a timeout may be retried, and marking an invoice
        # paid twice is harmless (IF-OL, live).
        path = f"async/invoices/{self._uuid(document, 'document')}/paid.json"
        return self._call("POST", path, operation, {"invoice": {"paid_date": paid_on.isoformat()}})


def _task_of(response: httpx.Response) -> str:
    """The task reference of a paid mark's answer (IF-OL: the async task envelope), or ``""``."""
    try:
        body = read_json(response)
    except AccountingError:
        return ""  # the mark was accepted (2xx); its envelope is only a reference to name
    return str(body.get("invoice_task_reference_number") or "") if isinstance(body, dict) else ""
