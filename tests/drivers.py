"""Run one test body through both drivers: Client, and AsyncClient behind a blocking view."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import accounting_connectors as ac

DRIVERS = ["sync", "async"]


class Blocking:
    """Runs an AsyncClient's coroutines to completion, so one test body serves both drivers."""

    def __init__(self, client: ac.AsyncClient) -> None:
        self._client = client
        self._loop = asyncio.new_event_loop()

    def __getattr__(self, name: str) -> Any:
        member = getattr(self._client, name)
        if inspect.iscoroutinefunction(member):
            return lambda *args, **kwargs: self._loop.run_until_complete(member(*args, **kwargs))
        return member

    def __repr__(self) -> str:
        return repr(self._client)

    def close(self) -> None:
        self._loop.run_until_complete(self._client.aclose())
        self._loop.close()


def open_connector(driver: str, provider: str, **settings: Any) -> Any:
    """``ac.connect`` for "sync", ``ac.connect_async`` wrapped in :class:`Blocking` for "async"."""
    if driver == "sync":
        return ac.connect(provider, **settings)
    return Blocking(ac.connect_async(provider, **settings))
