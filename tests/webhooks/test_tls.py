"""HTTPS to a pinned address: the connection goes to the checked IP while TLS asks for
(SNI) and verifies the certificate of the URL's name."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from services.webhooks.adapters.http_delivery import WebhookSender
from services.webhooks.adapters.signing import new_signing_secret
from services.webhooks.domain.events import WebhookEvent
from services.webhooks.domain.samples import sample_payload
from tests.webhooks.support import LocalInternet, ScriptedResolver
from tests.webhooks.tls import Certificates, HttpsReceiver, issue

PAYLOAD = sample_payload(WebhookEvent.EXPORT_COMPLETED)
PUBLIC = "93.184.215.14"


@pytest.fixture
def certificates(tmp_path: Path) -> Certificates:
    return issue(tmp_path, "hooks.example.com")


@pytest.fixture
async def https_receiver(certificates: Certificates) -> AsyncIterator[tuple[HttpsReceiver, int]]:
    receiver = HttpsReceiver(certificates)
    port = await receiver.start()
    yield receiver, port
    await receiver.stop()


async def send(sender: WebhookSender, url: str) -> tuple[int | None, str | None]:
    async with sender:
        result = await sender.send(
            url, event_id="evt-1", payload=PAYLOAD, secret=new_signing_secret()
        )
    return result.status, result.error


async def test_tls_is_for_the_name_while_the_checked_address_is_dialled(
    certificates: Certificates, https_receiver: tuple[HttpsReceiver, int]
) -> None:
    receiver, port = https_receiver
    internet = LocalInternet(route_to=port)
    resolver = ScriptedResolver({"hooks.example.com": [[PUBLIC]]})
    sender = WebhookSender(
        resolver=resolver, ssl_context=certificates.client_context(), network_backend=internet
    )
    status, error = await send(sender, f"https://hooks.example.com:{port}/hook")
    assert (status, error) == (204, None)
    assert internet.dials == [(PUBLIC, port)]
    assert receiver.server_names == ["hooks.example.com"]
    assert receiver.hosts == [f"hooks.example.com:{port}"]


async def test_a_certificate_for_another_name_is_refused(
    certificates: Certificates, https_receiver: tuple[HttpsReceiver, int]
) -> None:
    receiver, port = https_receiver
    resolver = ScriptedResolver({"other.example.com": [["127.0.0.1"]]})
    sender = WebhookSender(
        resolver=resolver, allow_private=True, ssl_context=certificates.client_context()
    )
    status, error = await send(sender, f"https://other.example.com:{port}/hook")
    assert status is None
    assert error is not None
    assert "certificate verify failed" in error
    assert "other.example.com" in error or "mismatch" in error.lower()
    assert receiver.hosts == []


async def test_an_untrusted_certificate_is_refused(
    https_receiver: tuple[HttpsReceiver, int],
) -> None:
    receiver, port = https_receiver
    resolver = ScriptedResolver({"hooks.example.com": [["127.0.0.1"]]})
    sender = WebhookSender(resolver=resolver, allow_private=True)  # the system's CAs
    status, error = await send(sender, f"https://hooks.example.com:{port}/hook")
    assert status is None
    assert error is not None
    assert "certificate verify failed" in error
    assert receiver.hosts == []
