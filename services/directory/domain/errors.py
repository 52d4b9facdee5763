class RuleViolation(Exception):
    """A change the directory's rules forbid (e.g. demoting the last admin)."""
