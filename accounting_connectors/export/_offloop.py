"""Driving an export flow with its own steps off the event loop.

The export flow's code between two connector calls is the ledger's (``begin`` before a
create, ``complete`` after it) and a little CPU (settings, the fingerprint). A ledger
may wait on a lock for seconds (SQLite's busy timeout when another process writes, a
database server's round trip), so :class:`~accounting_connectors.export.AsyncExporter`
runs each step in a worker thread and only the connector calls on the loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Generator
from typing import Any, TypeVar

from ..errors import AccountingError

E = TypeVar("E")
T = TypeVar("T")


async def adrive_off_loop(flow: Generator[E, Any, T], perform: Callable[[E], Awaitable[Any]]) -> T:
    """:func:`~accounting_connectors.flow.adrive` with every step of ``flow`` in a worker thread."""
    try:
        step = await _step(flow.send, None)
        while not isinstance(step, _Done):
            try:
                result = await perform(step)
            except AccountingError as error:
                step = await _step(flow.throw, error)
            else:
                step = await _step(flow.send, result)
        return step.value  # type: ignore[no-any-return]
    finally:
        flow.close()


class _Done:
    """The flow's result (a StopIteration cannot cross an asyncio future)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


def _resume(resume: Callable[[Any], E], value: Any) -> E | _Done:
    try:
        return resume(value)
    except StopIteration as stop:
        return _Done(stop.value)


async def _step(resume: Callable[[Any], E], value: Any) -> E | _Done:
    future = asyncio.ensure_future(asyncio.to_thread(_resume, resume, value))
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        # The step runs on in its thread (a ledger write): let it end before the flow is
        # closed, so its outcome is recorded and the generator is not closed mid-step.
        while not future.done():
            try:
                await asyncio.wait([future])
            except asyncio.CancelledError:
                continue
        raise
