"""The outside world but the database and the bus: writing and sending e-mails."""
