"""The webhooks service's HTTP API: API keys, REST hooks, Zapier's search."""
