"""The URL a subscription may target."""

import socket
from ipaddress import IPv4Address, IPv6Address, ip_address

import pytest

from services.webhooks.domain.targets import (
    Target,
    TargetPolicy,
    UnsafeTarget,
    check_target_url,
    numeric_host_value,
    resolved_refusal,
)

STRICT = TargetPolicy()
DEVELOPMENT = TargetPolicy(allow_http=True, allow_private=True)


def refused(url: str, policy: TargetPolicy = STRICT) -> str:
    with pytest.raises(UnsafeTarget) as refusal:
        check_target_url(url, policy)
    return str(refusal.value)


def test_a_zapier_hook_url_is_accepted_as_it_is() -> None:
    url = "https://hooks.zapier.com/hooks/standard/1234567/0a1b2c3d4e5f/"
    target = check_target_url(url, STRICT)
    assert target == Target(
        url=url, scheme="https", host="hooks.zapier.com", port=443, address=None
    )
    assert target.key == "https://hooks.zapier.com:443"


def test_the_host_is_compared_in_lower_case_and_an_explicit_port_kept() -> None:
    target = check_target_url("https://Hooks.Example.COM:8443/in?source=lms", STRICT)
    assert (target.host, target.port, target.key) == (
        "hooks.example.com",
        8443,
        "https://hooks.example.com:8443",
    )


def test_public_ip_literals_are_accepted() -> None:
    assert check_target_url("https://8.8.8.8/hook", STRICT).address == IPv4Address("8.8.8.8")
    v6 = check_target_url("https://[2606:4700::1111]:8443/hook", STRICT)
    assert v6.address == IPv6Address("2606:4700::1111")
    assert v6.key == "https://[2606:4700::1111]:8443"


def test_plain_http_only_when_allowed() -> None:
    assert refused("http://hooks.example.com/x") == "The URL must use https."
    allowed = check_target_url("http://hooks.example.com/x", TargetPolicy(allow_http=True))
    assert (allowed.scheme, allowed.port) == ("http", 80)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://hooks.example.com/x",
        "javascript:alert(1)",
        "hooks.example.com/x",
        "//hooks.example.com/x",
    ],
)
def test_other_schemes_are_refused(url: str) -> None:
    assert refused(url, DEVELOPMENT) == "The URL must start with https://."


@pytest.mark.parametrize(
    "url",
    [
        "https://user:secret@hooks.example.com/x",
        "https://user@hooks.example.com/x",
        "https://:secret@hooks.example.com/x",
        "https://hooks.example.com:443@127.0.0.1/x",
        "https://hooks.example.com;@127.0.0.1/x",
    ],
)
def test_credentials_in_the_url_are_refused(url: str) -> None:
    assert "user name or password" in refused(url, DEVELOPMENT)


def test_a_fragment_is_refused() -> None:
    assert "fragment" in refused("https://hooks.example.com/x#part")
    assert "fragment" in refused("https://hooks.example.com/x#")


@pytest.mark.parametrize("port", [80, 443, 1024, 8080, 8443, 65535])
def test_web_ports_and_unprivileged_ports_are_allowed(port: int) -> None:
    assert check_target_url(f"https://hooks.example.com:{port}/", STRICT).port == port


@pytest.mark.parametrize("port", [1, 22, 25, 110, 445, 1023])
def test_other_privileged_ports_are_refused(port: int) -> None:
    assert refused(f"https://hooks.example.com:{port}/") == (
        f"Port {port} is not allowed: use 80, 443 or a port from 1024 to 65535."
    )


@pytest.mark.parametrize("port", ["0", "65536", "99999", "http", "-1"])
def test_a_port_that_is_not_a_port_is_refused(port: str) -> None:
    message = refused(f"https://hooks.example.com:{port}/")
    assert "port" in message.lower()


def test_length_is_limited_to_2048_characters() -> None:
    base = "https://hooks.example.com/"
    assert check_target_url(base + "a" * (2048 - len(base)), STRICT)
    assert refused(base + "a" * (2049 - len(base))) == "The URL is longer than 2048 characters."
    assert refused("") == "The URL is empty."


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://hooks.example.com\\@127.0.0.1/", "'\\\\'"),
        ("https://hooks.example.com/a b", "' '"),
        (" https://hooks.example.com/", "' '"),
        ("https://hooks.example.com/\n", "'\\n'"),
        ("https://exämple.com/", "'ä'"),
        ("https://hooks.example.com/<script>", "'<', '>'"),
    ],
)
def test_characters_that_parsers_disagree_on_are_refused(url: str, shown: str) -> None:
    assert f"must be percent-encoded: {shown}" in refused(url, DEVELOPMENT)


