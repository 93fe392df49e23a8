"""Country names as Romanian services print them.

SmartBill's and Oblio's examples write the buyer's country as a Romanian name
("Romania"), not a code. UNCERTAIN which names each matches (neither documents a list):
these are the countries an order system there mostly meets; any other is sent as its
ISO 3166-1 code.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["ROMANIAN_NAMES", "romanian_name"]

ROMANIAN_NAMES: Mapping[str, str] = {
    "RO": "Romania", "MD": "Moldova", "BG": "Bulgaria", "HU": "Ungaria", "PL": "Polonia",
    "DE": "Germania", "AT": "Austria", "FR": "Franta", "IT": "Italia", "ES": "Spania",
    "NL": "Olanda", "BE": "Belgia", "CZ": "Cehia", "SK": "Slovacia", "GB": "Marea Britanie",
    "US": "Statele Unite ale Americii", "UA": "Ucraina", "RS": "Serbia", "GR": "Grecia",
}  # fmt: skip
"""ISO 3166-1 alpha-2 code to the Romanian name."""


def romanian_name(country: str) -> str:
    """The Romanian name of ``country`` (an ISO code), or the code itself when not listed."""
    return ROMANIAN_NAMES.get(country, country)
