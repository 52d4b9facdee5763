"""The CloudEvents 1.0 envelope (structured JSON mode) every message on the bus uses."""

import uuid
from datetime import UTC, datetime
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

DataT = TypeVar("DataT")

CONTENT_TYPE = "application/cloudevents+json"


class Contract(BaseModel):
    """Base of every message payload: immutable, and tolerant of fields added later."""

    model_config = ConfigDict(frozen=True, extra="ignore")


class CloudEvent(BaseModel, Generic[DataT]):
    model_config = ConfigDict(frozen=True, extra="allow")

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(
        description="Unique per event; the AMQP message_id; consumers de-duplicate on it."
    )
    source: str = Field(description="The publishing service, e.g. /services/directory.")
    type: str = Field(description="The event type, also the routing key, e.g. user.created.")
    time: datetime
    subject: str | None = Field(default=None, description="The entity concerned, e.g. a user id.")
    datacontenttype: Literal["application/json"] = "application/json"
    tenantid: uuid.UUID = Field(description="The tenant (platform) the event belongs to.")
    version: int | None = Field(
        default=None, description="User events: the user's version; newer replaces older."
    )
    data: DataT


RawCloudEvent = CloudEvent[dict[str, Any]]
"""An envelope whose data has not been validated against its type's contract yet."""


def new_event(
    event_type: str,
    *,
    source: str,
    tenant_id: uuid.UUID,
    data: DataT,
    subject: str | None = None,
    version: int | None = None,
) -> CloudEvent[DataT]:
    return CloudEvent(
        id=str(uuid.uuid4()),
        source=source,
        type=event_type,
        time=datetime.now(UTC),
        subject=subject,
        tenantid=tenant_id,
        version=version,
        data=data,
    )
