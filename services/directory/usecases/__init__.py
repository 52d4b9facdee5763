"""What the directory does, one use case per module. Endpoints and message handlers call
these; they never commit (the request or message boundary does)."""
