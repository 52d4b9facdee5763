"""Acting on every user a filter matches (or on named users): preview, then a job."""
