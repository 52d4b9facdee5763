"""Zapier's view of an invitation: an administrator makes an API key, the integration
subscribes to user.activated with it, an invited user chooses a password, and the
subscriber receives the signed event."""

import httpx
from standardwebhooks import Webhook

from tests.support.directory import Tenant
from tests.support.invitations import SmtpSink, choose_password, invitee_client
from tests.support.webhooks import HookReceiver, WebhooksStack


async def test_a_subscriber_receives_the_signed_event_when_an_invited_user_accepts(
    tenant: Tenant, smtp: SmtpSink, webhooks_stack: WebhooksStack, hook_receiver: HookReceiver
) -> None:
    token = (await tenant.admin.post("/api/v1/auth/token")).json()["access_token"]
    async with httpx.AsyncClient(
        base_url=webhooks_stack.url, headers={"Authorization": f"Bearer {token}"}
    ) as admin:
        made = await admin.post("/api/v1/api-keys", json={"name": "Zapier"})
    assert made.status_code == 201, made.text
    async with httpx.AsyncClient(
        base_url=webhooks_stack.url, headers={"X-API-Key": made.json()["key"]}
    ) as zapier:
        me = (await zapier.get("/api/v1/me")).json()
        assert me["tenant_id"] == str(tenant.id)
        hook = await zapier.post(
            "/api/v1/hooks",
            json={
                "target_url": hook_receiver.url(f"/zap/activated/{tenant.slug}"),
                "event": "user.activated",
            },
        )
    assert hook.status_code == 201, hook.text

    user = await tenant.invite("noemie.bergeron@example.com", first_name="Noémie", locale="fr")
    [mail] = await smtp.wait_for("noemie.bergeron@example.com")
    async with invitee_client() as browser:
        accepted = await choose_password(browser, mail.link)
    assert accepted.status_code == 200, accepted.text

    [hit] = await hook_receiver.wait_for(f"/zap/activated/{tenant.slug}", within=20)
    payload = Webhook(hook.json()["secret"]).verify(hit.body, hit.headers)
    assert hit.webhook_id == payload["id"]
    assert payload["event"] == "user.activated"
    assert payload["user_id"] == user["id"]
    assert payload["email"] == "noemie.bergeron@example.com"
    assert payload["first_name"] == "Noémie"
    assert payload["status"] == "active"
    assert payload["invitation_state"] == "accepted"
    assert payload["tenant_id"] == str(tenant.id)
