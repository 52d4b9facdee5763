"""Which addresses can ever be mailed (issue 9.6)."""

import pytest

from services.directory.domain.addresses import address_problem

REFUSED = {
    "josé@example.com": "Internationalized",
    "аdmin@example.com": "Internationalized",  # Cyrillic а
    "ａdmin@example.com": "Internationalized",  # fullwidth a
    "a" * 65 + "@example.com": "longer than 64",
}
REFUSED_EVEN_WITH_SMTPUTF8 = {
    "аdmin@example.com": "look-alikes",
    "ａdmin@example.com": "fullwidth",
    "admin@exаmple.com": "look-alikes",
    "a" * 65 + "@example.com": "longer than 64",
}


@pytest.mark.parametrize(("email", "why"), REFUSED.items())
def test_refused_without_smtputf8(email: str, why: str) -> None:
    assert why in (address_problem(email, smtputf8=False) or "")


@pytest.mark.parametrize(("email", "why"), REFUSED_EVEN_WITH_SMTPUTF8.items())
def test_refused_even_with_smtputf8(email: str, why: str) -> None:
    assert why in (address_problem(email, smtputf8=True) or "")


@pytest.mark.parametrize(
    "email", ["user@bücher.example.com", "a" * 64 + "@example.com", "Zoé.Tremblay@example.com"]
)
def test_accepted(email: str) -> None:
    smtputf8 = not email.split("@")[0].isascii()
    assert address_problem(email, smtputf8=smtputf8) is None


def test_a_non_latin_address_is_accepted_with_smtputf8() -> None:
    assert address_problem("иван@пример.рф", smtputf8=True) is None
