"""The client's address: the peer of the socket, or, when that peer is one of the operator's
own proxies (`TRUSTED_PROXIES`), the address those proxies recorded in the forwarding
header they set (`TRUSTED_PROXY_HEADER`: `X-Forwarded-For` or RFC 7239 `Forwarded`).

The header is read from the right: each trusted proxy appends the address it received the
request from, so the rightmost hop that is not one of ours is the client as our edge saw it.
Everything to its left was written by the client (or by proxies we know nothing of) and can
be anything, so it is never used. A peer that is not trusted is the client, whatever it sends.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from litestar.types import Scope

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
PROXY_HEADERS = ("x-forwarded-for", "forwarded")


def parse_address(text: str) -> IPAddress | None:
    """An address as a socket or a forwarding header gives it (`203.0.113.7`, `::1`,
    `"[2001:db8::1]:4711"`, `198.51.100.1:80`), IPv4-mapped IPv6 as IPv4; None if none."""
    text = text.strip().strip('"')
    if text.startswith("["):
        text = text[1 : text.find("]")] if "]" in text else ""
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]  # IPv4 with a port
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _forwarded_for(value: str) -> list[str]:
    """The `for=` values of a `Forwarded` field (RFC 7239), leftmost first."""
    hops: list[str] = []
    for element in value.split(","):
        for pair in element.split(";"):
            name, _, node = pair.partition("=")
            if name.strip().lower() == "for":
                hops.append(node.strip())
    return hops


class ClientAddresses:
    """Finds the client's address of a request (see the module's docstring)."""

    def __init__(self, trusted_proxies: Iterable[str], header: str) -> None:
        if header.lower() not in PROXY_HEADERS:
            raise ValueError(f"the proxy header is one of {PROXY_HEADERS}, not {header!r}")
        self.trusted: tuple[IPNetwork, ...] = tuple(
            ipaddress.ip_network(network.strip(), strict=False) for network in trusted_proxies
        )
        self.header = header.lower().encode("ascii")

    def _is_trusted(self, address: IPAddress) -> bool:
        return any(address in network for network in self.trusted)

    def of(self, scope: Scope) -> str:
        """The client's address (as text; the peer's own text when it is not an address)."""
        client = scope.get("client")
        peer_text = client[0] if client else ""
        if not self.trusted:
            return peer_text
        peer = parse_address(peer_text)
        if peer is None or not self._is_trusted(peer):
            return peer_text
        values = [bytes(v).decode("latin-1") for k, v in scope["headers"] if k == self.header]
        joined = ",".join(values)
        hops = _forwarded_for(joined) if self.header == b"forwarded" else joined.split(",")
        found = peer
        for hop in reversed(hops):
            address = parse_address(hop)
            if address is None:
                break  # garbage left of our proxies: the last address we trust is all we know
            found = address
            if not self._is_trusted(address):
                break
        return str(found)

    def peer_is_trusted(self, scope: Scope) -> bool:
        """Whether the socket's peer is one of our proxies (whose other headers, such as
        `X-Request-Start`, are believed too)."""
        client = scope.get("client")
        peer = parse_address(client[0]) if client else None
        return peer is not None and self._is_trusted(peer)
