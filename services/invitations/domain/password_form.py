"""The choose-password form: what is wrong with what the user typed."""

from shared.security.passwords import password_problems

PASSWORDS_DIFFER = "The two passwords are different."
PASSWORD_MISSING = "Choose a password."  # noqa: S105 (a message, not a password)


def form_problems(password: str, confirmation: str, *, email: str) -> list[str]:
    """Problems in words a user can act on (English; the page translates them)."""
    if not password:
        return [PASSWORD_MISSING]
    problems = password_problems(password, email=email)
    if password != confirmation:
        problems.append(PASSWORDS_DIFFER)
    return problems
