"""The webhooks service's database: its tables and every statement on them."""
