"""The five services; each is its own process and owns its own database."""
