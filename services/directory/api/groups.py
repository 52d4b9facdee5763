"""/api/v1/groups: groups and their members."""

import uuid
from datetime import datetime

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, Field

from services.directory.api.dependencies import CanManageGroups, CanReadUsers, DbSession
from services.directory.db import groups as groups_db
from services.directory.db.models import Group
from services.directory.usecases import groups
from shared.schemas import RequestModel

router = APIRouter(prefix="/api/v1/groups", tags=["groups"])


class GroupIn(RequestModel):
    name: str = Field(min_length=1, max_length=200)


class GroupOut(BaseModel):
    id: uuid.UUID
    name: str
    member_count: int
    created_at: datetime


def _out(group: Group, members: int = 0) -> GroupOut:
    return GroupOut(id=group.id, name=group.name, member_count=members, created_at=group.created_at)


@router.get("", summary="All groups, with their number of members")
async def list_groups(actor: CanReadUsers, session: DbSession) -> list[GroupOut]:
    rows = await groups_db.list_groups_with_counts(session, actor.tenant_id)
    return [_out(group, members) for group, members in rows]


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create a group")
async def create_group(body: GroupIn, actor: CanManageGroups, session: DbSession) -> GroupOut:
    return _out(await groups.create_group(session, actor, body.name))


@router.patch("/{group_id}", summary="Rename a group")
async def rename_group(
    group_id: uuid.UUID, body: GroupIn, actor: CanManageGroups, session: DbSession
) -> GroupOut:
    group = await groups.rename_group(session, actor, group_id, body.name)
    return _out(group, len(await groups_db.member_ids(session, actor.tenant_id, group.id)))


@router.delete("/{group_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete a group")
async def delete_group(group_id: uuid.UUID, actor: CanManageGroups, session: DbSession) -> Response:
    await groups.delete_group(session, actor, group_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put(
    "/{group_id}/members/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Add a user to a group",
)
async def add_member(
    group_id: uuid.UUID, user_id: uuid.UUID, actor: CanManageGroups, session: DbSession
) -> Response:
    await groups.add_member(session, actor, group_id, user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete(
    "/{group_id}/members/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a user from a group",
)
async def remove_member(
    group_id: uuid.UUID, user_id: uuid.UUID, actor: CanManageGroups, session: DbSession
) -> Response:
    await groups.remove_member(session, actor, group_id, user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
