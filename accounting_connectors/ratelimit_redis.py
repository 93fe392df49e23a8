"""A rate limiter on Redis, shared by every worker on every machine that uses a credential.

Install the extra: ``pip install 'accounting-connectors[redis]'``.

:class:`RedisLimiter` keeps exactly the books of the in-process
:class:`~accounting_connectors.ratelimit.CredentialLimiter`, in Redis instead of in
memory: for each of the provider's limits, the last *N* calls with when each was sent and
when its answer came back; a call's slot is given up one window after its answer (or,
while it is in flight, after the slowest recent answer); a provider's penalty
(:meth:`~RedisLimiter.block_until`) holds the credential for every worker. Each
operation is one Lua script, so two workers can never both take the last slot of a
window.

Times are kept on the Redis server's clock (``TIME``), so the machines' own clocks need
not agree: the script answers with a delay ("send in 0.8 s") that each worker turns into
a deadline on its own monotonic clock. The keys of one credential share a hash tag
(``{provider:fingerprint}``), so the scripts also run on Redis Cluster.

::

    import redis
    from accounting_connectors.ratelimit_redis import RedisLimiter

    shared = redis.Redis(host="redis.internal")
    credentials = {"username": ..., "token": ..., "company_vat_code": ...}
    limiter = RedisLimiter.for_settings(shared, "smartbill", credentials)
    conn = ac.connect("smartbill", limiter=limiter, **credentials)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

try:
    import redis
except ImportError as error:  # pragma: no cover - the extra is installed in tests
    raise ImportError("RedisLimiter needs redis-py: pip install 'accounting-connectors[redis]'") from error

from .clock import SYSTEM_CLOCK, Clock
from .errors import RateLimited
from .limits import RateLimit, RateLimitState
from .provider import Provider
from .ratelimit import Slot

__all__ = ["RedisLimiter", "RedisSlot"]

# KEYS of every script: 1 slots (hash id -> "start end refs"), 2 sequence, 3 blocked
# until, 4 not before, 5 recent latencies, 6.. one list of slot ids per limit, oldest
# first. ARGV[1] is "now" ("" for the server's TIME), ARGV[2] the keys' time to live (ms).
_COMMON = """
local function clock(arg)
  if arg ~= '' then return tonumber(arg) end
  local t = redis.call('TIME')
  return tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local function fmt(x) return string.format('%.6f', x) end
local function parse(value)
  local s, e, r = string.match(value, '^(%S+) (%S+) (%S+)$')
  if e == '-' then e = nil else e = tonumber(e) end
  return tonumber(s), e, tonumber(r)
end
local function store(id, s, e, r)
  redis.call('HSET', KEYS[1], id, fmt(s) .. ' ' .. (e and fmt(e) or '-') .. ' ' .. r)
end
local function latency()
  local worst = 0
  for _, v in ipairs(redis.call('LRANGE', KEYS[5], 0, -1)) do
    local x = tonumber(v)
    if x > worst then worst = x end
  end
  return worst
end
local function released(id, lat)
  local value = redis.call('HGET', KEYS[1], id)
  if not value then return nil end
  local s, e = parse(value)
  return e or (s + lat)
end
local function drop(id)
  local value = redis.call('HGET', KEYS[1], id)
  if not value then return end
  local s, e, r = parse(value)
  if r <= 1 then redis.call('HDEL', KEYS[1], id) else store(id, s, e, r - 1) end
end
local function push(key, id, calls)
  redis.call('RPUSH', key, id)
  while redis.call('LLEN', key) > calls do drop(redis.call('LPOP', key)) end
end
local function touch()
  local ttl = tonumber(ARGV[2])
  for i = 1, #KEYS do
    if i ~= 3 then redis.call('PEXPIRE', KEYS[i], ttl) end
  end
end
"""

# ARGV[3] = number of limits, then per limit: calls, span, applies (1/0).
_RESERVE = (
    _COMMON
    + """
