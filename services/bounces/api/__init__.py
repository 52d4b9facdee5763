"""The bounces service's HTTP routes: one webhook endpoint per provider."""
