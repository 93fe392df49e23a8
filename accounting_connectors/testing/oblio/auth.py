"""The Oblio fake's token endpoint: OAuth client credentials at ``POST api/authorize/token`` (§1)."""

from __future__ import annotations

import secrets
from typing import Any

from ..routes import route
from ..wire import FakeRequest, Reply
from . import texts
from .records import TOKEN_SECONDS, _Token
from .rules import _refuse
from .state import OblioState


class AuthRoutes(OblioState):
    """``POST api/authorize/token``: form or JSON client credentials, Bearer tokens on the fake's clock."""

    # Authentication.

    def _token_fields(self, request: FakeRequest) -> dict[str, Any]:
        kind = request.headers.get("Content-Type", "")
        try:
            if "json" in kind:
                body = request.json()
                return body if isinstance(body, dict) else {}
            if "x-www-form-urlencoded" in kind or "multipart" in kind:
                return dict(request.form())
        except ValueError:
            return {}
        return {}

    @route("POST", "api/authorize/token")
    def token(self, request: FakeRequest) -> Reply:
        """Client credentials: form (doc, OB-WOO, OB-GO-OFF) or JSON (OB-PHP, OB-JS); no envelope."""
        kind = request.headers.get("Content-Type", "")
        if not any(word in kind for word in ("json", "x-www-form-urlencoded", "multipart")):
            raise _refuse(texts.ERR_TOKEN_CONTENT_TYPE)  # OB-GO: the token request needs a Content-Type
        fields = self._token_fields(request)
        grant = fields.get("grant_type")
        if grant not in (None, "", "client_credentials"):
            raise _refuse(texts.ERR_GRANT_TYPE.format(grant=grant))
        user = self._users.get(str(fields.get("client_id") or "").casefold())
        if user is None or not secrets.compare_digest(str(fields.get("client_secret") or ""), user.secret):
            raise _refuse(texts.ERR_CLIENT_CREDENTIALS, 401)
        now = self.clock.time()
        value = secrets.token_hex(20)
        self._tokens[value] = _Token(value, user.email.casefold(), now + TOKEN_SECONDS)
        self._issued += 1
        return Reply.json(
            {
                "access_token": value,
                "expires_in": str(TOKEN_SECONDS),
                "token_type": "Bearer",
                "scope": "",
                "request_time": str(int(now)),
            }
        )