local now = clock(ARGV[1])
local blocked = tonumber(redis.call('GET', KEYS[3]) or '0')
if blocked > now then return {'blocked', fmt(blocked), fmt(now)} end
local lat = latency()
local start = math.max(now, tonumber(redis.call('GET', KEYS[4]) or '0'))
local applies = {}
local n = tonumber(ARGV[3])
for i = 1, n do
  local calls, span = tonumber(ARGV[1 + 3 * i]), tonumber(ARGV[2 + 3 * i])
  if ARGV[3 + 3 * i] == '1' then
    local key = KEYS[5 + i]
    applies[#applies + 1] = i
    if redis.call('LLEN', key) >= calls then
      local oldest = released(redis.call('LINDEX', key, -calls), lat)
      if oldest and oldest + span > start then start = oldest + span end
    end
  end
end
local id = redis.call('INCR', KEYS[2])
store(id, start, nil, #applies)
if #applies == 0 then redis.call('HDEL', KEYS[1], id) end
for _, i in ipairs(applies) do push(KEYS[5 + i], id, tonumber(ARGV[1 + 3 * i])) end
touch()
return {'ok', tostring(id), fmt(start), fmt(now)}
"""
)

# ARGV[3] = slot id.
_SENT = (
    _COMMON
    + """
local now = clock(ARGV[1])
local value = redis.call('HGET', KEYS[1], ARGV[3])
if value then
  local s, e, r = parse(value)
  store(ARGV[3], math.max(s, now), e, r)
end
return fmt(now)
"""
)

_RELEASE = (
    _COMMON
    + """
local now = clock(ARGV[1])
local value = redis.call('HGET', KEYS[1], ARGV[3])
if value then
  local s, e, r = parse(value)
  local finish = math.max(now, s)
  store(ARGV[3], s, finish, r)
  redis.call('RPUSH', KEYS[5], fmt(finish - s))
  redis.call('LTRIM', KEYS[5], -16, -1)
  touch()
end
return fmt(now)
"""
)

# ARGV[3] = retry_at (wall-clock).
_BLOCK = (
    _COMMON
    + """
local now = clock(ARGV[1])
local until_ = math.max(tonumber(ARGV[3]), tonumber(redis.call('GET', KEYS[3]) or '0'))
if until_ > now then
  redis.call('SET', KEYS[3], fmt(until_), 'PX', math.ceil((until_ - now) * 1000) + 1000)
end
return fmt(until_)
"""
)

_BLOCKED = (
    _COMMON
    + """
local now = clock(ARGV[1])
local blocked = tonumber(redis.call('GET', KEYS[3]) or '0')
if blocked > now then return fmt(blocked) end
return false
"""
)

# ARGV[3] remaining, ARGV[4] reset_at or "", ARGV[5] number of limits, then as reserve.
_OBSERVE = (
    _COMMON
    + """
local now = clock(ARGV[1])
local remaining = tonumber(ARGV[3])
local lat = latency()
local surprised = false
local n = tonumber(ARGV[5])
for i = 1, n do
  local calls, span = tonumber(ARGV[3 + 3 * i]), tonumber(ARGV[4 + 3 * i])
  if ARGV[5 + 3 * i] == '1' then
    local key = KEYS[5 + i]
    local horizon = now - span
    local counted = 0
    for _, id in ipairs(redis.call('LRANGE', key, -calls, -1)) do
      local r = released(id, lat)
      if r and r > horizon then counted = counted + 1 end
    end
    for _ = 1, (calls - counted) - remaining do
      -- A call we did not make (another program on the same account) takes room.
      local id = redis.call('INCR', KEYS[2])
      store(id, now, now, 1)
      push(key, id, calls)
      surprised = true
    end
  end
end
if surprised and remaining <= 0 and ARGV[4] ~= '' then
  local wait = math.max(tonumber(ARGV[4]) - now, 0)
  local nb = math.max(now + wait, tonumber(redis.call('GET', KEYS[4]) or '0'))
  redis.call('SET', KEYS[4], fmt(nb))
end
touch()
return fmt(now)
"""
)


class RedisSlot(Slot):
    """A :class:`~accounting_connectors.ratelimit.Slot` with its id in Redis.

    ``start`` and ``end`` are on this process's monotonic clock, as for every slot;
    ``shared_start`` is the start the script booked, on the shared clock (the Redis
    server's, unless ``server_time=False``), where every worker's slots are compared.
    """

    __slots__ = ("id", "shared_start")

    def __init__(self, id: str, start: float, shared_start: float) -> None:
        super().__init__(start)
        self.id = id
        self.shared_start = shared_start

    def __repr__(self) -> str:
        return f"RedisSlot(id={self.id!r}, start={self.start!r}, end={self.end!r})"


class RedisLimiter:
    """The limits of one credential at one provider, kept in Redis for every worker.

    A drop-in for :class:`~accounting_connectors.ratelimit.CredentialLimiter`: pass it as
    ``limiter=`` to :func:`~accounting_connectors.connect` (or ``connect_async``). Every
    method is one round trip to Redis; the async driver makes it on its event loop, as
    it does the in-process limiter's short critical sections.

    Args:
        client: a ``redis.Redis`` client (``decode_responses`` either way).
        provider: the provider's registered name, e.g. ``"smartbill"``.
        fingerprint: the credential's fingerprint
            (``Provider.credential_fingerprint()``), never the secret itself.
        limits: the provider's limits (``Provider.rate_limits``).
        clock: the clock the connector sleeps on; the slot's start is a deadline on its
            ``monotonic`` clock. Pass the connector's own clock when it has one.
        margin: widen each window by this fraction, for network jitter (as the
            in-process limiter).
        prefix: the first part of every key.
        server_time: keep the books on the Redis server's clock (the default: the
            machines' clocks need not agree). ``False`` keeps them on ``clock.time()``,
            for tests on a virtual clock shared by every worker.
        idle_seconds: the keys expire after this long without calls (default: the
            longest window plus an hour, the longest a call is expected to be in flight).
    """

    def __init__(
        self,
        client: redis.Redis,
        provider: str,
        fingerprint: str,
        limits: Sequence[RateLimit],
        *,
        clock: Clock = SYSTEM_CLOCK,
        margin: float = 0.02,
        prefix: str = "accounting-connectors:ratelimit",
        server_time: bool = True,
        idle_seconds: float | None = None,
    ) -> None:
        self.client = client
        self.provider = provider
        self.fingerprint = fingerprint
        self.limits = tuple(limits)
        self._clock = clock
        self._spans = [limit.per_seconds * (1.0 + margin) for limit in self.limits]
        self._server_time = server_time
        longest = max(self._spans, default=0.0)
        self._ttl_ms = str(math.ceil(1000 * (idle_seconds if idle_seconds is not None else longest + 3600.0)))
        base = f"{prefix}:{{{provider}:{fingerprint}}}"
        self.key_prefix = base
        """Every key of this credential starts with this (for inspection and clean-up)."""
        self._keys = [f"{base}:slots", f"{base}:seq", f"{base}:blocked", f"{base}:not-before", f"{base}:latency"]
        self._keys += [
            f"{base}:window:{limit.scope.value}:{limit.calls}:{limit.per_seconds!r}" for limit in self.limits
        ]
        self._reserve = client.register_script(_RESERVE)
        self._sent = client.register_script(_SENT)
        self._release = client.register_script(_RELEASE)
        self._block = client.register_script(_BLOCK)
        self._blocked = client.register_script(_BLOCKED)
        self._observe = client.register_script(_OBSERVE)

    @classmethod
    def for_provider(cls, client: redis.Redis, provider: Provider, **options: Any) -> RedisLimiter:
        """The limiter of ``provider``'s credential, with its documented limits."""
        return cls(client, provider.name, provider.credential_fingerprint(), provider.rate_limits, **options)

    @classmethod
    def for_settings(
        cls, client: redis.Redis, provider: str, settings: Mapping[str, Any], **options: Any
    ) -> RedisLimiter:
        """The limiter of the credential in ``settings`` (what ``connect(provider, settings)`` takes)."""
        from .registry import provider_class

        return cls.for_provider(client, provider_class(provider).configure(**settings), **options)

    def __repr__(self) -> str:
        return f"RedisLimiter({self.provider!r}, {self.fingerprint!r})"

    def _now(self) -> str:
        return "" if self._server_time else repr(self._clock.time())

    def _args(self, *args: object) -> list[str]:
        return [self._now(), self._ttl_ms, *(str(arg) for arg in args)]

    def _limits(self, creates: bool, writes: bool | None) -> list[str]:
        args = [str(len(self.limits))]
        for limit, span in zip(self.limits, self._spans, strict=True):
            args += [str(limit.calls), repr(span), "1" if limit.applies(creates, writes) else "0"]
        return args

    @property
    def blocked_until(self) -> float | None:
        """Wall-clock time until which the provider has blocked this credential, if it has."""
        answer = self._blocked(keys=self._keys, args=self._args())
        return None if answer is None else float(_text(answer))

    def reserve(self, *, creates: bool, writes: bool | None = None) -> Slot:
        """Book a slot for one call; send it at ``slot.start`` and :meth:`release` it after.

        Raises:
            RateLimited: the provider has blocked the credential (for any worker); no
                call may be sent before ``retry_at``.
        """
        answer = [
            _text(part) for part in self._reserve(keys=self._keys, args=self._args(*self._limits(creates, writes)))
        ]
        local = self._clock.monotonic()
        if answer[0] == "blocked":
            raise RateLimited(
                "the provider has blocked these credentials for exceeding its rate limit; no call is sent before "
                "retry_at",
                retry_at=float(answer[1]),
            )
        _, slot_id, start, now = answer
        return RedisSlot(slot_id, local + max(float(start) - float(now), 0.0), float(start))

    def sent(self, slot: Slot) -> None:
        """Mark the call in ``slot`` as leaving now: its window starts no earlier than this."""
        slot.start = max(slot.start, self._clock.monotonic())
        if isinstance(slot, RedisSlot):
            self._sent(keys=self._keys, args=self._args(slot.id))

    def release(self, slot: Slot) -> None:
        """Mark the call in ``slot`` answered (or failed): its window runs from now."""
        slot.end = max(self._clock.monotonic(), slot.start)
        if isinstance(slot, RedisSlot):
            self._release(keys=self._keys, args=self._args(slot.id))

    def block_until(self, retry_at: float) -> None:
        """Refuse every call, from every worker, until wall-clock ``retry_at`` (the provider's penalty)."""
        self._block(keys=self._keys, args=self._args(repr(retry_at)))

    def observe(self, state: RateLimitState, *, creates: bool, writes: bool | None = None) -> None:
        """Correct the shared count with the provider's view (other programs may share the account)."""
        if state.remaining is None:
            return
        reset = "" if state.reset_at is None else repr(state.reset_at)
        self._observe(keys=self._keys, args=self._args(state.remaining, reset, *self._limits(creates, writes)))

    def clear(self) -> None:
        """Forget every call and block of this credential (for tests and tear-downs)."""
        self.client.delete(*self._keys)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
