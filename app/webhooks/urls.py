"""Which URLs a webhook may be sent to (SPEC §12), checked at creation and again at every
delivery, and the address a delivery connects to.

A URL is ``https://``, or ``http://`` to a loopback host when
``RAPPORT_WEBHOOK_ALLOW_LOOPBACK=true``; no user name or password in it. Its host is
resolved and every address must be public: private (RFC 1918, unique local), link-local
(169.254.0.0/16, the cloud metadata address among them; fe80::/10), loopback, unspecified,
multicast and reserved addresses are refused, loopback only allowed with the setting.

DNS rebinding: a name may resolve to a public address when checked and to 127.0.0.1 a
second later. So a delivery resolves once, checks what it got, and connects to that very
address (``resolve_target``), sending the name in the Host header and as the TLS server
name (SNI), so the certificate is still verified against the name. Nothing resolves the
name again between the check and the connection.
"""

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from app.core.errors import INVALID_WEBHOOK_URL, ProblemError, pointer_item

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]


def system_resolver(host: str, port: int) -> list[str]:
    """The addresses the system resolver gives for ``host`` (any family, TCP)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class UrlRefused(ValueError):
    """The URL may not be used; the message says why (one sentence)."""


@dataclass(frozen=True)
class Target:
    """Where a delivery goes: the checked address, and the name it stands for."""

    url: str  # as the endpoint has it
    host: str  # the name (Host header, SNI)
    port: int
    address: str  # the checked address to connect to


def _is_loopback(address: IpAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def _refusal(address: IpAddress) -> str | None:
    """Why ``address`` is not public, or None."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_private:
        return "a private address"
    if address.is_unspecified or address.is_multicast or address.is_reserved:
        return "a reserved address"
    if not address.is_global:
        return "not a public address"
    return None


def _parts(url: str, allow_loopback: bool) -> tuple[SplitResult, str, int]:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UrlRefused(f"{url!r} is not a URL ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http") or not parts.hostname:
        raise UrlRefused(f"{url!r} is not an https:// URL")
    if scheme == "http" and not allow_loopback:
        raise UrlRefused(
            "webhook URLs must be https://; http:// is allowed only to a loopback host, and only "
            "when the operator sets RAPPORT_WEBHOOK_ALLOW_LOOPBACK=true"
        )
    if parts.username is not None or parts.password is not None:
        raise UrlRefused("a webhook URL must not contain a user name or password")
    return parts, parts.hostname, port or (443 if scheme == "https" else 80)


def resolve_target(url: str, allow_loopback: bool, resolver: Resolver | None = None) -> Target:
    """The address to connect to for ``url``, after checking every address its host
    resolves to; UrlRefused saying why not."""
    parts, host, port = _parts(url, allow_loopback)
    try:
        literal: IpAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        found = [str(literal)]
    else:
        try:
            found = (resolver or system_resolver)(host, port)
        except (OSError, UnicodeError) as exc:
            raise UrlRefused(f"the host {host!r} does not resolve ({exc})") from None
        if not found:
            raise UrlRefused(f"the host {host!r} does not resolve")
    addresses = [ipaddress.ip_address(a.split("%")[0]) for a in found]
    for address in addresses:
        if allow_loopback and _is_loopback(address):
            continue
        reason = _refusal(address)
        if reason is not None:
            shown = host if literal is not None else f"{host} resolves to {address}, which"
            hint = (
                " (loopback needs RAPPORT_WEBHOOK_ALLOW_LOOPBACK=true)"
                if _is_loopback(address)
                else ""
            )
            raise UrlRefused(f"{shown} is {reason}; webhooks go to public hosts only{hint}")
    if parts.scheme.lower() == "http" and not all(_is_loopback(a) for a in addresses):
        raise UrlRefused(
            f"http:// is allowed only to a loopback host; {host} is not one: use https://"
        )
    return Target(url, host, port, str(addresses[0]))


def check_url(url: str, allow_loopback: bool, resolver: Resolver | None = None) -> None:
    """A 422 invalid_webhook_url when ``url`` may not be used (at creation and PATCH)."""
    try:
        resolve_target(url, allow_loopback, resolver)
    except UrlRefused as exc:
        raise _problem(str(exc)) from None


def _problem(detail: str) -> ProblemError:
    return INVALID_WEBHOOK_URL.error(detail, errors=[pointer_item("#/url", detail)])
