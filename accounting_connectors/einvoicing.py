"""Shared helpers of the e-invoicing status readers (KSeF, RO e-Factura).

Each connector maps its provider's raw status to :class:`~accounting_connectors.model.EInvoiceStatus`
in its own module; what they share is here: reading the providers' timestamps.
"""

from __future__ import annotations

import datetime as dt
import re

_SPACED = re.compile(r"^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*([+-]\d{2}:?\d{2}|Z)?$")


def parse_timestamp(value: object) -> dt.datetime | None:
    """A provider's timestamp, or ``None`` when it is empty or not one.

    Reads ISO 8601 (``2026-02-01T10:30:00.000+01:00``, Fakturownia), the spaced form with
    an offset (``2024-01-15 16:00:00 +0100``, inFakt) and without one
    (``2026-07-15 08:45:07``, wFirma: local Polish time, kept naive). A value that is
    not a timestamp gives ``None``: a status read never fails on a date.
    """
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    match = _SPACED.match(text)
    if match is None:
        return None
    day, clock, offset = match.groups()
    normal = f"{day}T{clock}"
    if offset:
        normal += "+00:00" if offset == "Z" else f"{offset[:3]}:{offset[-2:]}"
    try:
        return dt.datetime.fromisoformat(normal)
    except ValueError:
        return None
