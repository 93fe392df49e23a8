"""What an export returns: one result per document, one report per batch."""

from __future__ import annotations

import enum

import attrs

from ..errors import AccountingError
from ..model import SentDocument


class ExportStatus(enum.Enum):
    """The outcome of exporting one document."""

    SENT = "sent"
    """Issued now."""
    ALREADY_SENT = "already sent"
    """Issued before; the stored document is returned and nothing was sent."""
    SKIPPED = "skipped"
    """Not sent on purpose: its series maps to "do not send"."""
    IN_PROGRESS = "in progress"
    """Another exporter is sending this reference right now; nothing was sent here."""
    DUPLICATE = "duplicate in batch"
    """The same reference came twice in one batch while its first copy was being sent;
    the second copy was not sent (the first one's result stands)."""
    FAILED = "failed"
    """Not issued; ``error`` says why. Exporting it again may send it."""
    UNCERTAIN = "uncertain"
    """Maybe issued: held for a person to check at the provider; never re-sent on its own."""
    NOT_ATTEMPTED = "not attempted"
    """Bulk export stopped before this document (``stop_after_failure``)."""


@attrs.frozen(kw_only=True)
class ExportResult:
    """One document's outcome.

    ``pdf``/``url`` hold the provider's document when ``use_provider_document`` is on;
    ``document_error`` says why it could not be fetched (the export itself stands).
    """

    reference: str
    status: ExportStatus
    document: SentDocument | None = None
    error: AccountingError | None = None
    message: str = ""
    pdf: bytes | None = attrs.field(default=None, repr=False)
    url: str | None = None
    document_error: AccountingError | None = None

    @property
    def ok(self) -> bool:
        """The document is at the provider (sent now or before) or was skipped on purpose."""
        return self.status in (ExportStatus.SENT, ExportStatus.ALREADY_SENT, ExportStatus.SKIPPED)

    def _repr_html_(self) -> str:
        from ..notebook import repr_html

        return repr_html(self)


@attrs.define
class ExportReport:
    """A batch's outcome.

    Successful documents are only counted, so memory stays flat however long the batch;
    pass ``on_result`` to ``export_many`` to see every result.
    """

    sent: int = 0
    already_sent: int = 0
    skipped: list[str] = attrs.field(factory=list)
    in_progress: list[str] = attrs.field(factory=list)
    duplicates: list[str] = attrs.field(factory=list)
    failed: list[ExportResult] = attrs.field(factory=list)
    uncertain: list[ExportResult] = attrs.field(factory=list)
    not_attempted: list[str] = attrs.field(factory=list)

    def add(self, result: ExportResult) -> None:
        """Count ``result`` in the report."""
        status = result.status
        if status is ExportStatus.SENT:
            self.sent += 1
        elif status is ExportStatus.ALREADY_SENT:
            self.already_sent += 1
        elif status is ExportStatus.SKIPPED:
            self.skipped.append(result.reference)
        elif status is ExportStatus.IN_PROGRESS:
            self.in_progress.append(result.reference)
        elif status is ExportStatus.DUPLICATE:
            self.duplicates.append(result.reference)
        elif status is ExportStatus.FAILED:
            self.failed.append(result)
        elif status is ExportStatus.UNCERTAIN:
            self.uncertain.append(result)
        else:
            self.not_attempted.append(result.reference)

    @property
    def done(self) -> int:
        """Documents handled, whatever their outcome (not counting those not attempted)."""
        return (
            self.sent
            + self.already_sent
            + len(self.skipped)
            + len(self.in_progress)
            + len(self.duplicates)
            + len(self.failed)
            + len(self.uncertain)
        )

    @property
    def ok(self) -> bool:
        """Nothing failed, nothing is uncertain, nothing was left unattempted."""
        return not (self.failed or self.uncertain or self.not_attempted or self.in_progress)

    def _repr_html_(self) -> str:
        from ..notebook import repr_html

        return repr_html(self)

    def __str__(self) -> str:
        return (
            f"sent {self.sent}, already sent {self.already_sent}, skipped {len(self.skipped)}, "
            f"in progress elsewhere {len(self.in_progress)}, "
            + (
                f"duplicates in batch {len(self.duplicates)} ({', '.join(self.duplicates[:5])}), "
                if self.duplicates
                else ""
            )
            + f"failed {len(self.failed)}, "
            f"uncertain {len(self.uncertain)}, not attempted {len(self.not_attempted)}"
        )
