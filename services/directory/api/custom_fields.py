"""/api/v1/custom-fields: the fields an admin defines on accounts."""

import uuid
from datetime import datetime

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, Field

from services.directory.api.dependencies import CanManageCustomFields, CanReadUsers, DbSession
from services.directory.db import custom_fields as fields_db
from services.directory.db.models import CustomField
from services.directory.domain.custom_fields import FieldType
from services.directory.usecases import custom_fields
from shared.schemas import RequestModel

router = APIRouter(prefix="/api/v1/custom-fields", tags=["custom fields"])


class FieldIn(RequestModel):
    key: str = Field(min_length=1, max_length=64, description="Fixed once created, e.g. hire_date.")
    label: str = Field(min_length=1, max_length=200)
    type: FieldType
    required: bool = False
    choices: list[str] = Field(default_factory=list, max_length=200)
    position: int = Field(default=0, ge=0, le=10_000)


class FieldPatch(RequestModel):
    label: str | None = Field(default=None, min_length=1, max_length=200)
    required: bool | None = None
    choices: list[str] | None = Field(default=None, max_length=200)
    position: int | None = Field(default=None, ge=0, le=10_000)


class FieldOut(BaseModel):
    id: uuid.UUID
    key: str
    label: str
    type: FieldType
    required: bool
    choices: list[str]
    position: int
    created_at: datetime


def _out(field: CustomField) -> FieldOut:
    return FieldOut.model_validate(field, from_attributes=True)


@router.get("", summary="All custom fields, in display order")
async def list_fields(actor: CanReadUsers, session: DbSession) -> list[FieldOut]:
    return [_out(f) for f in await fields_db.list_fields(session, actor.tenant_id)]


@router.post("", status_code=status.HTTP_201_CREATED, summary="Define a custom field")
async def define_field(body: FieldIn, actor: CanManageCustomFields, session: DbSession) -> FieldOut:
    field = await custom_fields.define_field(
        session,
        actor,
        key=body.key,
        label=body.label,
        field_type=body.type,
        required=body.required,
        choices=body.choices,
        position=body.position,
    )
    return _out(field)


@router.patch("/{field_id}", summary="Change a custom field's label, choices, order")
async def change_field(
    field_id: uuid.UUID, body: FieldPatch, actor: CanManageCustomFields, session: DbSession
) -> FieldOut:
    changes = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None}
    return _out(await custom_fields.change_field(session, actor, field_id, changes))


@router.delete(
    "/{field_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a custom field and its values",
)
async def delete_field(
    field_id: uuid.UUID, actor: CanManageCustomFields, session: DbSession
) -> Response:
    await custom_fields.delete_field(session, actor, field_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
