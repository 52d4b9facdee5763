"""Bounces: provider webhooks (/webhooks/email/{provider}) verified, stored, normalised,
de-duplicated and published as `email.*`. Not built yet: see the issues and DESIGN.md."""
