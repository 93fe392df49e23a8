"""Oblio's token cache and auth flow: OAuth client credentials and Bearer calls (§1, §16).

:class:`OblioAuth` keeps one access token per credential for every client of the process
(``_tokens``), fetches it inside each flow (a first ``Call``), renews it a minute before it
expires, and on a 401 ``... has expired`` / ``... is invalid`` drops it and fetches it once
more. :meth:`OblioAuth._api` is every API call with the token.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Mapping
from typing import Any, ClassVar

import attrs
import httpx

from ...errors import AuthenticationError
from ...flow import Call, Flow
from ...limits import credential_fingerprint
from ...provider import Provider, json_request, read_json
from .settings import OblioSettings

TOKEN_MARGIN = 60.0
"""Seconds before its expiry at which a cached token is renewed (earlier sheet, §2.9 REC)."""

_TOKEN_REFUSED = re.compile(r"(?i)access token provided (has expired|is invalid)")


@attrs.define
class _Token:
    value: str
    expires_at: float
    """Driver (wall-clock) time after which the token is renewed."""
    fetched: float
    """``time.monotonic()`` when fetched, a guard for connectors idle longer than the token lives."""
    lifetime: float
    seen: float
    """The latest driver time a response for this credential was read at."""


class OblioAuth(Provider):
    """The token cache shared by every Oblio connector of the process, and the calls that carry the token."""

    _tokens: ClassVar[dict[str, _Token]] = {}
    _tokens_lock: ClassVar[threading.Lock] = threading.Lock()

    settings: OblioSettings

    def __init__(self, settings: OblioSettings) -> None:
        super().__init__(settings)
        self.base_url = settings.base_url
        self._cache_key = credential_fingerprint("oblio", settings.email.casefold(), settings.api_secret, self.base_url)
        self._now = 0.0

    @classmethod
    def forget_tokens(cls) -> None:
        """Drop every cached access token (the next call of each credential fetches a new one)."""
        with cls._tokens_lock:
            cls._tokens.clear()

    # The token.

    def _observe(self, now: float) -> None:
        # Flows have no clock: the driver's time reaches a provider only with each answer.
        self._now = now
        with self._tokens_lock:
            token = self._tokens.get(self._cache_key)
            if token is not None:
                token.seen = now

    def _cached_token(self) -> str | None:
        with self._tokens_lock:
            token = self._tokens.get(self._cache_key)
            if token is None:
                return None
            if token.seen >= token.expires_at or time.monotonic() - token.fetched >= token.lifetime:
                del self._tokens[self._cache_key]
                return None
            return token.value

    def _drop_token(self, value: str) -> None:
        with self._tokens_lock:
            token = self._tokens.get(self._cache_key)
            if token is not None and token.value == value:
                del self._tokens[self._cache_key]

    def _token(self, operation: str) -> Flow[str]:
        cached = self._cached_token()
        if cached is not None:
            return cached
        # Form-encoded, as the doc posts it (the official PHP client's JSON works too, §1).
        request = httpx.Request(
            "POST",
            self.base_url + "api/authorize/token",
            data={"client_id": self.settings.email, "client_secret": self.settings.api_secret},
            headers={"Accept": "application/json"},
        )
        response = yield Call(request, operation)
        body = read_json(response)
        value = body.get("access_token") if isinstance(body, Mapping) else None
        if not isinstance(value, str) or not value:
            raise AuthenticationError("Oblio's token answer carries no access_token", response=response)
        try:
            lifetime = float(str(body.get("expires_in") or 3600))  # a string in Oblio's answer
        except ValueError:
            lifetime = 3600.0
        if not 0 < lifetime < 10 * 86400:  # NaN, infinite or absurd: assume the documented hour
            lifetime = 3600.0
        renew_after = max(lifetime - TOKEN_MARGIN, lifetime / 2)
        now = self._now  # the driver's time of this very answer (error_for ran on it)
        with self._tokens_lock:
            self._tokens[self._cache_key] = _Token(value, now + renew_after, time.monotonic(), renew_after, now)
        return value

    def _api(
        self,
        method: str,
        path: str,
        operation: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        creates: bool = False,
        deduplicated: bool = False,
    ) -> Flow[httpx.Response]:
        """One API call with the Bearer token, fetched first when needed and renewed once on a 401."""
        token = yield from self._token(operation)
        response: httpx.Response
        try:
            response = yield self._call(method, path, operation, token, params, body, creates, deduplicated)
            return response
        except AuthenticationError as error:
            if not _TOKEN_REFUSED.search(error.message):
                raise
            self._drop_token(token)
        token = yield from self._token(operation)
        response = yield self._call(method, path, operation, token, params, body, creates, deduplicated)
        return response

    def _call(
        self,
        method: str,
        path: str,
        operation: str,
        token: str,
        params: Mapping[str, str] | None,
        body: Any,
        creates: bool,
        deduplicated: bool,
    ) -> Call:
        headers = {"Authorization": f"Bearer {token}"}
        query = None if method != "GET" else {"cif": self.settings.company_vat_code, **(params or {})}
        request = json_request(method, self.base_url + path, body, headers=headers, params=query)
        return Call(request, operation, creates=creates, deduplicated=deduplicated)
