"""Formula injection: text that a spreadsheet would run as a formula is neutralised.

As OWASP recommends (CSV Injection): a text cell whose first character is `=`, `+`, `-` or `@`
(also after leading whitespace, which spreadsheets skip), or is a tab, carriage return or line
feed, gets a leading `'` so it is shown as text. Numbers and dates are never text, so a negative
number or a date is never touched: callers only pass text here.
"""

import re

TRIGGERS = "=+-@"
CONTROL_STARTS = "\t\r\n"
# The same rule as the regular expression the CSV's SQL uses (see db/csv_copy.py).
FORMULA_LIKE = re.compile(r"[\t\r\n]|[ \t\r\n]*[=+\-@]")
# Characters a dangerous text may start with: anything else is safe at the first glance.
SUSPECT_FIRST = frozenset(" " + CONTROL_STARTS + TRIGGERS)


def is_formula_like(text: str) -> bool:
    return text[:1] in SUSPECT_FIRST and FORMULA_LIKE.match(text) is not None


def neutralise(text: str) -> str:
    """The text as a spreadsheet should show it, never run it."""
    # Most cells start with a letter or digit: one set lookup, no regex (1 M rows × 12 text cells).
    if text[:1] in SUSPECT_FIRST and FORMULA_LIKE.match(text) is not None:
        return "'" + text
    return text
