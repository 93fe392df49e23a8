"""SDK overhead per ``send_invoice`` against a bare ``httpx.Client.post``.

Both sides send the same 20-line invoice body, as JSON, over the same in-memory
transport that answers instantly; the SDK side also validates the invoice, converts its
Decimal money, passes the rate limiter, the retry policy and the error mapping. The
limiter is given room enough never to wait, so the ratio measures code, not sleeping.

Target: at most 1.15x the bare post. Run: ``python benchmarks/overhead.py``.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from decimal import Decimal

import httpx

import accounting_connectors as ac
from accounting_connectors.clock import SYSTEM_CLOCK
from accounting_connectors.connectors.smartbill import SmartBill
from accounting_connectors.ratelimit import CredentialLimiter, RateLimit

ANSWER = json.dumps({"errorText": "", "message": "", "number": "0001", "series": "FCT", "url": ""}).encode()
TAXES = json.dumps({"errorText": "", "taxes": [{"name": "Normala", "percentage": 21}]}).encode()


def instant(request: httpx.Request) -> httpx.Response:
    body = TAXES if request.url.path.endswith("/tax") else ANSWER
    return httpx.Response(200, content=body, headers={"Content-Type": "application/json"})


def make_invoice(lines: int) -> ac.Invoice:
    return ac.Invoice(
        reference="bench-1",
        issue_date="2026-01-15",
        buyer=ac.Party(
            name="Client SRL",
            tax_id="RO987654",
            is_company=True,
            address=ac.Address(street="Str. A 1", city="Cluj-Napoca", region="Cluj", country="RO"),
        ),
        lines=[
            ac.Line(
                name=f"Produs {index}",
                quantity=Decimal(index % 5 + 1),
                unit="buc",
                unit_price=Decimal("19.99") + index,
                vat=ac.VatRate.of(21),
                sku=f"SKU-{index}",
            )
            for index in range(lines)
        ],
        currency="RON",
        prices_include_vat=True,
    )


def per_call(run: Callable[[], object], rounds: int) -> float:
    """Seconds per call over one batch of ``rounds`` calls."""
    started = time.perf_counter()
    for _ in range(rounds):
        run()
    return (time.perf_counter() - started) / rounds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=40)
    args = parser.parse_args()

    transport = httpx.MockTransport(instant)
    invoice = make_invoice(args.lines)
    roomy = CredentialLimiter([RateLimit(10**9, 1.0)], SYSTEM_CLOCK)
    provider = SmartBill.configure(username="bench@example.ro", token="t", company_vat_code="RO1")
    sdk = ac.Client(provider, transport=transport, limiter=roomy)
    sdk.send_invoice(invoice)  # reads the account's VAT names once, as a real session does

    body = json.loads(
        sdk.provider._post(
            "invoice", provider._invoice_body(invoice, provider._taxes or []), operation="send_invoice"
        ).request.content
    )
    bare = httpx.Client(transport=transport)
    url = provider.base_url + "invoice"

    def bare_post() -> object:
        return bare.post(url, json=body).json()

    def sdk_send() -> object:
        return sdk.send_invoice(invoice)

    for _ in range(200):  # warm up both paths
        bare_post()
        sdk_send()
    # Batches alternate, so a busy moment on the machine hits both sides alike; the
    # fastest batch of each is the least disturbed measurement of it.
    bare_samples, sdk_samples = [], []
    for _ in range(args.repeat):
        bare_samples.append(per_call(bare_post, args.rounds))
        sdk_samples.append(per_call(sdk_send, args.rounds))
    bare_time, sdk_time = min(bare_samples), min(sdk_samples)
    print(f"bare httpx post: {bare_time * 1e6:8.1f} us per call")
    print(f"SDK send_invoice: {sdk_time * 1e6:8.1f} us per call")
    print(f"ratio: {sdk_time / bare_time:.3f}x (target <= 1.15x)")


if __name__ == "__main__":
    main()
