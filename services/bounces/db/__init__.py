"""The bounces service's tables and every statement on them."""
