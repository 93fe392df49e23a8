"""Effects of the sans-I/O core.

Provider operations are generators: they yield effects and receive their results.
``Call`` is answered with the :class:`httpx.Response` (body already read); ``Sleep`` with
``None``. When the driver decides a response is an error, it throws the mapped
:class:`~accounting_connectors.errors.AccountingError` into the generator, so a flow may
catch, for example, ``NotFound`` during reconciliation. The drivers in
:mod:`accounting_connectors.client` are the only code that performs I/O.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator
from typing import Any, TypeAlias, TypeVar

import attrs
import httpx

from .errors import AccountingError

T = TypeVar("T")
E = TypeVar("E")


@attrs.frozen
class Call:
    """Send ``request`` and hand back the response.

    Attributes:
        request: the request to send.
        operation: the connector operation, for errors and logs.
        creates: the call may create a document; it is then never retried once it may
            have reached the provider, and an unknown outcome raises ``AmbiguousOutcome``.
        deduplicated: the provider deduplicates this create natively (an idempotency key),
            so retrying it is safe after all.
        check: map error responses to exceptions (``False`` hands every response back
            to the flow, e.g. to read a PDF whose errors come as JSON).
        writes: the call changes state at the provider, for providers whose rate limits
            count writes and reads apart (``Scope.WRITES``/``Scope.READS``). Defaults to
            ``creates`` or an HTTP method other than GET, HEAD and OPTIONS, so marking an
            invoice paid counts as a write although it creates nothing.
    """

    request: httpx.Request
    operation: str
    creates: bool = False
    deduplicated: bool = False
    check: bool = True
    writes: bool = attrs.field(default=attrs.Factory(lambda self: _writes(self), takes_self=True))


_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _writes(call: Call) -> bool:
    # Only consulted for the default of Call.writes; its own fields are already set.
    return call.creates or call.request.method.upper() not in _READ_METHODS


@attrs.frozen
class Sleep:
    """Wait ``seconds`` (for example between polls of an asynchronous task)."""

    seconds: float


Effect: TypeAlias = Call | Sleep
Flow: TypeAlias = Generator[Effect, Any, T]
"""A provider operation: yields effects, returns its result."""


def drive(flow: Generator[E, Any, T], perform: Callable[[E], Any]) -> T:
    """Run a generator flow to its result, performing each effect it yields.

    An :class:`~accounting_connectors.errors.AccountingError` raised by ``perform`` is
    thrown into the flow, which may handle it. The flow is closed however this ends.
    """
    try:
        effect = next(flow)
        while True:
            try:
                result = perform(effect)
            except AccountingError as error:
                effect = flow.throw(error)
            else:
                effect = flow.send(result)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]
    finally:
        flow.close()


async def adrive(flow: Generator[E, Any, T], perform: Callable[[E], Awaitable[Any]]) -> T:
    """:func:`drive` for effects that are awaited."""
    try:
        effect = next(flow)
        while True:
            try:
                result = await perform(effect)
            except AccountingError as error:
                effect = flow.throw(error)
            else:
                effect = flow.send(result)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]
    finally:
        flow.close()
