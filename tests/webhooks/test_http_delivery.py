"""The sender against a real local HTTP receiver (private targets allowed, as in
development): signatures, redirects, timeouts, 410 and failures."""

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from standardwebhooks import Webhook

from services.webhooks.adapters.http_delivery import WebhookSender, json_body
from services.webhooks.adapters.signing import new_signing_secret
from services.webhooks.domain.events import WebhookEvent
from services.webhooks.domain.responses import Verdict
from services.webhooks.domain.samples import sample_payload
from tests.webhooks.support import LocalInternet, Receiver, ScriptedResolver

PAYLOAD = sample_payload(WebhookEvent.USER_ACTIVATED)
EVENT_ID = str(PAYLOAD["id"])


@pytest.fixture
async def sender() -> AsyncIterator[WebhookSender]:
    async with WebhookSender(allow_http=True, allow_private=True) as sender:
        yield sender


@pytest.fixture
def url(receiver_port: int) -> str:
    return f"http://127.0.0.1:{receiver_port}"


async def test_the_receiver_verifies_the_signature_with_the_standardwebhooks_library(
    sender: WebhookSender, receiver: Receiver, url: str
) -> None:
    secret = new_signing_secret()
    result = await sender.send(f"{url}/hook", event_id=EVENT_ID, payload=PAYLOAD, secret=secret)

    assert (result.status, result.error, result.verdict) == (204, None, Verdict.DELIVERED)
    assert result.duration_ms > 0
    [request] = receiver.at("/hook")
    assert Webhook(secret).verify(request.body, request.headers) == PAYLOAD
    assert request.headers["webhook-id"] == EVENT_ID
    assert request.headers["content-type"] == "application/json"
    assert request.body == json_body(PAYLOAD)
    assert abs(int(request.headers["webhook-timestamp"]) - time.time()) < 5


async def test_another_secret_does_not_verify(
    sender: WebhookSender, receiver: Receiver, url: str
) -> None:
    await sender.send(
        f"{url}/hook", event_id=EVENT_ID, payload=PAYLOAD, secret=new_signing_secret()
    )
    [request] = receiver.at("/hook")
    with pytest.raises(Exception, match="No matching signature"):
        Webhook(new_signing_secret()).verify(request.body, request.headers)


async def test_a_retry_carries_the_same_webhook_id_and_a_fresh_timestamp(
    sender: WebhookSender, receiver: Receiver, url: str
) -> None:
    secret = new_signing_secret()
    earlier = datetime.fromtimestamp(time.time() - 120, UTC)
    await sender.send(f"{url}/hook", event_id=EVENT_ID, payload=PAYLOAD, secret=secret, now=earlier)
    await sender.send(f"{url}/hook", event_id=EVENT_ID, payload=PAYLOAD, secret=secret)
    first, retry = receiver.at("/hook")
    assert first.headers["webhook-id"] == retry.headers["webhook-id"] == EVENT_ID
    assert int(retry.headers["webhook-timestamp"]) - int(first.headers["webhook-timestamp"]) >= 119
    for request in (first, retry):
        assert Webhook(secret).verify(request.body, request.headers) == PAYLOAD


async def test_non_ascii_text_is_sent_as_utf8_and_verifies(
    sender: WebhookSender, receiver: Receiver, url: str
) -> None:
    secret = new_signing_secret()
    payload = PAYLOAD | {"first_name": "Zoé", "last_name": "Łukasiewicz-Nguyễn"}
    await sender.send(f"{url}/hook", event_id=EVENT_ID, payload=payload, secret=secret)
    [request] = receiver.at("/hook")
    assert "Zoé".encode() in request.body
    assert Webhook(secret).verify(request.body, request.headers) == payload


async def test_a_redirect_is_not_followed(
    sender: WebhookSender, receiver: Receiver, url: str
) -> None:
    result = await sender.send(
        f"{url}/redirect", event_id=EVENT_ID, payload=PAYLOAD, secret=new_signing_secret()
    )
    assert result.status == 302
    assert result.verdict is Verdict.RETRY
    assert (
        result.error
        == "HTTP 302 Found: redirect to /hook not followed; subscribe with the final URL"
    )
    assert len(receiver.at("/redirect")) == 1
    assert receiver.at("/hook") == []


async def test_410_gone_says_unsubscribe(
    sender: WebhookSender, receiver: Receiver, url: str
) -> None:
    result = await sender.send(
        f"{url}/gone", event_id=EVENT_ID, payload=PAYLOAD, secret=new_signing_secret()
    )
    assert (result.status, result.gone, result.verdict) == (410, True, Verdict.UNSUBSCRIBE)


