"""SSRF: the sender dials only addresses it checked, never a second DNS answer, and
refuses every non-public address family. "The Internet" here is `LocalInternet`: it records
each address dialled and carries the connection to the local receiver, so no packet leaves
this machine even when a public address is dialled."""

from collections.abc import AsyncIterator

import pytest

from services.webhooks.adapters.http_delivery import WebhookSender
from services.webhooks.adapters.signing import new_signing_secret
from services.webhooks.domain.events import WebhookEvent
from services.webhooks.domain.responses import Verdict
from services.webhooks.domain.samples import sample_payload
from tests.webhooks.support import LocalInternet, Receiver, ScriptedResolver

PAYLOAD = sample_payload(WebhookEvent.USER_CREATED)
PUBLIC = "93.184.215.14"
HOOK = "http://hooks.example.com/hook"


@pytest.fixture
def internet(receiver_port: int) -> LocalInternet:
    return LocalInternet(route_to=receiver_port)


def strict_sender(resolver: ScriptedResolver, internet: LocalInternet) -> WebhookSender:
    """Production rules (plain http allowed only to keep the test receiver simple)."""
    return WebhookSender(resolver=resolver, allow_http=True, network_backend=internet)


async def send(sender: WebhookSender, url: str = HOOK) -> tuple[int | None, str | None]:
    async with sender:
        result = await sender.send(
            url, event_id="evt-1", payload=PAYLOAD, secret=new_signing_secret()
        )
    return result.status, result.error


async def test_dns_that_changes_after_the_check_does_not_win(
    receiver: Receiver, internet: LocalInternet
) -> None:
    rebinding = ScriptedResolver({"hooks.example.com": [[PUBLIC], ["127.0.0.1"]]})
    async with strict_sender(rebinding, internet) as sender:
        first = await sender.send(
            HOOK, event_id="evt-1", payload=PAYLOAD, secret=new_signing_secret()
        )
        assert first.verdict is Verdict.DELIVERED
        # One lookup, and the connection went to the address that lookup gave and was
        # checked: not to the name (which would be looked up again, now 127.0.0.1).
        assert rebinding.lookups == ["hooks.example.com"]
        assert internet.dials == [(PUBLIC, 80)]
        [request] = receiver.at("/hook")
        assert request.headers["host"] == "hooks.example.com"

        second = await sender.send(
            HOOK, event_id="evt-2", payload=PAYLOAD, secret=new_signing_secret()
        )
    assert (second.status, second.verdict) == (None, Verdict.RETRY)
    assert second.error == (
        "refused: hooks.example.com resolves to a non-public address: 127.0.0.1 (loopback)"
    )
    assert internet.dials == [(PUBLIC, 80)]
    assert len(receiver.at("/hook")) == 1


