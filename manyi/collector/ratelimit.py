"""Abuse control: a token bucket per client address, kept only as a keyed, daily hash, and
where that address is found behind a CDN.

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
from collections.abc import Mapping
from typing import NamedTuple

DEFAULT_BURST = 120
DEFAULT_PER_MINUTE = 60
# Above this many buckets, full ones (clients quiet for a while) are dropped.
MAX_BUCKETS = 50_000
# The header CloudFront adds to every request it sends to the API, with a secret value made at
# deploy time (infra/template.yaml, OriginSecret): proof that the request came through it.
ORIGIN_HEADER = "x-manyi-origin"


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


class AddressSource(NamedTuple):
    """Where a request's client address is, and when to believe it.

    Behind CloudFront, API Gateway's `sourceIp` is the edge server, shared by everyone near it,
    so the limit would key on a whole city. CloudFront passes the phone's address on, in
    `CloudFront-Viewer-Address` (where an origin request policy asks for it: the global
    partition) or as the entry it appends to `X-Forwarded-For` (always; the only way in the
    China regions). Anyone can send such headers to the API's own endpoint, and in China
    CloudFront forwards headers it does not know, so they are believed only on a request that
    carries the origin secret CloudFront adds (a viewer's own `X-Manyi-Origin` is overwritten).
    Otherwise, or when nothing is configured (`manyi serve`, `Cdn=none`), the source address
    counts.
    """

    header: str = ""  # lower case: cloudfront-viewer-address or x-forwarded-for; "" for none
    secrets: frozenset[str] = frozenset()  # the current secret and, while rotating, the last

    @classmethod
    def from_environment(cls) -> AddressSource:
        secrets = os.environ.get("MANYI_ORIGIN_SECRETS", "")
        return cls(
            header=os.environ.get("MANYI_CLIENT_ADDRESS_HEADER", "").strip().lower(),
            secrets=frozenset(s for s in (p.strip() for p in secrets.split(",")) if s),
        )

    def address(self, source_ip: str, headers: Mapping[str, str]) -> str:
        if not self.header or not self.through_cdn(headers):
            return source_ip
        given = str(headers.get(self.header, "")).strip()
        if self.header == "x-forwarded-for":
            return _appended_by_cdn(given, source_ip) or source_ip
        return _host(given) or source_ip

    def through_cdn(self, headers: Mapping[str, str]) -> bool:
        given = str(headers.get(ORIGIN_HEADER, "")).encode()
        return any(hmac.compare_digest(given, secret.encode()) for secret in self.secrets)


def _appended_by_cdn(forwarded: str, source_ip: str) -> str:
    """The entry CloudFront appended to `X-Forwarded-For`: the last one before those API
    Gateway appended (the edge server, i.e. `sourceIp`). Entries before it are whatever the
    phone sent, so never the first one."""
    entries = [e.strip() for e in forwarded.split(",") if e.strip()]
    while entries and entries[-1] == source_ip:
        entries.pop()
    return entries[-1] if entries else ""


def _host(address: str) -> str:
    """`203.0.113.7:46532` or `2001:db8::1:443` (CloudFront-Viewer-Address) without the port."""
    host, _, port = address.rpartition(":")
    return host if host and port.isdigit() else address
