"""/api/v1/groups: groups and their members."""

import uuid

from fastapi import Response, status

from services.directory.api.dependencies import CanManageGroups, CanReadUsers, UoW
from services.directory.api.schemas import GroupIn, GroupOut, group_out
from services.directory.usecases.add_group_member import add_group_member
from services.directory.usecases.create_group import create_group
from services.directory.usecases.delete_group import delete_group
from services.directory.usecases.list_groups import list_groups
from services.directory.usecases.remove_group_member import remove_group_member
from services.directory.usecases.rename_group import rename_group
from shared.http.authentication import ServiceRouter

router = ServiceRouter(prefix="/api/v1/groups", tags=["groups"])


@router.get("", summary="All groups, with their number of members")
async def list_all(actor: CanReadUsers, uow: UoW) -> list[GroupOut]:
    return [group_out(group, members) for group, members in await list_groups(uow, actor)]


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create a group")
async def create(body: GroupIn, actor: CanManageGroups, uow: UoW) -> GroupOut:
    return group_out(await create_group(uow, actor, body.name))


@router.patch("/{group_id}", summary="Rename a group")
async def rename(group_id: uuid.UUID, body: GroupIn, actor: CanManageGroups, uow: UoW) -> GroupOut:
    group, members = await rename_group(uow, actor, group_id, body.name)
    return group_out(group, members)


@router.delete("/{group_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete a group")
async def delete(group_id: uuid.UUID, actor: CanManageGroups, uow: UoW) -> Response:
    await delete_group(uow, actor, group_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put(
    "/{group_id}/members/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Add a user to a group",
)
async def add_member(
    group_id: uuid.UUID, user_id: uuid.UUID, actor: CanManageGroups, uow: UoW
) -> Response:
    await add_group_member(uow, actor, group_id, user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete(
    "/{group_id}/members/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a user from a group",
)
async def remove_member(
    group_id: uuid.UUID, user_id: uuid.UUID, actor: CanManageGroups, uow: UoW
) -> Response:
    await remove_group_member(uow, actor, group_id, user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
