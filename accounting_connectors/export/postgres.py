"""A ledger on PostgreSQL (psycopg 3), shared by exporters on many machines.

Install the extra: ``pip install 'accounting-connectors[postgres]'``.

The semantics are those of :class:`~accounting_connectors.export.SQLiteLedger`, row for
row; only the locking differs. A first intent is one ``INSERT ... ON CONFLICT DO
NOTHING``, so of two exporters that race for a new reference exactly one inserts it;
every other decision reads the row ``FOR UPDATE`` in its transaction, so it is taken
with the row locked against every other exporter, on this machine or another.

Liveness needs no process ids: the exporter tells a live owner on its own host by the
owner's lock file, and an owner on another machine by its heartbeat. A live exporter
refreshes the ``updated_at`` of its intents in flight (:meth:`PostgresLedger.heartbeat`,
called by the exporter's heartbeat thread); an intent silent for longer than the lease
belongs to an exporter that stopped. ``updated_at`` is written with the writer's clock
and read against the reader's, so the machines' clocks must agree (NTP) to well within
the lease.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeAlias

try:
    import psycopg
    from psycopg import sql
    from psycopg.types.json import Jsonb
except ImportError as error:  # pragma: no cover - the extra is installed in tests
    raise ImportError("PostgresLedger needs psycopg 3: pip install 'accounting-connectors[postgres]'") from error

from ..errors import ConfigurationError
from ..model import SentDocument
from ..serialization import from_dict, to_dict
from .ledger import Decision, IsStale, LedgerEntry, LedgerKey, LedgerState, Verdict, completion

__all__ = ["PostgresLedger"]

_COLUMNS = "state, fingerprint, owner, updated_at, document, message"

_Connection: TypeAlias = "psycopg.Connection[tuple[Any, ...]]"


class PostgresLedger:
    """A :class:`~accounting_connectors.export.ledger.Ledger` in one PostgreSQL table.

    The connection is opened, and the table created if missing, on first use. Every
    thread of the process shares the one connection under a lock; other processes and
    machines have their own and meet this one at the rows' locks.

    Args:
        conninfo: a libpq connection string or URL, e.g.
            ``"postgresql://ledger@db.internal/exports"``; empty for libpq's defaults
            (``PG*`` environment variables).
        table: the table's name, optionally with its schema (``"billing.ledger"``).
        clock: wall-clock seconds, for ``updated_at`` (injectable for tests); compared
            with the exporter's clock by its lease, so every machine's must agree.
        connect_timeout: seconds to wait for the server when connecting.
    """

    def __init__(
        self,
        conninfo: str = "",
        *,
        table: str = "accounting_ledger",
        clock: Callable[[], float] = time.time,
        connect_timeout: float = 10.0,
    ) -> None:
        parts = table.split(".")
        if not 1 <= len(parts) <= 2 or not all(parts):
            raise ConfigurationError(f"the ledger table {table!r} is not a name or schema.name")
        self.conninfo = conninfo
        self.table = table
        self._table = sql.Identifier(*parts)
        self._clock = clock
        self._connect_timeout = connect_timeout
        self._lock = threading.RLock()
        self._db: _Connection | None = None
        self._ready = False
        self._closed = False

    def __repr__(self) -> str:
        return f"PostgresLedger(table={self.table!r})"

    # Connection and schema.

    def _sql(self, text: str) -> sql.Composed:
        return sql.SQL(text).format(table=self._table)

    def _connection(self) -> _Connection:
        if self._closed:
            raise ConfigurationError("the ledger is closed")
        db = self._db
        if db is None or db.closed or db.broken:
            try:
                db = psycopg.connect(
                    self.conninfo, autocommit=True, connect_timeout=max(1, round(self._connect_timeout))
                )
            except psycopg.OperationalError as error:
                if self._ready:
                    raise  # a server that was there and is gone: the caller's error to see
                raise ConfigurationError(f"cannot reach the PostgreSQL ledger: {error}".strip()) from error
            self._db = db
        if not self._ready:
            try:
                self._create_schema(db)
            except psycopg.Error as error:
                raise ConfigurationError(f"cannot use {self.table} as a ledger: {error}".strip()) from error
            self._ready = True
        return db

    def _create_schema(self, db: _Connection) -> None:
        with db.transaction():
            # CREATE ... IF NOT EXISTS races with itself in two sessions: take a lock first.
            db.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"accounting_connectors:{self.table}",))
            db.execute(
                self._sql(
                    "CREATE TABLE IF NOT EXISTS {table} ("
                    " seq         BIGINT GENERATED ALWAYS AS IDENTITY,"
                    " provider    TEXT NOT NULL,"
                    " account     TEXT NOT NULL,"
                    " reference   TEXT NOT NULL,"
                    " state       TEXT NOT NULL,"
                    " fingerprint TEXT NOT NULL,"
                    " owner       TEXT NOT NULL,"
                    " updated_at  DOUBLE PRECISION NOT NULL,"
                    " document    JSONB,"
                    " message     TEXT NOT NULL DEFAULT '',"
                    " PRIMARY KEY (provider, account, reference))"
                )
            )

    @contextmanager
    def _transaction(self) -> Iterator[_Connection]:
        with self._lock:
            db = self._connection()
            with db.transaction():
                yield db

    def _row(self, db: _Connection, key: LedgerKey, *, lock: bool) -> LedgerEntry | None:
        query = f"SELECT {_COLUMNS} FROM {{table}} WHERE provider = %s AND account = %s AND reference = %s"
        row = db.execute(
            self._sql(query + (" FOR UPDATE" if lock else "")), (key.provider, key.account, key.reference)
        ).fetchone()
        return None if row is None else _entry(key, row)

    # The Ledger protocol.

    def begin(self, key: LedgerKey, fingerprint: str, owner: str, is_stale: IsStale) -> Decision:
        """Atomically decide whether ``owner`` may send ``key``, recording the intent if so."""
        with self._lock:
            # A new reference, the common case: one statement (autocommitted) records the
            # intent before the create is sent; of two exporters racing, one inserts it.
            if self._insert(self._connection(), key, fingerprint, owner):
                return Decision(Verdict.PROCEED)
        with self._transaction() as db:
            entry = self._row(db, key, lock=True)
            while entry is None:  # deleted by hand since: a new reference again
                if self._insert(db, key, fingerprint, owner):
                    return Decision(Verdict.PROCEED)
                entry = self._row(db, key, lock=True)
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

    def _insert(self, db: _Connection, key: LedgerKey, fingerprint: str, owner: str) -> bool:
        inserted = db.execute(
            self._sql(
                "INSERT INTO {table} (provider, account, reference, state, fingerprint, owner, updated_at)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (provider, account, reference) DO NOTHING"
            ),
            (key.provider, key.account, key.reference, LedgerState.PENDING.value, fingerprint, owner, self._clock()),
        )
        return inserted.rowcount == 1

    def complete(self, key: LedgerKey, owner: str, document: SentDocument) -> LedgerState | None:
        """Record that the document was issued; return the state recorded.

        As in :meth:`SQLiteLedger.complete
        <accounting_connectors.export.SQLiteLedger.complete>`: the truth whoever holds the
        entry, and ``UNCERTAIN`` with both documents named when another one is recorded.
        """
        with self._lock:
            # The common case in one statement: nothing (or only a hold without a
            # document) is recorded yet, so this document is the truth. Every other case
            # (none, already sent, held with a document) is decided below on the row.
            updated = self._connection().execute(
                self._sql(
                    "UPDATE {table} SET state = %s, owner = %s, updated_at = %s, document = %s, message = ''"
                    " WHERE provider = %s AND account = %s AND reference = %s"
                    " AND (state IN (%s, %s) OR (state = %s AND document IS NULL))"
                ),
                (
                    LedgerState.SENT.value,
                    owner,
                    self._clock(),
                    Jsonb(to_dict(document)),
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
            entry = self._row(db, key, lock=True)
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
            entry = self._row(db, key, lock=True)
            if entry is None:
                raise KeyError(key)
            state = LedgerState.SENT if document is not None else LedgerState.FAILED
            note = message or ("resolved by hand: issued" if document else "resolved by hand: not issued")
            self._write(db, key, state, entry.fingerprint, entry.owner, document=document, message=note)

    def get(self, key: LedgerKey) -> LedgerEntry | None:
        """The entry for ``key``, if any."""
        with self._lock:
            return self._row(self._connection(), key, lock=False)

    def entries(self, state: LedgerState | None = None) -> list[LedgerEntry]:
        """Every entry, or those in ``state``, oldest update first."""
        query = f"SELECT provider, account, reference, {_COLUMNS} FROM {{table}}"
        params: tuple[Any, ...] = ()
        if state is not None:
            query += " WHERE state = %s"
            params = (state.value,)
        with self._lock:
            rows = self._connection().execute(self._sql(query + " ORDER BY updated_at, seq"), params).fetchall()
        return [_entry(LedgerKey(*row[:3]), row[3:]) for row in rows]

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._closed = True
            if self._db is not None:
                self._db.close()
                self._db = None

    def heartbeat(self, owner: str, keys: Iterable[LedgerKey]) -> None:
        """Refresh ``updated_at`` of ``owner``'s intents for ``keys`` that are still PENDING.

        A live exporter calls it while its creates are in flight (its heartbeat thread),
        so an exporter on another machine, which can only judge an intent by its age,
        never takes a slow create for a dead one.
        """
        rows = [(self._clock(), key.provider, key.account, key.reference, owner) for key in keys]
        if not rows:
            return
        with self._transaction() as db, db.cursor() as cursor:
            cursor.executemany(
                self._sql(
                    "UPDATE {table} SET updated_at = %s WHERE provider = %s AND account = %s AND reference = %s"
                    " AND owner = %s AND state = 'pending'"
                ),
                rows,
            )

    # Writes.

    def _settle(
        self,
        db: _Connection,
        key: LedgerKey,
        owner: str,
        state: LedgerState,
        *,
        message: str = "",
    ) -> None:
        entry = self._row(db, key, lock=True)
        if entry is None or entry.state is not LedgerState.PENDING or entry.owner != owner:
            # Someone else claimed the entry (we were presumed crashed): leave theirs.
            return
        self._write(db, key, state, entry.fingerprint, owner, message=message)

    def _write(
        self,
        db: _Connection,
        key: LedgerKey,
        state: LedgerState,
        fingerprint: str,
        owner: str,
        *,
        document: SentDocument | None = None,
        message: str = "",
    ) -> None:
        # The row exists and is locked by the caller's transaction.
        db.execute(
            self._sql(
                "UPDATE {table} SET state = %s, fingerprint = %s, owner = %s, updated_at = %s, document = %s,"
                " message = %s WHERE provider = %s AND account = %s AND reference = %s"
            ),
            (
                state.value,
                fingerprint,
                owner,
                self._clock(),
                None if document is None else Jsonb(to_dict(document)),
                message,
                key.provider,
                key.account,
                key.reference,
            ),
        )

    def drop(self) -> None:
        """Drop the ledger's table, with every entry in it (for tests and tear-downs)."""
        with self._lock:
            self._connection().execute(self._sql("DROP TABLE IF EXISTS {table}"))
            self._ready = False


def _entry(key: LedgerKey, row: tuple[Any, ...]) -> LedgerEntry:
    state, fingerprint, owner, updated_at, document, message = row
    return LedgerEntry(
        key=key,
        state=LedgerState(state),
        fingerprint=fingerprint,
        owner=owner,
        updated_at=updated_at,
        document=None if document is None else from_dict(document, SentDocument),
        message=message,
    )
