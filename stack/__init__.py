"""Runs the whole system without Docker: every service as its own process, nginx in front."""
