"""The bounces service's flows, one per module: ingest a provider's request, record a sent
message, confirm an SNS subscription, replay stored requests, purge what has expired."""
