"""What every service needs: message contracts, broker topology, outbox and inbox,
settings, database sessions, logging, HTTP errors and access-token verification."""
