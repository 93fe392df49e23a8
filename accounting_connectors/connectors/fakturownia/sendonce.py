"""Fakturownia's send-once create and the lookup by ``oid`` behind it (§13-§16).

:class:`FakturowniaSendOnce` creates a document at most once: a lost answer is settled by
looking the document up (``GET /invoices.json?oid=...``, matched exactly, paged, §15), a
refusal naming ``oid`` is read back, and a success without 201 and a new id is checked
against a read-only user's token (§16).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from ...errors import AccountingError, AmbiguousOutcome, MalformedAnswer, NotFound, PermissionDenied, ProviderError
from ...flow import Flow
from ...model import DocumentKind, SentDocument
from ...provider import read_json
from .base import FakturowniaBase, _names_oid
from .codes import KIND_CODES, MAX_PAGES, PER_PAGE, _int_id, oid_for


class FakturowniaSendOnce(FakturowniaBase):
    """The send-once create: look up before any resend, read back on a refusal, confirm a success."""

    def _create(
        self, body: dict[str, Any], kind: DocumentKind, reference: str, *, operation: str
    ) -> Flow[SentDocument]:
        """Create once: look up before any resend, read back on a duplicate refusal, confirm a 2xx."""
        call = self._send("POST", "invoices.json", body, operation, creates=True)
        lost: AmbiguousOutcome | None = None
        for _attempt in range(2):
            try:
                response = yield call
            except AmbiguousOutcome as error:
                # Never resent blindly (§13): first look for the document by its oid.
                lost = error
                try:
                    found = yield from self._find(kind, reference, operation)
                except AccountingError as lookup:
                    raise self._still_ambiguous(error, f"looking it up failed: {lookup.message}") from lookup
                if found is not None:
                    return found
                continue  # nothing there: resending is safe, oid_unique refuses a second one
            except ProviderError as error:
                if not _names_oid(error):
                    raise
                found = yield from self._find(kind, reference, operation)
                if found is not None:
                    return found
                raise
            return (yield from self._confirm(response, kind, reference, operation))
        assert lost is not None
        raise self._still_ambiguous(lost, "it was looked up and sent again, and the answer was lost again")

    def _still_ambiguous(self, error: AmbiguousOutcome, why: str) -> AmbiguousOutcome:
        again = AmbiguousOutcome(
            f"{error.message} ({why}). Sending it again is safe: the document carries oid_unique.",
            provider=self.name,
            operation=error.operation,
            response=error.response,
            retry_safe=True,
        )
        again.__cause__ = error
        return again

    def _confirm(
        self, response: httpx.Response, kind: DocumentKind, reference: str, operation: str
    ) -> Flow[SentDocument]:
        body = read_json(response)
        ident = _int_id(body.get("id")) if isinstance(body, Mapping) else None
        if response.status_code == 201 and ident is not None and isinstance(body, Mapping):
            return self._document(body, kind, reference)
        # A success without the documented 201 and a new id: a read-only user's token gets
        # 200 and nothing is created (§16). Read back before believing it.
        if ident is not None:
            try:
                check = yield self._get(f"invoices/{ident}.json", operation)
            except NotFound:
                pass
            else:
                stored = read_json(check)
                if isinstance(stored, Mapping) and stored.get("oid") == oid_for(kind, reference):
                    return self._document(stored, kind, reference)
        found = yield from self._find(kind, reference, operation)
        if found is not None:
            return found
        raise PermissionDenied(
            f"Fakturownia answered HTTP {response.status_code} to the create but no document exists for oid "
            f"{oid_for(kind, reference)!r}: the API token probably belongs to a read-only user (a known "
            "Fakturownia bug). Nothing was created; use an administrator's token.",
            response=response,
        )

    def _find(self, kind: DocumentKind, reference: str, operation: str) -> Flow[SentDocument | None]:
        oid = oid_for(kind, reference)
        code = KIND_CODES[kind]
        seen: set[str] = set()
        for page in range(1, MAX_PAGES + 1):
            params = {"oid": oid, "period": "all", "kind": code, "per_page": str(PER_PAGE), "page": str(page)}
            response = yield self._get("invoices.json", operation, params)
            rows = read_json(response)
            if not isinstance(rows, list) or not all(
                isinstance(row, Mapping) and _int_id(row.get("id")) is not None for row in rows
            ):
                # Junk rows are an unreadable answer, never "not found" (which would resend).
                raise MalformedAnswer("Fakturownia's document list was not an array of documents", response=response)
            items = list(rows)
            matches = [row for row in items if row.get("oid") == oid and row.get("kind") == code]
            if matches:
                first = min(matches, key=lambda row: _int_id(row.get("id")) or 0)
                return self._document(first, kind, reference)
            if len(rows) < PER_PAGE:
                return None
            ids = {str(row.get("id")) for row in items}
            if ids <= seen:
                break  # the API ignored `page` (§15): the rest cannot be seen
            seen |= ids
        raise ProviderError(
            f"looking up oid {oid!r} was inconclusive: every page was full of other documents and the "
            f"listing {'repeated a page' if page < MAX_PAGES else f'ran past {MAX_PAGES} pages'}"
        )
