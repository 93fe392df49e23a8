"""What an order system's accounting-integration screen offers, as one frozen value."""

from __future__ import annotations

import enum
from collections.abc import Mapping

import attrs

from ..errors import ConfigurationError


class Numbering(enum.Enum):
    """Who numbers the documents."""

    PROVIDER = "provider"
    """The provider assigns the number in the (mapped) series."""
    EXTERNAL = "external"
    """The caller's own ``series``/``number`` are passed to the provider."""


class SeriesRule(enum.Enum):
    """What to do with a local series instead of naming a provider series."""

    PROVIDER_DEFAULT = "provider default"
    """Issue in the provider's default series."""
    DO_NOT_SEND = "do not send"
    """Skip the document; it is reported as skipped."""


class PaymentFallback(enum.Enum):
    """What to do with a payment method the mapping does not name."""

    FAIL = "fail"
    """Refuse the document, naming the unmapped method."""


@attrs.frozen(kw_only=True)
class IntegrationSettings:
    """The export settings of one order system for one provider account.

    Attributes:
        numbering: the provider's numbering, or the caller's own (``EXTERNAL``), which
            needs a provider whose API accepts it.
        series: local series name to a provider series name, or a :class:`SeriesRule`.
        unmapped_series: what a local series missing from ``series`` does.
        payment_types: local payment method name to the provider's payment type name.
        unmapped_payment: a provider payment type to use for unmapped methods, or
            ``PaymentFallback.FAIL``.
        transfer_sku: ask the provider to take the lines' SKUs out of stock.
        warehouse: the provider's warehouse for ``transfer_sku`` (when it needs one).
        send_payment_date: send the date of payment; when off, it is left out.
        use_provider_document: fetch the provider's PDF (or link) into each result,
            for the order system to e-mail or print instead of its own.
        stop_after_failure: in bulk, stop at the first failed document.
        max_concurrency: documents in flight at once in bulk (the rate limiter still
            paces every call below the provider's limit).
    """

    numbering: Numbering = Numbering.PROVIDER
    series: Mapping[str, str | SeriesRule] = attrs.field(factory=dict)
    unmapped_series: SeriesRule = SeriesRule.PROVIDER_DEFAULT
    payment_types: Mapping[str, str] = attrs.field(factory=dict)
    unmapped_payment: str | PaymentFallback = PaymentFallback.FAIL
    transfer_sku: bool = False
    warehouse: str | None = None
    send_payment_date: bool = True
    use_provider_document: bool = False
    stop_after_failure: bool = False
    max_concurrency: int = 4

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.numbering, Numbering):
            raise ConfigurationError(f"numbering must be a Numbering, not {self.numbering!r}")
        for local, target in self.series.items():
            if not isinstance(target, SeriesRule) and not (isinstance(target, str) and target.strip()):
                raise ConfigurationError(
                    f"series[{local!r}] must name a provider series or be a SeriesRule, not {target!r}"
                )
        for local, target in self.payment_types.items():
            if not (isinstance(target, str) and target.strip()):
                raise ConfigurationError(f"payment_types[{local!r}] must name a provider payment type")
        if not isinstance(self.unmapped_series, SeriesRule):
            raise ConfigurationError(
                f"unmapped_series must be SeriesRule.PROVIDER_DEFAULT or SeriesRule.DO_NOT_SEND, "
                f"not {self.unmapped_series!r}"
            )
        if isinstance(self.unmapped_payment, str) and not self.unmapped_payment.strip():
            raise ConfigurationError("unmapped_payment must name a provider payment type or be PaymentFallback.FAIL")
        if self.warehouse is not None and not self.transfer_sku:
            raise ConfigurationError("warehouse is set but transfer_sku is off: turn transfer_sku on or drop warehouse")
        if self.max_concurrency < 1:
            raise ConfigurationError(f"max_concurrency must be at least 1, not {self.max_concurrency}")
