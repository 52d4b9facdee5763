"""Pure rules of the invitations service: no I/O here."""
