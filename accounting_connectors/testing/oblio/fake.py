"""The Oblio fake itself: :class:`OblioFake`, its limits, demo account and the request pipeline's hooks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from ...clock import Clock
from ..documents import StoredDocument
from ..throttle import FakeLimit, LimitVerdict
from ..wire import FakeRequest, Reply
from . import texts
from .auth import AuthRoutes
from .changes import ChangeRoutes
from .documents import DocumentRoutes
from .link import LinkRoutes
from .nomenclature import NomenclatureRoutes
from .reads import ReadRoutes
from .records import _KINDS, BASE_URL, DEMO_CIF, DEMO_EMAIL, DEMO_SECRET, SECOND_CIF, _Document
from .rules import _refuse
from .spv import SpvRoutes


def _is_create(request: FakeRequest) -> bool:
    return request.method == "POST" and request.path in ("api/docs/invoice", "api/docs/proforma", "api/docs/notice")


def _is_api(request: FakeRequest) -> bool:
    return request.path.startswith("api/")


# The route table reads the classes from the end of the MRO: the bases are listed last
# first, so the routes keep the order they were declared in (patterns are tried in it).
class OblioFake(LinkRoutes, NomenclatureRoutes, ChangeRoutes, ReadRoutes, DocumentRoutes, SpvRoutes, AuthRoutes):
    """The Oblio.eu API over simulated logins, companies and documents.

    Args:
        clock: the fake's time (tokens expire and limits count on it).
        keep_log: keep every request in :attr:`requests`.
        email: the demo login's e-mail (``client_id``).
        api_secret: the demo login's API secret (``client_secret``).
        company_vat_code: the demo login's first company.
    """

    provider: ClassVar[str] = "oblio"
    base_urls: ClassVar[tuple[str, ...]] = (BASE_URL,)
    limits: ClassVar[tuple[FakeLimit, ...]] = (
        FakeLimit(3, 1.0, penalty_seconds=600.0, applies=_is_api, name="per-second"),
        FakeLimit(30, 100.0, applies=_is_create, name="creates"),
        FakeLimit(30, 10.0, applies=lambda request: _is_api(request) and not _is_create(request), name="others"),
    )
    demo_settings: ClassVar[Mapping[str, Any]] = {
        "email": DEMO_EMAIL,
        "api_secret": DEMO_SECRET,
        "company_vat_code": DEMO_CIF,
    }

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        keep_log: bool = True,
        email: str = DEMO_EMAIL,
        api_secret: str = DEMO_SECRET,
        company_vat_code: str = DEMO_CIF,
    ) -> None:
        super().__init__(clock=clock, keep_log=keep_log)
        self.add_company(company_vat_code, "Demo Oblio SRL", use_stock=True)
        self.add_user(email, api_secret, [company_vat_code])

    @classmethod
    def demo(cls, *, clock: Clock | None = None) -> OblioFake:
        """The demo login with two companies (``RO37311090`` with stock, ``RO12345674``)."""
        fake = cls(clock=clock)
        fake.add_company(SECOND_CIF, "Al Doilea Magazin SRL", use_stock=False)
        fake.grant(DEMO_EMAIL, SECOND_CIF)
        return fake

    # The pipeline hooks.

    def authenticate(self, request: FakeRequest) -> Any:
        """Bearer token check for ``api/`` (but not the token endpoint); the link needs none."""
        if not _is_api(request) or request.path == "api/authorize/token":
            return None
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            raise _refuse(texts.ERR_TOKEN_MISSING, 401)
        token = self._tokens.get(header.removeprefix("Bearer ").strip())
        if token is None:
            raise _refuse(texts.ERR_TOKEN_INVALID, 401)
        if token.expires_at <= self.clock.time():
            raise _refuse(texts.ERR_TOKEN_EXPIRED, 401)
        return self._users[token.email]

    def limit_key(self, request: FakeRequest) -> str:
        """Limits count per access token (token requests per ``client_id``)."""
        if request.path == "api/authorize/token":
            fields = self._token_fields(request)
            return "client:" + str(fields.get("client_id", "")).casefold()
        return "token:" + str(request.headers.get("Authorization", ""))

    def rate_limited(self, request: FakeRequest, verdict: LimitVerdict) -> Reply:
        """HTTP 429 in Oblio's envelope (the real answer is UNCERTAIN, §13)."""
        return Reply.json({"status": 429, "statusMessage": texts.ERR_RATE_LIMIT}, 429)

    def not_found(self, request: FakeRequest) -> Reply:
        """An unknown path, in Oblio's envelope."""
        return Reply.json({"status": 404, "statusMessage": texts.ERR_NOT_FOUND_PATH.format(path=request.path)}, 404)

    def method_not_allowed(self, request: FakeRequest, allowed: list[str]) -> Reply:
        """A method the path does not take."""
        body = {"status": 405, "statusMessage": texts.ERR_METHOD.format(method=request.method)}
        return Reply.json(body, 405, {"Allow": ", ".join(allowed)})

    def server_error(self, request: FakeRequest) -> Reply:
        """HTTP 500 in Oblio's envelope; nothing is stored."""
        return Reply.json({"status": 500, "statusMessage": texts.ERR_SERVER}, 500)

    def error_under_200(self, request: FakeRequest) -> Reply:
        """HTTP 200 whose body says ``status`` 400 (seen by a third-party suite, §2); nothing stored."""
        return Reply.json({"status": 400, "statusMessage": texts.ERR_FAULT_200}, 200)

    # What every fake shows.

    def stored(self) -> list[StoredDocument]:
        """Every document created through the API, oldest first (deleted ones marked cancelled)."""
        return [self._snapshot(document) for document in self._documents]

    def _snapshot(self, document: _Document) -> StoredDocument:
        storno = document.storno_of
        return StoredDocument(
            provider="oblio",
            account=document.cif,
            kind="storno" if storno is not None else _KINDS[document.doc_type],
            number=document.number,
            series=document.series,
            id=str(document.id),
            issue_date=document.issue_date,
            currency=document.currency,
            total=document.total,
            paid=document.paid,
            reference=document.key,
            cancelled=document.canceled or document.deleted,
            corrects=None if storno is None else f"{storno.series}{storno.number}",
            body=document.body,
            detail={
                "mentions": document.mentions,
                "collects": [dict(collect) for collect in document.collects],
                "link": self._link(document),
                "net": document.net,
                "vat": document.vat,
                "refund": document.refund,
                "deleted": document.deleted,
                "client": dict(document.client),
                "owner": document.owner,
                "lines": [
                    {
                        "name": line.name,
                        "quantity": line.quantity,
                        "price": line.price,
                        "discount": line.discount,
                        "vat": line.vat_percent,
                        "totals": line.totals(),
                        "code": line.code,
                    }
                    for line in document.lines
                ],
            },
        )
