"""The send-once ledger: intent before a create, outcome after it.

A :class:`Ledger` keeps one :class:`LedgerEntry` per (provider, account, reference).
:meth:`Ledger.begin` decides atomically, across threads and processes, whether the
caller may send: it records the intent (``PENDING``) or reports why not. The exporter
then records the outcome: ``SENT`` with the provider's document, ``FAILED`` (nothing was
issued; a later export may try again) or ``UNCERTAIN`` (it may have been issued; held
for a person to check, never re-sent on its own).
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Callable
from typing import Protocol

import attrs

from ..model import SentDocument
from ..serialization import to_dict


class LedgerState(enum.Enum):
    """Where a reference stands."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    UNCERTAIN = "uncertain"


@attrs.frozen
class LedgerKey:
    """A document's identity: the same reference in two accounts is two documents."""

    provider: str
    account: str
    reference: str


@attrs.frozen(kw_only=True)
class LedgerEntry:
    """What the ledger knows about one reference."""

    key: LedgerKey
    state: LedgerState
    fingerprint: str
    owner: str = ""
    """Who recorded the intent: ``host:pid:token``."""
    updated_at: float = 0.0
    document: SentDocument | None = None
    message: str = ""
    """Why it failed or is uncertain, in words."""


class Verdict(enum.Enum):
    """What :meth:`Ledger.begin` decided."""

    PROCEED = "proceed"
    """The intent is recorded: send."""
    RECONCILE = "reconcile"
    """A previous intent has no live owner (a crash): claimed for reconciliation."""
    DONE = "done"
    """Already sent: use ``entry.document``."""
    HELD = "held"
    """Uncertain: held for a person to check."""
    BUSY = "busy"
    """Another live exporter is sending it right now."""
    CONFLICT = "conflict"
    """The reference was exported before with a different payload."""


@attrs.frozen
class Decision:
    """The verdict of :meth:`Ledger.begin` and the entry as it stood before it."""

    verdict: Verdict
    previous: LedgerEntry | None = None


IsStale = Callable[[LedgerEntry], bool]
"""Whether a ``PENDING`` entry's owner is gone (crashed or timed out)."""


class Ledger(Protocol):
    """Storage for send-once bookkeeping; :class:`SQLiteLedger` is the default."""

    def begin(self, key: LedgerKey, fingerprint: str, owner: str, is_stale: IsStale) -> Decision:
        """Atomically decide whether ``owner`` may send ``key`` and record the intent if so."""
        ...

    def complete(self, key: LedgerKey, owner: str, document: SentDocument) -> LedgerState | None:
        """Record that the document was issued; return the state recorded.

        ``UNCERTAIN`` means another document was already recorded for the reference (a
        late answer of an exporter presumed dead): two documents may exist, and the entry
        is held for a person with both named.
        """
        ...

    def fail(self, key: LedgerKey, owner: str, message: str) -> None:
        """Record that nothing was issued, so a later export may try again."""
        ...

    def hold(self, key: LedgerKey, owner: str, message: str) -> None:
        """Record that the outcome is unknown; it will not be sent again on its own."""
        ...

    def get(self, key: LedgerKey) -> LedgerEntry | None:
        """The entry for ``key``, if any."""
        ...

    def resolve(self, key: LedgerKey, document: SentDocument | None, message: str = "") -> None:
        """Settle an entry by hand: ``document`` if it was issued, ``None`` to allow sending again."""
        ...

    def entries(self, state: LedgerState | None = None) -> list[LedgerEntry]:
        """Every entry (in ``state``, when given)."""
        ...

    def close(self) -> None:
        """Release the storage."""
        ...


def same_document(first: SentDocument, second: SentDocument) -> bool:
    """Whether two records name one document at the provider (by its id, else its number)."""
    if first.external_id and second.external_id:
        return first.external_id == second.external_id
    return (first.series, first.number) == (second.series, second.number)


def fingerprint(document: object) -> str:
    """A stable digest of a document's content (its JSON form), to spot changed payloads."""
    canonical = json.dumps(to_dict(document), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{type(document).__name__}:{canonical}".encode()).hexdigest()
