"""RabbitMQ topology, the transactional outbox and its relay, and idempotent consumers."""
