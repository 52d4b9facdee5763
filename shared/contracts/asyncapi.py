"""The published description of the bus, generated from the contracts:

    uv run faststream docs gen shared.contracts.asyncapi:app --yaml --out docs/asyncapi.yaml

Each event type in the catalog is documented as a publication on `lms.events` whose
payload is the CloudEvents envelope around that event's data contract; each command (a
request another service waits for the reply to) as the queue that answers it.
"""

from typing import Any

from faststream import FastStream
from faststream.rabbit import RabbitBroker
from faststream.specification import AsyncAPI
from pydantic import create_model

from shared.contracts.catalog import CATALOG, EventSpec
from shared.contracts.directory_commands import (
    INVITE_USER,
    LIST_GROUPS,
    GroupsReply,
    InviteUser,
    InviteUserReply,
    ListGroups,
)
from shared.contracts.envelope import CloudEvent
from shared.messaging.topology import EVENTS_EXCHANGE

broker = RabbitBroker(description="Every event of the LMS user management, on one topic exchange.")


def _envelope_of(spec: EventSpec) -> type[Any]:
    name = "".join(part.capitalize() for part in spec.name.replace("*", "any").split(".")) + "Event"
    return create_model(name, __base__=CloudEvent[spec.data])  # type: ignore[name-defined]


for _spec in CATALOG:
    broker.publisher(
        routing_key=_spec.name,
        exchange=EVENTS_EXCHANGE,
        title=_spec.name,
        description=_spec.description,
        schema=_envelope_of(_spec),
    )


@broker.subscriber(
    INVITE_USER.queue,
    title=INVITE_USER.queue,
    description="The directory invites a user for an integration, acting as the admin "
    "who created its API key; request/reply (the reply goes to the request's reply_to, "
    "RabbitMQ's direct reply-to). Sent by the webhooks service. The reply (InviteUserReply) "
    "is JSON: `user`, the UserSnapshot of the user events, or `failure`: `kind` (the "
    "shared.errors class: Invalid, Conflict, Forbidden...), `detail`, `errors`.",
)
async def invite_user(command: InviteUser) -> InviteUserReply:
    """Only its signature is read: it documents the command and its reply."""
    raise NotImplementedError


@broker.subscriber(
    LIST_GROUPS.queue,
    title=LIST_GROUPS.queue,
    description="The directory answers with a page of a tenant's groups by name (case "
    "aside), after the name `after`: what an integration's group picker offers (Zapier's "
    "Invite User). Request/reply like the invitation; sent by the webhooks service. The "
    "reply (GroupsReply) is JSON: `groups` ({id, name}), `more`, `total`, or `failure`.",
)
async def list_groups(command: ListGroups) -> GroupsReply:
    """Only its signature is read: it documents the command and its reply."""
    raise NotImplementedError


app = FastStream(
    broker,
    specification=AsyncAPI(
        title="LMS user management events",
        version="1.0.0",
        description=(
            "CloudEvents 1.0 (structured JSON) on the topic exchange `lms.events`; "
            "the routing key is the event type. `tenantid` scopes every event; user "
            "events carry the whole user snapshot and its `version`. Commands "
            "(request/reply) go to their own queue through the default exchange."
        ),
    ),
)
