"""Which addresses can ever be mailed (issue 9.6)."""

import pytest

from services.directory.domain.addresses import (
    address_problem,
    address_skeleton,
    address_skeletons,
    looks_like_another,
)

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


LOOK_ALIKES = {
    "аdmin@example.com": "admin@example.com",  # Cyrillic а
    "админ@example.com": "админ@example.com",  # the same Cyrillic address, any case below
    "АДМИН@example.com": "админ@example.com",
    "раураl@example.com": "paypal@example.com",  # all Cyrillic but the l
    "рау@example.com": "pay@example.com",  # all Cyrillic
    "user@рау.example.com": "user@pay.example.com",  # a whole Cyrillic domain label
    "ΑΝΝΑ@example.com": "anna@example.com",  # Greek capitals
    "ａnna@example.com": "anna@example.com",  # fullwidth
    "rnarie@example.com": "marie@example.com",
    "Marie@Example.com": "marie@example.com",
}
DIFFERENT = {
    "josé@example.com": "jose@example.com",  # an accent is a letter of its own
    "marie@example.com": "maria@example.com",
    "user@bücher.example.com": "user@bucher.example.com",
}


@pytest.mark.parametrize(("typed", "existing"), LOOK_ALIKES.items())
def test_look_alikes_share_a_skeleton(typed: str, existing: str) -> None:
    assert address_skeleton(existing) in address_skeletons(typed)


@pytest.mark.parametrize(("typed", "existing"), DIFFERENT.items())
def test_different_addresses_keep_different_skeletons(typed: str, existing: str) -> None:
    assert address_skeleton(existing) not in address_skeletons(typed)


def test_an_address_passes_for_another_users_not_for_its_own() -> None:
    others = ["marie@example.com", "paul@example.com"]
    assert looks_like_another("rnarie@example.com", others)
    assert looks_like_another("раul@example.com", others)  # Cyrillic р, а
    assert not looks_like_another("Marie@example.com", others)  # the same address
    assert not looks_like_another("maria@example.com", others)
