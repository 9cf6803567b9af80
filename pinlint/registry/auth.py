"""Auth challenges and bearer tokens: parse `WWW-Authenticate`, validate realms, cache tokens.

Parsing follows RFC 7235: several challenges in one header or in several headers, scheme and
parameter names case-insensitive, values as tokens or quoted strings with `\\` escapes. Tokens
are cached per (realm, service, scopes, identity) until shortly before they expire, and are
never written anywhere.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

_TOKEN_CHARS = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
MIN_TOKEN_LIFETIME = 60.0
# what inet_aton reads: one to four parts, each decimal, octal (leading 0) or hex (0x)
_INET_ATON = re.compile(r"(0[xX][0-9a-fA-F]*|[0-9]+)(\.(0[xX][0-9a-fA-F]*|[0-9]+)){0,3}", re.ASCII)


@dataclass(frozen=True)
class Challenge:
    scheme: str  # lower-case: "bearer", "basic", …
    params: dict[str, str] = field(default_factory=dict)


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def skip(self, chars: str = " \t") -> None:
        while self.pos < len(self.text) and self.text[self.pos] in chars:
            self.pos += 1

    def token(self) -> str:
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] in _TOKEN_CHARS:
            self.pos += 1
        return self.text[start : self.pos]

    def quoted(self) -> str:
        self.pos += 1
        out = []
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            if ch == "\\" and self.pos + 1 < len(self.text):
                out.append(self.text[self.pos + 1])
                self.pos += 2
                continue
            if ch == '"':
                self.pos += 1
                break
            out.append(ch)
            self.pos += 1
        return "".join(out)

    def bare(self) -> str:
        """An unquoted value: up to the next comma or white space (lenient: URLs are not tokens)."""
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] not in ", \t":
            self.pos += 1
        return self.text[start : self.pos]

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""


def parse_challenges(headers: list[str]) -> list[Challenge]:
    """All challenges of the given `WWW-Authenticate` header values, in order."""
    challenges: list[Challenge] = []
    for header in headers:
        scan = _Scanner(header)
        current: Challenge | None = None
        while scan.pos < len(header):
            scan.skip(" \t,")
            start = scan.pos
            name = scan.token()
            if not name:
                scan.pos += 1
                continue
            scan.skip()
            if scan.peek() == "=":
                scan.pos += 1
                scan.skip()
                value = scan.quoted() if scan.peek() == '"' else scan.bare()
                if current is not None:
                    current.params[name.lower()] = value
                continue
            # a new challenge starts with a scheme followed by a space (or the end)
            current = Challenge(name.lower(), {})
            challenges.append(current)
            if scan.pos == start:
                scan.pos += 1
    return challenges


def _split_host(host: str) -> str:
    """The host name of `host[:port]` (brackets of an IPv6 literal removed), lower-case."""
    name = host.rsplit(":", 1)[0] if host.count(":") == 1 or "]:" in host else host
    return name.strip("[]").lower()


def host_address(name: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address a host name stands for when it is an address literal, read as the resolver
    reads it: IPv6 (an IPv4-mapped one as its IPv4 address), and IPv4 in every form inet_aton
    accepts — `127.1`, `2130706433`, `0x7f.1`, `0177.0.0.1`, `0`. None for a name."""
    name = name.strip("[]")
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        if not name or not name[0].isdigit() or not _INET_ATON.fullmatch(name):
            return None
        try:
            return ipaddress.IPv4Address(socket.inet_aton(name))
        except OSError:
            return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def is_loopback_host(host: str) -> bool:
    """True for localhost, 127.0.0.0/8 and ::1 (with or without a port, in any address spelling)."""
    name = _split_host(host)
    if name in ("localhost", "localhost.") or name.endswith((".localhost", ".localhost.")):
        return True
    address = host_address(name)
    return address is not None and address.is_loopback


def _is_internal(host: str) -> bool:
    """A loopback, private, link-local, reserved or unspecified address literal (or localhost)."""
    if is_loopback_host(host):
        return True
    address = host_address(host)
    return address is not None and (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_unspecified
    )


class RealmError(ValueError):
    """A token realm pinlint refuses to send anything to."""


def validate_realm(realm: str, registry_host: str, registry_insecure: bool) -> str:
    """The realm URL if it is safe to use for this registry, else RealmError.

    `registry_host` is the host that sent the challenge. The realm must be https, except on a
    loopback host or for a registry configured `insecure`. A realm on an internal address
    (loopback, private, link-local) is refused unless it is the registry's own host or the
    registry itself is on an internal address; a link-local realm (cloud metadata services)
    only on the registry's own host.
    """
    parts = urlsplit(realm)
    try:
        hostname = parts.hostname
    except ValueError:
        hostname = None
    if parts.scheme not in ("https", "http") or not hostname:
        raise RealmError(f"token realm ({parts.scheme or 'no scheme'}) is not an http(s) URL")
    where = f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"
    if parts.scheme == "http" and not (is_loopback_host(hostname) or registry_insecure):
        raise RealmError(f"token realm {where} is plain http; refusing to send anything to it")
    registry_name = _split_host(registry_host)
    if hostname != registry_name and _is_internal(hostname):
        address = host_address(hostname)
        link_local = address is not None and address.is_link_local
        if link_local or not _is_internal(registry_name):
            raise RealmError(f"token realm {where} is an internal address; refusing it")
    return realm


@dataclass
class _CachedToken:
    token: str = field(repr=False)
    expires: float


class TokenCache:
    """Bearer tokens by (realm, service, scopes, identity), in memory only."""

    def __init__(self) -> None:
        self._tokens: dict[tuple[str, str, tuple[str, ...], str], _CachedToken] = {}

    @staticmethod
    def key(realm: str, service: str, scopes: list[str], identity: str) -> tuple[str, str, tuple[str, ...], str]:
        return realm, service, tuple(sorted(set(scopes))), identity

    def get(self, key: tuple[str, str, tuple[str, ...], str]) -> str | None:
        cached = self._tokens.get(key)
        if cached is None or cached.expires <= time.monotonic():
            return None
        return cached.token

    def put(self, key: tuple[str, str, tuple[str, ...], str], token: str, expires_in: float) -> None:
        lifetime = max(MIN_TOKEN_LIFETIME, expires_in)
        # renew a little early so a token never expires between check and use
        self._tokens[key] = _CachedToken(token, time.monotonic() + lifetime * 0.9)

    def drop(self, key: tuple[str, str, tuple[str, ...], str]) -> None:
        self._tokens.pop(key, None)

    def secrets(self) -> list[str]:
        return [t.token for t in list(self._tokens.values())]  # a copy: other threads may add tokens
