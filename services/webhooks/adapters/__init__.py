"""The webhooks service's outside world: sending signed deliveries over HTTP."""
