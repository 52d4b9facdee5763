"""`/api/v1/suppressions`: the tenant's suppression list for administrators (the access
token must allow `suppressions:manage`), and lifting one address."""

from typing import Annotated

from fastapi import Query, Response

from services.invitations.api.dependencies import SuppressionsAdmin
from services.invitations.api.schemas import (
    SuppressionPage,
    suppression_cursor,
    suppression_out,
    suppression_position,
)
from services.invitations.usecases.lift_suppression import lift_suppression
from services.invitations.usecases.list_suppressions import list_suppressions
from shared.http.authentication import ServiceRouter
from shared.http.dependencies import UoW

router = ServiceRouter(prefix="/api/v1/suppressions", tags=["suppressions"])


@router.get("", summary="The addresses not mailed, newest first")
async def get_suppressions(
    admin: SuppressionsAdmin,
    uow: UoW,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=2000)] = None,
) -> SuppressionPage:
    rows = await list_suppressions(uow, admin.tenant_id, limit + 1, suppression_position(cursor))
    items, more = rows[:limit], len(rows) > limit
    return SuppressionPage(
        items=[suppression_out(row) for row in items],
        next_cursor=suppression_cursor(items[-1]) if more else None,
    )


@router.delete(
    "/{email:path}",
    status_code=204,
    summary="Lift an address's suppression (audited: `suppression.lifted`)",
    responses={404: {"description": "The address is not on the suppression list."}},
)
async def delete_suppression(email: str, admin: SuppressionsAdmin, uow: UoW) -> Response:
    await lift_suppression(uow, admin, email)
    return Response(status_code=204)
