"""Whether the exporter that recorded an intent is still alive, without process ids.

Process ids are reused, and probing one is not harmless everywhere (on Windows
``os.kill(pid, 0)`` terminates the process). An exporter is named instead by an owner
token, and is shown to be alive in two ways:

* **On one host**, every exporter holds an exclusive lock on a file named by its token
  (:class:`OwnerLock`). The operating system releases the lock when the process ends,
  however it ends, so another process that can take the lock knows the owner is gone.
* **Across hosts**, a live exporter refreshes the ``updated_at`` of the intents it has in
  flight (:class:`Heartbeat`, through the ledger's ``heartbeat``); an intent silent for
  longer than the lease belongs to an exporter that stopped.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import tempfile
import threading
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import IO, ClassVar

logger = logging.getLogger("accounting_connectors")

_FOLDER = Path(tempfile.gettempdir()) / "accounting-connectors-owners"


def _try_lock(handle: IO[bytes]) -> bool:
    """Take an exclusive lock on ``handle`` without waiting; whether it was taken."""
    try:
        if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
            import msvcrt

            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


class OwnerLock:
    """The lock file that says the exporter with ``token`` is alive on this host."""

    def __init__(self, token: str) -> None:
        self.token = token
        self._handle: IO[bytes] | None = None
        try:
            _FOLDER.mkdir(parents=True, exist_ok=True)
            handle = open(_path(token), "a+b")  # noqa: SIM115 - held for the exporter's life
        except OSError as error:
            logger.warning("no owner lock for exporter %s (%s); only the lease tells it is alive", token, error)
            return
        if not _try_lock(handle):  # pragma: no cover - a token is never reused
            handle.close()
            return
        self._handle = handle
        weakref.finalize(self, _release, handle, _path(token))

    @property
    def held(self) -> bool:
        """Whether the lock is held (``False`` when the file could not be made)."""
        return self._handle is not None


def _path(token: str) -> Path:
    return _FOLDER / f"{token}.lock"


def _release(handle: IO[bytes], path: Path) -> None:
    with contextlib.suppress(OSError):
        handle.close()
    with contextlib.suppress(OSError):
        path.unlink()


def owner_alive(token: str) -> bool | None:
    """Whether the exporter with ``token`` runs on this host: ``None`` when it cannot be told.

    ``False`` only when its lock file exists and nobody holds the lock (the process
    ended); no lock file means an exporter of another host or of an older release.
    """
    path = _path(token)
    try:
        handle = open(path, "r+b")  # noqa: SIM115 - closed below
    except OSError:
        return None
    try:
        return not _try_lock(handle)
    finally:
        handle.close()


class Heartbeat:
    """One daemon thread per process that keeps the intents in flight fresh in their ledgers.

    Each exporter registers a ``beat`` callable and how often it wants it called; the
    thread calls every live one at the shortest interval asked for.
    """

    _lock: ClassVar[threading.Lock] = threading.Lock()
    _beats: ClassVar[weakref.WeakKeyDictionary[object, tuple[Callable[[], None], float]]] = weakref.WeakKeyDictionary()
    _thread: ClassVar[threading.Thread | None] = None
    _wake: ClassVar[threading.Event] = threading.Event()

    @classmethod
    def register(cls, owner: object, beat: Callable[[], None], interval: float) -> None:
        """Call ``beat`` every ``interval`` seconds for as long as ``owner`` lives."""
        with cls._lock:
            cls._beats[owner] = (beat, max(interval, 1.0))
            if cls._thread is None or not cls._thread.is_alive():  # none yet, or lost in a fork
                cls._thread = threading.Thread(target=cls._run, name="accounting-heartbeat", daemon=True)
                cls._thread.start()

    @classmethod
    def _run(cls) -> None:
        while True:
            with cls._lock:
                beats = list(cls._beats.values())
            interval = min((every for _, every in beats), default=60.0)
            cls._wake.wait(interval)
            cls._wake.clear()
            with cls._lock:
                beats = list(cls._beats.values())
            for beat, _ in beats:
                try:
                    beat()
                except Exception as error:  # a heartbeat must never stop the others
                    logger.warning("heartbeat of an exporter failed: %s", error)
