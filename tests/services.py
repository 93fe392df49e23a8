"""The PostgreSQL and Redis servers some tests need, found or skipped (or failed, on CI).

Where no server answers (a laptop) those tests skip with the reason. With
``ACCOUNTING_CONNECTORS_REQUIRE_SERVICES=1`` (``.ci/run`` sets it) they fail instead:
CI machines run both servers, and a test that silently skipped there would prove nothing.

``ACCOUNTING_CONNECTORS_POSTGRES`` (a libpq connection string) and
``ACCOUNTING_CONNECTORS_REDIS`` (a ``redis://`` URL) name other servers.
"""

from __future__ import annotations

import functools
import getpass
import os
import uuid
from typing import Any, NoReturn

import pytest

REQUIRED = os.environ.get("ACCOUNTING_CONNECTORS_REQUIRE_SERVICES") == "1"
POSTGRES = os.environ.get("ACCOUNTING_CONNECTORS_POSTGRES", "")
REDIS = os.environ.get("ACCOUNTING_CONNECTORS_REDIS", "redis://127.0.0.1:6379/0")


def unavailable(reason: str) -> NoReturn:
    """Skip with ``reason``, or fail where the services are required."""
    if REQUIRED:
        pytest.fail(f"{reason} (ACCOUNTING_CONNECTORS_REQUIRE_SERVICES=1: the service must run)", pytrace=False)
    pytest.skip(reason)


def unique(stem: str) -> str:
    """A name no other test (or test run) uses: for tables and key prefixes."""
    return f"{stem}_{uuid.uuid4().hex[:12]}"


@functools.cache
def _postgres() -> str | None:
    try:
        import psycopg
    except ImportError:
        return None
    candidates = [POSTGRES] if POSTGRES else []
    for user in dict.fromkeys(["postgres", getpass.getuser(), "root"]):
        candidates.append(f"host=127.0.0.1 port=5432 dbname=test user={user}")
    for conninfo in candidates:
        try:
            with psycopg.connect(conninfo, connect_timeout=3) as db:
                db.execute("SELECT 1")
        except psycopg.Error:
            continue
        return conninfo
    return None


def postgres_conninfo() -> str:
    """A connection string of a PostgreSQL server that answers (else skip or fail)."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        unavailable("psycopg is not installed (pip install 'accounting-connectors[postgres]')")
    conninfo = _postgres()
    if conninfo is None:
        unavailable("PostgreSQL at 127.0.0.1:5432 is not answering")
    return conninfo


@functools.cache
def _redis() -> Any:
    try:
        import redis
    except ImportError:
        return None
    client = redis.Redis.from_url(REDIS, socket_connect_timeout=3, socket_timeout=10)
    try:
        client.ping()
    except redis.RedisError:
        return None
    return client


def redis_client() -> Any:
    """A ``redis.Redis`` client of a server that answers (else skip or fail)."""
    try:
        import redis  # noqa: F401
    except ImportError:
        unavailable("redis-py is not installed (pip install 'accounting-connectors[redis]')")
    client = _redis()
    if client is None:
        unavailable("Redis at 127.0.0.1:6379 is not answering")
    return client
