"""Everything a provider author needs, in one import.

::

    from accounting_connectors.kit import Provider, Call, Flow, RateLimit, json_request, read_json
    from accounting_connectors.kit import FakeProvider, FakeRequest, Reply, FakeError, route

A connector subclasses :class:`Provider` (sans-I/O flows that yield :class:`Call` and
:class:`Sleep`); its fake subclasses :class:`FakeProvider` (routes declared with
:func:`route`, replies built with :class:`Reply`). See the "Writing a provider" page.
"""

from __future__ import annotations

from .capabilities import Capabilities, Capability, Entry, Support
from .flow import Call, Flow, Sleep
from .limits import RateLimit, RateLimitState, Scope, credential_fingerprint, parse_retry_after
from .options import ConnectOptions
from .provider import (
    DEFAULT_STATUS_ERRORS,
    Provider,
    RawJSON,
    base_url,
    dump_json,
    json_number,
    json_request,
    json_string,
    number_text,
    read_json,
)
from .testing.base import FakeProvider
from .testing.documents import StoredDocument
from .testing.faults import Fault
from .testing.pdf import make_pdf
from .testing.routes import Route, RouteTable, route
from .testing.throttle import FakeLimit, LimitVerdict
from .testing.wire import FakeError, FakeRequest, Reply

__all__ = [
    "DEFAULT_STATUS_ERRORS",
    "Call",
    "Capabilities",
    "Capability",
    "ConnectOptions",
    "Entry",
    "FakeError",
    "FakeLimit",
    "FakeProvider",
    "FakeRequest",
    "Fault",
    "Flow",
    "LimitVerdict",
    "Provider",
    "RateLimit",
    "RateLimitState",
    "RawJSON",
    "Reply",
    "Route",
    "RouteTable",
    "Scope",
    "Sleep",
    "StoredDocument",
    "Support",
    "base_url",
    "credential_fingerprint",
    "dump_json",
    "json_number",
    "json_request",
    "json_string",
    "make_pdf",
    "number_text",
    "parse_retry_after",
    "read_json",
    "route",
]
