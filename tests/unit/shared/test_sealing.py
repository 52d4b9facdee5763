import pytest

from shared.security.sealing import (
    SealedBoxError,
    new_sealing_key_pair,
    open_sealed,
    public_key_of,
    seal,
)

HASH = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"


def test_only_the_private_key_opens_what_was_sealed_and_the_hash_is_not_readable() -> None:
    private, public = new_sealing_key_pair()
    sealed = seal(HASH, public)
    assert "argon2" not in sealed
    assert open_sealed(sealed, [private]) == HASH
    other_private, _ = new_sealing_key_pair()
    with pytest.raises(SealedBoxError):
        open_sealed(sealed, [other_private])


def test_during_a_rotation_both_keys_open_and_the_public_key_derives_from_the_private() -> None:
    old_private, old_public = new_sealing_key_pair()
    new_private, new_public = new_sealing_key_pair()
    assert public_key_of(new_private) == new_public
    assert open_sealed(seal(HASH, old_public), [new_private, old_private]) == HASH
    assert open_sealed(seal(HASH, new_public), [new_private, old_private]) == HASH


def test_tampered_or_garbage_text_is_refused() -> None:
    private, public = new_sealing_key_pair()
    sealed = seal(HASH, public)
    flipped = sealed[:10] + ("A" if sealed[10] != "A" else "B") + sealed[11:]
    for bad in (flipped, "not base64 !", ""):
        with pytest.raises(SealedBoxError):
            open_sealed(bad, [private])
