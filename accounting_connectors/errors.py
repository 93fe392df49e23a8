"""One error taxonomy for every provider.

::

    AccountingError
    ├── ValidationError            local, raised before any request
    ├── UnsupportedOperation       the provider (or this connector) cannot do it
    ├── ConfigurationError         settings that can never work
    │   └── ConnectorClosed        the connector was used after it was closed
    ├── ProviderError              the provider answered with an error
    │   ├── AuthenticationError
    │   ├── PermissionDenied
    │   ├── NotFound
    │   ├── RateLimited            carries ``retry_at``
    │   ├── ProviderValidationError  carries ``field_errors``
    │   └── ServerError
    ├── TransportError             no usable answer
    │   └── Timeout
    ├── AmbiguousOutcome           a create may or may not have happened
    └── ReferenceConflict          a reference already exported with other content

Every error carries the provider, the operation, the raw response (when there was one)
and ``retry_safe``: whether sending the same request again cannot create a duplicate.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx


class AccountingError(Exception):
    """Base class of every error this library raises.

    Attributes:
        message: what went wrong, in words (the provider's own message is kept).
        provider: the provider's registered name, e.g. ``"smartbill"``.
        operation: the connector operation, e.g. ``"send_invoice"``.
        response: the provider's HTTP response, when there was one.
        retry_safe: ``True`` when repeating the same call cannot duplicate a document.
    """

    retry_safe_default = False

    def __init__(
        self,
        message: str,
        *,
        provider: str | None = None,
        operation: str | None = None,
        response: httpx.Response | None = None,
        retry_safe: bool | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.provider = provider
        self.operation = operation
        self.response = response
        self.retry_safe = self.retry_safe_default if retry_safe is None else retry_safe

    @property
    def status_code(self) -> int | None:
        """The HTTP status of the provider's answer, if any."""
        return None if self.response is None else self.response.status_code

    @property
    def raw(self) -> str | None:
        """The provider's answer body as text, if any (kept verbatim for support tickets)."""
        if self.response is None:
            return None
        try:
            return self.response.text
        except httpx.ResponseNotRead:
            return None

    def __str__(self) -> str:
        where = ".".join(part for part in (self.provider, self.operation) if part)
        return f"[{where}] {self.message}" if where else self.message

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, provider={self.provider!r}, "
            f"operation={self.operation!r}, status_code={self.status_code!r}, "
            f"retry_safe={self.retry_safe!r})"
        )


class ValidationError(AccountingError, ValueError):
    """Local validation failed; nothing was sent.

    ``field`` is a path into the document, such as ``lines[2].quantity``.
    """

    retry_safe_default = True

    def __init__(self, field: str, message: str, **kwargs: Any) -> None:
        super().__init__(f"{field}: {message}", **kwargs)
        self.field = field
        self.reason = message

    def prefixed(self, prefix: str) -> ValidationError:
        """The same error with its field path placed under ``prefix``."""
        field = f"{prefix}{self.field}" if self.field.startswith("[") else f"{prefix}.{self.field}"
        return ValidationError(field, self.reason, provider=self.provider, operation=self.operation)


class UnsupportedOperation(AccountingError, NotImplementedError):
    """The provider's API cannot do this (or this connector does not yet); nothing was sent."""

    retry_safe_default = True


class ConfigurationError(AccountingError):
    """The connector or exporter was set up in a way that can never work."""

    retry_safe_default = True


class ConnectorClosed(ConfigurationError):
    """The connector was used after it was closed (after its ``with`` block); nothing was sent."""


class ProviderError(AccountingError):
    """The provider answered, and the answer is an error."""


class AuthenticationError(ProviderError):
    """The credentials were refused (or do not own the company named); nothing was done."""

    retry_safe_default = True


class PermissionDenied(ProviderError):
    """The credentials are valid but may not do this; nothing was done."""

    retry_safe_default = True


class NotFound(ProviderError):
    """The document or resource does not exist at the provider."""

    retry_safe_default = True


class RateLimited(ProviderError):
    """The provider refused the call for exceeding its rate limit.

    ``retry_at`` is the Unix time at which calls on this credential may resume, when
    known. A rate-limited create was refused, so it is safe to send again after that.
    """

    retry_safe_default = True

    def __init__(self, message: str, *, retry_at: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_at = retry_at


class ProviderValidationError(ProviderError):
    """The provider rejected the document's content.

    ``field_errors`` maps the provider's field names (or ``""`` when it names none) to
    its messages.
    """

    retry_safe_default = True

    def __init__(
        self,
        message: str,
        *,
        field_errors: Mapping[str, list[str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.field_errors: dict[str, list[str]] = dict(field_errors or {})


class ServerError(ProviderError):
    """The provider failed (HTTP 5xx or its equivalent)."""


class MalformedAnswer(ProviderError):
    """The provider answered something that cannot be read.

    Not JSON (or XML, or a PDF) of the expected shape, too large, or undecodable. On a
    create the drivers raise ``AmbiguousOutcome`` instead: the document may exist.
    """

    retry_safe_default = True


class TransportError(AccountingError):
    """No usable answer came back: connection, TLS or protocol failure."""


class Timeout(TransportError):
    """The provider did not answer in time."""


class AmbiguousOutcome(AccountingError):
    """A call that creates a document may or may not have taken effect.

    It is never retried automatically: sending again could issue the document twice.
    Check the provider (for example the series' next number) or let the exporter's
    ledger reconcile it. ``__cause__`` holds the underlying timeout or server error.
    """

    retry_safe_default = False


class ReferenceConflict(AccountingError):
    """The reference was already exported with different content.

    The first version may be at the provider already, so the new one is not sent:
    changes to an issued document belong in the accounting system or in a correction.
    """

    retry_safe_default = False