async def test_a_server_error_is_a_failure_quoting_the_answer(
    sender: WebhookSender, receiver: Receiver, url: str
) -> None:
    result = await sender.send(
        f"{url}/fail", event_id=EVENT_ID, payload=PAYLOAD, secret=new_signing_secret()
    )
    assert (result.status, result.verdict) == (500, Verdict.RETRY)
    assert result.error == "HTTP 500 Internal Server Error: database down, try later"


async def test_a_huge_error_body_is_quoted_short(
    sender: WebhookSender, receiver: Receiver, url: str
) -> None:
    result = await sender.send(
        f"{url}/huge-error", event_id=EVENT_ID, payload=PAYLOAD, secret=new_signing_secret()
    )
    assert result.status == 500
    assert result.error is not None
    assert result.error == "HTTP 500 Internal Server Error: " + "x" * 200


async def test_a_receiver_that_does_not_answer_in_time_is_a_timeout(
    receiver: Receiver, url: str
) -> None:
    async with WebhookSender(allow_http=True, allow_private=True, total_timeout=0.5) as sender:
        started = time.perf_counter()
        result = await sender.send(
            f"{url}/slow", event_id=EVENT_ID, payload=PAYLOAD, secret=new_signing_secret()
        )
        elapsed = time.perf_counter() - started
    assert (result.status, result.verdict) == (None, Verdict.RETRY)
    assert result.error == "no complete answer within 0.5 s"
    assert 0.5 <= elapsed < 1.5
    assert 500 <= result.duration_ms < 1500
    assert len(receiver.at("/slow")) == 1


async def test_a_server_that_never_accepts_the_connection_is_a_connect_timeout() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port)):  # fills the accept queue
            async with WebhookSender(
                allow_http=True, allow_private=True, connect_timeout=0.3, total_timeout=5
            ) as sender:
                started = time.perf_counter()
                result = await sender.send(
                    f"http://127.0.0.1:{port}/hook",
                    event_id=EVENT_ID,
                    payload=PAYLOAD,
                    secret=new_signing_secret(),
                )
                elapsed = time.perf_counter() - started
    assert (result.status, result.error) == (None, "connection timed out")
    assert 0.3 <= elapsed < 2


async def test_a_closed_port_is_a_connection_failure(sender: WebhookSender) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = await sender.send(
        f"http://127.0.0.1:{port}/hook",
        event_id=EVENT_ID,
        payload=PAYLOAD,
        secret=new_signing_secret(),
    )
    assert result.status is None
    assert result.error is not None
    assert result.error.startswith("could not connect: ")


async def test_the_addresses_of_a_name_are_tried_in_turn(
    receiver: Receiver, receiver_port: int
) -> None:
    resolver = ScriptedResolver({"receiver.test": [["127.0.0.2", "127.0.0.1"]]})
    internet = LocalInternet()  # dials for real, on this machine
    async with WebhookSender(
        resolver=resolver, allow_http=True, allow_private=True, network_backend=internet
    ) as sender:
        result = await sender.send(
            f"http://receiver.test:{receiver_port}/hook",
            event_id=EVENT_ID,
            payload=PAYLOAD,
            secret=new_signing_secret(),
        )
    assert result.status == 204
    assert internet.dials == [("127.0.0.2", receiver_port), ("127.0.0.1", receiver_port)]
    [request] = receiver.at("/hook")
    assert request.headers["host"] == f"receiver.test:{receiver_port}"


async def test_a_name_that_does_not_resolve_is_a_connection_failure() -> None:
    async with WebhookSender(
        resolver=ScriptedResolver({}), allow_http=True, allow_private=True
    ) as sender:
        result = await sender.send(
            "http://nowhere.test/hook",
            event_id=EVENT_ID,
            payload=PAYLOAD,
            secret=new_signing_secret(),
        )
    assert result.status is None
    assert result.error is not None
    assert result.error.startswith("could not connect: nowhere.test could not be resolved")


async def test_the_system_resolver_is_used_by_default(
    receiver: Receiver, receiver_port: int
) -> None:
    async with WebhookSender(allow_http=True, allow_private=True) as sender:
        result = await sender.send(
            f"http://localhost:{receiver_port}/hook",
            event_id=EVENT_ID,
            payload=PAYLOAD,
            secret=new_signing_secret(),
        )
    assert result.status == 204


async def test_many_deliveries_at_once_all_arrive_once(
    sender: WebhookSender, receiver: Receiver, url: str
) -> None:
    secret = new_signing_secret()
    results = await asyncio.gather(
        *(
            sender.send(
                f"{url}/hook", event_id=f"evt-{n}", payload=PAYLOAD | {"n": n}, secret=secret
            )
            for n in range(50)
        )
    )
    assert {r.status for r in results} == {204}
    received = sorted(json.loads(r.body)["n"] for r in receiver.at("/hook"))
    assert received == list(range(50))
