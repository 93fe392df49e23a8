"""Fakturownia's typed settings and the keyword arguments of its ``connect`` overload."""

from __future__ import annotations

import re
from typing import Required

import attrs

from ...options import ConnectOptions

__all__ = ["DOMAINS", "MAX_REQUESTS_PER_MINUTE", "FakturowniaArgs", "FakturowniaSettings"]

DOMAINS = ("fakturownia.pl", "invoiceocean.com", "invoiceocean.de", "vosfactures.fr", "bitfactura.es")
"""The service's domains: Fakturownia and its regional twins (sheet §1)."""

MAX_REQUESTS_PER_MINUTE = 1000
"""The highest rate any source names ("1000 requests per minute", FK-CL, unverified; §13)."""

_PREFIX = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


def _check_account(instance: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or not _PREFIX.match(value):
        raise ValueError(
            f"account must be the account prefix, the first part of https://PREFIX.fakturownia.pl "
            f"(letters, digits and hyphens), not {value!r}"
        )


def _check_token(instance: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or not value.strip() or any(ch.isspace() for ch in value.strip()):
        raise ValueError("api_token must be the API token (Ustawienia > Ustawienia konta > Integracja)")


def _check_domain(instance: object, attribute: attrs.Attribute[str], value: object) -> None:
    if value not in DOMAINS:
        raise ValueError(f"domain must be one of {', '.join(DOMAINS)}, not {value!r}")


def _check_positive_id(instance: object, attribute: attrs.Attribute[int | None], value: object) -> None:
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value <= 0):
        raise ValueError(f"{attribute.name} must be a positive integer id, not {value!r}")


def _check_rate(instance: object, attribute: attrs.Attribute[int], value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_REQUESTS_PER_MINUTE:
        raise ValueError(f"requests_per_minute must be between 1 and {MAX_REQUESTS_PER_MINUTE}, not {value!r}")


def _check_seconds(instance: object, attribute: attrs.Attribute[float], value: object) -> None:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value <= 600:
        raise ValueError(f"{attribute.name} must be between 0 and 600 seconds, not {value!r}")


@attrs.frozen(kw_only=True)
class FakturowniaSettings:
    """Settings of the Fakturownia connector."""

    account: str = attrs.field(validator=_check_account)
    """The account prefix: ``mojafirma`` for ``https://mojafirma.fakturownia.pl``. Asked for
    separately from the token: the "token with prefix" format is only inferred from
    third-party code (sheet §17.9)."""
    api_token: str = attrs.field(repr=False, validator=_check_token)
    """The API token (Ustawienia > Ustawienia konta > Integracja > Kod autoryzacyjny API). Sent
    only in the ``Authorization: Bearer`` header, never in a URL (§1)."""
    domain: str = attrs.field(default="fakturownia.pl", validator=_check_domain)
    """The service's domain: ``fakturownia.pl`` or a regional twin (``invoiceocean.com``,
    ``invoiceocean.de``, ``vosfactures.fr``, ``bitfactura.es``)."""
    department_id: int | None = attrs.field(default=None, validator=_check_positive_id)
    """The issuing department (company) for every document; ``None`` uses the account's
    default company data (§5.1)."""
    warehouse_id: int | None = attrs.field(default=None, validator=_check_positive_id)
    """The warehouse stock is taken from for invoices with ``use_stock`` that name none (§12)."""
    payment_type: str = "transfer"
    """``payment_type`` of invoices that carry no payment (§6.2)."""
    exempt_tax_kind: str | None = None
    """The legal basis sent as ``exempt_tax_kind`` when a line is exempt (``zw``); required
    under KSeF (carried-over §1.3)."""
    payment_records: bool = False
    """``record_payment`` creates a bank payment record (``POST /banking/payments.json``)
    instead of setting the invoice's paid amount (``PUT /invoices/{id}.json``, §11). A record is
    a create without an ``oid``: a lost answer is settled by reading the invoice's paid amount
    back (never a blind resend), while the paid amount is an idempotent update."""
    requests_per_minute: int = attrs.field(default=60, validator=_check_rate)
    """The client-side rate limit. Fakturownia documents none; 60 is what a production plugin
    runs at, 1,000 the highest any source names (§13)."""
    pdf_wait: float = attrs.field(default=20.0, validator=_check_seconds)
    """How long ``fetch_pdf`` keeps retrying a PDF that is not ready yet (422 after a create,
    an HTML page on KSeF accounts until the KSeF number exists, §10)."""
    pdf_poll_interval: float = attrs.field(default=2.0, validator=_check_seconds)
    """Seconds between those retries."""
    base_url: str | None = None
    """The API root, overriding ``https://{account}.{domain}/`` (for a fake served on loopback)."""


class FakturowniaArgs(ConnectOptions, total=False):
    """The keyword arguments of ``connect("fakturownia", ...)``: the settings and the driver's options."""

    account: Required[str]
    api_token: Required[str]
    domain: str
    department_id: int | None
    warehouse_id: int | None
    payment_type: str
    exempt_tax_kind: str | None
    payment_records: bool
    requests_per_minute: int
    pdf_wait: float
    pdf_poll_interval: float
    base_url: str | None
