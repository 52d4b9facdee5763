"""The e-mails: written from the templates beside this file (Jinja2, gettext catalogues),
built as MIME, sent over SMTP. `Mailer` is what the sending use case is given."""
