"""The webhooks service's own metrics (prometheus-client), with the `service` label every
metric carries (shared/metrics.py)."""

from prometheus_client import Counter, Gauge, Histogram

DELIVERY_ATTEMPTS = Counter(
    "webhook_deliveries",
    "Delivery attempts, by outcome: delivered, retrying (failed, tried again later), "
    "exhausted (failed for the last time), gone (410: the hook is deleted).",
    ["service", "outcome"],
)
HOOKS_DISABLED = Counter(
    "webhook_hooks_disabled", "Hooks disabled after failing for too long.", ["service"]
)
ATTEMPT_DURATION = Histogram(
    "webhook_attempt_duration_seconds",
    "Time from sending a delivery to its answer (or failure).",
    ["service"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30),
)
IN_FLIGHT = Gauge("webhook_deliveries_in_flight", "Deliveries being sent now.", ["service"])
