"""``EInvoiceStatus``: validation, the never-resend invariant, JSON round trip, notebook HTML, exports."""

from __future__ import annotations

import datetime as dt

import pytest

import accounting_connectors as ac
from accounting_connectors.einvoicing import parse_timestamp

S = ac.EInvoiceState


def status(**changes: object) -> ac.EInvoiceStatus:
    values: dict[str, object] = {
        "provider": "fakturownia",
        "system": ac.EInvoiceSystem.KSEF,
        "state": S.ACCEPTED,
        "reference": "order-1",
        "number": "5265877635-20250826-0100001AF629-AF",
    }
    values.update(changes)
    return ac.EInvoiceStatus(**values)  # type: ignore[arg-type]


def test_exported_from_the_package() -> None:
    assert {"EInvoiceStatus", "EInvoiceState", "EInvoiceSystem"} <= set(ac.__all__)
    assert ac.Capability.EINVOICE.value == "einvoice"


@pytest.mark.parametrize("state", [S.PENDING, S.ACCEPTED, S.UNKNOWN, S.NOT_APPLICABLE])
def test_a_resend_is_refused_where_it_could_duplicate(state: ac.EInvoiceState) -> None:
    with pytest.raises(ac.ValidationError, match="resend_allowed"):
        status(state=state, resend_allowed=True)


@pytest.mark.parametrize("state", [S.NOT_SENT, S.REJECTED])
def test_a_resend_may_be_allowed_before_acceptance(state: ac.EInvoiceState) -> None:
    assert status(state=state, resend_allowed=True).resend_allowed


def test_final_and_may_be_accepted() -> None:
    assert {s for s in S if status(state=s).final} == {S.ACCEPTED, S.REJECTED, S.NOT_APPLICABLE}
    assert {s for s in S if status(state=s).may_be_accepted} == {S.ACCEPTED, S.PENDING, S.UNKNOWN}


def test_fields_are_checked() -> None:
    with pytest.raises(ac.ValidationError, match="state"):
        status(state="accepted")
    with pytest.raises(ac.ValidationError, match="sent_at"):
        status(sent_at="2026-01-01")
    assert status(errors="one").errors == ("one",)
    assert status(errors=None).errors == ()


def test_json_round_trip_keeps_the_timestamps() -> None:
    original = status(
        errors=["a", "b"], sent_at=dt.datetime(2026, 2, 1, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    )
    data = ac.to_dict(original)
    assert data["sent_at"] == "2026-02-01T10:30:00+01:00" and data["state"] == "accepted"
    assert ac.from_dict(data, ac.EInvoiceStatus) == original


def test_notebook_html_escapes_and_lists_the_errors() -> None:
    page = status(
        state=S.REJECTED, errors=["<b>NIP</b>"], verification_url="https://ksef.example/v?a=1&b=2"
    )._repr_html_()
    assert "&lt;b&gt;NIP&lt;/b&gt;" in page and "<th>error</th>" in page and "a=1&amp;b=2" in page


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("2026-02-01T10:30:00.000+01:00", "2026-02-01T10:30:00+01:00"),
        ("2024-01-15 16:00:00 +0100", "2024-01-15T16:00:00+01:00"),
        ("2026-07-15 08:45:07", "2026-07-15T08:45:07"),
        ("2026-07-15 08:45:07.123", "2026-07-15T08:45:07.123000"),
        ("2026-01-01T00:00:00Z", "2026-01-01T00:00:00+00:00"),
    ],
)
def test_provider_timestamps_are_read(text: str, iso: str) -> None:
    parsed = parse_timestamp(text)
    assert parsed is not None and parsed.isoformat() == iso


@pytest.mark.parametrize("text", [None, "", "yesterday", "2026-13-45 10:00:00", 42])
def test_anything_else_is_no_timestamp(text: object) -> None:
    assert parse_timestamp(text) is None