@pytest.mark.parametrize(
    "url",
    [
        "https:///x",
        "https://-bad-.example.com/",
        "https://under%5Fscore.example.com/",
        f"https://{'a' * 64}.example.com/",
        "https://a..example.com/",
        f"https://{'.'.join(['abcdefghij'] * 24)}.com/",
        "https://[::1/",
        "https://[not-an-address]/",
    ],
)
def test_hosts_that_are_not_host_names_are_refused(url: str) -> None:
    refused(url, DEVELOPMENT)


@pytest.mark.parametrize(
    "url",
    [
        "https://intranet/hook",
        "https://localhost/hook",
        "https://localhost./hook",
        "https://api.localhost/hook",
        "https://printer.local/hook",
        "https://db.internal/hook",
        "https://router.home.arpa/hook",
        "https://box.localdomain/hook",
    ],
)
def test_local_names_are_refused_unless_private_targets_are_allowed(url: str) -> None:
    refused(url)
    assert check_target_url(url, DEVELOPMENT).port == 443


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://10.0.0.8/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://100.64.0.1/hook",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://[::ffff:7f00:1]/hook",
        "https://[64:ff9b::a9fe:a9fe]/hook",
        "https://[fd00:ec2::254]/hook",
        "https://[fe80::1]/hook",
    ],
)
def test_non_public_ip_literals_are_refused_unless_private_targets_are_allowed(url: str) -> None:
    assert refused(url).startswith("The URL points to a non-public address: ")
    assert check_target_url(url, DEVELOPMENT).address is not None


def test_an_ipv6_zone_is_refused() -> None:
    assert "zone" in refused("https://[fe80::1%25eth0]/hook", DEVELOPMENT)


@pytest.mark.parametrize(
    ("host", "read_as"),
    [
        ("2130706433", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("0x7f.0.0.1", "127.0.0.1"),
        ("0x7F000001", "127.0.0.1"),
        ("017700000001", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("127.0.1", "127.0.0.1"),
        ("127.0.0.1.", "127.0.0.1"),
        ("0xA9FEA9FE", "169.254.169.254"),
        ("2852039166", "169.254.169.254"),
        ("3232235777", "192.168.1.1"),
        ("0", "0.0.0.0"),  # noqa: S104
        ("134744072", "8.8.8.8"),  # even a public address must be written plainly
        ("010.010.010.010", "8.8.8.8"),
    ],
)
def test_integer_octal_and_hex_hosts_are_refused_naming_what_they_mean(
    host: str, read_as: str
) -> None:
    assert numeric_host_value(host) == IPv4Address(read_as)
    assert IPv4Address(socket.inet_aton(host.removesuffix("."))) == IPv4Address(
        read_as
    )  # libc agrees
    for policy in (STRICT, DEVELOPMENT):
        message = refused(f"https://{host}/hook", policy)
        assert f"it would be read as {read_as}" in message


@pytest.mark.parametrize("host", ["256.1.1.1", "08.1.1.1", "1.2.3.09", "1.2.3.4.5", "4294967296"])
def test_numbers_that_are_no_address_are_refused(host: str) -> None:
    assert numeric_host_value(host) is None
    assert refused(f"https://{host}/", DEVELOPMENT) == (
        f"The host {host} is neither a name nor an IPv4 address."
    )


def test_names_that_merely_contain_digits_are_names() -> None:
    target = check_target_url("https://1password.example.com/h", STRICT)
    assert target.address is None
    assert check_target_url("https://123.example.com/h", STRICT).host == "123.example.com"


def test_a_name_is_a_target_only_if_every_address_it_resolves_to_is_public() -> None:
    public, private = ip_address("93.184.215.14"), ip_address("10.0.0.7")
    assert resolved_refusal("hooks.example.com", [public]) is None
    assert resolved_refusal("hooks.example.com", [public, private]) == (
        "The host hooks.example.com resolves to a non-public address: 10.0.0.7 (private)."
    )
    assert resolved_refusal("hooks.example.com", []) == "The host hooks.example.com has no address."
