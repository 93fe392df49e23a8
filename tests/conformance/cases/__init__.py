"""One module per provider, each defining ``CASE``; found by :func:`all_cases`."""

from __future__ import annotations

import importlib
import pkgutil

from ..case import ProviderCase


def all_cases() -> dict[str, ProviderCase]:
    """Every provider's case, by provider name."""
    found: dict[str, ProviderCase] = {}
    for module in pkgutil.iter_modules(__path__):
        case = importlib.import_module(f"{__name__}.{module.name}").CASE
        found[case.name] = case
    return found
