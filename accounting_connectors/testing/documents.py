"""What every fake records of the documents it issued: one :class:`StoredDocument` type."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs

__all__ = ["StoredDocument"]


@attrs.frozen(kw_only=True)
class StoredDocument:
    """A snapshot of one document a fake issued, the same shape in every fake.

    Attributes:
        provider: the fake's provider name (``"smartbill"``).
        account: the issuing company or account as the provider keys it (a CIF, a
            company id, an account prefix).
        kind: the provider's own word for the document (``"invoice"``, ``"storno"``,
            ``"receipt"``, ``"vat"``, ``"correction"``, ...).
        number: the number exactly as the provider gives it.
        series: the numbering series, when the provider has them.
        id: the provider's own document id, as text.
        issue_date: ``YYYY-MM-DD``.
        currency: ISO 4217 code.
        total: the gross total as the provider booked it.
        paid: the amount recorded as paid so far.
        reference: the caller's reference where the provider keeps one (an order id,
            an idempotency key, a note), else ``None``.
        cancelled: the document was cancelled or deleted at the provider.
        corrects: for a correction or storno, the id or number of the document it corrects.
        body: the request body that created it, parsed (numbers as ``Decimal``).
        detail: provider-specific detail (each fake documents its own).
    """

    provider: str
    account: str
    kind: str
    number: str
    series: str | None = None
    id: str | None = None
    issue_date: str | None = None
    currency: str | None = None
    total: Decimal | None = None
    paid: Decimal = Decimal(0)
    reference: str | None = None
    cancelled: bool = False
    corrects: str | None = None
    body: Any = attrs.field(default=None, eq=False, repr=False)
    detail: Any = attrs.field(default=None, eq=False, repr=False)

    @property
    def full_number(self) -> str:
        """Series and number run together as most providers print them (``"FCT0001"``)."""
        return f"{self.series or ''}{self.number}"

    def matches(self, **key: Any) -> bool:
        """Whether every ``name=value`` equals this document's attribute, or its ``detail``'s."""
        for name, value in key.items():
            if hasattr(self, name):
                if getattr(self, name) != value:
                    return False
            elif isinstance(self.detail, dict):
                if self.detail.get(name, _MISSING) != value:
                    return False
            elif getattr(self.detail, name, _MISSING) != value:
                return False
        return True


_MISSING = object()
