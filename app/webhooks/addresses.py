"""Where a webhook may be sent: the URL rules checked when a subscription is written, and the
address rules checked at each delivery, so a webhook cannot reach the inside of the network.

* The URL is absolute `http` or `https` (`https` only in production), with a host, without
  user name or password (they would be kept and shown like the rest of the URL), at most
  2048 characters.
* At delivery the host is resolved, and every address it resolves to must be public: no
  private (RFC 1918, unique-local), loopback, link-local (which holds the cloud metadata
  address 169.254.169.254), carrier-grade NAT, multicast, reserved or unspecified address,
  nor an IPv6 form of one (IPv4-mapped, 6to4, Teredo). The request then goes to the address
  that was checked (not to a second lookup, which a rebinding DNS server could answer
  differently), with the URL's host name in `Host` and in TLS (SNI and the certificate).
* `WEBHOOK_ALLOW_PRIVATE=true` lifts the address rules (development and tests only).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

MAX_URL_LENGTH = 2048
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class RefusedUrl(ValueError):
    """A URL a subscription may not have; `code` is the API's error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class RefusedAddress(Exception):
    """A destination refused at delivery (its text is the delivery's `last_error`)."""


def _split(url: str) -> SplitResult:
    if len(url) > MAX_URL_LENGTH:
        raise RefusedUrl("invalid_url", f"`url` is longer than {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (a port out of range raises here)
    except ValueError:
        raise RefusedUrl("invalid_url", "`url` is not a valid URL") from None
    return parts


def public_address(address: IPAddress) -> bool:
    """Whether `address` is on the public internet (and so a webhook may be sent to it)."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address.teredo is not None:
            embedded = address.teredo[1]
        if embedded is not None and not public_address(embedded):
            return False
    return address.is_global and not address.is_multicast


def check_url(url: str, *, require_https: bool, allow_private: bool) -> str:
    """`url` if a subscription may have it, else RefusedUrl. A host that is an IP address
    is checked here already; a host name is checked at each delivery (its addresses may
    change)."""
    parts = _split(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RefusedUrl("invalid_url", "`url` must be an absolute http or https URL")
    if require_https and parts.scheme != "https":
        raise RefusedUrl("https_required", "`url` must be an https URL")
    if parts.username is not None or parts.password is not None:
        raise RefusedUrl(
            "invalid_url",
            "`url` must not hold a user name or password: authenticate the "
            "webhook by its signature",
        )
    if parts.fragment:
        raise RefusedUrl("invalid_url", "`url` must not have a #fragment")
    if not allow_private:
        try:
            literal: IPAddress | None = ipaddress.ip_address(parts.hostname)
        except ValueError:
            literal = None
        if (literal is not None and not public_address(literal)) or _local_name(parts.hostname):
            raise RefusedUrl(
                "private_address",
                "`url` names a private, loopback or link-local address; webhooks go to "
                "public addresses only",
            )
    return url


def _local_name(host: str) -> bool:
    host = host.lower().rstrip(".")
    return host == "localhost" or host.endswith((".localhost", ".local", ".internal"))


@dataclass(frozen=True)
class Destination:
    """Where one delivery goes: the URL to request (its host replaced by the address that
    was checked), the host name for `Host` and TLS, and that address."""

    url: str
    host: str  # the Host header: the URL's host and port
    server_name: str  # the name TLS asks for and checks the certificate against
    address: str


async def resolve(url: str, *, allow_private: bool) -> Destination:
    """The destination of `url` now, or RefusedAddress when its host does not resolve or
    resolves to any address that is not public."""
    parts = _split(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        literal: IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [literal]
    else:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
        except (OSError, UnicodeError) as exc:
            raise RefusedAddress(f"cannot resolve {host}: {exc}") from None
        addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
        if not addresses:
            raise RefusedAddress(f"cannot resolve {host}")
    if not allow_private:
        refused = [a for a in addresses if not public_address(a)]
        if refused or _local_name(host):
            raise RefusedAddress(
                f"{host} resolves to a private, loopback or link-local address "
                f"({refused[0] if refused else host}); refused"
            )
    chosen = addresses[0]
    netloc = f"[{chosen}]" if chosen.version == 6 else str(chosen)
    if parts.port is not None:
        netloc += f":{parts.port}"
    target = parts._replace(netloc=netloc).geturl()
    host_header = host if parts.port is None else f"{host}:{parts.port}"
    if ":" in host and parts.port is None:
        host_header = f"[{host}]"
    elif ":" in host:
        host_header = f"[{host}]:{parts.port}"
    return Destination(url=target, host=host_header, server_name=host, address=str(chosen))
