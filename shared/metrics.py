"""The Prometheus metrics every service exposes at /metrics (prometheus-client).

Each metric carries a `service` label: production runs one service per process, but the
tests run several in one process and must tell them apart. Service-specific metrics
(e-mails sent, webhook deliveries) are defined by their service, with the same label.
"""

from prometheus_client import Counter, Gauge, Histogram

HTTP_REQUESTS = Counter(
    "http_requests",
    "HTTP requests answered, by route template and status.",
    ["service", "method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "http_request_duration_seconds",
    "Time to answer an HTTP request, by route template.",
    ["service", "method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
MESSAGES_CONSUMED = Counter(
    "messages_consumed",
    "Messages taken from a queue, by outcome: processed, duplicate, retried, parked.",
    ["service", "queue", "outcome"],
)
MESSAGE_LATENCY = Histogram(
    "message_handling_duration_seconds",
    "Time to handle one message (parse, handler, commit), by queue.",
    ["service", "queue"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
OUTBOX_PUBLISHED = Counter(
    "outbox_published", "Events the outbox relay published (confirmed).", ["service"]
)
OUTBOX_PUBLISH_FAILURES = Counter(
    "outbox_publish_failures", "Outbox rows whose publication failed (retried).", ["service"]
)
OUTBOX_BACKLOG = Gauge(
    "outbox_backlog", "Events written but not yet published, at the last scrape.", ["service"]
)
OUTBOX_OLDEST_AGE = Gauge(
    "outbox_oldest_unpublished_age_seconds",
    "Age of the oldest unpublished event, at the last scrape (0: none).",
    ["service"],
)
BROKER_CONNECTED = Gauge(
    "broker_connected", "1 while the service is connected to RabbitMQ.", ["service"]
)
WORKER_FAILURES = Counter(
    "worker_failures", "Failed passes of a background worker (retried).", ["service", "worker"]
)
LOG_LINES_SUPPRESSED = Counter(
    "log_lines_suppressed",
    "Repeats of a library's line (a reconnection attempt failing again) not written.",
    ["service", "logger"],
)
