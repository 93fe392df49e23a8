"""A stateful fake of the SmartBill Cloud REST API, as an httpx transport.

Built only from SmartBill's own documentation (the official Swagger "SmartBill REST API"
and Postman collection; ``shared/providers/smartbill.md`` §1), so that tests of the connector
exercise the provider's documented behaviour rather than our own reading of it::

    fake = SmartBillFake.demo()   # user demo@example.ro, token demo-token, company RO12345678
    with httpx.Client(transport=fake, base_url="https://ws.smartbill.ro/SBORO/api/",
                      auth=("demo@example.ro", "demo-token")) as client:
        client.post("invoice", json={...})

What it models: preemptive Basic auth and company (CIF) ownership (401), JSON-only
bodies (415), ``POST invoice`` / ``invoice/v2`` validation with SmartBill's Romanian
error texts (:mod:`.texts`), per-series zero-padded numbering, drafts, embedded payments,
``invoice/reverse`` (storno), ``payment`` (receipts and other payment types), ``invoice/
paymentstatus``, ``invoice/pdf``, ``series``, ``tax``, ``invoice/cancel`` / ``restore``,
``DELETE invoice`` and ``DELETE payment/chitanta`` (last in series only), several
companies of one user, the 30-calls-per-10-seconds limit with its 10-minute 403 block,
and injected faults.

Not modelled: XML bodies, proformas (``estimate*``), fiscal receipts (``Bon``), e-mail,
stock quantities, ``GET stocks``, ``DELETE payment/v2``.

Modules: :mod:`.state` (the account, documents and shared checks), :mod:`.invoices`,
:mod:`.payments` and :mod:`.queries` (the endpoints), :mod:`.texts` (SmartBill's texts as
data) and :mod:`.fake` (:class:`SmartBillFake`, the pipeline's hooks).
"""

from __future__ import annotations

from ..documents import StoredDocument
from .fake import SmartBillFake
from .state import BASE_URL, DEFAULT_SERIES, DEFAULT_TAXES, PAYMENT_TYPES, SmartBillDetail

__all__ = [
    "BASE_URL",
    "DEFAULT_SERIES",
    "DEFAULT_TAXES",
    "PAYMENT_TYPES",
    "SmartBillDetail",
    "SmartBillFake",
    "StoredDocument",
]
