"""Webhooks: REST-hook subscriptions (Zapier), signed deliveries with retries. Not built
yet: see the issues and DESIGN.md."""
