"""/api/v1/integrations: what an integration looks up (Zapier's searches)."""

from typing import Annotated, Any

from fastapi import Query

from services.webhooks.api.dependencies import AnyCaller
from services.webhooks.usecases.find_user import find_user_by_email
from shared.http.authentication import ServiceRouter
from shared.http.dependencies import UoW

router = ServiceRouter(prefix="/api/v1/integrations", tags=["integrations"])


@router.get(
    "/users",
    summary="Find a user by e-mail: a list of 0 or 1, in the flat shape of user events",
)
async def find_user(
    caller: AnyCaller,
    uow: UoW,
    email: Annotated[str, Query(min_length=3, max_length=320, description="Exact, any case.")],
) -> list[dict[str, Any]]:
    return await find_user_by_email(uow, caller, email)
