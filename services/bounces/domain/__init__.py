"""The bounces service's rules: provider payloads to notices, and authenticity checks. No I/O."""
