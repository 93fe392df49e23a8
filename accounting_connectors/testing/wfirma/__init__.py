"""The wFirma fake (see :mod:`.fake`); its error texts and constants are in :mod:`.texts`.

Its parts: :mod:`.records` (accounts and records), :mod:`.rules` (validation rules),
:mod:`.state` (setting up accounts, replies), :mod:`.invoices`, :mod:`.payments` and
:mod:`.dictionaries` (the routes), :mod:`.dialect` (XML and JSON bodies).
"""

from __future__ import annotations

from .fake import WFirmaFake
from .records import DEMO_COMPANY, DEMO_KEYS, SECOND_COMPANY

__all__ = ["DEMO_COMPANY", "DEMO_KEYS", "SECOND_COMPANY", "WFirmaFake"]
