"""The webhooks service: Zapier REST hooks and signed deliveries of user events."""
