"""The default ledger: one SQLite file (stdlib), safe across restarts and processes.

WAL journaling lets readers and one writer work at once; every decision runs in a
``BEGIN IMMEDIATE`` transaction, which takes the file's write lock first, so two
processes can never both record an intent for the same reference.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import ConfigurationError
from ..model import SentDocument
from ..serialization import from_dict, to_dict
from .ledger import (
    Decision,
    IsStale,
    LedgerEntry,
    LedgerKey,
    LedgerState,
    Verdict,
    _canonical,
    _Unusual,
    completion,
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS ledger (
    provider    TEXT NOT NULL,
    account     TEXT NOT NULL,
    reference   TEXT NOT NULL,
    state       TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    owner       TEXT NOT NULL,
    updated_at  REAL NOT NULL,
    document    TEXT,
    message     TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (provider, account, reference)
)
"""


class SQLiteLedger:
    """A :class:`~accounting_connectors.export.ledger.Ledger` in one SQLite file.

    Args:
        path: the database file (created if missing); ``":memory:"`` for a throw-away one.
        clock: wall-clock seconds, for ``updated_at`` (injectable for tests).
    """

    def __init__(self, path: str | Path, *, clock: Callable[[], float] = time.time) -> None:
        self.path = str(path)
        self._clock = clock
        self._lock = threading.Lock()
        # One connection shared by this process's threads under a lock; other processes
        # have their own and meet this one at the file's lock.
        if Path(self.path).is_dir():
            raise ConfigurationError(
                f"the ledger {self.path} is a folder; name a file, e.g. {Path(self.path) / 'exports.db'}"
            )
        try:
            self._db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as error:
            raise ConfigurationError(f"cannot open the ledger {self.path}: {error}") from error
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(_SCHEMA)
        except sqlite3.DatabaseError as error:
            raise ConfigurationError(f"cannot use {self.path} as a ledger: {error}") from error

    def __repr__(self) -> str:
        return f"SQLiteLedger({self.path!r})"

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _row(self, db: sqlite3.Connection, key: LedgerKey) -> LedgerEntry | None:
        row = db.execute(
            "SELECT state, fingerprint, owner, updated_at, document, message FROM ledger "
            "WHERE provider = ? AND account = ? AND reference = ?",
            (key.provider, key.account, key.reference),
        ).fetchone()
        return None if row is None else _entry(key, row)

    def begin(self, key: LedgerKey, fingerprint: str, owner: str, is_stale: IsStale) -> Decision:
        """Atomically decide whether ``owner`` may send ``key``, recording the intent if so."""
        with self._lock:
            # A new reference, the common case: one statement records the intent and
            # commits it (autocommit) before the create is sent.
            inserted = self._db.execute(
                "INSERT INTO ledger (provider, account, reference, state, fingerprint, owner, updated_at, message)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, '') ON CONFLICT (provider, account, reference) DO NOTHING",
                (
                    key.provider,
                    key.account,
                    key.reference,
                    LedgerState.PENDING.value,
                    fingerprint,
                    owner,
                    self._clock(),
                ),
            )
            if inserted.rowcount == 1:
                return Decision(Verdict.PROCEED)
        with self._transaction() as db:
            entry = self._row(db, key)
            if entry is None:
                self._write(db, key, LedgerState.PENDING, fingerprint, owner)
                return Decision(Verdict.PROCEED)
            if entry.state is LedgerState.FAILED:
                # Nothing was issued: the (possibly corrected) document may go again.
                self._write(db, key, LedgerState.PENDING, fingerprint, owner)
                return Decision(Verdict.PROCEED, entry)
            if entry.fingerprint != fingerprint:
                return Decision(Verdict.CONFLICT, entry)
            if entry.state is LedgerState.SENT:
                return Decision(Verdict.DONE, entry)
            if entry.state is LedgerState.UNCERTAIN:
                return Decision(Verdict.HELD, entry)
            if is_stale(entry):
                self._write(db, key, LedgerState.PENDING, fingerprint, owner, message=entry.message)
                return Decision(Verdict.RECONCILE, entry)
            return Decision(Verdict.BUSY, entry)

    def complete(self, key: LedgerKey, owner: str, document: SentDocument) -> LedgerState | None:
        """Record that the document was issued; return the state recorded.

        This is the truth whoever holds the entry: an exporter presumed dead (its lease
        ran out) that still gets its answer records it over the other's intent or hold.
        When another document is already recorded for the reference, both exist: the
        entry is held (``UNCERTAIN``) with both named, never silently kept as one.
        """
        with self._lock:
            # The common case in one statement: nothing (or only a hold without a
            # document) is recorded yet, so this document is the truth. Every other case
            # (none, already sent, held with a document) is decided below on the row.
            updated = self._db.execute(
                "UPDATE ledger SET state = ?, owner = ?, updated_at = ?, document = ?, message = ''"
                " WHERE provider = ? AND account = ? AND reference = ?"
                " AND (state IN (?, ?) OR (state = ? AND document IS NULL))",
                (
                    LedgerState.SENT.value,
                    owner,
                    self._clock(),
                    _document_json(document),
                    key.provider,
                    key.account,
                    key.reference,
                    LedgerState.PENDING.value,
                    LedgerState.FAILED.value,
                    LedgerState.UNCERTAIN.value,
                ),
            )
            if updated.rowcount == 1:
                return LedgerState.SENT
        with self._transaction() as db:
            entry = self._row(db, key)
            if entry is None:
                return None
            settled = completion(entry, document)
            if settled.write is not None:
                self._write(
                    db, key, settled.write, entry.fingerprint, owner, document=settled.document, message=settled.message
                )
            return settled.result

    def fail(self, key: LedgerKey, owner: str, message: str) -> None:
        """Record that nothing was issued."""
        with self._transaction() as db:
            self._settle(db, key, owner, LedgerState.FAILED, message=message)

    def hold(self, key: LedgerKey, owner: str, message: str) -> None:
        """Record an unknown outcome; it is not sent again on its own."""
        with self._transaction() as db:
            self._settle(db, key, owner, LedgerState.UNCERTAIN, message=message)

    def resolve(self, key: LedgerKey, document: SentDocument | None, message: str = "") -> None:
        """Settle an entry by hand: issued (``document``) or not issued (``None``)."""
        with self._transaction() as db:
            entry = self._row(db, key)
            if entry is None:
                raise KeyError(key)
            state = LedgerState.SENT if document is not None else LedgerState.FAILED
            note = message or ("resolved by hand: issued" if document else "resolved by hand: not issued")
            self._write(db, key, state, entry.fingerprint, entry.owner, document=document, message=note)

    def heartbeat(self, owner: str, keys: Iterable[LedgerKey]) -> None:
        """Refresh ``updated_at`` of ``owner``'s intents for ``keys`` that are still PENDING.

        A live exporter calls it while its creates are in flight, so a slow one is never
        presumed dead by another exporter whose lease ran out.
        """
        rows = [(self._clock(), key.provider, key.account, key.reference, owner) for key in keys]
        if not rows:
            return
        with self._transaction() as db:
            db.executemany(
                "UPDATE ledger SET updated_at = ? WHERE provider = ? AND account = ? AND reference = ?"
                " AND owner = ? AND state = 'pending'",
                rows,
            )

    def get(self, key: LedgerKey) -> LedgerEntry | None:
        """The entry for ``key``, if any."""
        with self._lock:
            return self._row(self._db, key)

    def entries(self, state: LedgerState | None = None) -> list[LedgerEntry]:
        """Every entry, or those in ``state``."""
        query = (
            "SELECT provider, account, reference, state, fingerprint, owner, updated_at, document, message FROM ledger"
        )
        params: tuple[Any, ...] = ()
        if state is not None:
            query += " WHERE state = ?"
            params = (state.value,)
        with self._lock:
            rows = self._db.execute(query + " ORDER BY updated_at", params).fetchall()
        return [_entry(LedgerKey(*row[:3]), row[3:]) for row in rows]

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._db.close()

    def _settle(
        self,
        db: sqlite3.Connection,
        key: LedgerKey,
        owner: str,
        state: LedgerState,
        *,
        document: SentDocument | None = None,
        message: str = "",
    ) -> None:
        entry = self._row(db, key)
        if entry is None or entry.state is not LedgerState.PENDING or entry.owner != owner:
            # Someone else claimed the entry (we were presumed crashed): leave theirs.
            return
        self._write(db, key, state, entry.fingerprint, owner, document=document, message=message)

    def _write(
        self,
        db: sqlite3.Connection,
        key: LedgerKey,
        state: LedgerState,
        fingerprint: str,
        owner: str,
        *,
        document: SentDocument | None = None,
        message: str = "",
    ) -> None:
        db.execute(
            "INSERT INTO ledger"
            " (provider, account, reference, state, fingerprint, owner, updated_at, document, message)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (provider, account, reference) DO UPDATE SET state = excluded.state,"
            " fingerprint = excluded.fingerprint, owner = excluded.owner, updated_at = excluded.updated_at,"
            " document = excluded.document, message = excluded.message",
            (
                key.provider,
                key.account,
                key.reference,
                state.value,
                fingerprint,
                owner,
                self._clock(),
                None if document is None else _document_json(document),
                message,
            ),
        )


def _document_json(document: SentDocument) -> str:
    """The row's JSON of ``document`` (``to_dict`` form), written straight from the model."""
    try:
        return _canonical(document)
    except _Unusual:
        return json.dumps(to_dict(document))


def _entry(key: LedgerKey, row: tuple[Any, ...]) -> LedgerEntry:
    state, fingerprint, owner, updated_at, document, message = row
    return LedgerEntry(
        key=key,
        state=LedgerState(state),
        fingerprint=fingerprint,
        owner=owner,
        updated_at=updated_at,
        document=None if document is None else from_dict(json.loads(document), SentDocument),
        message=message,
    )
