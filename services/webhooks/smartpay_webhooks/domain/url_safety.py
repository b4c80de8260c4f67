"""Where a webhook may be delivered (no SSRF): https only, a host name or address that resolves only to
public addresses. Loopback is allowed only when the settings say so (the local target, set by Terraform's
local.tfvars), and even then only plain loopback: never link-local (169.254.0.0/16: the metadata service),
private ranges or their IPv6 equivalents.

`check` takes the resolver as an argument: the domain does no I/O. The sender connects to one of the
addresses checked here (no second lookup a rebinding DNS server could answer differently)."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_URL_LENGTH = 2048
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Sequence[str]]


class UnsafeUrl(ValueError):
    """The URL is refused; the message says why (safe to show the merchant: no resolved address in it)."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # path + query, as sent in the request line
    addresses: tuple[str, ...]


@dataclass(frozen=True)
class UrlPolicy:
    require_https: bool = True
    allow_loopback: bool = False


def parse(url: str, policy: UrlPolicy) -> tuple[str, str, int, str]:
    if len(url) > MAX_URL_LENGTH:
        raise UnsafeUrl(f"the URL is longer than {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeUrl("the URL does not parse") from exc
    allowed = ("https",) if policy.require_https else ("https", "http")
    if parts.scheme not in allowed:
        raise UnsafeUrl("the URL must be https" if policy.require_https else "the URL must be http or https")
    if parts.username or parts.password:
        raise UnsafeUrl("the URL must not carry credentials")
    if parts.fragment:
        raise UnsafeUrl("the URL must not have a fragment")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise UnsafeUrl("the URL has no host")
    port = port or (443 if parts.scheme == "https" else 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, host, port, path


def refusal(address: IpAddress, policy: UrlPolicy) -> str | None:
    """Why this address may not be called, or None when it may."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return refusal(address.ipv4_mapped, policy)
    if address.is_loopback:
        return None if policy.allow_loopback else "the URL resolves to a loopback address"
    if address.is_link_local:
        return "the URL resolves to a link-local address"
    if address.is_private or address.is_reserved or address.is_multicast or address.is_unspecified:
        return "the URL resolves to a private or reserved address"
    if not address.is_global:
        return "the URL resolves to a non-public address"
    return None


def check(url: str, policy: UrlPolicy, resolve: Resolver) -> Target:
    """The URL's target when every address it resolves to may be called; else UnsafeUrl."""
    scheme, host, port, path = parse(url, policy)
    try:
        literal: IpAddress | None = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        literal = None
    if literal is not None:
        found = [str(literal)]
    else:
        if host.lower() == "localhost" or host.lower().endswith(".localhost"):
            found = ["127.0.0.1"]
        else:
            try:
                found = list(resolve(host, port))
            except OSError as exc:
                raise UnsafeUrl("the URL's host does not resolve") from exc
    if not found:
        raise UnsafeUrl("the URL's host does not resolve")
    for text in found:
        reason = refusal(ipaddress.ip_address(text.split("%")[0]), policy)
        if reason:
            raise UnsafeUrl(reason)
    return Target(scheme, host, port, path, tuple(dict.fromkeys(found)))
