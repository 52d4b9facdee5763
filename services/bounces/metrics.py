"""The bounces service's own metrics (beside shared.metrics)."""

from prometheus_client import Counter

SERVICE = "bounces"

NOTICES = Counter(
    "bounce_notices",
    "Provider notices by outcome: published, duplicates, unmatched, refused, ignored; "
    "and requests that could not be read: malformed, too_large, failed.",
    ["service", "provider", "outcome"],
)
