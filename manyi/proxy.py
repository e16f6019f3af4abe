"""The citizen's address behind a reverse proxy, believed only from the proxies we trust.

Behind nginx, every request's peer is the proxy, so the rate limiter would see one client.
The proxy names the real one in `X-Real-IP` (and `X-Forwarded-For`), but anyone can send those
headers: they are read only when the peer itself is a trusted proxy (`--trusted-proxy`), and
otherwise ignored. The address is used in memory (the rate limiter's HMAC); it is never stored.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_trusted(values: Iterable[str]) -> tuple[Network, ...]:
    """Addresses or networks (`127.0.0.1`, `10.0.0.0/8`, `::1`); ValueError names a bad one."""
    networks: list[Network] = []
    for value in values:
        for part in value.split(","):
            if part.strip():
                try:
                    networks.append(ipaddress.ip_network(part.strip(), strict=False))
                except ValueError as error:
                    raise ValueError(f"not an address or network: {part.strip()!r}") from error
    return tuple(networks)


def client_address(peer: str, headers: Mapping[str, str], trusted: tuple[Network, ...]) -> str:
    """The client's address: the proxy's word for it if `peer` is trusted, else `peer`.

    `headers` has lower-case names. X-Real-IP first (our nginx configuration sets it);
    else the right-most X-Forwarded-For entry that is not itself a trusted proxy.
    """
    if not trusted or not is_trusted(peer, trusted):
        return peer
    real = _address(headers.get("x-real-ip", ""))
    if real is not None:
        return real
    for entry in reversed(headers.get("x-forwarded-for", "").split(",")):
        forwarded = _address(entry)
        if forwarded is None:
            break  # a hop we cannot read: do not believe anything left of it
        if not is_trusted(forwarded, trusted):
            return forwarded
    return peer


def is_trusted(address: str, trusted: tuple[Network, ...]) -> bool:
    parsed = _ip(address)
    return parsed is not None and any(parsed in network for network in trusted)


def _address(text: str) -> str | None:
    parsed = _ip(text.strip())
    return None if parsed is None else str(parsed)


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        parsed = ipaddress.ip_address(text)
    except ValueError:
        return None
    # An IPv4 peer on a dual-stack socket arrives as ::ffff:a.b.c.d.
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        return parsed.ipv4_mapped
    return parsed
