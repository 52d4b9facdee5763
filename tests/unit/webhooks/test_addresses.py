"""Address by address: what a webhook may be sent to."""

from ipaddress import IPv4Address, IPv6Address, ip_address

import pytest

from services.webhooks.domain.addresses import AddressKind, address_refusal, embedded_ipv4

K = AddressKind


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("0.0.0.0", K.UNSPECIFIED),  # noqa: S104
        ("127.0.0.1", K.LOOPBACK),
        ("127.255.255.254", K.LOOPBACK),
        ("10.0.0.1", K.PRIVATE),
        ("10.255.255.255", K.PRIVATE),
        ("172.16.0.1", K.PRIVATE),
        ("172.31.255.254", K.PRIVATE),
        ("192.168.1.1", K.PRIVATE),
        ("169.254.169.254", K.LINK_LOCAL),  # AWS, GCP, Azure metadata
        ("169.254.0.1", K.LINK_LOCAL),
        ("224.0.0.1", K.MULTICAST),
        ("224.0.1.1", K.MULTICAST),  # a globally scoped multicast group: still not a server
        ("239.255.255.250", K.MULTICAST),
        ("100.64.0.1", K.SHARED),
        ("100.100.100.200", K.SHARED),  # Alibaba Cloud metadata
        ("100.127.255.254", K.SHARED),
        ("240.0.0.1", K.RESERVED),
        ("255.255.255.255", K.RESERVED),
        ("0.1.2.3", K.NOT_GLOBAL),  # "this network"
        ("192.0.2.10", K.NOT_GLOBAL),  # documentation (TEST-NET-1)
        ("198.18.0.1", K.NOT_GLOBAL),  # benchmarking
        ("192.0.0.192", K.NOT_GLOBAL),  # IETF protocol assignments (Oracle Cloud metadata)
        ("198.51.100.7", K.NOT_GLOBAL),
        ("203.0.113.7", K.NOT_GLOBAL),
        ("192.88.99.1", K.NOT_GLOBAL),
    ],
)
def test_ipv4_addresses_that_are_not_public_are_refused(address: str, kind: AddressKind) -> None:
    refusal = address_refusal(ip_address(address))
    assert refusal is not None
    assert refusal.kind is kind
    assert refusal.reason == f"{address} ({kind})"


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("::", K.UNSPECIFIED),
        ("::1", K.LOOPBACK),
        ("fe80::1", K.LINK_LOCAL),
        ("fe80::1%eth0", K.LINK_LOCAL),
        ("ff02::1", K.MULTICAST),
        ("ff0e::1", K.MULTICAST),
        ("fc00::1", K.UNIQUE_LOCAL),
        ("fd12:3456:789a::1", K.UNIQUE_LOCAL),
        ("fd00:ec2::254", K.UNIQUE_LOCAL),  # AWS metadata over IPv6
        ("fec0::1", K.SITE_LOCAL),
        ("::8.8.8.8", K.IPV4_COMPATIBLE),
        ("::127.0.0.1", K.IPV4_COMPATIBLE),
        ("64:ff9b:1::a00:1", K.NAT64_LOCAL),
        ("2001:db8::1", K.NOT_GLOBAL),  # documentation
        ("100::1", K.NOT_GLOBAL),  # discard-only
        ("2001::1", K.NOT_GLOBAL),  # Teredo
        ("3fff::1", K.NOT_GLOBAL),
        ("5f00::1", K.NOT_GLOBAL),
    ],
)
def test_ipv6_addresses_that_are_not_public_are_refused(address: str, kind: AddressKind) -> None:
    refusal = address_refusal(ip_address(address))
    assert refusal is not None
    assert refusal.kind is kind
    assert refusal.embedded is None


@pytest.mark.parametrize(
    ("address", "carried", "kind"),
    [
        ("::ffff:127.0.0.1", "127.0.0.1", K.LOOPBACK),
        ("::ffff:7f00:1", "127.0.0.1", K.LOOPBACK),  # the same, written in hex
        ("::ffff:10.1.2.3", "10.1.2.3", K.PRIVATE),
        ("::ffff:169.254.169.254", "169.254.169.254", K.LINK_LOCAL),
        ("::ffff:100.64.0.1", "100.64.0.1", K.SHARED),
        ("::ffff:0.0.0.0", "0.0.0.0", K.UNSPECIFIED),  # noqa: S104
        ("::ffff:224.0.0.1", "224.0.0.1", K.MULTICAST),
        ("64:ff9b::7f00:1", "127.0.0.1", K.LOOPBACK),  # NAT64
        ("64:ff9b::a9fe:a9fe", "169.254.169.254", K.LINK_LOCAL),
        ("64:ff9b::192.168.0.1", "192.168.0.1", K.PRIVATE),
        ("2002:7f00:1::1", "127.0.0.1", K.LOOPBACK),  # 6to4
        ("2002:a9fe:a9fe::", "169.254.169.254", K.LINK_LOCAL),
        ("2002:c0a8:101::1", "192.168.1.1", K.PRIVATE),
    ],
)
def test_ipv6_forms_of_a_refused_ipv4_address_are_refused(
    address: str, carried: str, kind: AddressKind
) -> None:
    refusal = address_refusal(ip_address(address))
    assert refusal is not None
    assert (refusal.kind, refusal.embedded) == (kind, IPv4Address(carried))
    assert refusal.reason == f"{ip_address(address)} (carries {carried}: {kind})"


@pytest.mark.parametrize(
    "address",
    [
        "8.8.8.8",
        "1.1.1.1",
        "93.184.215.14",
        "100.63.255.255",  # just below the shared address space
        "100.128.0.0",  # just above it
        "172.15.255.255",
        "172.32.0.0",
        "169.253.255.255",
        "223.255.255.254",
        "2606:4700:4700::1111",
        "2001:4860:4860::8888",
        "2a00:1450:4007:80e::200e",
        "::ffff:8.8.8.8",  # IPv4-mapped: the packet goes to 8.8.8.8
        "64:ff9b::808:808",  # NAT64 of 8.8.8.8, what DNS64 answers on IPv6-only networks
        "2002:808:808::1",  # 6to4 of 8.8.8.8
    ],
)
def test_public_unicast_addresses_are_allowed(address: str) -> None:
    assert address_refusal(ip_address(address)) is None


def test_embedded_ipv4_is_read_from_each_form_that_carries_one() -> None:
    assert embedded_ipv4(IPv6Address("::ffff:1.2.3.4")) == IPv4Address("1.2.3.4")
    assert embedded_ipv4(IPv6Address("64:ff9b::102:304")) == IPv4Address("1.2.3.4")
    assert embedded_ipv4(IPv6Address("2002:102:304::")) == IPv4Address("1.2.3.4")
    assert embedded_ipv4(IPv6Address("2606:4700::1111")) is None
