"""Abuse control: a token bucket per client address, kept only as a keyed, daily hash.

Why in memory, per process: it costs no write and no latency on the path of an honest
submission, and no hash of an address ever reaches a disk. A Lambda instance or a `manyi serve`
process each keep their own buckets, so the limit is per instance; the API's stage throttling
(in the infrastructure) caps the total. The key is random per process and mixed with the
Beijing date, so a bucket cannot be linked to an address, nor across days.

Why these numbers: a meeting room's Wi-Fi during a 座谈 or a carrier's NAT puts many honest
people behind one address. A burst of 120 lets a whole meeting submit within a minute, and one
more every second after that is far above what honest people behind one address send, while a
script is slowed to a trickle that shows up in the monthly figures.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import os
import threading
from typing import NamedTuple

DEFAULT_BURST = 120
DEFAULT_PER_MINUTE = 60
# Above this many buckets, full ones (clients quiet for a while) are dropped.
MAX_BUCKETS = 50_000


class RateLimit(NamedTuple):
    burst: int = DEFAULT_BURST
    per_minute: float = DEFAULT_PER_MINUTE

    @classmethod
    def parse(cls, text: str) -> RateLimit | None:
        """`BURST/PER_MINUTE` (e.g. `120/60`), or `off` for no limit."""
        if text.strip().lower() == "off":
            return None
        burst, _, per_minute = text.partition("/")
        limit = cls(int(burst), float(per_minute or DEFAULT_PER_MINUTE))
        if limit.burst < 1 or limit.per_minute <= 0:
            raise ValueError(f"rate limit {text!r}: burst and rate must be positive")
        return limit

    @classmethod
    def from_environment(cls) -> RateLimit | None:
        return cls.parse(
            os.environ.get("MANYI_RATE_LIMIT", f"{DEFAULT_BURST}/{DEFAULT_PER_MINUTE}")
        )


class RateLimiter:
    def __init__(self, limit: RateLimit, secret: bytes | None = None) -> None:
        self.limit = limit
        self._secret = secret if secret is not None else os.urandom(32)
        self._per_second = limit.per_minute / 60
        self._buckets: dict[bytes, tuple[float, float]] = {}  # key -> (tokens, at)
        self._day = ""
        self._lock = threading.Lock()

    def client_key(self, address: str, day: str) -> bytes:
        message = f"{day}|{address}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).digest()[:16]

    def take(self, address: str, day: str, now: float) -> int:
        """Take one token for `address`; 0 if granted, else the seconds to wait (Retry-After)."""
        key = self.client_key(address, day)
        with self._lock:
            if day != self._day:
                self._buckets.clear()
                self._day = day
            tokens, at = self._buckets.get(key, (float(self.limit.burst), now))
            tokens = min(float(self.limit.burst), tokens + (now - at) * self._per_second)
            if tokens < 1:
                self._buckets[key] = (tokens, now)
                return max(1, math.ceil((1 - tokens) / self._per_second))
            self._buckets[key] = (tokens - 1, now)
            if len(self._buckets) > MAX_BUCKETS:
                self._forget_quiet(now)
            return 0

    def _forget_quiet(self, now: float) -> None:
        burst = float(self.limit.burst)
        self._buckets = {
            key: (tokens, at)
            for key, (tokens, at) in self._buckets.items()
            if tokens + (now - at) * self._per_second < burst
        }
