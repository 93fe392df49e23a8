"""A fake's view of one request and the replies it sends, in every format providers use.

:class:`FakeRequest` is what a route handler receives: the path relative to the fake's
base URL, the route's named groups, the query, the headers and the body read as JSON
(numbers as ``Decimal``), form fields or XML. :class:`Reply` is what it returns, built
with one constructor per format (:meth:`Reply.json`, :meth:`Reply.xml`,
:meth:`Reply.text`, :meth:`Reply.form`, :meth:`Reply.pdf`). A handler refuses a request
by raising :class:`FakeError` with the provider's own error reply.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from xml.etree import ElementTree

import attrs
import httpx

from ..provider import dump_json

__all__ = ["FakeError", "FakeRequest", "Reply"]


@attrs.frozen
class Reply:
    """An answer a fake sends: status, body and headers."""

    status: int
    content: bytes = b""
    headers: Mapping[str, str] = attrs.field(factory=dict)

    @classmethod
    def json(cls, body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Reply:
        """A JSON answer (``Decimal`` numbers written exactly, text as ASCII escapes)."""
        return cls(status, dump_json(body), {"Content-Type": "application/json; charset=utf-8", **(headers or {})})

    @classmethod
    def xml(cls, body: str | ElementTree.Element, status: int = 200, headers: Mapping[str, str] | None = None) -> Reply:
        """An XML answer, from text or an element tree (with an XML declaration)."""
        if isinstance(body, ElementTree.Element):
            body = ElementTree.tostring(body, encoding="unicode", xml_declaration=False)
        text = body if body.startswith("<?xml") else '<?xml version="1.0" encoding="UTF-8"?>\n' + body
        return cls(status, text.encode(), {"Content-Type": "application/xml; charset=utf-8", **(headers or {})})

    @classmethod
    def text(cls, body: str, status: int = 200, headers: Mapping[str, str] | None = None) -> Reply:
        """A plain-text answer."""
        return cls(status, body.encode(), {"Content-Type": "text/plain; charset=utf-8", **(headers or {})})

    @classmethod
    def form(cls, fields: Mapping[str, str], status: int = 200, headers: Mapping[str, str] | None = None) -> Reply:
        """A form-encoded answer."""
        content = urllib.parse.urlencode(list(fields.items())).encode()
        return cls(status, content, {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})})

    @classmethod
    def pdf(cls, content: bytes, filename: str = "document.pdf", headers: Mapping[str, str] | None = None) -> Reply:
        """A PDF download."""
        return cls(
            200,
            content,
            {
                "Content-Type": "application/pdf",
                "Content-Disposition": f'attachment; filename="{filename}"',
                **(headers or {}),
            },
        )

    @classmethod
    def empty(cls, status: int = 204, headers: Mapping[str, str] | None = None) -> Reply:
        """An answer without a body."""
        return cls(status, b"", dict(headers or {}))

    def with_headers(self, headers: Mapping[str, str]) -> Reply:
        """The same reply with ``headers`` added (rate-limit headers, for example)."""
        return attrs.evolve(self, headers={**self.headers, **headers})

    def to_response(self, request: httpx.Request) -> httpx.Response:
        """The httpx response the transport hands back."""
        return httpx.Response(self.status, headers=dict(self.headers), content=self.content, request=request)


class FakeError(Exception):
    """Raised by a fake's handler or hook to answer with ``reply`` instead."""

    def __init__(self, reply: Reply) -> None:
        super().__init__(f"HTTP {reply.status}")
        self.reply = reply


class FakeRequest:
    """One request as a fake's handler sees it.

    Attributes:
        raw: the httpx request.
        method: the HTTP method, upper case.
        path: the path relative to the fake's base path, without slashes at either end.
        groups: the named groups of the route's pattern (``{id}`` in ``invoices/{id}.json``).
        principal: what the fake's ``authenticate`` hook returned (an account, a user).
    """

    __slots__ = ("_json", "groups", "method", "path", "principal", "raw")

    def __init__(self, raw: httpx.Request, path: str) -> None:
        self.raw = raw
        self.method = raw.method.upper()
        self.path = path
        self.groups: dict[str, str] = {}
        self.principal: Any = None
        self._json: Any = _UNREAD

    @property
    def headers(self) -> httpx.Headers:
        """The request's headers."""
        return self.raw.headers

    @property
    def params(self) -> httpx.QueryParams:
        """The query parameters."""
        return self.raw.url.params

    @property
    def content(self) -> bytes:
        """The raw body."""
        return self.raw.content

    def json(self) -> Any:
        """The body as JSON, numbers as ``Decimal``.

        Raises:
            ValueError: the body is not JSON (the fake answers its own error for that).
        """
        if self._json is _UNREAD:
            self._json = json.loads(self.raw.content, parse_float=Decimal, parse_int=Decimal)
        return self._json

    def form(self) -> dict[str, str]:
        """The body's form fields (the last value of a repeated name), decoded as UTF-8.

        Raises:
            ValueError: the body is not valid UTF-8 form encoding.
        """
        text = self.raw.content.decode("utf-8")
        return dict(urllib.parse.parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text)))

    def form_items(self) -> list[tuple[str, str]]:
        """The body's form fields in order, repeated names included."""
        return urllib.parse.parse_qsl(self.raw.content.decode("utf-8"), keep_blank_values=True)

    def __repr__(self) -> str:
        return f"FakeRequest({self.method} {self.path!r})"


_UNREAD = object()
