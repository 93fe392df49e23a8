"""The wFirma fake (see :mod:`.fake`); its error texts and constants are in :mod:`.texts`."""

from __future__ import annotations

from .fake import DEMO_COMPANY, DEMO_KEYS, SECOND_COMPANY, WFirmaFake

__all__ = ["DEMO_COMPANY", "DEMO_KEYS", "SECOND_COMPANY", "WFirmaFake"]
