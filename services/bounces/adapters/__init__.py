"""The outside world other than this service's database and the bus."""
