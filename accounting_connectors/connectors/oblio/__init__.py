"""The Oblio.eu connector: typed settings, the wire codec and the sans-I/O provider."""

from __future__ import annotations

from .connector import CAPABILITIES, Oblio
from .settings import BASE_URL, OblioArgs, OblioSettings

__all__ = ["BASE_URL", "CAPABILITIES", "Oblio", "OblioArgs", "OblioSettings"]
