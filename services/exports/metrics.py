"""The exports service's own metrics (prometheus-client), with the `service` label every
metric carries (shared/metrics.py)."""

from prometheus_client import Counter

EXPORTS_FINISHED = Counter(
    "exports_finished",
    "Export jobs ended, by outcome: done, retried, failed.",
    ["service", "outcome"],
)
FILES_EXPIRED = Counter("export_files_expired", "Export files removed at expiry.", ["service"])
