"""The send-once ledger: intent before a create, outcome after it.

A :class:`Ledger` keeps one :class:`LedgerEntry` per (provider, account, reference).
:meth:`Ledger.begin` decides atomically, across threads and processes, whether the
caller may send: it records the intent (``PENDING``) or reports why not. The exporter
then records the outcome: ``SENT`` with the provider's document, ``FAILED`` (nothing was
issued; a later export may try again) or ``UNCERTAIN`` (it may have been issued; held
for a person to check, never re-sent on its own).
"""

from __future__ import annotations

import collections.abc
import datetime as dt
import enum
import hashlib
import json
import types
import typing
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Protocol

import attrs

from ..model import SentDocument
from ..serialization import _json_safe, to_dict


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


@attrs.frozen
class Completion:
    """What recording an issued document does to an entry (the rule every ledger follows).

    ``write`` is the state to write (``None``: write nothing), with ``document`` and
    ``message``; ``result`` is what ``Ledger.complete`` returns.
    """

    result: LedgerState
    write: LedgerState | None = None
    document: SentDocument | None = None
    message: str = ""


def completion(entry: LedgerEntry, document: SentDocument) -> Completion:
    """How ``Ledger.complete`` settles ``entry`` with ``document``.

    The document is the truth whoever holds the entry, unless another document is already
    recorded for the reference: then both exist, and the entry is held with both named.
    """
    known = entry.document
    if entry.state is LedgerState.SENT and known is not None and not same_document(known, document):
        message = (
            f"two documents were issued for {entry.key.reference!r}: {known.full_number or known.external_id} "
            f"and {document.full_number or document.external_id} (a late answer of an exporter presumed "
            "dead); cancel one at the provider, then resolve the reference with the one that stands"
        )
        return Completion(LedgerState.UNCERTAIN, LedgerState.UNCERTAIN, known, message)
    if entry.state is LedgerState.UNCERTAIN and known is not None and not same_document(known, document):
        return Completion(LedgerState.UNCERTAIN)  # already held with two documents named
    if entry.state is LedgerState.SENT:
        return Completion(LedgerState.SENT)
    return Completion(LedgerState.SENT, LedgerState.SENT, document)


def fingerprint(document: object) -> str:
    """A stable digest of a document's content (its JSON form), to spot changed payloads.

    The digest is of the document's canonical JSON: ``to_dict`` with sorted keys and no
    spaces, prefixed by the class name. It is written straight from the frozen model
    (:func:`_canonical`), byte for byte the text the ``to_dict`` + ``json.dumps`` form
    gives, so the fingerprints in existing ledgers stay valid.
    """
    try:
        canonical = _canonical(document)
    except _Unusual:
        canonical = _canonical_slow(document)
    return hashlib.sha256(f"{type(document).__name__}:{canonical}".encode()).hexdigest()


def _canonical_slow(document: object) -> str:
    # The reference form, for anything the direct writer does not know.
    return json.dumps(to_dict(document), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class _Unusual(Exception):
    """A class the direct writer does not know: the slow path writes the document."""


_encode_str: Callable[[str], str] = json.encoder.encode_basestring
_writers: dict[type, Callable[[Any], str] | None] = {}


def _canonical(document: object) -> str:
    """``json.dumps(to_dict(document), sort_keys=True, ...)``, written from the model directly.

    Each attrs class gets one generated function (cached per class) that writes its
    fields in sorted order by their declared types, as cattrs' ``to_dict`` reads them.
    """
    writer = _writer(type(document))
    if writer is None:
        raise _Unusual
    try:
        return writer(document)
    except (TypeError, AttributeError, KeyError):
        raise _Unusual from None  # a value unlike its declared type: the slow path decides


def _raw(value: Any) -> str:
    return json.dumps(_json_safe(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _bool(value: object) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    raise TypeError(value)


def _writer(cls: type) -> Callable[[Any], str] | None:
    if cls in _writers:
        return _writers[cls]
    _writers[cls] = None  # until built (and for good when the class cannot be written directly)
    if not attrs.has(cls):
        return None
    try:
        hints = typing.get_type_hints(cls)
    except Exception:  # unresolvable annotations: the slow path writes it
        return None
    namespace: dict[str, Any] = {"_s": _encode_str, "_b": _bool, "_raw": _raw}
    template: list[str] = []
    expressions: list[str] = []
    for index, name in enumerate(sorted(field.name for field in attrs.fields(cls))):
        expression = _expression(f"o.{name}", hints.get(name), namespace, f"v{index}")
        if expression is None:
            return None
        key = _encode_str(name).replace("%", "%%")
        if hints.get(name) is Decimal:
            # str(Decimal) is ASCII: the format writes it between quotes with no call of ours.
            template.append(key + ':"%s"')
            expression = f"o.{name}"
        else:
            template.append(key + ":%s")
        expressions.append(expression)
    # One %-format per object: far fewer intermediate strings than concatenation.
    literal = "{" + ",".join(template) + "}"
    body = f"{literal!r} % ({', '.join(expressions)},)" if expressions else '"{}"'
    exec(f"def write(o):\n    return {body}\n", namespace)  # source generated from field names only
    writer: Callable[[Any], str] = namespace["write"]
    _writers[cls] = writer
    return writer


def _expression(value: str, hint: Any, namespace: dict[str, Any], var: str) -> str | None:
    """Python source writing ``value`` (of type ``hint``) as to_dict + json.dumps would."""
    if hint is str:
        return f"_s({value})"
    if hint is bool:
        return f'("true" if ({var} := {value}) is True else "false" if {var} is False else _b({var}))'
    if hint is Decimal:
        return f"('\"' + {value}.__str__() + '\"')"
    if hint is dt.date:
        return f"('\"' + {value}.isoformat() + '\"')"
    if isinstance(hint, type) and issubclass(hint, enum.Enum) and all(type(m.value) is str for m in hint):
        return f"_s({value}.value)"
    if isinstance(hint, type) and attrs.has(hint):
        writer = _writer(hint)
        if writer is None:
            return None
        key = f"w{len(namespace)}"
        namespace[key] = writer
        return f"{key}({value})"
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (types.UnionType, typing.Union) and len(args) == 2 and type(None) in args:
        inner = _expression(var, next(arg for arg in args if arg is not type(None)), namespace, var + "_")
        return None if inner is None else f'("null" if ({var} := {value}) is None else {inner})'
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        if not (isinstance(args[0], type) and attrs.has(args[0])):
            return None
        writer = _writer(args[0])
        if writer is None:
            return None
        key = f"w{len(namespace)}"
        namespace[key] = writer
        return f'("[" + ",".join(map({key}, {value})) + "]")'
    if origin is collections.abc.Mapping and args == (str, Any):
        return f"_raw({value})"
    return None
