"""/api/v1/integrations: what an integration looks up or does (Zapier's searches,
actions and the choices of their fields)."""

from typing import Annotated, Any

from fastapi import Depends, Header, Query, Request, status

from services.webhooks.adapters.directory import DirectoryCommands
from services.webhooks.api.dependencies import AnyCaller
from services.webhooks.api.schemas import GroupOut
from services.webhooks.usecases.find_user import find_user_by_email
from services.webhooks.usecases.invite_user import invite_user
from services.webhooks.usecases.list_groups import list_groups
from shared.contracts.directory_commands import MAX_GROUPS_PER_PAGE, NewUser
from shared.http.authentication import ServiceRouter
from shared.http.dependencies import UoW
from shared.schemas import InvitationIn, Page

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
    return await invite_user(commands, caller, NewUser(**body.model_dump()), idempotency_key)


@router.get(
    "/groups",
    summary="The tenant's groups by name, a page at a time: what the Invite User action's "
    "Groups field offers",
    responses={503: {"description": "The directory did not answer in time; try again."}},
)
async def groups(
    caller: AnyCaller,
    commands: Annotated[DirectoryCommands, Depends(directory)],
    limit: Annotated[int, Query(ge=1, le=MAX_GROUPS_PER_PAGE)] = 100,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> Page[GroupOut]:
    page = await list_groups(commands, caller, limit, cursor)
    items = [GroupOut.of(group) for group in page.items]
    return Page(items=items, next_cursor=page.next_cursor, total=page.total)
