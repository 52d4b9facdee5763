"""Which URLs a subscription may target: checked when a hook is created and again before
every delivery. The addresses a name resolves to are judged by `addresses.py`, at delivery
time, on the addresses actually dialled."""

import re
import string
from collections.abc import Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address
from urllib.parse import SplitResult, urlsplit

from services.webhooks.domain.addresses import IPAddress, address_refusal, parse_address

MAX_URL_LENGTH = 2048
MAX_HOST_LENGTH = 253
DEFAULT_PORTS = {"https": 443, "http": 80}
# Below 1024 only the web ports: a hook must not become a way to talk SMTP (25) or SSH
# (22) to someone else's server.
LOWEST_OTHER_PORT = 1024

_LABEL = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$")
_URL_CHARACTERS = frozenset(string.ascii_letters + string.digits + "-._~:/?#[]@!$&'()*+,;=%")
# Names that never lead to a public server (RFC 6761, 6762, 8375, 9476; ICANN's .internal).
_SPECIAL_USE_SUFFIXES = ("localhost", "local", "localdomain", "internal", "home.arpa", "invalid")


class UnsafeTarget(ValueError):
    """The URL can't be a webhook target; the message says why."""


@dataclass(frozen=True)
class TargetPolicy:
    allow_http: bool = False  # development only: plain http targets
    allow_private: bool = False  # tests and local development only: any address


@dataclass(frozen=True)
class Target:
    url: str
    scheme: str
    host: str  # lower case; an IPv6 literal without its brackets
    port: int
    address: IPAddress | None  # when the host is an IP literal

    @property
    def key(self) -> str:
        """One key per receiving server: what per-target limits count by."""
        host = f"[{self.host}]" if isinstance(self.address, IPv6Address) else self.host
        return f"{self.scheme}://{host}:{self.port}"


def check_target_url(url: str, policy: TargetPolicy) -> Target:
    """The target `url` stands for, or `UnsafeTarget` saying what is wrong with it."""
    parts = _split(url)
    scheme = _scheme(parts, policy)
    if parts.username is not None or parts.password is not None:
        raise UnsafeTarget("The URL must not contain a user name or password.")
    if parts.fragment or url.endswith("#"):
        raise UnsafeTarget("The URL must not contain a fragment (#...): it is never sent.")
    host, address = _host(parts, policy)
    return Target(url=url, scheme=scheme, host=host, port=_port(parts, scheme), address=address)


def _split(url: str) -> SplitResult:
    if not url:
        raise UnsafeTarget("The URL is empty.")
    if len(url) > MAX_URL_LENGTH:
        raise UnsafeTarget(f"The URL is longer than {MAX_URL_LENGTH} characters.")
    if bad := sorted(set(url) - _URL_CHARACTERS):
        shown = ", ".join(repr(c) for c in bad[:5])
        raise UnsafeTarget(
            f"The URL contains characters that must be percent-encoded: {shown} "
            "(use the xn-- form of an international host name)."
        )
    try:
        return urlsplit(url)
    except ValueError as error:
        raise UnsafeTarget(f"The URL can't be read: {error}.") from None


def _scheme(parts: SplitResult, policy: TargetPolicy) -> str:
    scheme = parts.scheme.lower()
    if scheme == "https" or (scheme == "http" and policy.allow_http):
        return scheme
    if scheme == "http":
        raise UnsafeTarget("The URL must use https.")
    raise UnsafeTarget("The URL must start with https://.")


def _port(parts: SplitResult, scheme: str) -> int:
    try:
        port = parts.port
    except ValueError:
        raise UnsafeTarget("The URL's port must be a number from 1 to 65535.") from None
    if port is None:
        return DEFAULT_PORTS[scheme]
    if port in DEFAULT_PORTS.values() or LOWEST_OTHER_PORT <= port <= 65535:
        return port
    raise UnsafeTarget(f"Port {port} is not allowed: use 80, 443 or a port from 1024 to 65535.")


