"""Bounces: provider webhooks (/webhooks/email/{provider}) verified, stored raw, normalised,
de-duplicated, matched to the messages the platform sent, and published as `email.*`."""
