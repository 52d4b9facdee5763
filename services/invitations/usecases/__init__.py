"""What the service does, each use case inside the caller's transaction (the caller commits)."""
