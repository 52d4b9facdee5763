"""Is a request really from the provider? Pure checks: every one takes the raw body as
received, the keys configured (several at once during a rotation) and the current time,
and raises `NotAuthentic` with a reason for the logs."""
