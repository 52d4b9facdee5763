"""The published description of the bus, generated from the contracts:

    uv run faststream docs gen shared.contracts.asyncapi:app --yaml --out docs/asyncapi.yaml

Each event type in the catalog is documented as a publication on `lms.events` whose
payload is the CloudEvents envelope around that event's data contract.
"""

from typing import Any

from faststream import FastStream
from faststream.rabbit import RabbitBroker
from faststream.specification import AsyncAPI
from pydantic import create_model

from shared.contracts.catalog import CATALOG, EventSpec
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

app = FastStream(
    broker,
    specification=AsyncAPI(
        title="LMS user management events",
        version="1.0.0",
        description=(
            "CloudEvents 1.0 (structured JSON) on the topic exchange `lms.events`; "
            "the routing key is the event type. `tenantid` scopes every event; user "
            "events carry the whole user snapshot and its `version`."
        ),
    ),
)
