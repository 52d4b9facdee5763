"""The choose-password form: which of its rules what the user typed breaks (the page
words them in the user's language)."""

from enum import StrEnum

from shared.security.passwords import password_rule_breaks


class FormProblem(StrEnum):
    MISSING = "missing"
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    TOO_FEW_DIFFERENT = "too_few_different"
    CONTAINS_EMAIL = "contains_email"
    DIFFERENT = "different"  # the confirmation differs


def form_problems(password: str, confirmation: str, *, email: str) -> list[FormProblem]:
    if not password:
        return [FormProblem.MISSING]
    problems = [FormProblem(rule.value) for rule in password_rule_breaks(password, email=email)]
    if password != confirmation:
        problems.append(FormProblem.DIFFERENT)
    return problems
