"""Webhooks: REST-hook subscriptions (Zapier), signed deliveries with retries. So far its
rules (domain/) and its HTTP sender (adapters/); routes, tables and workers come next."""