async def test_one_private_address_among_public_ones_refuses_the_target(
    receiver: Receiver, internet: LocalInternet
) -> None:
    resolver = ScriptedResolver({"hooks.example.com": [[PUBLIC, "10.0.0.5"]]})
    status, error = await send(strict_sender(resolver, internet))
    assert status is None
    assert (
        error == "refused: hooks.example.com resolves to a non-public address: 10.0.0.5 (private)"
    )
    assert internet.dials == []
    assert receiver.received == []


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ("127.0.0.1", "127.0.0.1 (loopback)"),
        ("10.1.2.3", "10.1.2.3 (private)"),
        ("172.20.0.2", "172.20.0.2 (private)"),
        ("192.168.0.10", "192.168.0.10 (private)"),
        ("169.254.169.254", "169.254.169.254 (link-local)"),
        ("100.64.0.1", "100.64.0.1 (shared address space)"),
        ("0.0.0.0", "0.0.0.0 (unspecified)"),  # noqa: S104
        ("224.0.0.251", "224.0.0.251 (multicast)"),
        ("255.255.255.255", "255.255.255.255 (reserved)"),
        ("::1", "::1 (loopback)"),
        ("::", ":: (unspecified)"),
        ("fe80::1", "fe80::1 (link-local)"),
        ("fd00:ec2::254", "fd00:ec2::254 (unique-local)"),
        ("ff02::1", "ff02::1 (multicast)"),
        ("::ffff:127.0.0.1", "::ffff:7f00:1 (carries 127.0.0.1: loopback)"),
        ("::ffff:169.254.169.254", "::ffff:a9fe:a9fe (carries 169.254.169.254: link-local)"),
        ("64:ff9b::a00:5", "64:ff9b::a00:5 (carries 10.0.0.5: private)"),
        ("2002:7f00:1::1", "2002:7f00:1::1 (carries 127.0.0.1: loopback)"),
        ("::127.0.0.1", "::7f00:1 (deprecated IPv4-compatible)"),
    ],
)
async def test_every_non_public_family_is_refused_at_delivery(
    answer: str, reason: str, receiver: Receiver, internet: LocalInternet
) -> None:
    resolver = ScriptedResolver({"hooks.example.com": [[answer]]})
    status, error = await send(strict_sender(resolver, internet))
    assert (status, error) == (
        None,
        f"refused: hooks.example.com resolves to a non-public address: {reason}",
    )
    assert internet.dials == []


@pytest.mark.parametrize(
    "url",
    [
        "http://2130706433/hook",
        "http://0177.0.0.1/hook",
        "http://0x7f.1/hook",
        "http://127.0.0.1/hook",
        "http://[::ffff:7f00:1]/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://localhost/hook",
        "http://metadata.google.internal/computeMetadata/v1/",
    ],
)
async def test_unsafe_urls_are_refused_before_any_lookup_or_dial(
    url: str, receiver: Receiver, internet: LocalInternet
) -> None:
    resolver = ScriptedResolver({})
    status, error = await send(strict_sender(resolver, internet), url)
    assert status is None
    assert error is not None
    assert error.startswith("refused: ")
    assert resolver.lookups == []
    assert internet.dials == []


async def test_plain_http_is_refused_unless_allowed(internet: LocalInternet) -> None:
    resolver = ScriptedResolver({"hooks.example.com": [[PUBLIC]]})
    status, error = await send(WebhookSender(resolver=resolver, network_backend=internet))
    assert (status, error) == (None, "refused: The URL must use https.")
    assert internet.dials == []


async def test_a_public_ip_literal_is_dialled_without_a_lookup(
    receiver: Receiver, internet: LocalInternet
) -> None:
    resolver = ScriptedResolver({})
    status, error = await send(strict_sender(resolver, internet), f"http://{PUBLIC}/hook")
    assert (status, error) == (204, None)
    assert internet.dials == [(PUBLIC, 80)]
    assert resolver.lookups == []


@pytest.fixture
async def dev_sender(internet: LocalInternet) -> AsyncIterator[WebhookSender]:
    resolver = ScriptedResolver({"hooks.example.com": [["127.0.0.1"]]})
    async with WebhookSender(
        resolver=resolver, allow_http=True, allow_private=True, network_backend=internet
    ) as sender:
        yield sender


async def test_allowing_private_targets_lets_local_receivers_through(
    dev_sender: WebhookSender, receiver: Receiver, internet: LocalInternet
) -> None:
    result = await dev_sender.send(
        HOOK, event_id="evt-1", payload=PAYLOAD, secret=new_signing_secret()
    )
    assert result.status == 204
    assert internet.dials == [("127.0.0.1", 80)]


async def test_a_public_ipv6_literal_is_dialled_as_it_is(
    receiver: Receiver, internet: LocalInternet
) -> None:
    status, error = await send(
        strict_sender(ScriptedResolver({}), internet), "http://[2606:4700:4700::1111]/hook"
    )
    assert (status, error) == (204, None)
    assert internet.dials == [("2606:4700:4700::1111", 80)]
    [request] = receiver.at("/hook")
    assert request.headers["host"] == "[2606:4700:4700::1111]"
