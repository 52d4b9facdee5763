"""Pure rules of the webhooks service: payloads, event names, retries, target safety. No I/O."""
