"""The CloudEvents 1.0 envelope (structured JSON mode) every message on the bus uses."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, Literal, TypeVar

import pydantic_core
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


@dataclass(frozen=True)
class SerializedEvent:
    """An event already in its outbox form: what `CloudEvent.model_dump_json` gives."""

    id: str
    type: str
    body: str


def serialized_event(
    event_type: str,
    *,
    source: str,
    tenant_id: uuid.UUID,
    data: Any,
    subject: str | None = None,
    version: int | None = None,
) -> SerializedEvent:
    """`new_event(...).model_dump_json()` without building the models, for events made by
    the thousand from typed rows (a bulk job's): `data` is the contract's plain data as
    its model would dump it (same keys, typed values); the JSON is the same (tests check
    it against the models), not validated again."""
    event_id = str(uuid.uuid4())
    body = {
        "specversion": "1.0",
        "id": event_id,
        "source": source,
        "type": event_type,
        "time": datetime.now(UTC),
        "subject": subject,
        "datacontenttype": "application/json",
        "tenantid": tenant_id,
        "version": version,
        "data": data,
    }
    return SerializedEvent(event_id, event_type, pydantic_core.to_json(body).decode())
