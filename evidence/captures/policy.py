"""Which URLs a capture's browser may fetch: the webhooks' address policy
(``provenance.common.addresses``) applied to every request, the page's own, its
redirects and its sub-resources alike.

A host is allowed when every address it resolves to is public, or when it is
named in ``allowed_private_hosts`` (a deployment's own intranet, the tests'
loopback site). Only http and https are fetched; a URL with credentials is
refused. No ORM, no settings: the caller passes the allowed hosts.

The browser resolves names itself after this check, so a name whose answer
changes between the two (DNS rebinding) is a gap this check cannot close alone;
addresses given literally are judged exactly.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from provenance.common.addresses import is_public_address

SCHEMES = frozenset({"http", "https"})
_PRIVATE_SUFFIXES = (".localhost", ".local", ".internal")

Resolver = Callable[[str, int], list[str]]


def resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


@dataclass
class AddressPolicy:
    allowed_private_hosts: frozenset[str] = frozenset()
    resolver: Resolver = resolve
    # host:port -> refusal ("" when allowed): one lookup per host and capture
    _seen: dict[str, str] = field(default_factory=dict)
    # host:port -> the addresses vetted (or, for an allowed host, found)
    _addresses: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def allowing(cls, hosts: Iterable[str]) -> AddressPolicy:
        return cls(allowed_private_hosts=frozenset(h.lower() for h in hosts))

    def refusal(self, url: str) -> str:
        """Why ``url`` may not be fetched ("" when it may)."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            return "malformed URL"
        if parts.scheme not in SCHEMES:
            return f"scheme {parts.scheme or '(none)'} is not fetched"
        if parts.username or parts.password:
            return "URL carries credentials"
        host = (parts.hostname or "").lower()
        if not host:
            return "URL has no host"
        key = f"{host}:{port or ''}"
        if key not in self._seen:
            self._seen[key] = self._judge(
                host,
                port or (443 if parts.scheme == "https" else 80),
                key=key,
                allowed=host in self.allowed_private_hosts,
            )
        return self._seen[key]

    def address_of(self, url: str) -> str:
        """The first address vetted for the URL's host ("" if none is known)."""
        try:
            parts = urlsplit(url)
            key = f"{(parts.hostname or '').lower()}:{parts.port or ''}"
        except ValueError:
            return ""
        return next(iter(self._addresses.get(key, [])), "")

    def _judge(self, host: str, port: int, *, key: str, allowed: bool) -> str:
        try:
            addresses = [str(ipaddress.ip_address(host))]
        except ValueError:
            if not allowed and (
                host == "localhost" or host.endswith(_PRIVATE_SUFFIXES)
            ):
                return f"{host} is a private host name"
            try:
                addresses = self.resolver(host, port)
            except OSError as exc:
                return f"{host} does not resolve: {exc}"
        self._addresses[key] = addresses
        if allowed:
            return ""
        if not addresses:
            return f"{host} does not resolve"
        private = [a for a in addresses if not is_public_address(a)]
        if private:
            return (
                f"{host} resolves to a private, loopback or reserved address "
                f"({private[0]})"
            )
        return ""
