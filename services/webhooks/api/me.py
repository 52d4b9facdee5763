"""/api/v1/me: who an API key belongs to (Zapier's connection test and label)."""

from services.webhooks.api.dependencies import KeyCaller
from services.webhooks.api.schemas import MeOut
from shared.http.authentication import ServiceRouter

router = ServiceRouter(prefix="/api/v1/me", tags=["api keys"])


@router.get("", summary="The API key's tenant and name")
async def me(caller: KeyCaller) -> MeOut:
    key = caller.key
    assert key is not None  # KeyCaller is always a key's
    return MeOut(
        tenant_id=key.tenant_id,
        key_id=key.id,
        key_name=key.name,
        key_prefix=key.prefix,
        label=key.label,
    )
