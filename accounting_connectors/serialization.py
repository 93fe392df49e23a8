"""Plain-JSON conversion of the domain model with one cattrs converter.

``to_dict`` gives JSON-ready data (Decimals as strings, dates as ISO strings, enums by
value) and ``from_dict`` reads it back exactly, so documents can come from files, queues
and notebooks. Bad input raises :class:`~accounting_connectors.errors.ValidationError`
with the path of the first offending field, e.g. ``lines[2].quantity``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.errors import ClassValidationError, ForbiddenExtraKeysError, IterableValidationError
from cattrs.gen import make_dict_structure_fn

from .errors import ValidationError
from .model import VatKind, VatRate

T = TypeVar("T")

_converter = cattrs.Converter(detailed_validation=True)


def _json_safe(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {str(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(item) for item in value]
    return value


def _pass_through(value: Any, _: Any) -> Any:
    # Our attrs converters accept str/int and refuse floats with a field name, so the
    # raw value is handed on for them to judge.
    return value


def _strict_str(value: Any, _: Any) -> str:
    # cattrs' default is str(value), which would turn a missing name (None) into "None".
    if not isinstance(value, str):
        raise ValidationError("", f"must be a string, not {type(value).__name__}")
    return value


def _strict_bool(value: Any, _: Any) -> bool:
    # bool("false") is True: only JSON true and false are booleans.
    if type(value) is not bool:
        raise ValidationError("", f"must be true or false, not {value!r}")
    return value


def _mapping_only(cls: type) -> Any:
    # cattrs reads attrs classes with `key in data`, so a string such as "21" would quietly
    # become a default VatRate(); only JSON objects may become model objects. Unknown keys
    # are refused (a misspelt field would otherwise be dropped without a word).
    structure: Any = make_dict_structure_fn(cls, _converter, _cattrs_forbid_extra_keys=True)
    is_vat = cls is VatRate

    def structure_mapping(value: Any, _: Any) -> Any:
        if not isinstance(value, Mapping):
            raise ValidationError("", f"must be an object, not {type(value).__name__}")
        if is_vat and "percent" not in value and value.get("kind", VatKind.RATE.value) == VatKind.RATE.value:
            # A plain rate needs its percentage: {} is not 0 %.
            raise ValidationError("percent", "is required for a plain rate (give a kind for special treatments)")
        return structure(value, cls)

    return structure_mapping


_converter.register_structure_hook(str, _strict_str)
_converter.register_structure_hook(bool, _strict_bool)
_converter.register_structure_hook_factory(attrs.has, _mapping_only)
_converter.register_unstructure_hook(Decimal, str)
_converter.register_structure_hook(Decimal, _pass_through)
_converter.register_unstructure_hook(dt.date, dt.date.isoformat)
_converter.register_structure_hook(dt.date, _pass_through)


def _datetime(value: Any, _: Any) -> dt.datetime:
    # EInvoiceStatus timestamps: ISO 8601 with the offset the provider gave (or none).
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value)
        except ValueError:
            pass
    raise ValidationError("", f"{value!r} is not an ISO 8601 date and time")


_converter.register_unstructure_hook(dt.datetime, dt.datetime.isoformat)
_converter.register_structure_hook(dt.datetime, _datetime)
_RAW = Mapping[str, Any]  # SentDocument.raw: the provider's answer, kept as it came
_converter.register_unstructure_hook_func(lambda t: t == _RAW, _json_safe)
_converter.register_structure_hook_func(lambda t: t == _RAW, lambda value, _: dict(value))


def to_dict(obj: Any) -> Any:
    """Convert a model object (or a list of them) to JSON-ready Python data."""
    return _converter.unstructure(obj)


def from_dict(data: Any, cls: type[T]) -> T:
    """Build a ``cls`` (e.g. :class:`~accounting_connectors.Invoice`) from ``to_dict`` data.

    Raises:
        ValidationError: naming the path of the first field that is missing or wrong.
    """
    if attrs.has(cls) and not isinstance(data, Mapping):
        raise ValidationError("$", f"a {cls.__name__} must be a JSON object, not {type(data).__name__}")
    try:
        return _converter.structure(data, cls)
    except (ClassValidationError, IterableValidationError, ValidationError) as exc:
        raise _located(exc, "") from None
    except (TypeError, ValueError, KeyError) as exc:
        raise ValidationError("$", f"cannot read a {cls.__name__}: {exc}") from None


def _join(path: str, name: str) -> str:
    return name if not path else f"{path}.{name}"


def _located(exc: BaseException, path: str) -> ValidationError:
    """Follow cattrs' nested errors down to the first one and name its path."""
    if isinstance(exc, ClassValidationError):
        with_notes, without = exc.group_exceptions()
        if with_notes:
            inner, note = with_notes[0]
            return _located(inner, _join(path, note.name))
        return _located(without[0], path)
    if isinstance(exc, IterableValidationError):
        indexed, unindexed = exc.group_exceptions()
        if indexed:
            item_error, item_note = indexed[0]
            return _located(item_error, f"{path}[{item_note.index}]")
        return _located(unindexed[0], path)
    if isinstance(exc, ValidationError):
        if not exc.field:
            return ValidationError(path or "$", exc.reason)
        return exc.prefixed(path) if path else exc
    if isinstance(exc, KeyError):
        return ValidationError(path or "$", "is required")
    if isinstance(exc, ForbiddenExtraKeysError):
        name = sorted(exc.extra_fields)[0]
        return ValidationError(_join(path, str(name)), f"is not a field of {exc.cl.__name__}")
    return ValidationError(path or "$", str(exc))