def _host(parts: SplitResult, policy: TargetPolicy) -> tuple[str, IPAddress | None]:
    netloc_host = parts.netloc.rpartition("@")[2]
    host = (parts.hostname or "").lower()
    if not host:
        raise UnsafeTarget("The URL has no host.")
    address: IPAddress
    if netloc_host.startswith("["):
        address = _ipv6_literal(host)
    elif _ends_in_number(host):
        address = _ipv4_literal(host)
    else:
        _check_name(host, policy)
        return host, None
    if not policy.allow_private and (refusal := address_refusal(address)):
        raise UnsafeTarget(f"The URL points to a non-public address: {refusal.reason}.")
    return host, address


def _ipv6_literal(host: str) -> IPv6Address:
    address = parse_address(host)
    if not isinstance(address, IPv6Address):
        raise UnsafeTarget(f"[{host}] is not an IPv6 address.")
    if address.scope_id:
        raise UnsafeTarget("An IPv6 address with a zone (%...) is not allowed.")
    return address


def _ipv4_literal(host: str) -> IPv4Address:
    read_as = numeric_host_value(host)
    if read_as is None:
        raise UnsafeTarget(f"The host {host} is neither a name nor an IPv4 address.")
    if host != str(read_as):
        raise UnsafeTarget(
            f"The host {host} is a number but not a plain dotted-decimal IPv4 address "
            f"(it would be read as {read_as}): write the address as a.b.c.d or use a name."
        )
    return read_as


def _check_name(host: str, policy: TargetPolicy) -> None:
    name = host.removesuffix(".")
    if len(name) > MAX_HOST_LENGTH:
        raise UnsafeTarget(f"The host name is longer than {MAX_HOST_LENGTH} characters.")
    if not all(_LABEL.match(label) for label in name.split(".")):
        raise UnsafeTarget(f"{host} is not a valid host name.")
    if policy.allow_private:
        return
    if "." not in name:
        raise UnsafeTarget(f"{host} is not a public host name (it has no domain).")
    if any(name == s or name.endswith(f".{s}") for s in _SPECIAL_USE_SUFFIXES):
        raise UnsafeTarget(f"{host} is a local name, not a public host.")


def _ends_in_number(host: str) -> bool:
    """WHATWG URL's test: a host whose last label is a number is read as an IPv4 address
    (in decimal, octal or hex), and so is it by getaddrinfo and browsers alike."""
    last = host.removesuffix(".").rpartition(".")[2]
    if last.isdigit() and last.isascii():
        return True
    return last[:2] in ("0x", "0X") and all(c in string.hexdigits for c in last[2:])


def numeric_host_value(host: str) -> IPv4Address | None:
    """The IPv4 address a numeric host means to a URL parser or `inet_aton`: `2130706433`,
    `0177.0.0.1`, `0x7f.1` and `127.1` all mean 127.0.0.1. None when it means none."""
    parts = host.removesuffix(".").split(".")
    if not 1 <= len(parts) <= 4:
        return None
    numbers = [_ipv4_number(part) for part in parts]
    if any(n is None for n in numbers):
        return None
    *leading, last = [n for n in numbers if n is not None]
    if any(n > 255 for n in leading) or last >= 256 ** (5 - len(parts)):
        return None
    value = last
    for index, number in enumerate(leading):
        value += number << (8 * (3 - index))
    return IPv4Address(value)


def _ipv4_number(part: str) -> int | None:
    if part[:2] in ("0x", "0X"):
        digits, base, allowed = part[2:] or "0", 16, string.hexdigits
    elif len(part) > 1 and part.startswith("0"):
        digits, base, allowed = part[1:], 8, string.octdigits
    else:
        digits, base, allowed = part, 10, string.digits
    if not digits or any(c not in allowed for c in digits):
        return None
    return int(digits, base)


def resolved_refusal(host: str, addresses: Sequence[IPAddress]) -> str | None:
    """Why a host whose name resolved to `addresses` can't be a target (None: it can).
    Every address counts: a name with one private address among public ones is refused."""
    if not addresses:
        return f"The host {host} has no address."
    for address in addresses:
        if refusal := address_refusal(address):
            return f"The host {host} resolves to a non-public address: {refusal.reason}."
    return None
