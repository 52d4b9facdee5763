"""Writing the e-mails (Jinja2 templates, fr/en, HTML and text) and sending them over SMTP."""
