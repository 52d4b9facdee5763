"""The directory's background work."""
