"""The invitations service: invitation e-mails, the choose-password page, suppression list."""
