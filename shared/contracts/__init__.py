"""Message contracts: the CloudEvents envelope and the data of every event (see catalog)."""

from shared.contracts.catalog import CATALOG, EventSpec, spec_for, topic_matches
from shared.contracts.envelope import (
    CONTENT_TYPE,
    CloudEvent,
    Contract,
    RawCloudEvent,
    SerializedEvent,
    new_event,
    serialized_event,
)

__all__ = [
    "CATALOG",
    "CONTENT_TYPE",
    "CloudEvent",
    "Contract",
    "EventSpec",
    "RawCloudEvent",
    "SerializedEvent",
    "new_event",
    "serialized_event",
    "spec_for",
    "topic_matches",
]
