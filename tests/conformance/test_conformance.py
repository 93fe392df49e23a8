"""One conformance suite over every registered provider, through both drivers.

For each built-in provider: every SUPPORTED capability works against its fake, every
unsupported operation is refused with zero requests, the matrix matches the operations
implemented, and every field name sent is in the provider's documented list (in
``cases/<provider>.py``, with source tags). Each check has a companion that proves it
fails on a wrong request or provider.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import httpx
import pytest

import accounting_connectors as ac
from accounting_connectors.capabilities import Capabilities, Capability, Entry, Support
from accounting_connectors.registry import builtin_providers, fake_class, provider_class
from accounting_connectors.testing.clock import FakeClock

from ..drivers import DRIVERS, open_connector
from .cases import all_cases
from .checks import OPERATIONS, exercise_for, matrix_problems, refusal_problems, undocumented_fields

CASES = all_cases()
PROVIDERS = builtin_providers()
SUPPORTED = [
    (name, capability)
    for name in PROVIDERS
    for capability, entry in provider_class(name).capabilities
    if entry.support is Support.SUPPORTED
]


def test_every_builtin_provider_has_a_conformance_case() -> None:
    assert sorted(CASES) == sorted(PROVIDERS)


@pytest.fixture(params=DRIVERS)
def driver(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _open(name: str, driver: str) -> tuple[Any, Any]:
    clock = FakeClock()
    fake = fake_class(name).demo(clock=clock)
    settings = {**fake.demo_settings, **CASES[name].settings}
    return open_connector(driver, name, transport=fake, clock=clock, **settings), fake


@pytest.fixture
def opened(request: pytest.FixtureRequest, driver: str) -> Iterator[tuple[Any, Any]]:
    connector, fake = _open(request.param, driver)
    yield connector, fake
    connector.close()


@pytest.mark.parametrize(("name", "capability"), SUPPORTED, ids=[f"{n}-{c.value}" for n, c in SUPPORTED])
def test_every_supported_capability_works_against_the_fake(name: str, capability: Capability, driver: str) -> None:
    exercise = exercise_for(CASES[name], capability)
    assert exercise is not None, f"{name} declares {capability.value} SUPPORTED and its case has no exercise for it"
    connector, fake = _open(name, driver)
    try:
        exercise(connector, fake, CASES[name])
        problems = undocumented_fields(CASES[name], fake.requests)
    finally:
        connector.close()
    assert not problems, f"undocumented field names sent: {problems}"


@pytest.mark.parametrize("opened", PROVIDERS, indirect=True)
def test_unsupported_operations_are_refused_before_any_request(
    opened: tuple[Any, Any], request: pytest.FixtureRequest
) -> None:
    connector, fake = opened
    assert refusal_problems(connector, fake, CASES[connector.name]) == []


@pytest.mark.parametrize("name", PROVIDERS)
def test_the_matrix_matches_the_operations_implemented(name: str) -> None:
    assert matrix_problems(provider_class(name)) == []


@pytest.mark.parametrize("name", PROVIDERS)
def test_every_documented_field_has_a_source_tag(name: str) -> None:
    fields = CASES[name].fields
    assert fields, f"{name} has no documented field list"
    assert all(isinstance(tag, str) and tag.strip() for tag in fields.values()), [f for f, t in fields.items() if not t]


@pytest.mark.parametrize("name", PROVIDERS)
def test_the_fake_demo_account_connects(name: str) -> None:
    fake = fake_class(name).demo(clock=FakeClock())
    assert fake.provider == name
    ac.connect(name, dict(fake.demo_settings), transport=fake).close()


# Companions: each check finds what it is there to find.


@pytest.mark.parametrize("name", PROVIDERS)
def test_the_field_check_finds_an_undocumented_field(name: str) -> None:
    request = httpx.Request("POST", "https://example.invalid/x", json={"surely_not_documented_field": 1})
    assert undocumented_fields(CASES[name], [request]) == {"POST /x": {"surely_not_documented_field"}}
    query = httpx.Request("GET", "https://example.invalid/x", params={"bogus_parameter": "1"})
    assert undocumented_fields(CASES[name], [query]) == {"GET /x": {"?bogus_parameter"}}


def test_the_matrix_check_finds_a_capability_without_its_operation() -> None:
    real = provider_class(PROVIDERS[0])
    row = {capability: entry for capability, entry in real.capabilities}
    flipped = next(c for c in OPERATIONS if row[c].support is not Support.SUPPORTED)
    row[flipped] = Entry(Support.SUPPORTED)
    lying = type("Lying", (real,), {"capabilities": Capabilities(real.name, row)})
    assert matrix_problems(lying) != []


def test_the_refusal_check_finds_an_operation_that_sends_a_request(driver: str) -> None:
    name = next(
        n
        for n in PROVIDERS
        if any(provider_class(n).capabilities[c].support is not Support.SUPPORTED for c in OPERATIONS)
    )
    connector, fake = _open(name, driver)
    try:
        unsupported = next(c for c in OPERATIONS if connector.capabilities[c].support is not Support.SUPPORTED)

        class Leaky:
            """A connector whose unsupported operation sends a request anyway."""

            def __getattr__(self, attribute: str) -> Any:
                if attribute == OPERATIONS[unsupported]:

                    def leak(*args: Any) -> None:
                        fake.handle_request(httpx.Request("GET", fake.base_urls[0] + "leak"))
                        raise ac.UnsupportedOperation("refused too late")

                    return leak
                return getattr(connector, attribute)

        problems = refusal_problems(Leaky(), fake, CASES[name])
    finally:
        connector.close()
    assert any("sent 1 request" in problem for problem in problems)


def test_an_exercise_fails_against_a_fake_that_stores_nothing(driver: str) -> None:
    name = PROVIDERS[0]
    connector, fake = _open(name, driver)
    try:
        forgetful = type(
            "Forgetful",
            (),
            {
                "documents": property(lambda self: []),
                "find": lambda self, **k: None,
                "request_count": property(lambda self: fake.request_count),
            },
        )()
        with pytest.raises(AssertionError):
            exercise_for(CASES[name], Capability.SEND_INVOICE)(connector, forgetful, CASES[name])
    finally:
        connector.close()


# Built from parts, so this file does not name the paths it looks for.
_OUTSIDE = [quote + "/" + top + "/" for quote in "\"'" for top in ("work", "home", "tmp", "Users")]
_OUTSIDE += ['shared" / "', ".." + "/shared", "parents[" + "3]"]


def test_nothing_in_the_repository_reads_outside_it_or_names_an_absolute_path() -> None:
    root = Path(__file__).resolve().parents[2]
    offenders = []
    for path in [
        *root.glob("accounting_connectors/**/*.py"),
        *root.glob("tests/**/*.py"),
        *root.glob("benchmarks/*.py"),
    ]:
        text = path.read_text(encoding="utf-8")
        for needle in _OUTSIDE:
            if needle in text and path.name != "test_conformance.py":
                offenders.append(f"{path.relative_to(root)}: {needle}")
    assert offenders == []


@pytest.mark.parametrize("name", PROVIDERS)
def test_every_fake_serves_the_provider_over_loopback_http(name: str) -> None:
    from accounting_connectors.testing.server import serve

    fake = fake_class(name).demo()
    root = httpx.URL(fake.base_urls[0])
    settings = {**fake.demo_settings, **CASES[name].settings}
    default = attrs.fields_dict(provider_class(name).settings_class)["base_url"].default
    configured = httpx.URL(str(settings.get("base_url") or default or root))
    with serve(fake) as served:
        # The same API root, on the loopback server.
        settings["base_url"] = served + (configured.raw_path.decode() if configured.host == root.host else root.path)
        with ac.connect(name, settings) as connector:
            sent = connector.send_invoice(CASES[name].invoice_for("served-1"))
    assert sent.number and len(fake.documents) == 1
