"""The bounces service's background work."""
