"""The Fakturownia fake class: its configuration, accounts and tokens, and faults.

:class:`FakturowniaFake` combines the endpoints of :mod:`.invoices` and :mod:`.resources`
(over :mod:`.rules` and :mod:`.core`) and adds what a test sets up: the demo account,
more accounts and tokens (rotation, read-only users) and a create that fails after
committing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, ClassVar

from ...clock import Clock
from ..throttle import FakeLimit
from .invoices import InvoiceRoutes
from .resources import ResourceRoutes
from .state import BASE_URL, FakeAccount, _rails


class FakturowniaFake(ResourceRoutes, InvoiceRoutes):
    """The Fakturownia fake: an httpx transport (sync and async) over several accounts."""

    provider = "fakturownia"
    base_urls: ClassVar[tuple[str, ...]] = (BASE_URL,)
    limits: ClassVar[tuple[FakeLimit, ...]] = (FakeLimit(60, 60.0, name="per minute"),)
    demo_settings: ClassVar[Mapping[str, Any]] = {"account": "demo", "api_token": "demo-token"}

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        keep_log: bool = True,
        requests_per_minute: int = 60,
        pdf_delay: float = 3.0,
        ksef_delay: float = 10.0,
        ignore_page: bool = False,
    ) -> None:
        super().__init__(
            clock=clock, keep_log=keep_log, limits=(FakeLimit(requests_per_minute, 60.0, name="per minute"),)
        )
        self.pdf_delay = pdf_delay
        """Seconds after a create during which the PDF answers 422 (§10)."""
        self.ksef_delay = ksef_delay
        """Seconds until a KSeF account's document gets its KSeF number."""
        self.ignore_page = ignore_page
        """Serve page 1 whatever ``page`` asks (§15)."""
        self._accounts: dict[tuple[str, str], FakeAccount] = {}
        self._order: list[tuple[FakeAccount, dict[str, Any]]] = []
        self._next_id = 412345001
        self._fail_after_commit: list[int] = []

    @classmethod
    def demo(cls, *, clock: Clock | None = None) -> FakturowniaFake:
        """A fake with the demo account ``demo`` (token ``demo-token``), two departments and a stocked product."""
        fake = cls(clock=clock)
        fake.add_account(
            "demo",
            "demo-token",
            departments=[
                {"id": 11, "name": "Demo Sp. z o.o.", "shortcut": "DEMO", "tax_no": "5252344078"},
                {"id": 12, "name": "Demo Oddział Kraków", "shortcut": "KRK", "tax_no": "5252344078"},
            ],
            products=[
                {"id": 4711, "name": "Produkt A", "code": "SKU-1", "price_net": "100.0", "tax": "23", "limited": True},
                {"id": 4712, "name": "Książka B", "code": "SKU-2", "price_gross": "52.5", "tax": "5", "limited": True},
            ],
            warehouses=[{"id": 7, "name": "Magazyn główny", "kind": "main"}],
            stock={4711: Decimal(100), 4712: Decimal(50)},
        )
        return fake

    # Accounts and tokens.

    def add_account(
        self,
        prefix: str,
        token: str,
        *,
        domain: str = "fakturownia.pl",
        departments: Iterable[Mapping[str, Any]] = (),
        products: Iterable[Mapping[str, Any]] = (),
        warehouses: Iterable[Mapping[str, Any]] = (),
        stock: Mapping[int, Decimal] | None = None,
        ksef: bool = False,
        ksef_demo: bool = False,
        ksef_validate: bool = True,
        read_only: bool = False,
    ) -> FakeAccount:
        """Open an account at ``https://{prefix}.{domain}`` with one token."""
        with self._lock:
            account = FakeAccount(
                prefix=prefix, domain=domain, ksef=ksef, ksef_demo=ksef_demo, ksef_validate=ksef_validate
            )
            account.tokens[token] = read_only
            account.departments = [dict(item) for item in departments]
            account.warehouses = [dict(item) for item in warehouses]
            for item in products:
                product = dict(item)
                level = (stock or {}).get(int(product["id"]))
                product["stock_level"] = _rails(level) if level is not None else None
                account.products.append(product)
            self._accounts[(prefix, domain)] = account
            return account

    def account(self, prefix: str = "demo", domain: str = "fakturownia.pl") -> FakeAccount:
        """The account ``prefix`` at ``domain``."""
        return self._accounts[(prefix, domain)]

    def add_token(self, prefix: str, token: str, *, read_only: bool = False, domain: str = "fakturownia.pl") -> None:
        """Give the account another token (a new one during rotation, or a read-only user's)."""
        with self._lock:
            self.account(prefix, domain).tokens[token] = read_only

    def revoke_token(self, prefix: str, token: str, *, domain: str = "fakturownia.pl") -> None:
        """Withdraw a token: it gets 401 from then on."""
        with self._lock:
            self.account(prefix, domain).tokens.pop(token, None)

    def set_gov_status(
        self,
        document_id: int,
        status: str | None,
        *,
        errors: Iterable[str] | None = None,
        gov_id: str | None = None,
        prefix: str = "demo",
        domain: str = "fakturownia.pl",
    ) -> None:
        """Give a document any raw ``gov_status`` (without the ``demo_`` prefix), as KSeF's side would."""
        with self._lock:
            account = self._accounts[(prefix, domain)]
            document = next(d for d in account.documents if d["id"] == document_id)
            document["gov_status"] = status
            document["gov_error_messages"] = list(errors) if errors is not None else None
            if gov_id is not None:
                document["gov_id"] = gov_id

    def fail_after_commit(self, status: int = 502, *, times: int = 1) -> None:
        """Make the next ``times`` creates store their document and then answer ``status`` (a 5xx)."""
        with self._lock:
            self._fail_after_commit.extend([status] * times)

    def clear_faults(self) -> None:
        """Drop every queued fault: the base plan's and :meth:`fail_after_commit`'s."""
        with self._lock:
            self.faults.clear()
            self._fail_after_commit.clear()

    def __repr__(self) -> str:
        accounts, documents = len(self._accounts), len(self._order)
        return f"FakturowniaFake(accounts={accounts}, documents={documents}, requests={self.request_count})"
