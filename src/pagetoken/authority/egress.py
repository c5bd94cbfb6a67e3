"""Where the server may send requests of its own (deauthorize callbacks).

A URL an app developer typed must not make the server reach into its own network: every address
its host resolves to must be public (not loopback, private, link-local, shared, reserved or
multicast), checked at sending time, and the connection then goes to the very address that was
checked, so a DNS answer that changes between the check and the connection (DNS rebinding) cannot
redirect it. An operator whose apps run on the same machine or network allows private destinations
with `serve --allow-private-callbacks` (env `PAGETOKEN_ALLOW_PRIVATE_CALLBACKS=1`; on with `serve --dev`).
"""

from __future__ import annotations

import ipaddress
import os
import socket
from dataclasses import dataclass, field
from typing import Any

import httpx

ALLOW_PRIVATE_ENV = "PAGETOKEN_ALLOW_PRIVATE_CALLBACKS"


class Refused(Exception):
    """The destination is not one the server may send to."""


def allow_private_from_env() -> bool:
    return os.environ.get(ALLOW_PRIVATE_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        inner = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if inner is not None:
            return is_public(str(inner))
    return ip.is_global and not ip.is_multicast


@dataclass
class Target:
    """A request pinned to one checked address: the URL to connect to, and what keeps the name."""

    url: httpx.URL
    headers: dict[str, str] = field(default_factory=dict)
    extensions: dict[str, Any] = field(default_factory=dict)


def pin(url: str, allow_private: bool = False) -> Target:
    """Resolve `url`'s host once, check every address, and aim the request at the first of them."""
    parsed = httpx.URL(url)
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise Refused(f"only http and https URLs are allowed, not {parsed.scheme or 'this'}")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(parsed.host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise Refused(f"{parsed.host} does not resolve") from exc
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise Refused(f"{parsed.host} does not resolve")
    if not allow_private:
        for address in addresses:
            if not is_public(address):
                raise Refused(f"{parsed.host} resolves to {address}, which is not a public address "
                              "(serve --allow-private-callbacks allows it)")
    address = addresses[0].split("%", 1)[0]
    headers = {"Host": parsed.netloc.decode("ascii")}
    extensions: dict[str, Any] = {"sni_hostname": parsed.host} if parsed.scheme == "https" else {}
    return Target(parsed.copy_with(host=address), headers, extensions)
