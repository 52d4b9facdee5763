"""The broker topology, declared by every service at start.

One durable topic exchange carries every event, its routing key being the event type.
Each service consumes from its own durable quorum queues; each queue dead-letters to
its own `<queue>.dead-letter` queue, so a message that can't be processed is parked
there with the reason, never lost and never retried forever.
"""

from dataclasses import dataclass

from faststream.rabbit import ExchangeType, QueueType, RabbitBroker, RabbitExchange, RabbitQueue
from faststream.rabbit.schemas.queue import QuorumQueueArgs

EVENTS_EXCHANGE = RabbitExchange("lms.events", type=ExchangeType.TOPIC, durable=True)
DEAD_LETTER_EXCHANGE = RabbitExchange("lms.dead-letter", type=ExchangeType.DIRECT, durable=True)

# RabbitMQ dead-letters a message after this many deliveries even if the consumer never
# got to record a failure (e.g. it crashed on it each time). The consumer's own retry
# limit is lower, so normally it parks the message itself, with the error.
BROKER_DELIVERY_LIMIT = 20
DEAD_LETTER_SUFFIX = ".dead-letter"


@dataclass(frozen=True)
class ConsumerQueue:
    name: str
    bindings: tuple[str, ...]
    batch_size: int = 1
    """How many messages that arrive together one transaction may apply (the consumer's
    batch mode); 1: one transaction per message. At most the channel's prefetch."""
    in_order: bool = False
    """Apply this process's messages one at a time, in the order they arrived (the
    consumer otherwise applies the prefetched ones concurrently, and a later event may
    commit first). For queues whose effects must keep the events' order."""
    single_active_consumer: bool = False
    """One consumer at a time across every process (RabbitMQ's single active consumer):
    the other replicas' consumers wait as hot standbys and take over when it goes. With
    `in_order`, the queue's order then holds across replicas too."""
    replaces: str | None = None
    """The queue this one took over from: a queue's arguments can't be changed once
    declared (PRECONDITION_FAILED), so a queue that needs new ones gets a new name. At
    start, the old queue is unbound, its messages applied first, then it is deleted
    (`shared.messaging.retired`); the inbox keeps the old name, so a message in both
    (routed while the two were bound) is applied once."""

    @property
    def dead_letter_name(self) -> str:
        return self.name + DEAD_LETTER_SUFFIX

    @property
    def inbox_name(self) -> str:
        """The consumer's name in the inbox (`processed_messages`)."""
        return self.replaces or self.name

    def queue(self) -> RabbitQueue:
        arguments: QuorumQueueArgs = {
            "x-dead-letter-exchange": DEAD_LETTER_EXCHANGE.name,
            "x-dead-letter-routing-key": self.name,
            "x-dead-letter-strategy": "at-least-once",
            "x-overflow": "reject-publish",
            "x-delivery-limit": BROKER_DELIVERY_LIMIT,
        }
        if self.single_active_consumer:
            arguments["x-single-active-consumer"] = True
        return RabbitQueue(
            self.name,
            queue_type=QueueType.QUORUM,
            durable=True,
            arguments=arguments,
        )

    def dead_letter_queue(self) -> RabbitQueue:
        return RabbitQueue(self.dead_letter_name, queue_type=QueueType.QUORUM, durable=True)


async def declare_topology(broker: RabbitBroker, queues: tuple[ConsumerQueue, ...]) -> None:
    """Declare the exchanges, each queue with its bindings and its dead-letter queue.

    Declarations are idempotent, so every replica of every service does this at start.
    """
    events = await broker.declare_exchange(EVENTS_EXCHANGE)
    dead_letters = await broker.declare_exchange(DEAD_LETTER_EXCHANGE)
    for consumer_queue in queues:
        parked = await broker.declare_queue(consumer_queue.dead_letter_queue())
        await parked.bind(dead_letters, routing_key=consumer_queue.name)
        queue = await broker.declare_queue(consumer_queue.queue())
        for routing_key in consumer_queue.bindings:
            await queue.bind(events, routing_key=routing_key)
