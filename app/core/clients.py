"""Who the client is: the socket's peer, or the address a trusted proxy forwarded.

`TRUSTED_PROXIES` lists the addresses or networks of the reverse proxies in front of the
API. A request's `X-Forwarded-For` is believed only when its peer is one of them, and then
only as far as the chain stays within them: the client is the right-most address that is not
a trusted proxy. Anything else (no proxies configured, a peer that is not one) gives the
socket's peer, so a client cannot choose the address it is logged or limited as.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_trusted_proxies(values: Iterable[str]) -> tuple[Network, ...]:
    """Each value an address or a CIDR network; ValueError naming the first bad one."""
    networks: list[Network] = []
    for value in values:
        text = value.strip()
        if not text:
            continue
        try:
            networks.append(ipaddress.ip_network(text, strict=False))
        except ValueError:
            raise ValueError(f"{text!r} is not an IP address or network") from None
    return tuple(networks)


class TrustedProxies:
    __slots__ = ("networks",)

    def __init__(self, values: Iterable[str]) -> None:
        self.networks = parse_trusted_proxies(values)

    def trusts(self, address: str) -> bool:
        if not self.networks:
            return False
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.networks)

    def client_address(self, peer: str | None, forwarded_for: bytes | None) -> str | None:
        """The client's address: `peer`, or from `forwarded_for` (X-Forwarded-For) when
        `peer` is a trusted proxy."""
        if peer is None or forwarded_for is None or not self.trusts(peer):
            return peer
        hops = [hop.strip() for hop in forwarded_for.decode("latin-1").split(",")]
        client = peer
        for hop in reversed(hops):
            try:
                ipaddress.ip_address(hop)
            except ValueError:
                break  # garbage in the chain: believe nothing left of it
            client = hop
            if not self.trusts(hop):
                break
        return client
