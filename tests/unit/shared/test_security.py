from shared.schemas import decode_cursor, encode_cursor
from shared.security.passwords import (
    hash_password,
    is_argon2id_hash,
    password_problems,
    verify_password,
)
from shared.security.tokens import new_token, token_hash


def test_passwords_are_hashed_with_argon2id_owasp_parameters() -> None:
    hashed = hash_password("a long enough passphrase")
    assert is_argon2id_hash(hashed)
    assert "m=19456,t=2,p=1" in hashed
    assert verify_password(hashed, "a long enough passphrase")
    assert not verify_password(hashed, "another passphrase")
    assert not verify_password(None, "a long enough passphrase")
    assert not verify_password("not a hash", "anything")


def test_password_rules_are_stated_in_words_a_user_understands() -> None:
    assert password_problems("correct horse battery") == []
    assert password_problems("short") == ["Use at least 10 characters."]
    assert "Use more different characters." in password_problems("aaaaaaaaaaaa")
    assert password_problems("marie.tremblay-2026", email="marie.tremblay@example.com") == [
        "Don't use your e-mail address in your password."
    ]


def test_tokens_are_long_random_and_stored_hashed() -> None:
    token = new_token()
    assert len(token) >= 43  # 256 bits in URL-safe base64
    assert token != new_token()
    assert token_hash(token) == token_hash(token)
    assert token_hash(new_token()) != token_hash(token)
    assert token.encode() not in token_hash(token)


def test_cursors_are_opaque_and_round_trip() -> None:
    position = {"s": "name", "v": "tremblay marie", "id": "x"}
    assert decode_cursor(encode_cursor(position)) == position
