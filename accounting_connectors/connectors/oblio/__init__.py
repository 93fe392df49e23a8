"""The Oblio.eu connector: typed settings, the wire codec and the sans-I/O provider.

Modules: :mod:`.settings` (typed settings), :mod:`.codec` (lines, clients, keys and notes
on the wire), :mod:`.auth` (the token cache and the auth flow, every Bearer call),
:mod:`.answers` (the error mapping and reading the answers' ``data``), :mod:`.bodies` (the
account data requests name and the document bodies) and :mod:`.connector` (:class:`Oblio`,
its capabilities and its flows).
"""

from __future__ import annotations

from .connector import CAPABILITIES, Oblio
from .settings import BASE_URL, OblioArgs, OblioSettings

__all__ = ["BASE_URL", "CAPABILITIES", "Oblio", "OblioArgs", "OblioSettings"]
