"""/api/v1/custom-fields: the fields an admin defines on accounts."""

import uuid

from fastapi import Response, status

from services.directory.api.dependencies import CanManageCustomFields, CanReadUsers, UoW
from services.directory.api.schemas import FieldIn, FieldOut, FieldPatch, field_out
from services.directory.usecases.change_custom_field import change_custom_field
from services.directory.usecases.define_custom_field import NewField, define_custom_field
from services.directory.usecases.delete_custom_field import delete_custom_field
from services.directory.usecases.list_custom_fields import list_custom_fields
from shared.http.authentication import ServiceRouter

router = ServiceRouter(prefix="/api/v1/custom-fields", tags=["custom fields"])


@router.get("", summary="All custom fields, in display order")
async def list_fields(actor: CanReadUsers, uow: UoW) -> list[FieldOut]:
    return [field_out(f) for f in await list_custom_fields(uow, actor)]


@router.post("", status_code=status.HTTP_201_CREATED, summary="Define a custom field")
async def define_field(body: FieldIn, actor: CanManageCustomFields, uow: UoW) -> FieldOut:
    return field_out(await define_custom_field(uow, actor, NewField(**body.model_dump())))


@router.patch("/{field_id}", summary="Change a custom field's label, choices, order")
async def change_field(
    field_id: uuid.UUID, body: FieldPatch, actor: CanManageCustomFields, uow: UoW
) -> FieldOut:
    return field_out(await change_custom_field(uow, actor, field_id, body.changes()))


@router.delete(
    "/{field_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a custom field and its values",
)
async def delete_field(field_id: uuid.UUID, actor: CanManageCustomFields, uow: UoW) -> Response:
    await delete_custom_field(uow, actor, field_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
