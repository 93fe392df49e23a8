"""Documents and settings from JSON files, for the command line and batch jobs.

A documents file is JSON (one document or a list of them) or JSON Lines (one per line);
a folder means every ``*.json`` and ``*.jsonl`` file in it, in name order. Each document
is the :func:`~accounting_connectors.to_dict` form of an invoice, receipt or correction,
optionally with a ``"kind"`` key (``"invoice"``, ``"receipt"``, ``"correction"``).
JSON Lines files are read one line at a time, so a batch of any size stays flat in memory.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from ..errors import ConfigurationError, ValidationError
from ..model import Correction, Invoice, Receipt
from ..serialization import from_dict
from .exporter import Document
from .settings import IntegrationSettings, Numbering, PaymentFallback, SeriesRule

KINDS: Mapping[str, type[Invoice] | type[Receipt] | type[Correction]] = {
    "invoice": Invoice,
    "receipt": Receipt,
    "correction": Correction,
}


@attrs.frozen
class BadDocument:
    """A document in a file that could not be read; ``where`` is ``file:line``."""

    where: str
    error: ValidationError


def document_files(paths: Iterable[Path]) -> list[Path]:
    """The files behind ``paths`` (folders expanded to their JSON and JSON Lines files)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(item for item in path.iterdir() if item.suffix in (".json", ".jsonl")))
        elif path.exists():
            files.append(path)
        else:
            raise ConfigurationError(f"{path} does not exist")
    return files


def _lines(path: Path) -> Iterator[tuple[int, bytes]]:
    with path.open("rb") as lines:
        for number, line in enumerate(lines, start=1):
            if line.strip():
                yield number, line.removeprefix(_BOM) if number == 1 else line


def _records(path: Path) -> Iterator[tuple[str, Any]]:
    if path.suffix == ".jsonl":
        for number, line in _lines(path):
            yield f"{path}:{number}", _parse(line, f"{path}:{number}")
        return
    data = _parse(path.read_bytes(), str(path))
    for index, item in enumerate(data if isinstance(data, list) else [data]):
        yield f"{path}[{index}]", item


_BOM = b"\xef\xbb\xbf"


def _parse(raw: bytes, where: str) -> Any:
    """JSON with numbers as exact ``Decimal`` (order systems write prices as JSON numbers)."""
    try:
        text = raw.removeprefix(_BOM).decode("utf-8")
    except UnicodeDecodeError as error:
        return _Unreadable(f"{where} is not valid UTF-8: {error}")
    try:
        return json.loads(text, parse_float=Decimal)
    except RecursionError:
        return _Unreadable(f"{where} is nested too deeply to read")
    except ValueError as error:
        return _Unreadable(f"{where} is not valid JSON: {error}")


@attrs.frozen
class _Unreadable:
    reason: str


def read_documents(paths: Iterable[Path], *, default_kind: str = "invoice") -> Iterator[Document | BadDocument]:
    """Each document in ``paths``, or a :class:`BadDocument` saying why one could not be read."""
    for file in document_files(paths):
        for where, record in _records(file):
            if isinstance(record, _Unreadable):
                yield BadDocument(where, ValidationError("$", record.reason))
                continue
            if not isinstance(record, dict):
                yield BadDocument(where, ValidationError("$", "a document must be a JSON object"))
                continue
            fields = dict(record)
            kind = fields.pop("kind", default_kind)
            cls = KINDS.get(kind) if isinstance(kind, str) else None
            if cls is None:
                yield BadDocument(where, ValidationError("kind", f"{kind!r} is not one of {sorted(KINDS)}"))
                continue
            try:
                yield from_dict(fields, cls)
            except ValidationError as error:
                yield BadDocument(where, error)


def count_documents(paths: Iterable[Path]) -> int:
    """How many records the files hold (lines of JSON Lines, items of JSON lists), cheaply."""
    total = 0
    for file in document_files(paths):
        if file.suffix == ".jsonl":
            total += sum(1 for _ in _lines(file))
        else:
            data = _parse(file.read_bytes(), str(file))
            total += len(data) if isinstance(data, list) else 1
    return total


_RULES = {rule.value: rule for rule in SeriesRule}

_JSON_TYPES: Mapping[str, tuple[tuple[type, ...], str]] = {
    "numbering": ((str,), "a string (provider or external)"),
    "series": ((dict,), "an object of local series to provider series"),
    "unmapped_series": ((str,), 'a string ("provider default" or "do not send")'),
    "payment_types": ((dict,), "an object of local payment methods to provider payment types"),
    "unmapped_payment": ((str,), 'a string (a provider payment type, or "fail")'),
    "transfer_sku": ((bool,), "true or false"),
    "warehouse": ((str, type(None)), "a string or null"),
    "send_payment_date": ((bool,), "true or false"),
    "use_provider_document": ((bool,), "true or false"),
    "stop_after_failure": ((bool,), "true or false"),
    "max_concurrency": ((int,), "a whole number"),
}


def settings_from_dict(data: Mapping[str, Any]) -> IntegrationSettings:
    """:class:`IntegrationSettings` from JSON, e.g. ``{"series": {"WEB": "FCT", "POS": "do not send"}}``.

    Series targets ``"provider default"`` and ``"do not send"`` are the two
    :class:`SeriesRule` values; ``"unmapped_payment": "fail"`` is ``PaymentFallback.FAIL``.
    """
    values = dict(data)
    known = {field.name for field in attrs.fields(IntegrationSettings)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ConfigurationError(f"unknown settings {unknown}; known: {sorted(known)}")
    for key, value in values.items():
        expected, words = _JSON_TYPES[key]
        # bool is an int to Python, never to a person writing a config file.
        if not isinstance(value, expected) or (isinstance(value, bool) and bool not in expected):
            raise ConfigurationError(f"settings.{key} must be {words}, not {json.dumps(value)}")
    if "numbering" in values:
        try:
            values["numbering"] = Numbering(values["numbering"])
        except ValueError:
            raise ConfigurationError(f"numbering must be one of {[item.value for item in Numbering]}") from None
    if "series" in values:
        values["series"] = {local: _RULES.get(target, target) for local, target in dict(values["series"]).items()}
    if "unmapped_series" in values:
        values["unmapped_series"] = _RULES.get(values["unmapped_series"], values["unmapped_series"])
        if not isinstance(values["unmapped_series"], SeriesRule):
            raise ConfigurationError(f"unmapped_series must be one of {sorted(_RULES)}")
    if values.get("unmapped_payment") == PaymentFallback.FAIL.value:
        values["unmapped_payment"] = PaymentFallback.FAIL
    return IntegrationSettings(**values)
