"""The webhooks service's flows, one per module, named by what they do."""
