"""Route tables for fakes: method and path pattern to a handler, declared on the class.

::

    class MyFake(FakeProvider):
        @route("POST", "invoices.json")
        def create_invoice(self, request: FakeRequest) -> Reply: ...

        @route("GET", "invoices/{id}.json")
        def get_invoice(self, request: FakeRequest) -> Reply:
            number = request.groups["id"]

A pattern is a path relative to the fake's base path; ``{name}`` matches one path
segment (no ``/``) and is handed over in ``request.groups``. Literal paths are looked up
in a dict; patterns are tried in declaration order.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import attrs

from .faults import normalize_path

__all__ = ["Route", "RouteTable", "route"]

F = TypeVar("F", bound=Callable[..., Any])

_ROUTE_ATTRIBUTE = "_fake_routes"
_GROUP = re.compile(r"\{(\w+)\}")


@attrs.frozen
class Route:
    """One row of a route table: ``method`` and ``pattern`` to the handler named ``handler``."""

    method: str
    pattern: str
    handler: str
    regex: re.Pattern[str] | None = attrs.field(default=None, eq=False, repr=False)


def _compile(pattern: str) -> re.Pattern[str] | None:
    if "{" not in pattern:
        return None
    parts = _GROUP.split(pattern)
    regex = "".join(re.escape(part) if index % 2 == 0 else f"(?P<{part}>[^/]+)" for index, part in enumerate(parts))
    return re.compile(regex + r"\Z")


def route(method: str, pattern: str) -> Callable[[F], F]:
    """Declare the decorated method the handler of ``method`` requests to ``pattern``.

    A handler may carry several ``@route`` lines.
    """

    def mark(handler: F) -> F:
        marks: list[tuple[str, str]] = list(getattr(handler, _ROUTE_ATTRIBUTE, ()))
        marks.append((method.upper(), normalize_path(pattern)))
        setattr(handler, _ROUTE_ATTRIBUTE, marks)
        return handler

    return mark


class RouteTable:
    """The routes of one fake class, matched by method and relative path."""

    def __init__(self, routes: Iterable[Route] = ()) -> None:
        self._exact: dict[str, dict[str, str]] = {}
        self._patterns: list[Route] = []
        self.routes: list[Route] = []
        for entry in routes:
            self.add(entry)

    @classmethod
    def of(cls, owner: type) -> RouteTable:
        """The table of the handlers ``owner`` (and its bases) declare with :func:`route`."""
        table = cls()
        seen: set[tuple[str, str, str]] = set()
        for klass in reversed(owner.__mro__):
            for name, value in vars(klass).items():
                for method, pattern in getattr(value, _ROUTE_ATTRIBUTE, ()):
                    if (name, method, pattern) not in seen:
                        seen.add((name, method, pattern))
                        table.add(Route(method, pattern, name))
        return table

    def add(self, entry: Route) -> None:
        """Add one route."""
        compiled = _compile(entry.pattern)
        entry = attrs.evolve(entry, regex=compiled)
        self.routes.append(entry)
        if compiled is None:
            self._exact.setdefault(entry.pattern, {})[entry.method] = entry.handler
        else:
            self._patterns.append(entry)

    def match(self, method: str, path: str) -> tuple[str, dict[str, str]] | list[str] | None:
        """The handler name and groups for a request.

        Returns ``None`` when no route has this path, or the list of the methods the
        path allows when it has routes for other methods only.
        """
        allowed: list[str] = []
        handlers = self._exact.get(path)
        if handlers is not None:
            handler = handlers.get(method)
            if handler is not None:
                return handler, {}
            allowed.extend(handlers)
        for entry in self._patterns:
            assert entry.regex is not None
            found = entry.regex.match(path)
            if found is None:
                continue
            if entry.method == method:
                return entry.handler, found.groupdict()
            allowed.append(entry.method)
        return allowed or None
