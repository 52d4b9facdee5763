"""/api/v1/integrations: what an integration looks up or does (Zapier's searches and
actions)."""

from typing import Annotated, Any

from fastapi import Depends, Header, Query, Request, status

from services.webhooks.adapters.directory import DirectoryCommands
from services.webhooks.api.dependencies import AnyCaller
from services.webhooks.usecases.find_user import find_user_by_email
from services.webhooks.usecases.invite_user import invite_user
from shared.contracts.directory_commands import NewUser
from shared.http.authentication import ServiceRouter
from shared.http.dependencies import UoW
from shared.schemas import InvitationIn

router = ServiceRouter(prefix="/api/v1/integrations", tags=["integrations"])


def directory(request: Request) -> DirectoryCommands:
    value: DirectoryCommands = request.app.state.directory
    return value


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


@router.post(
    "/invitations",
    status_code=status.HTTP_201_CREATED,
    summary="Invite a user, as the administrator who created the API key: the new user, "
    "in the flat shape of user events",
    responses={503: {"description": "The directory did not answer in time; try again."}},
)
async def invite(
    body: InvitationIn,
    caller: AnyCaller,
    commands: Annotated[DirectoryCommands, Depends(directory)],
    idempotency_key: Annotated[
        str | None,
        Header(
            min_length=1,
            max_length=255,
            description="The same key again (a retry) answers with the user the first "
            "request invited, instead of inviting twice.",
        ),
    ] = None,
) -> dict[str, Any]:
    user = await invite_user(commands, caller, NewUser(**body.model_dump()), idempotency_key)
    return user
