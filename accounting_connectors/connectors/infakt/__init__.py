"""inFakt.pl (API v3): the connector (:mod:`.connector`), settings (:mod:`.settings`), codec (:mod:`.codec`)."""

from __future__ import annotations

from .codec import from_grosze, round_to_grosze, to_grosze
from .connector import CAPABILITIES, InFakt, InFaktTaskPending
from .settings import (
    BASE_URL,
    PAYMENT_TYPES,
    SANDBOX_URL,
    InFaktArgs,
    InFaktSettings,
)

__all__ = [
    "BASE_URL",
    "CAPABILITIES",
    "PAYMENT_TYPES",
    "SANDBOX_URL",
    "InFakt",
    "InFaktArgs",
    "InFaktSettings",
    "InFaktTaskPending",
    "from_grosze",
    "round_to_grosze",
    "to_grosze",
]
