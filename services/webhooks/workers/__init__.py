"""The webhooks service's background work: sending deliveries, purging old history."""
