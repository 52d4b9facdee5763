"""The invitations service's tables and every query on them."""
