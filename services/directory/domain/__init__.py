"""The directory's rules, as plain functions and values with no I/O."""
