"""Which addresses a webhook may be sent to: public ones only (no server-side request forgery).

A URL is checked when it is registered and again before every delivery, because what a name
resolves to can change (DNS rebinding): every address the name resolves to must be a public
one, and the delivery then connects to an address it checked, never resolving the name again.
Loopback, private, shared (100.64/10), link-local (169.254/16, which holds the clouds'
metadata service), multicast, reserved and unspecified addresses are refused, IPv4 written
inside IPv6 included, unless PORTAL_WEBHOOK_ALLOWED_NETWORKS allows their network.

HTTPS is required, except inside those allowed networks: they are the operator's own (an
in-house receiver on a private network, the tests' loopback receiver), where a certificate may
not exist, while anything sent over the internet must not be readable on the way.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from django.conf import settings

from portal.errors import PortalError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect (the checked addresses) and what to ask for there."""

    scheme: str
    host: str
    port: int
    path: str  # with its query
    addresses: tuple[str, ...]

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


@lru_cache(maxsize=8)
def _networks(spec: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in spec if item.strip())


def allowed_networks() -> tuple[IPNetwork, ...]:
    # Read at call time, so a test (or an operator's change) takes effect without a restart.
    return _networks(tuple(settings.PORTAL_WEBHOOK_ALLOWED_NETWORKS))


def _unwrapped(address: IPAddress) -> IPAddress:
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address.sixtofour is not None:
            return address.sixtofour
        if address.teredo is not None:
            return address.teredo[1]
    return address


def is_public(address: IPAddress) -> bool:
    """Whether an address is on the public internet (not multicast, not any special range)."""
    plain = _unwrapped(address)
    return plain.is_global and not plain.is_multicast


def in_allowed_network(address: IPAddress) -> bool:
    plain = _unwrapped(address)
    return any(plain.version == net.version and plain in net for net in allowed_networks())


def parse(url: str) -> tuple[str, str, int, str]:
    """The scheme, host, port and path of a webhook URL, or WHK-U001 saying what is wrong."""
    shown = url[:200]
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise PortalError("WHK-U001", url=shown, why="it is not a valid address") from None
    if parts.scheme not in ("https", "http"):
        raise PortalError("WHK-U001", url=shown, why="it does not start with https://")
    if parts.username is not None or parts.password is not None:
        raise PortalError("WHK-U001", url=shown, why="it carries a user name or password")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise PortalError("WHK-U001", url=shown, why="it names no host")
    if parts.fragment:
        raise PortalError("WHK-U001", url=shown, why="it has a #fragment")
    port = port or (443 if parts.scheme == "https" else 80)
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return parts.scheme, host, port, path


def _resolve(host: str, port: int) -> list[str]:
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return [str(literal)]
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise PortalError("WHK-U003", host=host[:100]) from None
    addresses: list[str] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = str(sockaddr[0]).split("%", 1)[0]  # an IPv6 zone is not part of the address
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise PortalError("WHK-U003", host=host[:100])
    return addresses


def check_url(url: str) -> Target:
    """Resolve a webhook URL and check every address it leads to; the target to connect to.

    Raises WHK-U001 (not a usable URL), WHK-U003 (the name does not resolve), WHK-U002 (an
    address is not public nor in an allowed network) or WHK-U004 (plain HTTP to the internet).
    """
    scheme, host, port, path = parse(url)
    addresses = _resolve(host, port)
    allowed = True
    for text in addresses:
        address = ipaddress.ip_address(text)
        if in_allowed_network(address):
            continue
        allowed = False
        if not is_public(address):
            raise PortalError("WHK-U002", host=host[:100], address=text)
    if scheme == "http" and not allowed:
        raise PortalError("WHK-U004", url=url[:200])
    return Target(scheme=scheme, host=host, port=port, path=path, addresses=tuple(addresses))
