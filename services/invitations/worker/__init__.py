"""Background loops of the service: the sender and the reminder planner."""
