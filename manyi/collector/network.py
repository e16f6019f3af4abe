"""The sender's network as the integrity signals see it: a keyed hash of its prefix, per day.

A response keeps `network`: the first 8 bytes (hex) of HMAC-SHA-256, under the office day's key
(manyi.store.network_keys), of the sender's network prefix: the /24 of an IPv4 address, the
/48 of an IPv6 one (an IPv4-mapped IPv6 address counts as IPv4). Why a prefix: one phone
moving between addresses of its carrier's pool, or one office's machines, stay one network.
Why keyed and daily: with the key, responses of one day can be grouped; without it (and it is
destroyed once the month is closed) no address can be tested against a hash, and no two days
can be joined. The address itself is never stored or logged; it lives only in this call.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import threading
from datetime import date

from manyi.store.errors import StoreMisconfigured, StoreUnavailable
from manyi.store.network_keys.base import NetworkKeyError, NetworkKeys

HASH_BYTES = 8
IPV4_PREFIX = 24
IPV6_PREFIX = 48

log = logging.getLogger(__name__)


def network_prefix(address: str) -> str:
    """`203.0.113.0/24` or `2001:db8:1::/48`; "" for anything that is not an IP address."""
    try:
        ip = ipaddress.ip_address(address.strip().split("%", 1)[0])
    except ValueError:
        return ""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    bits = IPV4_PREFIX if ip.version == 4 else IPV6_PREFIX
    return str(ipaddress.ip_network(f"{ip}/{bits}", strict=False))


def network_hash(key: bytes, address: str) -> str:
    prefix = network_prefix(address)
    if not prefix:
        return ""
    return hmac.new(key, prefix.encode("ascii"), hashlib.sha256).digest()[:HASH_BYTES].hex()


class NetworkHasher:
    """Hashes senders' networks under the day's key, keeping only today's key in memory."""

    def __init__(self, keys: NetworkKeys) -> None:
        self.keys = keys
        self._day: date | None = None
        self._key = b""
        self._lock = threading.Lock()

    def hash(self, address: str, day: date) -> str:
        """The network hash, or "" when the key store fails: a response is never refused for
        want of its network (the signals then simply do not see it)."""
        with self._lock:
            if self._day != day:
                try:
                    self._key = self.keys.key(day)
                except (NetworkKeyError, StoreUnavailable, StoreMisconfigured) as error:
                    log.warning("network key unavailable: %s", error)
                    return ""
                self._day = day
            key = self._key
        return network_hash(key, address)
