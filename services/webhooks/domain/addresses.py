"""Which IP addresses a webhook may be delivered to: public unicast ones only.

Every address a target resolves to is judged here, at subscription and again at delivery
(against the address actually dialled), so a subscriber can't make us call our own
network, the cloud metadata service (169.254.169.254, fd00:ec2::254) or a neighbour.
IPv6 forms that carry an IPv4 address (IPv4-mapped, NAT64, 6to4) are judged by the IPv4
address they carry.
"""

from dataclasses import dataclass
from enum import StrEnum
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address

IPAddress = IPv4Address | IPv6Address

SHARED_ADDRESS_SPACE = IPv4Network("100.64.0.0/10")  # RFC 6598 carrier-grade NAT
NAT64_WELL_KNOWN = IPv6Network("64:ff9b::/96")  # RFC 6052: last 32 bits are the IPv4
NAT64_LOCAL_USE = IPv6Network("64:ff9b:1::/48")  # RFC 8215: a network's own translator
IPV4_COMPATIBLE = IPv6Network("::/96")  # RFC 4291 §2.5.5.1, deprecated
UNIQUE_LOCAL = IPv6Network("fc00::/7")  # RFC 4193
PRIVATE_V4 = tuple(IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
# IANA special-purpose blocks, named here because the stdlib's lists change between Python
# patch releases (3.11.7 calls 192.0.0.192 global; later releases don't).
SPECIAL_PURPOSE_V4 = tuple(
    IPv4Network(n)
    for n in (
        "0.0.0.0/8",  # "this network"
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # documentation
        "192.88.99.0/24",  # deprecated 6to4 relay anycast
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",  # documentation
        "203.0.113.0/24",  # documentation
    )
)
SPECIAL_PURPOSE_V6 = tuple(
    IPv6Network(n)
    for n in (
        "100::/64",  # discard-only
        "2001::/23",  # IETF protocol assignments, Teredo among them
        "2001:db8::/32",  # documentation
        "3fff::/20",  # documentation
        "5f00::/16",  # SRv6 segment identifiers
    )
)


class AddressKind(StrEnum):
    """Why an address is not a public one (the first that applies)."""

    UNSPECIFIED = "unspecified"
    LOOPBACK = "loopback"
    LINK_LOCAL = "link-local"
    MULTICAST = "multicast"
    PRIVATE = "private"
    SHARED = "shared address space"
    UNIQUE_LOCAL = "unique-local"
    SITE_LOCAL = "site-local"
    IPV4_COMPATIBLE = "deprecated IPv4-compatible"
    NAT64_LOCAL = "NAT64 local-use"
    RESERVED = "reserved"
    NOT_GLOBAL = "special-purpose, not globally routable"


@dataclass(frozen=True)
class AddressRefusal:
    address: IPAddress
    kind: AddressKind
    embedded: IPv4Address | None = None  # the IPv4 address an IPv6 form carried

    @property
    def reason(self) -> str:
        if self.embedded is None:
            return f"{self.address} ({self.kind})"
        return f"{self.address} (carries {self.embedded}: {self.kind})"


def parse_address(text: str) -> IPAddress | None:
    """The address written in `text`, or None when it is not an IP literal."""
    try:
        return ip_address(text)
    except ValueError:
        return None


def embedded_ipv4(address: IPv6Address) -> IPv4Address | None:
    """The IPv4 address an IPv6 address stands for, if it is one of the forms that do."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in NAT64_WELL_KNOWN:
        return IPv4Address(int(address) & 0xFFFFFFFF)
    return address.sixtofour


def address_refusal(address: IPAddress) -> AddressRefusal | None:
    """None when `address` is a public unicast address a webhook may go to."""
    if isinstance(address, IPv4Address):
        kind = _ipv4_kind(address)
        return AddressRefusal(address, kind) if kind else None
    carried = embedded_ipv4(address)
    if carried is not None:
        kind = _ipv4_kind(carried)
        if kind is not None:
            return AddressRefusal(address, kind, embedded=carried)
        if address.ipv4_mapped is not None or address in NAT64_WELL_KNOWN:
            return None  # the packet goes to the (public) IPv4 address it carries
    kind = _ipv6_kind(address)
    return AddressRefusal(address, kind) if kind else None


def _ipv4_kind(address: IPv4Address) -> AddressKind | None:
    if address.is_unspecified:
        return AddressKind.UNSPECIFIED
    if address.is_loopback:
        return AddressKind.LOOPBACK
    if address.is_link_local:
        return AddressKind.LINK_LOCAL
    if address.is_multicast:
        return AddressKind.MULTICAST
    if address in SHARED_ADDRESS_SPACE:
        return AddressKind.SHARED
    if address.is_reserved:  # 240.0.0.0/4, including 255.255.255.255
        return AddressKind.RESERVED
    if any(address in network for network in PRIVATE_V4):
        return AddressKind.PRIVATE
    if any(address in network for network in SPECIAL_PURPOSE_V4):
        return AddressKind.NOT_GLOBAL
    if address.is_private or not address.is_global:
        return AddressKind.NOT_GLOBAL
    return None


def _ipv6_kind(address: IPv6Address) -> AddressKind | None:
    if address.is_unspecified:
        return AddressKind.UNSPECIFIED
    if address.is_loopback:
        return AddressKind.LOOPBACK
    if address.is_link_local:
        return AddressKind.LINK_LOCAL
    if address.is_multicast:
        return AddressKind.MULTICAST
    if address in IPV4_COMPATIBLE:
        return AddressKind.IPV4_COMPATIBLE
    if address in NAT64_LOCAL_USE:
        return AddressKind.NAT64_LOCAL
    if address in UNIQUE_LOCAL:
        return AddressKind.UNIQUE_LOCAL
    if address.is_site_local:
        return AddressKind.SITE_LOCAL
    if any(address in network for network in SPECIAL_PURPOSE_V6):
        return AddressKind.NOT_GLOBAL
    if address.is_reserved:
        return AddressKind.RESERVED
    if address.is_private or not address.is_global:
        return AddressKind.NOT_GLOBAL
    return None
