"""/api/v1/hooks: REST hooks as Zapier expects them (subscribe, unsubscribe, list,
samples), and their health and attempts for administrators."""

import uuid
from typing import Annotated, Any

from fastapi import Query, Response, status

from services.webhooks.api.dependencies import AnyCaller, Rules
from services.webhooks.api.schemas import AttemptOut, HookIn, HookOut, NewHookOut
from services.webhooks.usecases.enable_hook import enable_hook
from services.webhooks.usecases.list_attempts import list_attempts
from services.webhooks.usecases.list_samples import list_samples
from services.webhooks.usecases.show_hooks import list_hooks, show_hook
from services.webhooks.usecases.subscribe import subscribe
from services.webhooks.usecases.unsubscribe import unsubscribe
from shared.http.authentication import ServiceRouter
from shared.http.dependencies import UoW
from shared.schemas import Page

router = ServiceRouter(prefix="/api/v1/hooks", tags=["hooks"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Subscribe a URL to an event (Zapier's performSubscribe); the secret is shown once",
)
async def create_hook(body: HookIn, caller: AnyCaller, uow: UoW, rules: Rules) -> NewHookOut:
    new = await subscribe(uow, caller, body.target_url, body.event, rules)
    return NewHookOut(**HookOut.of(new.hook).model_dump(), secret=new.secret)


@router.get("", summary="The tenant's hooks, with their state and last error")
async def get_hooks(caller: AnyCaller, uow: UoW) -> list[HookOut]:
    return [HookOut.of(hook) for hook in await list_hooks(uow, caller)]


@router.get(
    "/samples/{event}",
    summary="Recent payloads of an event, newest first, as delivered (Zapier's performList)",
)
async def get_samples(event: str, caller: AnyCaller, uow: UoW) -> list[dict[str, Any]]:
    return await list_samples(uow, caller, event)


@router.get("/{hook_id}", summary="One hook")
async def get_hook(hook_id: uuid.UUID, caller: AnyCaller, uow: UoW) -> HookOut:
    return HookOut.of(await show_hook(uow, caller, hook_id))


@router.delete(
    "/{hook_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Unsubscribe (Zapier's performUnsubscribe): the hook and its queue are deleted",
)
async def delete_hook(hook_id: uuid.UUID, caller: AnyCaller, uow: UoW) -> Response:
    await unsubscribe(uow, caller, hook_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{hook_id}/enable", summary="Enable a disabled hook again (new events only)")
async def enable(hook_id: uuid.UUID, caller: AnyCaller, uow: UoW) -> HookOut:
    return HookOut.of(await enable_hook(uow, caller, hook_id))


@router.get("/{hook_id}/attempts", summary="The hook's delivery attempts, newest first")
async def get_attempts(
    hook_id: uuid.UUID,
    caller: AnyCaller,
    uow: UoW,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> Page[AttemptOut]:
    page = await list_attempts(uow, caller, hook_id, limit, cursor)
    items = [AttemptOut.of(attempt) for attempt in page.items]
    return Page(items=items, next_cursor=page.next_cursor, total=page.total)
